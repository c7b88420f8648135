"""tf.nest: expected values and messages verified with TF 2.21."""

import collections

import pytest

import tapeflow as tf

P = collections.namedtuple("P", ["x", "y"])


def test_flatten_orders_and_leaves():
    assert tf.nest.flatten(None) == [None]
    assert tf.nest.flatten({"b": 1, "a": [2, (3, None)]}) == [2, 3, None, 1]
    assert tf.nest.flatten(P(1, [2])) == [1, 2]
    assert tf.nest.flatten("abc") == ["abc"]
    assert tf.nest.flatten({"a": {}, "b": []}) == []
    assert tf.nest.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [2, 1]
    assert tf.nest.flatten({1}) == [{1}]
    with pytest.raises(TypeError, match="'<' not supported"):
        tf.nest.flatten({1: 1, "a": 2})


def test_is_nested():
    assert tf.nest.is_nested([]) and tf.nest.is_nested({})
    assert not tf.nest.is_nested("a") and not tf.nest.is_nested(None)


def test_pack_sequence_as():
    assert tf.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3]) == \
        {"b": 3, "a": [1, 2]}
    packed = tf.nest.pack_sequence_as(collections.OrderedDict([("b", 1), ("a", 2)]),
                                      [7, 8])
    assert list(packed.items()) == [("b", 8), ("a", 7)]
    assert tf.nest.pack_sequence_as(P(0, (0,)), [1, 2]) == P(1, (2,))
    assert tf.nest.pack_sequence_as(1, [5]) == 5
    with pytest.raises(ValueError) as e:
        tf.nest.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2])
    assert str(e.value) == ("Could not pack sequence. Structure had 3 atoms, but "
                            "flat_sequence had 2 items.  Structure: "
                            "{'b': 0, 'a': [0, 0]}, flat_sequence: [1, 2].")
    with pytest.raises(ValueError, match="nest cannot guarantee that it is safe"):
        tf.nest.pack_sequence_as(1, [5, 6])
    with pytest.raises(TypeError) as e:
        tf.nest.pack_sequence_as([1], 5)
    assert str(e.value) == ("Attempted to pack value:\n  5\ninto a structure, but "
                            "found incompatible type `<class 'int'>` instead.")


def test_assert_same_structure_messages():
    with pytest.raises(ValueError) as e:
        tf.nest.assert_same_structure([1, 2], [1, 2, 3])
    assert str(e.value) == (
        "The two structures don't have the same nested structure.\n\nFirst structure: "
        "type=list str=[1, 2]\n\nSecond structure: type=list str=[1, 2, 3]\n\nMore "
        "specifically: The two structures don't have the same number of elements. "
        "First structure: type=list str=[1, 2]. Second structure: type=list "
        "str=[1, 2, 3]\n"
        "Entire first structure:\n[., .]\nEntire second structure:\n[., ., .]")
    with pytest.raises(TypeError) as e:
        tf.nest.assert_same_structure(P(1, 2), (1, 2))
    assert "The two namedtuples don't have the same sequence type. First structure " \
        "type=P str=P(x=1, y=2) has type P, while second structure type=tuple " \
        "str=(1, 2) has type tuple\nEntire first structure:\nP(x=., y=.)" \
        in str(e.value)
    tf.nest.assert_same_structure([1, 2], (1, 2), check_types=False)
    with pytest.raises(ValueError, match="The two dictionaries don't have the same set "
                       r"of keys. First structure has keys type=list str=\['a'\]"):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match='Substructure "type=list str=\\[1\\]" is a '
                       'sequence, while substructure "type=int str=1" is not'):
        tf.nest.assert_same_structure(1, [1])


def test_map_structure():
    assert tf.nest.map_structure(lambda a, b: a + b, [1, 2], [3, 4]) == [4, 6]
    assert tf.nest.map_structure(lambda a: a * 2, {"b": 1, "a": P(1, 2)}) == \
        {"b": 2, "a": P(2, 4)}
    assert tf.nest.map_structure(lambda a, b: a, [1], (1,), check_types=False) == [1]
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        tf.nest.map_structure(lambda a: a)
    with pytest.raises(TypeError):
        tf.nest.map_structure(lambda a, b: a, [1], (1,))


def test_gradient_tape_uses_nest_structures():
    a, b = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = a * b
    g = tape.gradient(y, {"b": b, "a": [a, P(a, b)]})
    assert float(g["b"]) == 2.0 and float(g["a"][0]) == 3.0
    assert isinstance(g["a"][1], P) and float(g["a"][1].y) == 2.0
