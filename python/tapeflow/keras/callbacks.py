"""``keras.callbacks``: hooks into fit/evaluate/predict (Keras 3's set)."""

from __future__ import annotations

import csv
import math
import os
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from tapeflow.keras.utils.progbar import Progbar


class Callback:
    """Base class; override the ``on_*`` hooks you need."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: Dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Any = None) -> None: ...
    def on_train_end(self, logs: Any = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Any = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None: ...
    def on_test_begin(self, logs: Any = None) -> None: ...
    def on_test_end(self, logs: Any = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Any = None) -> None: ...
    def on_predict_begin(self, logs: Any = None) -> None: ...
    def on_predict_end(self, logs: Any = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None: ...


class CallbackList(Callback):
    """Dispatches each hook to a list of callbacks."""

    def __init__(self, callbacks: Optional[List[Callback]] = None, model: Any = None,
                 **params: Any) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model: Any) -> None:
        self.model = model
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params
        for c in self.callbacks:
            c.set_params(params)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_"):
            callbacks = object.__getattribute__(self, "callbacks")
            # on_epoch_*/on_*_batch_* take (index, logs); the others (logs). As Keras 3,
            # every callback gets a dict ({} where there are no logs yet), never None.
            position = 1 if ("batch" in name or "epoch" in name) else 0

            def dispatch(*args: Any, **kwargs: Any) -> None:
                if "logs" in kwargs:
                    if kwargs["logs"] is None:
                        kwargs["logs"] = {}
                elif len(args) <= position:
                    args = args + (None,) * (position - len(args)) + ({},)
                elif args[position] is None:
                    args = args[:position] + ({},) + args[position + 1:]
                for c in callbacks:
                    getattr(c, name)(*args, **kwargs)

            return dispatch
        return object.__getattribute__(self, name)


class History(Callback):
    """Records each epoch's logs in ``history`` (keys sorted, as Keras 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []

    def on_train_begin(self, logs: Any = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        self.history = dict(sorted(self.history.items()))
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and the progress bar during fit/evaluate/predict."""

    def __init__(self) -> None:
        super().__init__()
        self.progbar: Optional[Progbar] = None
        self.seen = 0

    def _new(self) -> None:
        self.progbar = Progbar(self.params.get("steps"), verbose=self.params.get("verbose", 1))
        self.seen = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self.params.get("verbose", 1) and self.params.get("epochs", 1) > 1:  # Keras 3
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}")
        self._new()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.seen = batch + 1
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=True)

    def on_test_begin(self, logs: Any = None) -> None:
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        self._new()

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        self.seen = batch + 1
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def on_test_end(self, logs: Any = None) -> None:
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=True)

    def on_predict_begin(self, logs: Any = None) -> None:
        self._new()

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self.seen = batch + 1
        self.progbar.update(self.seen, finalize=False)

    def on_predict_end(self, logs: Any = None) -> None:
        self.progbar.update(self.seen, finalize=True)


def _better(monitor: str, mode: str) -> Callable[[float, float], bool]:
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.startswith("auc") or "precision" in monitor
                         or "recall" in monitor) else "min"
    return (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)


class EarlyStopping(Callback):
    """Stops training when `monitor` stops improving for `patience` epochs."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: Optional[float] = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self._better = _better(monitor, mode)
        self._sign = 1 if self._better(1, 0) else -1

    def on_train_begin(self, logs: Any = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = self.baseline if self.baseline is not None else (
            -math.inf if self._sign > 0 else math.inf)
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        current = (logs or {}).get(self.monitor)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._better(current - self._sign * self.min_delta, self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Any = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None and self.stopped_epoch > 0:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate from ``schedule(epoch, lr)`` each epoch."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        lr = float(np.asarray(self.model.optimizer.learning_rate))
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:
            lr = self.schedule(epoch)
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` plateaus."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs: Any) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.verbose, self.min_delta, self.cooldown, self.min_lr = verbose, min_delta, cooldown, min_lr
        self._better = _better(monitor, mode)
        self._sign = 1 if self._better(1, 0) else -1

    def on_train_begin(self, logs: Any = None) -> None:
        self.wait, self.cooldown_counter = 0, 0
        self.best = -math.inf if self._sign > 0 else math.inf

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))
        current = logs.get(self.monitor)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current - self._sign * self.min_delta, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(np.asarray(self.model.optimizer.learning_rate))
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Streams epoch results to a CSV file."""

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self._file: Any = None
        self._writer: Any = None
        self._keys: Optional[List[str]] = None

    def on_train_begin(self, logs: Any = None) -> None:
        exists = self.append and os.path.exists(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._keys = None
        self._append_header = not exists

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = dict(sorted((logs or {}).items()))
        if self._keys is None:
            self._keys = list(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self._keys,
                                          delimiter=self.sep)
            if self._append_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self._keys}})
        self._file.flush()

    def on_train_end(self, logs: Any = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class LambdaCallback(Callback):
    """A callback from plain functions (``on_epoch_end=lambda epoch, logs: ...``)."""

    def __init__(self, on_epoch_begin: Any = None, on_epoch_end: Any = None,
                 on_train_begin: Any = None, on_train_end: Any = None,
                 on_train_batch_begin: Any = None, on_train_batch_end: Any = None,
                 **kwargs: Any) -> None:
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stops training when the loss becomes NaN or inf."""

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after epochs, optionally only the best."""

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: str = "epoch", **kwargs: Any) -> None:
        super().__init__()
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._better = _better(monitor, mode)
        self.best: Optional[float] = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None or (self.best is not None and not self._better(current, self.best)):
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                      f"{current}, saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


from tapeflow.keras.callbacks_tensorboard import TensorBoard  # noqa: E402,F401
