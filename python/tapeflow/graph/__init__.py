"""Graphs: ``tf.function`` (function.py) and the ops that call Python from a graph
(python_ops.py: ``tf.print``, ``tf.py_function``, ``tf.numpy_function``)."""
