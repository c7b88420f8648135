"""tf.train.Checkpoint / CheckpointManager / latest_checkpoint: paths, keys, state
files and messages verified with TF 2.21; round trips checked against numpy."""

import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import keras


class D(tf.Module):
    def __init__(self, i, o, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones([i, o]), name="w")
        self.b = tf.Variable(tf.zeros([o]), name="b")


class S(tf.Module):
    def __init__(self):
        super().__init__()
        self.dense_1 = D(3, 3)
        self.dense_2 = D(3, 2)


class One(tf.Module):
    def __init__(self):
        super().__init__()
        self.dense_1 = D(3, 3)


def test_write_keys_and_round_trip(tmp_path):
    m = S()
    m.dense_2.w.assign(np.arange(6, dtype="float32").reshape(3, 2))
    path = tf.train.Checkpoint(model=m).write(str(tmp_path / "my_checkpoint"))
    assert path == str(tmp_path / "my_checkpoint")
    assert sorted(os.listdir(tmp_path)) == ["my_checkpoint.data-00000-of-00001",
                                            "my_checkpoint.index"]
    assert tf.train.list_variables(path) == [  # TF's keys and order
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []),
        ("model/dense_1/b/.ATTRIBUTES/VARIABLE_VALUE", [3]),
        ("model/dense_1/w/.ATTRIBUTES/VARIABLE_VALUE", [3, 3]),
        ("model/dense_2/b/.ATTRIBUTES/VARIABLE_VALUE", [2]),
        ("model/dense_2/w/.ATTRIBUTES/VARIABLE_VALUE", [3, 2])]
    assert tf.train.latest_checkpoint(str(tmp_path)) is None  # write() keeps no state
    fresh = S()
    status = tf.train.Checkpoint(model=fresh).restore(path)
    np.testing.assert_array_equal(fresh.dense_2.w.numpy(), m.dense_2.w.numpy())
    with pytest.raises(AssertionError, match="Showing 1 of 1 unmatched objects: "
                       r"\[<tf.Variable 'save_counter:0'"):
        status.assert_consumed()  # as TF: write() saved no save_counter
    tf.train.Checkpoint(model=S()).read(path).assert_consumed()
    reader = tf.train.load_checkpoint(path)
    np.testing.assert_array_equal(
        reader.get_tensor("model/dense_2/w/.ATTRIBUTES/VARIABLE_VALUE"),
        m.dense_2.w.numpy())


def test_containers_keys(tmp_path):
    c = tf.train.Checkpoint(a=[tf.Variable(1.0), {"x": tf.Variable(2.0)}],
                            step=tf.Variable(3))
    path = c.write(str(tmp_path / "n"))
    assert [k for k, _ in tf.train.list_variables(path)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", "a/0/.ATTRIBUTES/VARIABLE_VALUE",
        "a/1/x/.ATTRIBUTES/VARIABLE_VALUE", "step/.ATTRIBUTES/VARIABLE_VALUE"]


def test_save_counter_and_state_file(tmp_path):
    ck = tf.train.Checkpoint(model=S())
    prefix = str(tmp_path / "ck" / "ckpt")
    assert ck.save(prefix) == prefix + "-1"
    assert ck.save(prefix) == prefix + "-2"
    assert int(ck.save_counter) == 2
    text = open(tmp_path / "ck" / "checkpoint").read()
    assert text == ('model_checkpoint_path: "ckpt-2"\n'
                    'all_model_checkpoint_paths: "ckpt-2"\n')
    assert tf.train.latest_checkpoint(str(tmp_path / "ck")) == prefix + "-2"
    assert tf.train.latest_checkpoint(str(tmp_path / "nonexistent")) is None
    fresh = tf.train.Checkpoint(model=S())
    fresh.restore(tf.train.latest_checkpoint(str(tmp_path / "ck"))).assert_consumed()
    assert int(fresh.save_counter) == 2
    with pytest.raises(AttributeError, match="has no setter"):
        ck.save_counter = tf.Variable(1)


def test_status_semantics(tmp_path):
    p = tf.train.Checkpoint(model=S()).save(str(tmp_path / "a"))
    status = tf.train.Checkpoint(model=One()).restore(p)
    assert status.assert_existing_objects_matched() is status
    assert status.expect_partial() is status
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint"):
        status.assert_consumed()
    status = tf.train.Checkpoint(model=S(), x=tf.Variable(1.0)).restore(p)
    with pytest.raises(AssertionError) as e:
        status.assert_consumed()
    assert str(e.value) == (
        "Found 1 Python objects that were not bound to checkpointed values, likely due "
        "to changes in the Python program. Showing 1 of 1 unmatched objects: "
        "[<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>]")
    status = tf.train.Checkpoint(other=S()).restore(p)
    status.assert_nontrivial_match()  # TF: the save_counter matched
    with pytest.raises(AssertionError, match="Showing 4 of 4 unmatched objects"):
        status.assert_existing_objects_matched()
    none = tf.train.Checkpoint(model=S()).restore(None)
    for check in (none.assert_consumed, none.assert_existing_objects_matched):
        with pytest.raises(AssertionError, match=r"No checkpoint specified \(save_path="
                           r"None\); nothing is being restored."):
            check()


