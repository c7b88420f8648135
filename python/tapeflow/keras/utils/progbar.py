"""Keras's progress bar: ``11/11 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.1234``.

verbose=1 redraws the line in place on a terminal (throttled) and prints only the
final line of each epoch elsewhere (log files, CI); verbose=2 prints one compact line
per epoch. Values print with ``.4f``, or ``.4e`` below 1e-3, as Keras.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Iterable, List, Optional, Tuple


def _is_terminal() -> bool:
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def format_value(v: float) -> str:
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def format_duration(seconds: float) -> str:
    """Elapsed time or ETA as Keras prints it: ``7s``, ``1:05``, ``1:02:03``."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}:{(s % 3600) // 60:02d}:{s % 60:02d}"


def format_time_per_unit(seconds: float, unit: str = "step") -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """``keras.utils.Progbar``."""

    def __init__(self, target: Optional[int], width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Any = None,
                 unit_name: str = "step") -> None:
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self._values: List[Tuple[str, float]] = []
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._dynamic = _is_terminal()
        self._seen = 0
        self._first_step_done: Optional[float] = None  # the first step is left out of per-step time

    def update(self, current: int, values: Optional[Iterable[Tuple[str, Any]]] = None,
               finalize: Optional[bool] = None) -> None:
        if values is not None:
            self._values = [(k, float(v)) for k, v in values]
        if self._first_step_done is None and current >= 1:
            self._first_step_done = time.perf_counter()
        self._seen = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 0:
            return
        now = time.perf_counter()
        if self.verbose == 1:
            if not finalize and (not self._dynamic or now - self._last_draw < self.interval):
                return
            self._last_draw = now
            line = self._line(current, now)
            if self._dynamic:
                sys.stdout.write("\r" + line + ("\n" if finalize else ""))
            elif finalize:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()
        elif self.verbose == 2 and finalize and self.target:  # Keras 3: nothing unless
            elapsed = now - self._start                           # the target is known
            parts = [f"{current:>{len(str(self.target))}}/{self.target}",
                     format_duration(elapsed),
                     format_time_per_unit(self._per_step(current, now), self.unit_name)]
            parts += [f"{k}: {format_value(v)}" for k, v in self._values]
            sys.stdout.write(" - ".join(parts) + "\n")
            sys.stdout.flush()

    def add(self, n: int, values: Optional[Iterable[Tuple[str, Any]]] = None) -> None:
        self.update(self._seen + n, values)

    def _per_step(self, current: int, now: float) -> float:
        """Seconds per step, leaving the first (warm-up) step out when there are more."""
        if current > 1 and self._first_step_done is not None:
            return (now - self._first_step_done) / (current - 1)
        return (now - self._start) / max(current, 1)

    def _line(self, current: int, now: float) -> str:
        elapsed = now - self._start
        per = self._per_step(current, now)
        color = self._dynamic
        if self.target:
            digits = len(str(self.target))
            count = f"{current:>{digits}}/{self.target}"
            filled = int(self.width * min(current, self.target) / self.target)
            if color:
                bar = (f"\x1b[32m{'━' * filled}\x1b[0m\x1b[37m{'━' * (self.width - filled)}"
                       "\x1b[0m")
                count = f"\x1b[1m{count}\x1b[0m"
            else:
                bar = "━" * filled + " " * (self.width - filled)
            eta = per * (self.target - current) if current < self.target else elapsed
            secs = format_duration(eta)
            secs = f"\x1b[1m{secs}\x1b[0m" if color else secs
            line = f"{count} {bar} {secs} {format_time_per_unit(per, self.unit_name)}"
        else:  # Keras 3 prints an unknown target as "%7d/Unknown"
            line = (f"{current:7d}/Unknown {format_duration(elapsed)} "
                    f"{format_time_per_unit(per, self.unit_name)}")
        for k, v in self._values:
            line += f" - {k}: {format_value(v)}"
        return line
