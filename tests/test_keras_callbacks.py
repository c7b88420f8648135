"""Keras callbacks: ModelCheckpoint, CSVLogger, LearningRateScheduler,
ReduceLROnPlateau, TerminateOnNaN and EarlyStopping(restore_best_weights), as Keras 3."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tapeflow import keras


def _data(n: int = 64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.float32([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    return x, y


def _model(lr: float = 0.01):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=lr), "mse")
    return model


def test_model_checkpoint_saves_best_model_and_weights(tmp_path) -> None:
    x, y = _data()
    model = _model()
    best = tmp_path / "best.keras"
    weights = tmp_path / "ep{epoch:02d}.weights.h5"
    pytest.importorskip("h5py")
    model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[
        keras.callbacks.ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True),
        keras.callbacks.ModelCheckpoint(str(weights), save_weights_only=True)])
    assert best.exists()
    assert sorted(p.name for p in tmp_path.glob("*.weights.h5")) == [
        "ep01.weights.h5", "ep02.weights.h5", "ep03.weights.h5"]
    loaded = keras.models.load_model(best)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)  # the loss only fell, so the last epoch is best
    fresh = _model()
    fresh.load_weights(tmp_path / "ep03.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_csv_logger_writes_one_row_per_epoch(tmp_path) -> None:
    x, y = _data()
    path = tmp_path / "log.csv"
    history = _model().fit(x, y, epochs=3, verbose=0, validation_split=0.25,
                           callbacks=[keras.callbacks.CSVLogger(str(path))])
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    assert list(rows[0]) == ["epoch", "loss", "val_loss"]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], history.history["loss"],
                               rtol=1e-6)


def test_learning_rate_scheduler_sets_each_epochs_rate() -> None:
    x, y = _data()
    model = _model(lr=0.1)
    seen = []
    sched = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    spy = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(float(np.asarray(model.optimizer.learning_rate))))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, spy])
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6)


def test_reduce_lr_on_plateau_cuts_the_rate() -> None:
    x, y = _data()
    model = _model(lr=0.0)  # the loss never improves
    model.fit(x, y, epochs=4, verbose=0, callbacks=[
        keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                          min_delta=0.0)])
    assert float(np.asarray(model.optimizer.learning_rate)) == 0.0
    model2 = _model(lr=1e-9)
    history = model2.fit(x, y, epochs=4, verbose=0, callbacks=[
        keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                          min_delta=1.0)])
    # As Keras: each epoch logs the rate it trained with, then the callback may cut it
    # (epoch 0 improves on inf; from epoch 1 on nothing beats best - 1.0).
    np.testing.assert_allclose(history.history["learning_rate"],
                               [1e-9, 1e-9, 5e-10, 2.5e-10], rtol=1e-5)
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.5)


def test_terminate_on_nan_stops_training(capsys) -> None:
    x, y = _data()
    y[0, 0] = np.nan
    history = _model().fit(x, y, epochs=5, batch_size=16, verbose=0,
                           callbacks=[keras.callbacks.TerminateOnNaN()])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.history["loss"]) == 1


def test_early_stopping_restores_best_weights() -> None:
    x, y = _data()
    model = _model(lr=0.05)
    best_weights = []

    class Track(keras.callbacks.Callback):
        best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            if logs["val_loss"] < Track.best:
                Track.best = logs["val_loss"]
                best_weights[:] = self.model.get_weights()

    # Validation targets the model cannot fit: val_loss soon rises while loss falls.
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1,
                                         restore_best_weights=True)
    model.fit(x, y, epochs=30, verbose=0, validation_data=(x, -y), callbacks=[Track(), stop])
    assert stop.stopped_epoch > 0
    for got, want in zip(model.get_weights(), best_weights):
        np.testing.assert_array_equal(got, want)


def test_every_hook_gets_a_logs_dict_and_fit_validation_runs_the_test_hooks():
    """The hook sequence and log keys Keras 3.15 gives (TF's custom_callback guide calls
    logs.keys() in every hook): {} where there are no logs yet, validation inside fit
    through on_test_*, predict batches with their outputs."""
    seen = []

    class Recorder(keras.callbacks.Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                def hook(*args, **kwargs):
                    logs = kwargs["logs"] if "logs" in kwargs else args[-1]
                    seen.append((name, sorted(logs.keys())))
                return hook
            return object.__getattribute__(self, name)

    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    m.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y),
          callbacks=[Recorder()])
    m.predict(x, batch_size=4, verbose=0, callbacks=[Recorder()])
    batch = ["loss", "mae"]
    assert seen == [
        ("on_train_begin", []), ("on_epoch_begin", []),
        ("on_train_batch_begin", []), ("on_train_batch_end", batch),
        ("on_train_batch_begin", []), ("on_train_batch_end", batch),
        ("on_test_begin", []),
        ("on_test_batch_begin", []), ("on_test_batch_end", batch),
        ("on_test_batch_begin", []), ("on_test_batch_end", batch),
        ("on_test_end", batch),
        ("on_epoch_end", ["loss", "mae", "val_loss", "val_mae"]),
        ("on_train_end", ["loss", "mae", "val_loss", "val_mae"]),
        ("on_predict_begin", []),
        ("on_predict_batch_begin", []), ("on_predict_batch_end", ["outputs"]),
        ("on_predict_batch_begin", []), ("on_predict_batch_end", ["outputs"]),
        ("on_predict_end", []),
    ]
