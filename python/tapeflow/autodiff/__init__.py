"""Reverse-mode automatic differentiation (``tf.GradientTape``)."""
