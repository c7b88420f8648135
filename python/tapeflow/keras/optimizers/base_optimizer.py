"""``keras.optimizers.Optimizer``: the base class every optimizer builds on.

As Keras 3 (``keras/src/optimizers/base_optimizer.py``): a subclass implements only
``build(variables)`` (creating its slot variables with ``add_variable_from_reference``)
and ``update_step(gradient, variable, learning_rate)``. The base class filters missing
gradients, unscales, clips, applies weight decay, calls ``update_step`` per variable,
keeps EMA and gradient accumulators, and counts ``iterations`` (an int64 variable).
All updates are ``assign``/``assign_add``/``assign_sub`` on values that no tape tracks.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import tapeflow as tf
from tapeflow.keras.optimizers import schedules as _schedules
from tapeflow.keras.utils.naming import auto_name

class Optimizer(tf.__internal__.tracking.AutoTrackable):
    """Abstract optimizer base class (``keras.optimizers.Optimizer``).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` (evaluated at
            ``iterations``) or a callable taking no arguments.
        weight_decay: If set, decays every variable by ``var * weight_decay * lr``
            before each update.
        clipnorm: Clips each gradient to this L2 norm.
        clipvalue: Clips each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: Clips all gradients together to this global L2 norm.
        use_ema: Keeps an exponential moving average of the model variables.
        ema_momentum: The EMA's momentum.
        ema_overwrite_frequency: Every this many iterations, overwrite the model
            variables with their moving average.
        loss_scale_factor: Gradients are divided by it (see ``scale_loss``).
        gradient_accumulation_steps: Update only every this many steps, with the
            mean of the accumulated gradients.
        name: The optimizer's name (default: the snake-cased class name).
    """

    def __init__(self, learning_rate: Any, weight_decay: Optional[float] = None,
                 clipnorm: Optional[float] = None, clipvalue: Optional[float] = None,
                 global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99,
                 ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None,
                 gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = name if name is not None else auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. "
                             "Received: gradient_accumulation_steps="
                             f"{gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError("`ema_momentum` must be in the range [0, 1]. "
                                 f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or "
                                 "None. Received: ema_overwrite_frequency="
                                 f"{ema_overwrite_frequency}")
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}")
        self.built = False
        self._step_cache: Optional[Dict[Any, Any]] = None
        self._variables: List[Any] = []
        self._trainable_variables: List[Any] = []
        self._trainable_variables_indices: Dict[int, int] = {}
        self._iterations = self._new_variable(0, tf.int64, "iteration")
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(
                learning_rate):
            self._learning_rate = learning_rate
        else:
            if not isinstance(learning_rate, float):
                raise ValueError(
                    "Argument `learning_rate` should be float, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current "
                    "iteration value and returns the corresponding learning rate "
                    f"value). Received instead: learning_rate={learning_rate}")
            self._learning_rate = self._new_variable(learning_rate, tf.float32,
                                                     "learning_rate")

    # -- variables -------------------------------------------------------------------
    def _new_variable(self, value: Any, dtype: Any, name: str) -> tf.Variable:
        var = tf.Variable(value, dtype=dtype, trainable=False, name=name)
        self._variables.append(var)
        return var

    @property
    def variables(self) -> List[Any]:
        """The optimizer's own variables, in creation order (iteration first)."""
        return self._variables[:]

    @property
    def iterations(self) -> Any:
        """The number of steps applied (an int64 ``tf.Variable``)."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "none", layout: Any = None,
                     name: Optional[str] = None) -> tf.Variable:
        """A new non-trainable variable tracked by the optimizer.

        ``initializer`` is "zeros", "ones", a number or a callable ``(shape, dtype)``.
        """
        dtype = tf.as_dtype(dtype or tf.float32)
        shape = tuple(shape)
        if isinstance(initializer, str):
            fills = {"zeros": 0.0, "ones": 1.0}
            if initializer.lower() not in fills:
                raise ValueError(f"Unknown initializer for an optimizer variable. "
                                 f"Received: initializer={initializer}")
            value = tf.fill(shape, tf.cast(fills[initializer.lower()], dtype))
        elif isinstance(initializer, (int, float)):
            value = tf.fill(shape, tf.cast(initializer, dtype))
        else:
            value = initializer(shape, dtype=dtype)
        return self._new_variable(value, dtype, name or "variable")

    def add_variable_from_reference(self, reference_variable: Any,
                                    name: Optional[str] = None,
                                    initializer: Any = "zeros") -> tf.Variable:
        """A slot variable shaped like ``reference_variable``, named after it."""
        name = name or "var"
        path = getattr(reference_variable, "path", None)
        if isinstance(path, str):
            name = f"{path.replace('/', '_')}_{name}"
        else:
            ref = str(reference_variable.name).replace("/", "_").replace(":", "_")
            name = f"{ref}_{name}"
        return self.add_variable(shape=reference_variable.shape,
                                 initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables: Sequence[Any], name: Any,
                                initializer: Any = "zeros") -> Any:
        """One slot per variable for each name (several names interleave per
        variable, as Keras)."""
        names = [name] if isinstance(name, str) else list(name)
        inits = ([initializer] * len(names)
                 if isinstance(name, str) or not isinstance(initializer, (list, tuple))
                 else list(initializer))
        if len(names) != len(inits):
            raise ValueError("The number of provided names must match the number of "
                             f"provided initializers.  Received name='{name}', "
                             f"initializer='{initializer}'")
        out: Tuple[List[Any], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (n, init) in enumerate(zip(names, inits)):
                out[i].append(self.add_variable_from_reference(variable, n, init))
        return out[0] if isinstance(name, str) else out

    def _var_key(self, variable: Any) -> int:
        return id(variable)

    def _get_variable_index(self, variable: Any) -> int:
        return self._trainable_variables_indices[self._var_key(variable)]

    def build(self, variables: Sequence[Any]) -> None:
        """Creates the slot variables for ``variables`` (subclasses call super
        first)."""
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[self._var_key(variable)] = i
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(self.add_variable_from_reference(
                    variable, name="gradient_accumulator"))
        self._trainable_variables = list(variables)
        self.built = True

    def _check_variables_are_known(self, variables: Iterable[Any]) -> None:
        for v in variables:
            if self._var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new "
                    "set of variables, you should recreate a new optimizer instance.")

    # -- learning rate ---------------------------------------------------------------
    @property
    def learning_rate(self) -> Any:
        """The current learning rate: the variable, or the schedule's value now."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        prev = self._learning_rate
        if not isinstance(prev, tf.Variable):
            prev = None
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(
                learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
                raise TypeError(
                    "This optimizer was created with a `LearningRateSchedule` object "
                    "as its `learning_rate` constructor argument, hence its learning "
                    "rate is not settable. If you need the learning rate to be "
                    "settable, you should instantiate the optimizer with a float "
                    "`learning_rate` argument.")
            if isinstance(self._learning_rate, tf.Variable):
                self._learning_rate.assign(learning_rate)
            else:  # was a callable: back to a variable
                self._learning_rate = self._new_variable(float(learning_rate),
                                                         tf.float32, "learning_rate")
        if prev is not None and self._learning_rate is not prev:
            self._variables = [v for v in self._variables if v is not prev]

    def _get_current_learning_rate(self) -> Any:
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, tf.Variable):
            return lr
        if callable(lr):
            return lr()
        return lr

    # -- updates ---------------------------------------------------------------------
    def assign(self, variable: Any, value: Any) -> None:
        variable.assign(tf.cast(value, variable.dtype))

    def assign_add(self, variable: Any, value: Any) -> None:
        variable.assign_add(tf.cast(value, variable.dtype))

    def assign_sub(self, variable: Any, value: Any) -> None:
        variable.assign_sub(tf.cast(value, variable.dtype))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Updates one variable from its gradient; subclasses implement it."""
        raise NotImplementedError

    def apply_gradients(self, grads_and_vars: Iterable[Tuple[Any, Any]]) -> Any:
        """Applies ``(gradient, variable)`` pairs; returns ``iterations``."""
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Any = None) -> None:
        """Applies ``grads`` to ``trainable_variables`` (building slots on first use).

        ``None`` gradients are skipped with a warning; ``iterations`` grows by one.
        """
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must "
                    "already be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first. ")
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients "
                    "must match `optimizer.variables` one-to-on. Received a list of "
                    f"{len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)
        grads, trainable_variables = self._filter_empty_gradients(grads,
                                                                  trainable_variables)
        # Detach the gradients: nothing below is recorded on an open tape.
        grads = [tf.stop_gradient(g) for g in grads]
        scale = self.loss_scale_factor
        if scale is not None:
            grads = [g / scale for g in grads]
        self._backend_apply_gradients(grads, trainable_variables)
        for variable in trainable_variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))
        self._iterations.assign_add(1)

    def _backend_apply_gradients(self, grads: List[Any], variables: List[Any]) -> None:
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            acc_grads = [self._accumulated_gradients[self._get_variable_index(v)]
                         for v in variables]
            if (self._iterations + 1) % steps == 0:  # a tensor: a guard when compiled
                grads = [(g + acc.read_value()) / steps
                         for g, acc in zip(grads, acc_grads)]
                grads = self._clip_gradients(grads)
                self._apply_weight_decay(variables)
                self._backend_update_step(grads, variables, self.learning_rate)
                for acc in self._accumulated_gradients:
                    acc.assign(tf.zeros(acc.shape, acc.dtype))
            else:
                for g, acc in zip(grads, acc_grads):
                    acc.assign(g + acc.read_value())
        else:
            grads = self._clip_gradients(grads)
            self._apply_weight_decay(variables)
            self._backend_update_step(grads, variables, self.learning_rate)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            freq = self.ema_overwrite_frequency
            if freq and (self.iterations + 1) % freq == 0:
                self._overwrite_model_variables_with_average_value(
                    self._trainable_variables)

    def _backend_update_step(self, grads: List[Any], variables: List[Any],
                             learning_rate: Any) -> None:
        if isinstance(learning_rate, tf.Variable):
            learning_rate = learning_rate.read_value()  # read once, not per variable
        self._step_cache = {}
        try:
            for grad, var in zip(grads, variables):
                self.update_step(grad, var, learning_rate)
        finally:
            self._step_cache = None

    def _per_step(self, key: Any, compute: Any) -> Any:
        """``compute()``, shared by every variable within one step (e.g. Adam's
        bias-corrected rate per dtype): the same values Keras computes per variable."""
        cache = self._step_cache
        if cache is None:
            return compute()
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _filter_empty_gradients(self, grads: Sequence[Any], variables: Sequence[Any]
                                ) -> Tuple[List[Any], List[Any]]:
        kept_g, kept_v, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", None) or v.name)
            else:
                kept_g.append(g)
                kept_v.append(v)
        if not kept_g:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when "
                          "minimizing the loss. If using `model.compile()`, did you "
                          "forget to provide a `loss` argument?")
        return kept_g, kept_v

    def _clip_gradients(self, grads: List[Any]) -> List[Any]:
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [tf.clip_by_value(g, -v, v) for g in grads]
        return grads

    def _clip_by_norm(self, values: Any) -> Any:
        """``tf.clip_by_norm``: scales down to ``clipnorm``, NaN-safe at zero."""
        values = tf.convert_to_tensor(values)
        l2sum = tf.reduce_sum(values * values, None, keepdims=True)
        pred = l2sum > 0
        l2sum_safe = tf.where(pred, l2sum, tf.ones_like(l2sum))
        l2norm = tf.where(pred, tf.sqrt(l2sum_safe), l2sum)
        return values * self.clipnorm / tf.maximum(l2norm, self.clipnorm)

    def exclude_from_weight_decay(self, var_list: Optional[Sequence[Any]] = None,
                                  var_names: Optional[Sequence[str]] = None) -> None:
        """Excludes variables (or names matching any of ``var_names``) from decay."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured "
                             "before the optimizer is built.")
        self._exclude_from_weight_decay = {self._var_key(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None)

    def _use_weight_decay(self, variable: Any) -> bool:
        if self._var_key(variable) in getattr(self, "_exclude_from_weight_decay", ()):
            return False
        pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
        return pattern is None or re.search(pattern, variable.name) is None

    def _apply_weight_decay(self, variables: Sequence[Any]) -> None:
        if self.weight_decay is None:
            return
        lr = self.learning_rate
        coefficients: Dict[Any, Tuple[Any, Any]] = {}  # per dtype: (wd, lr)
        for variable in variables:
            if self._use_weight_decay(variable):
                dtype = variable.dtype
                if dtype not in coefficients:
                    coefficients[dtype] = (tf.cast(self.weight_decay, dtype),
                                           tf.cast(lr, dtype))
                wd, lr_ = coefficients[dtype]
                variable.assign_sub(_untracked_value(variable) * wd * lr_)

    def _update_model_variables_moving_average(self, variables: Sequence[Any]) -> None:
        not_first_step = tf.not_equal(self.iterations, 0)
        for var, average in zip(variables, self._model_variables_moving_average):
            momentum = tf.cast(not_first_step, var.dtype) * self.ema_momentum
            average.assign(momentum * average.read_value()
                           + (1 - momentum) * _untracked_value(var))

    def _overwrite_model_variables_with_average_value(self, variables: Sequence[Any]
                                                      ) -> None:
        if len(variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(variables)}) to override does "
                "not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model.")
        for var, average in zip(variables, self._model_variables_moving_average):
            var.assign(average.read_value())

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """With ``use_ema``, replaces the model variables by their moving averages."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss: Any) -> Any:
        """Multiplies the loss by ``loss_scale_factor`` (if set)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -- weights ---------------------------------------------------------------------
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assigns values to ``variables`` in order (the optimizer must be built)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create "
                "the optimizer weights before calling `set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.name} has shape {variable.shape} "
                    "not compatible with provided weight shape "
                    f"{getattr(weight, 'shape', ())}.")
            variable.assign(weight)

    def save_own_variables(self, store: Any) -> None:
        """Writes ``variables`` into ``store`` under keys "0", "1", ..."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Reads ``variables`` back from ``store`` (skipped, with a warning, on a
        count mismatch, as Keras)."""
        if len(store.keys()) != len(self.variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it "
                   f"has {len(self.variables)} variables whereas the saved optimizer "
                   f"has {len(store.keys())} variables. ")
            if len(self.variables) == 0:
                msg += ("This is likely because the optimizer has not been "
                        "called/built yet.")
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    # -- config ----------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        """Keras 3's config dict; subclasses add their own hyperparameters."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate: Any = _schedules.serialize(lr)
        elif isinstance(lr, tf.Variable):
            learning_rate = float(lr.numpy())
        elif tf.is_tensor(lr):
            learning_rate = float(lr)
        elif callable(lr):
            learning_rate = lr
        else:
            learning_rate = 0.5
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: Dict[str, Any],
                    custom_objects: Optional[Dict[str, Any]] = None) -> "Optimizer":
        """Creates an optimizer from ``get_config()``'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} name={self.name!r}>"


def _untracked_value(variable: Any) -> Any:
    """The variable's value, read without an open tape watching or recording it."""
    return tf.convert_to_tensor(variable.numpy())


def global_norm(value_list: Sequence[Any]) -> Any:
    """The L2 norm of all tensors together (``None`` entries ignored)."""
    squared = [tf.reduce_sum(tf.square(v)) for v in value_list if v is not None]
    return tf.sqrt(tf.reduce_sum(tf.stack(squared)))


def clip_by_global_norm(value_list: Sequence[Any], clip_norm: float) -> List[Any]:
    """Scales all tensors by ``clip_norm / max(global_norm, clip_norm)`` (Keras's form:
    NaN everywhere when the norm is not finite)."""
    use_norm = global_norm(value_list)
    scale_for_finite = clip_norm * tf.minimum(1.0 / use_norm, 1.0 / clip_norm)
    scale = scale_for_finite + (use_norm - use_norm)
    return [v * scale if v is not None else v for v in value_list]
