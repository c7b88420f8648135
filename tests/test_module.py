"""tf.Module and tf.name_scope: names, orders and messages verified with TF 2.21."""

import pytest

import tapeflow as tf
from tapeflow import keras


class SimpleDense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")

    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


class SequentialModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = SimpleDense(3, 3)
        self.dense_2 = SimpleDense(3, 2)

    def __call__(self, x):
        return self.dense_2(self.dense_1(x))


class Node(tf.Module):
    def __init__(self, name, **kids):
        super().__init__(name=name)
        for k, v in kids.items():
            setattr(self, k, v)


def test_names():
    class HTTPServerModule(tf.Module):
        pass

    class ABCDef(tf.Module):
        pass

    assert HTTPServerModule().name == "http_server_module"
    assert ABCDef().name == "abc_def" and tf.Module().name == "module"
    m = SequentialModule(name="the_model")
    assert m.name == "the_model" and m.dense_1.name == "simple_dense"
    assert tf.Module(name="_a").name == "_a"
    for bad in ["1abc", "a b", "", "a/b", "a-b", "a.b"]:
        with pytest.raises(ValueError) as e:
            tf.Module(name=bad)
        assert str(e.value) == (f"{bad!r} is not a valid module name. Module names "
                                "must be valid Python identifiers (e.g. a valid "
                                "class name).")


def test_variables_and_submodules_in_tf_order():
    m = SequentialModule(name="the_model")
    assert [(v.name, tuple(v.shape)) for v in m.variables] == [
        ("b:0", (3,)), ("w:0", (3, 3)), ("b:0", (2,)), ("w:0", (3, 2))]
    assert m.submodules == (m.dense_1, m.dense_2)
    assert isinstance(m.variables, tuple)
    assert m(tf.ones([1, 3])).shape == (1, 2)


def test_attribute_walk_lists_dicts_duplicates_and_keras():
    class C(tf.Module):
        def __init__(self):
            super().__init__()
            self.z = tf.Variable(1.0, name="z")
            self.a = [tf.Variable(2.0, name="a0"),
                      {"y": tf.Variable(3.0, name="ay", trainable=False),
                       "b": SimpleDense(1, 1, name="sd")}]
            self.m = (SimpleDense(1, 1, name="t1"),)
            self.lst = []
            self.k = keras.layers.Dense(2, name="kd")
            self.k(tf.ones([1, 3]))

    c = C()
    c.lst.append(tf.Variable(4.0, name="late"))
    c.lst.append(c.z)
    # TF 2.21: Keras 3 layers are not Modules, so their weights are not listed.
    assert [v.name for v in c.variables] == [
        "a0:0", "ay:0", "late:0", "z:0", "b:0", "w:0", "b:0", "w:0"]
    assert [v.name for v in c.trainable_variables] == [
        "a0:0", "late:0", "z:0", "b:0", "w:0", "b:0", "w:0"]
    assert [v.name for v in c.non_trainable_variables] == ["ay:0"]
    assert [s.name for s in c.submodules] == ["sd", "t1"]
    assert not isinstance(keras.layers.Dense(2), tf.Module)
    assert not isinstance(keras.Sequential(), tf.Module)


def test_submodule_order_is_each_modules_attributes_first():
    a = Node("a", zz=Node("b", c=Node("c", x=Node("x"))), d=Node("d", e=Node("e")),
             lst=[Node("f")])
    assert [m.name for m in a.submodules] == ["d", "f", "b", "e", "c", "x"]
    paths = [p for p, _ in a._flatten(predicate=lambda x: isinstance(x, tf.Module),
                                      with_path=True)]
    assert paths == [("d",), ("lst", 0), ("zz",), ("d", "e"), ("zz", "c"),
                     ("zz", "c", "x")]


def test_name_scopes():
    class MyModule(tf.Module):
        @tf.Module.with_name_scope
        def f(self):
            return tf.Variable(1.0, name="v")

        def g(self):
            with self.name_scope:
                return tf.Variable(1.0, name="v")

    mm = MyModule()
    assert mm.name_scope.name == "my_module/"
    assert mm.f().name == "my_module/v:0" and mm.g().name == "my_module/v:0"
    with tf.name_scope("outer"):
        assert tf.Variable(1.0, name="x").name == "outer/x:0"
        with tf.name_scope("inner") as scope:
            assert scope == "outer/inner/"
            assert tf.Variable(2.0).name == "outer/inner/Variable:0"
    with tf.name_scope("s"):
        m = Node("inner")
    assert m.name_scope.name == "s/inner/"
    with m.name_scope:
        assert tf.Variable(1.0).name == "s/inner/Variable:0"
        with tf.name_scope("abs/"):
            assert tf.Variable(1.0).name == "abs/Variable:0"
        with tf.name_scope(""):
            assert tf.Variable(1.0).name == "Variable:0"
    assert tf.Variable(1.0).name == "Variable:0"
