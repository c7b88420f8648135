"""Keras 3's checks of layer arguments (``keras/src/utils/argument_validation.py`` and
``keras.backend.standardize_data_format``), with Keras's messages, shared by every
layer that takes sizes, paddings or a ``data_format``."""

from __future__ import annotations

from typing import Any, Optional, Tuple


def standardize_data_format(data_format: Optional[str]) -> str:
    """``"channels_last"`` or ``"channels_first"`` from a user's ``data_format``.

    Mirrors Keras's ``standardize_data_format``: any case is accepted; ``None`` means
    the image data format, which in tapeflow is always ``"channels_last"`` (there is no
    ``~/.keras/keras.json`` to read).

    Raises:
        ValueError: for any other value, with Keras's message.
    """
    if data_format is None:
        return "channels_last"
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "The `data_format` argument must be one of "
            "{'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def standardize_tuple(
    value: Any, n: int, name: str, allow_zero: bool = False
) -> Tuple[int, ...]:
    """A tuple of `n` ints from an int or an iterable of ints (Keras's
    ``standardize_tuple``, same checks and messages).

    Args:
        value: an int (repeated `n` times) or an iterable of `n` int-like values.
        n: the length of the tuple returned.
        name: the argument's name, for error messages.
        allow_zero: whether 0 is allowed (values must be > 0 otherwise, >= 0 if so).

    Raises:
        ValueError: a wrong length, a non-integer, or a value out of range. As in
            Keras, a scalar must be a Python int (a numpy integer scalar is refused).
    """
    error_msg = (
        f"The `{name}` argument must be a tuple of {n} integers. "
        f"Received {name}={value}"
    )
    if isinstance(value, int):
        value_tuple: Tuple[Any, ...] = (value,) * n
    else:
        try:
            value_tuple = tuple(value)
        except TypeError:
            raise ValueError(error_msg) from None
        if len(value_tuple) != n:
            raise ValueError(error_msg)
        for single_value in value_tuple:
            try:
                int(single_value)
            except (ValueError, TypeError):
                error_msg += (
                    f"including element {single_value} of type {type(single_value)}"
                )
                raise ValueError(error_msg) from None
    if allow_zero:
        bad = {v for v in value_tuple if v < 0}
        req_msg = ">= 0"
    else:
        bad = {v for v in value_tuple if v <= 0}
        req_msg = "> 0"
    if bad:
        error_msg += f", including values {bad} that do not satisfy `value {req_msg}`"
        raise ValueError(error_msg)
    return value_tuple