def test_shape_mismatch(tmp_path):
    class Bad(tf.Module):
        def __init__(self):
            super().__init__()
            self.dense_1 = D(3, 4)
            self.dense_2 = D(3, 2)

    p = tf.train.Checkpoint(model=S()).write(str(tmp_path / "c"))
    with pytest.raises(ValueError) as e:
        tf.train.Checkpoint(model=Bad()).restore(p)
    assert str(e.value) == ("Received incompatible tensor with shape (3,) when "
                            "attempting to restore variable with shape (4,) and name "
                            "b:0.")


def test_bad_arguments_and_files(tmp_path):
    for args, kwargs, name in (((3,), {}, "root"), ((), {"x": 3}, "x")):
        with pytest.raises(ValueError) as e:
            tf.train.Checkpoint(*args, **kwargs)
        assert str(e.value).startswith(f"`Checkpoint` was expecting {name} to be a "
                                       "trackable object (an object derived from "
                                       "`Trackable`), got 3.")
    ck = tf.train.Checkpoint(model=S())
    missing = str(tmp_path / "nope")
    with pytest.raises(tf.errors.NotFoundError) as e:
        ck.restore(missing)
    assert str(e.value).startswith("Error when restoring from checkpoint or "
                                   f"SavedModel at {missing}: Unsuccessful "
                                   "TensorSliceReader constructor: Failed to find any "
                                   f"matching files for {missing}\nPlease "
                                   "double-check that the path is correct.")
    with pytest.raises(tf.errors.NotFoundError):
        ck.read(missing)
    with pytest.raises(tf.errors.DataLossError, match="Is a directory"):
        ck.restore(str(tmp_path))
    (tmp_path / "bad.index").write_text("garbage")
    (tmp_path / "bad.data-00000-of-00001").write_text("garbage")
    with pytest.raises(tf.errors.DataLossError):
        ck.restore(str(tmp_path / "bad"))
    good = ck.write(str(tmp_path / "good"))
    (tmp_path / "good.data-00000-of-00001").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(tf.errors.DataLossError):
        tf.train.Checkpoint(model=S()).restore(good)


def test_pickled_data_is_refused(tmp_path):
    good = tf.train.Checkpoint(v=tf.Variable(1.0)).write(str(tmp_path / "p"))
    with open(good + ".data-00000-of-00001", "wb") as f:
        np.savez(f, v0=np.array([object()], dtype=object))
    with pytest.raises(tf.errors.DataLossError):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(good)


def test_deferred_restoration(tmp_path):
    p = tf.train.Checkpoint(model=S()).write(str(tmp_path / "d"))
    v = tf.Variable(tf.zeros([3, 2]))
    root = tf.train.Checkpoint(
        model=tf.train.Checkpoint(dense_2=tf.train.Checkpoint(w=v)))
    root.restore(p)
    np.testing.assert_array_equal(v.numpy(), np.ones([3, 2]))
    later = tf.train.Checkpoint()
    later.restore(p)
    later.model = S()
    later.model.dense_1.w.assign(tf.zeros([3, 3]))  # created before: restored on assign
    mod = S()
    mod.dense_1.w.assign(tf.zeros([3, 3]))
    holder = tf.train.Checkpoint(model=tf.Module())
    holder.restore(p)
    holder.model.dense_1 = mod.dense_1
    np.testing.assert_array_equal(mod.dense_1.w.numpy(), np.ones([3, 3]))


def test_keras_layer_built_after_restore(tmp_path):
    layer = keras.layers.Dense(2)
    layer(tf.ones([1, 3]))
    layer.kernel.assign(np.arange(6, dtype="float32").reshape(3, 2))
    p = tf.train.Checkpoint(layer=layer).save(str(tmp_path / "k"))
    fresh = keras.layers.Dense(2)
    status = tf.train.Checkpoint(layer=fresh).restore(p)
    fresh(tf.ones([1, 3]))  # built lazily: gets the saved kernel when created
    np.testing.assert_array_equal(fresh.kernel.numpy(), layer.kernel.numpy())
    status.assert_existing_objects_matched()


def _model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4),
                             keras.layers.Dense(1)])


def _step(model, opt, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))


@pytest.mark.parametrize("make_opt", [lambda: keras.optimizers.Adam(0.1),
                                      lambda: keras.optimizers.SGD(0.1, momentum=0.9)])
def test_optimizer_continues_identically(tmp_path, make_opt):
    x = np.random.RandomState(0).randn(8, 3).astype("float32")
    y = np.ones((8, 1), "float32")
    model, opt = _model(), make_opt()
    for _ in range(3):
        _step(model, opt, x, y)
    path = tf.train.Checkpoint(model=model, optimizer=opt).save(str(tmp_path / "ckpt"))
    for _ in range(2):
        _step(model, opt, x, y)
    model2, opt2 = _model(), make_opt()
    status = tf.train.Checkpoint(model=model2, optimizer=opt2).restore(path)
    assert int(opt2.iterations) == 3
    for _ in range(2):
        _step(model2, opt2, x, y)
    for a, b in zip(model.weights, model2.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    status.assert_consumed()


def test_checkpoint_manager(tmp_path):
    step = tf.Variable(1)
    ck = tf.train.Checkpoint(step=step)
    d = str(tmp_path / "m")
    m = tf.train.CheckpointManager(ck, d, max_to_keep=2)
    assert m.latest_checkpoint is None and m.checkpoints == [] and m.directory == d
    for i in range(4):
        assert m.save() == f"{d}/ckpt-{i + 1}"
        step.assign_add(1)
    assert m.checkpoints == [f"{d}/ckpt-3", f"{d}/ckpt-4"]
    assert m.latest_checkpoint == f"{d}/ckpt-4"
    assert sorted(os.listdir(d)) == ["checkpoint", "ckpt-3.data-00000-of-00001",
                                     "ckpt-3.index", "ckpt-4.data-00000-of-00001",
                                     "ckpt-4.index"]
    lines = open(os.path.join(d, "checkpoint")).read().splitlines()
    assert lines[:3] == ['model_checkpoint_path: "ckpt-4"',
                         'all_model_checkpoint_paths: "ckpt-3"',
                         'all_model_checkpoint_paths: "ckpt-4"']
    assert m.save(checkpoint_number=100) == f"{d}/ckpt-100"
    m2 = tf.train.CheckpointManager(ck, d, max_to_keep=2)
    assert m2.checkpoints == [f"{d}/ckpt-4", f"{d}/ckpt-100"]
    assert m2.latest_checkpoint == f"{d}/ckpt-100"
    m3 = tf.train.CheckpointManager(ck, str(tmp_path / "m3"), max_to_keep=None)
    for _ in range(3):
        m3.save()
    assert [os.path.basename(p) for p in m3.checkpoints] == [
        "ckpt-6", "ckpt-7", "ckpt-8"]
    for bad in (0, -1):
        with pytest.raises(ValueError, match="Expected a positive integer or `None` "
                           f"for `max_to_keep`, got {bad}."):
            tf.train.CheckpointManager(ck, d, max_to_keep=bad)
    ck2 = tf.train.Checkpoint(step=tf.Variable(0))
    ck2.restore(tf.train.latest_checkpoint(d))
    assert int(ck2.step) == 5 and int(ck2.save_counter) == 5


def test_manager_ignores_state_entries_outside_its_directory(tmp_path):
    ck = tf.train.Checkpoint(v=tf.Variable(1.0))
    outside = ck.write(str(tmp_path / "outside"))
    d = tmp_path / "m"
    d.mkdir()
    (d / "checkpoint").write_text(f'model_checkpoint_path: "{outside}"\n'
                                  f'all_model_checkpoint_paths: "../outside"\n')
    m = tf.train.CheckpointManager(ck, str(d), max_to_keep=1)
    assert m.checkpoints == []
    m.save()
    m.save()
    assert os.path.exists(outside + ".index")


def test_empty_object_graph_is_data_loss(tmp_path):
    good = tf.train.Checkpoint(v=tf.Variable(1.0)).write(str(tmp_path / "e"))
    (tmp_path / "e.index").write_text(
        '{"format": "tapeflow-checkpoint", "version": 1, "keys": [], "nodes": []}')
    with pytest.raises(tf.errors.DataLossError):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(good)


def test_pending_restore_does_not_keep_objects_alive(tmp_path):
    import gc
    import weakref

    from tapeflow.framework import tracking

    p = tf.train.Checkpoint(model=S()).write(str(tmp_path / "g"))
    holder = tf.train.Checkpoint(model=tf.Module())
    holder.restore(p).expect_partial()
    ref = weakref.ref(holder.model)
    assert id(holder.model) in tracking._pending  # waiting for dense_1, dense_2
    del holder
    gc.collect()
    assert ref() is None


def test_root_object_and_escaped_names(tmp_path):
    m = D(1, 2)
    p = tf.train.Checkpoint(m, extra=tf.Variable(2.0)).write(str(tmp_path / "c"))
    assert [k for k, _ in tf.train.list_variables(p)] == [  # keys verified with TF
        "_CHECKPOINTABLE_OBJECT_GRAPH", "b/.ATTRIBUTES/VARIABLE_VALUE",
        "extra/.ATTRIBUTES/VARIABLE_VALUE", "w/.ATTRIBUTES/VARIABLE_VALUE"]
    p = tf.train.Checkpoint(d={"a.b": tf.Variable(1.0), "c/d": tf.Variable(2.0)}).write(
        str(tmp_path / "e"))
    assert [k for k, _ in tf.train.list_variables(p)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", "d/a..b/.ATTRIBUTES/VARIABLE_VALUE",
        "d/c.Sd/.ATTRIBUTES/VARIABLE_VALUE"]
