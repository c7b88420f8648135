"""tapeflow beside numpy, PyTorch, TensorFlow and JAX: one table, one run.

Run: ``python bench/compare.py`` (``--quick``: 1M-element rows, no 1024 matmul, fewer
runs) with a python that imports tapeflow. That process times tapeflow and numpy itself.
Each peer runs in a worker subprocess under the peer's own python: its venv, by default
``<repo>/../.peers/{torch,tf,jax}/bin/python`` (``--peer-python torch=/path/python``
overrides; the current python is used if it has the framework). Workers run this file
with ``--peer NAME --serve``: that mode never imports tapeflow, so a peer venv needs
only numpy and its framework, and it answers one JSON line per row on stdout
(``--peer NAME --json`` instead times every row and prints one JSON line, to run a
peer by hand). A peer whose python is missing or whose framework fails to import is
left out and named under the table.

Rows are timed one at a time, each library in turn, so the numbers in a row are taken
seconds apart and share the machine's load; the idle workers just wait on stdin.

Every library gets the same inputs (numpy ``default_rng(0)``, float32) and runs the same
eager op, allocating a fresh output per call. The rows are add, exp and sum over N
elements, row and column sums of 4096x4096, N normal samples, add (2,1)+(2,1) (per-op
overhead) and float32 matmuls. What each library calls, in that order:

- tapeflow (its public API, Tensors): ``+``, ``tf.exp``, ``tf.reduce_sum([axis])``,
  ``tf.random.normal``, ``tf.matmul``
- numpy: ``+``, ``np.exp``, ``x.sum([axis])``, ``Generator.standard_normal``, ``@``
- torch: ``torch.add``, ``torch.exp``, ``x.sum([dim])``, ``torch.randn``, ``@``
  (grad off)
- tf (eager, on ``/CPU:0``): ``tf.add``, ``tf.exp``, ``tf.reduce_sum([axis])``,
  ``tf.random.normal``, ``tf.matmul``
- jax: ``jax.jit`` of ``jnp.add``, ``jnp.exp``, ``jnp.sum([axis])``,
  ``jax.random.normal``, ``jnp.matmul``; every call ends in ``.block_until_ready()``

N is 10M (1M with ``--quick``). Threads: tapeflow's count (2 by default) is passed to
torch (``set_num_threads``, one inter-op thread), TensorFlow (intra- and inter-op
pools) and to numpy's BLAS in the peer subprocesses (``OPENBLAS/OMP/MKL_NUM_THREADS``);
XLA's CPU pool cannot be sized, it uses every core (2 on the dev machine). Peers are
forced onto the CPU (``CUDA_VISIBLE_DEVICES=""``, ``JAX_PLATFORMS=cpu``) and get
``OMP_WAIT_POLICY=PASSIVE`` (``--omp-spin`` leaves it unset): OpenMP's default
spin-waiting turns each of torch's parallel ops into a 4-16 ms scheduler stall as soon
as anything else runs on the machine, while tapeflow's own pool spins only 50 us.
numpy runs in the parent with its BLAS defaults (OpenBLAS, every core).

Each round times a library with the median over ``repeat`` runs (7 quick, 15 full) of a
loop sized to about 10 ms (quick) or 40 ms (full), after two warm-up calls (they also
compile the JAX functions); a row runs ``--rounds`` (3) rounds of every library,
interleaved, each timing after ``--gap`` (0.15 s) of idle so that the thread pool of the
library timed before has parked, and each cell is the median of its rounds. ``vs X`` is
time_X / time_tapeflow, so > 1 means tapeflow is faster. Throughput is tapeflow's:
GFLOP/s (2mnk) for matmul, GB/s (bytes read + written / time) otherwise. The machine is
shared and noisy: compare ratios within one run, not single times across runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

PEERS: Tuple[str, ...] = ("torch", "tf", "jax")
PEER_MODULE: Dict[str, str] = {"torch": "torch", "tf": "tensorflow", "jax": "jax"}
REPO = Path(__file__).resolve().parent.parent

Fn = Callable[[], object]


@dataclass
class Workload:
    """One row: an op over fixed numpy inputs, and what it moves or computes."""

    name: str
    op: str  # add | exp | sum | rowsum | colsum | normal | matmul
    inputs: List[np.ndarray] = field(default_factory=list)
    n: int = 0  # element count, for normal
    nbytes: int = 0  # bytes read + written (memory-bound rows)
    flops: int = 0  # 2mnk (matmul rows)


def workloads(quick: bool) -> List[Workload]:
    """The rows, with inputs drawn the same way in every process."""
    rng = np.random.default_rng(0)
    n = 1_000_000 if quick else 10_000_000
    m = n // 1_000_000
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    sq = rng.standard_normal((4096, 4096)).astype(np.float32)
    tiny = np.ones((2, 1), np.float32)
    f4 = 4
    out = [
        Workload(f"add {m}M float32", "add", [a, b], nbytes=3 * n * f4),
        Workload(f"exp {m}M float32", "exp", [a], nbytes=2 * n * f4),
        Workload(f"sum {m}M float32", "sum", [a], nbytes=n * f4 + f4),
        Workload("row sums 4096x4096", "rowsum", [sq], nbytes=(sq.size + 4096) * f4),
        Workload("column sums 4096x4096", "colsum", [sq], nbytes=(sq.size + 4096) * f4),
        Workload(f"normal {m}M float32", "normal", n=n, nbytes=n * f4),
        Workload("add (2,1)+(2,1)", "add", [tiny, tiny], nbytes=3 * tiny.size * f4),
    ]
    for k in (64, 256) if quick else (64, 256, 1024):
        x = rng.standard_normal((k, k)).astype(np.float32)
        out.append(
            Workload(f"matmul {k}x{k}x{k} float32", "matmul", [x, x], flops=2 * k**3)
        )
    for shape_a, shape_b in (((2000, 2), (2, 1)), ((32, 64), (64, 64))):
        p = rng.standard_normal(shape_a).astype(np.float32)
        q = rng.standard_normal(shape_b).astype(np.float32)
        flops = 2 * shape_a[0] * shape_a[1] * shape_b[1]
        out.append(
            Workload(f"matmul {shape_a}x{shape_b}", "matmul", [p, q], flops=flops)
        )
    return out


# --- one builder per library: Workload -> zero-argument callable ---------------------


class Converter:
    """Converts each numpy input once (the add, exp and sum rows share arrays)."""

    def __init__(self, convert: Callable[[np.ndarray], Any]) -> None:
        self.convert = convert
        self.cache: Dict[int, Any] = {}

    def __call__(self, arrays: Sequence[np.ndarray]) -> List[Any]:
        for x in arrays:
            if id(x) not in self.cache:
                self.cache[id(x)] = self.convert(x)
        return [self.cache[id(x)] for x in arrays]


def tapeflow_builder(threads: int) -> Tuple[Callable[[Workload], Fn], Dict[str, Any]]:
    """tapeflow through its public API (Tensors and tf ops), as the peers use theirs."""
    import tapeflow as tf
    from tapeflow import _core

    _core.set_num_threads(threads)
    tf.random.set_seed(0)
    conv = Converter(tf.constant)

    def build(w: Workload) -> Fn:
        xs = conv(w.inputs)
        if w.op == "add":
            return lambda: xs[0] + xs[1]
        if w.op == "exp":
            return lambda: tf.exp(xs[0])
        if w.op == "sum":
            return lambda: tf.reduce_sum(xs[0])
        if w.op == "rowsum":
            return lambda: tf.reduce_sum(xs[0], axis=1)
        if w.op == "colsum":
            return lambda: tf.reduce_sum(xs[0], axis=0)
        if w.op == "normal":
            return lambda: tf.random.normal([w.n])
        if w.op == "matmul":
            return lambda: tf.matmul(xs[0], xs[1])
        raise ValueError(w.op)

    return build, {"isa": _core.kernel_isa(), "threads": _core.num_threads()}


def numpy_builder(threads: int) -> Tuple[Callable[[Workload], Fn], Dict[str, Any]]:
    rng = np.random.default_rng(1)

    def build(w: Workload) -> Fn:
        xs = w.inputs
        if w.op == "add":
            return lambda: np.add(xs[0], xs[1])
        if w.op == "exp":
            return lambda: np.exp(xs[0])
        if w.op == "sum":
            return lambda: xs[0].sum()
        if w.op == "rowsum":
            return lambda: xs[0].sum(axis=1)
        if w.op == "colsum":
            return lambda: xs[0].sum(axis=0)
        if w.op == "normal":
            return lambda: rng.standard_normal(w.n, dtype=np.float32)
        if w.op == "matmul":
            return lambda: xs[0] @ xs[1]
        raise ValueError(w.op)

    return build, {"version": np.__version__}


def torch_builder(threads: int) -> Tuple[Callable[[Workload], Fn], Dict[str, Any]]:
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    conv = Converter(lambda x: torch.from_numpy(x.copy()))

    def build(w: Workload) -> Fn:
        xs = conv(w.inputs)
        if w.op == "add":
            return lambda: torch.add(xs[0], xs[1])
        if w.op == "exp":
            return lambda: torch.exp(xs[0])
        if w.op == "sum":
            return lambda: xs[0].sum()
        if w.op == "rowsum":
            return lambda: xs[0].sum(dim=1)
        if w.op == "colsum":
            return lambda: xs[0].sum(dim=0)
        if w.op == "normal":
            return lambda: torch.randn(w.n, dtype=torch.float32)
        if w.op == "matmul":
            return lambda: xs[0] @ xs[1]
        raise ValueError(w.op)

    return build, {"version": torch.__version__, "threads": torch.get_num_threads()}


def tf_builder(threads: int) -> Tuple[Callable[[Workload], Fn], Dict[str, Any]]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.random.set_seed(0)
    cpu = tf.device("/CPU:0")
    cpu.__enter__()  # every tensor and op below stays on the CPU
    conv = Converter(tf.constant)

    def build(w: Workload) -> Fn:
        xs = conv(w.inputs)
        if w.op == "add":
            return lambda: tf.add(xs[0], xs[1])
        if w.op == "exp":
            return lambda: tf.exp(xs[0])
        if w.op == "sum":
            return lambda: tf.reduce_sum(xs[0])
        if w.op == "rowsum":
            return lambda: tf.reduce_sum(xs[0], axis=1)
        if w.op == "colsum":
            return lambda: tf.reduce_sum(xs[0], axis=0)
        if w.op == "normal":
            return lambda: tf.random.normal([w.n], dtype=tf.float32)
        if w.op == "matmul":
            return lambda: tf.matmul(xs[0], xs[1])
        raise ValueError(w.op)

    return build, {
        "version": tf.__version__,
        "threads": tf.config.threading.get_intra_op_parallelism_threads(),
    }


def jax_builder(threads: int) -> Tuple[Callable[[Workload], Fn], Dict[str, Any]]:
    import jax
    import jax.numpy as jnp

    conv = Converter(lambda x: jax.device_put(jnp.asarray(x)).block_until_ready())
    key = jax.random.key(0)
    unary = {
        "exp": jax.jit(jnp.exp),
        "sum": jax.jit(jnp.sum),
        "rowsum": jax.jit(lambda x: jnp.sum(x, axis=1)),
        "colsum": jax.jit(lambda x: jnp.sum(x, axis=0)),
    }
    binary = {"add": jax.jit(jnp.add), "matmul": jax.jit(jnp.matmul)}

    def build(w: Workload) -> Fn:
        xs = conv(w.inputs)
        if w.op in unary:
            f1 = unary[w.op]
            return lambda: f1(xs[0]).block_until_ready()
        if w.op in binary:
            f2 = binary[w.op]
            return lambda: f2(xs[0], xs[1]).block_until_ready()
        if w.op == "normal":
            fn = jax.jit(lambda k: jax.random.normal(k, (w.n,), dtype=jnp.float32))
            return lambda: fn(key).block_until_ready()
        raise ValueError(w.op)

    return build, {
        "version": jax.__version__,
        "threads": f"{os.cpu_count()} (XLA pool)",
    }


BUILDERS: Dict[
    str, Callable[[int], Tuple[Callable[[Workload], Fn], Dict[str, Any]]]
] = {
    "tapeflow": tapeflow_builder,
    "numpy": numpy_builder,
    "torch": torch_builder,
    "tf": tf_builder,
    "jax": jax_builder,
}


# --- timing -------------------------------------------------------------------------


def median_us(fn: Fn, repeat: int, target_s: float) -> float:
    """Median seconds per call (as us) over `repeat` loops of about `target_s` each."""
    fn()
    fn()  # warm-up: first-call allocation, JIT compilation
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    number = max(1, min(20_000, int(target_s / max(once, 1e-7))))
    times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(times) * 1e6


def timing(quick: bool) -> Tuple[int, float]:
    """(repeat, seconds per timed loop)."""
    return (7, 0.01) if quick else (15, 0.04)


def measure(
    lib: str, rows: List[Workload], quick: bool, threads: int
) -> Dict[str, Any]:
    """Times every workload with one library; returns {"info": ..., "us": {row: us}}."""
    build, info = BUILDERS[lib](threads)
    repeat, target = timing(quick)
    return {
        "info": info,
        "us": {w.name: median_us(build(w), repeat, target) for w in rows},
    }


def serve(lib: str, quick: bool, threads: int) -> None:
    """Worker mode: announce {"ready": info}, then time each row named on stdin.

    Replies are single JSON lines on the original stdout; anything the library
    itself prints goes to stderr so it cannot corrupt the protocol.
    """
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    build, info = BUILDERS[lib](threads)
    rows = {w.name: w for w in workloads(quick)}
    repeat, target = timing(quick)
    proto.write(json.dumps({"ready": info}) + "\n")
    for line in sys.stdin:
        name = line.rstrip("\n")
        if not name:
            break
        try:
            reply: Dict[str, Any] = {
                "name": name,
                "us": median_us(build(rows[name]), repeat, target),
            }
        except Exception as exc:  # one unsupported row should not lose the whole peer
            reply = {"name": name, "error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(reply) + "\n")


# --- parent: tapeflow and numpy here, peers in subprocesses, one table -------------


class Local:
    """A library timed in this process (tapeflow, numpy)."""

    def __init__(self, lib: str, quick: bool, threads: int) -> None:
        self.lib = lib
        self.build, self.info = BUILDERS[lib](threads)
        self.repeat, self.target = timing(quick)

    def time_us(self, w: Workload) -> Optional[float]:
        return median_us(self.build(w), self.repeat, self.target)

    def close(self) -> None:
        pass


class Remote:
    """A peer timed by a ``--peer NAME --serve`` worker under the peer's own python."""

    def __init__(
        self, lib: str, python: str, quick: bool, threads: int, omp_spin: bool
    ) -> None:
        self.lib = lib
        self.info: Dict[str, Any] = {}
        self.buf = b""
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        if not omp_spin:
            # libgomp (torch's ATen and MKL) spin-waits at every barrier; when another
            # process holds a core, each parallel op then stalls for whole scheduler
            # ticks (a flat 8 or 16 ms per call here, even for a 64x64 matmul).
            # tapeflow's pool spins 50 us, then sleeps: PASSIVE is the closer match.
            env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        env.update(
            CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="2"
        )
        env.pop("PYTHONPATH", None)  # the peer must not find tapeflow
        here = Path(__file__).resolve()
        cmd = [
            python,
            str(here),
            "--peer",
            lib,
            "--serve",
            "--threads",
            str(threads),
        ] + (["--quick"] if quick else [])
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            cwd=str(here.parent),
        )

    def _read(self, timeout_s: float) -> Dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply in {timeout_s:.0f}s")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(
                        f"exited {self.proc.wait()}: {self.stderr_tail()}"
                    )
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def stderr_tail(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def wait_ready(self, timeout_s: float) -> None:
        self.info = self._read(timeout_s)["ready"]

    def time_us(self, w: Workload) -> Optional[float]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(w.name.encode() + b"\n")
        self.proc.stdin.flush()
        reply = self._read(300)
        if "error" in reply:
            print(f"# {self.lib} {w.name}: {reply['error']}", file=sys.stderr)
            return None
        return float(reply["us"])

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def peer_python(name: str, overrides: Dict[str, str]) -> Optional[str]:
    """The python for a peer: an override, its venv, or this one if it has it."""
    if name in overrides:
        return overrides[name]
    venv = REPO.parent / ".peers" / name / "bin" / "python"
    if venv.exists():
        return str(venv)
    if importlib.util.find_spec(PEER_MODULE[name]) is not None:
        return sys.executable
    return None


def fmt_us(us: Optional[float]) -> str:
    if us is None:
        return "n/a"
    return f"{us:,.2f}" if us < 100 else f"{us:,.0f}"


def throughput(w: Workload, us: float) -> str:
    if w.flops:
        return f"{w.flops / us / 1e3:.1f} GFLOP/s"
    return f"{w.nbytes / us / 1e3:.2f} GB/s"


def print_table(
    rows: List[Workload],
    us: Dict[str, Dict[str, Optional[float]]],
    skipped: Dict[str, str],
    load_before: float,
) -> None:
    libs = list(us)
    others = libs[1:]
    head = (
        ["workload"]
        + [f"{lib} us" for lib in libs]
        + [f"vs {lib}" for lib in others]
        + ["tapeflow throughput"]
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|")
    for w in rows:
        t = us["tapeflow"][w.name]
        assert t is not None
        cells = [w.name] + [fmt_us(us[lib][w.name]) for lib in libs]
        for lib in others:
            peer = us[lib][w.name]
            cells.append("n/a" if peer is None else f"{peer / t:.2f}x")
        cells.append(throughput(w, t))
        print("| " + " | ".join(cells) + " |")
    print()
    print(
        "us: median microseconds per call. "
        "vs X: time_X / time_tapeflow (> 1: tapeflow faster)."
    )
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    if load_before > 1.0:
        print(
            f"warning: load average {load_before:.1f} at start, {os.cpu_count()} cores:"
            " spin-waiting thread pools (numpy's OpenBLAS among them) can stall for"
            " whole scheduler ticks under load; rerun when the machine is quiet"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1M-element rows, no 1024 matmul, fewer runs",
    )
    parser.add_argument(
        "--peer",
        choices=["numpy", *PEERS],
        help="time only this library (never imports tapeflow)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="with --peer: print all its medians as one JSON line",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="with --peer: worker protocol used by the parent",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads for every library (default: tapeflow's)",
    )
    parser.add_argument(
        "--peer-python",
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="python for a peer, e.g. torch=/venv/bin/python",
    )
    parser.add_argument(
        "--omp-spin",
        action="store_true",
        help="keep OpenMP's default spin-waiting in the peers (no OMP_WAIT_POLICY)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=list(PEERS),
        help="leave a peer out",
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.15,
        help="seconds of idle before each library's timing (pools of the library timed "
        "just before, e.g. OpenBLAS's, spin for up to ~0.1 s after their last call)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds per row (a cell: the median of the rounds' medians)",
    )
    args = parser.parse_args()

    if args.peer:  # under the peer's python: must not import tapeflow
        threads = args.threads or 2
        if args.serve:
            serve(args.peer, args.quick, threads)
            return
        res = measure(args.peer, workloads(args.quick), args.quick, threads)
        if args.json:
            print(json.dumps(res))
        else:
            for name, t in res["us"].items():
                print(f"{name:<34}{fmt_us(t):>14}")
        return

    from tapeflow import _core

    threads = args.threads or _core.num_threads()
    overrides = dict(item.split("=", 1) for item in args.peer_python)
    t_start = time.perf_counter()
    load_before = os.getloadavg()[0]
    skipped: Dict[str, str] = {}
    remotes: List[Remote] = []
    for name in PEERS:
        python = peer_python(name, overrides)
        if name in args.skip:
            skipped[name] = "--skip"
        elif python is None:
            skipped[name] = (
                f"no {REPO.parent / '.peers' / name / 'bin' / 'python'}, "
                f"and {PEER_MODULE[name]} does not import here"
            )
        else:  # start them all now so their imports overlap; timing waits for all
            try:
                remotes.append(Remote(name, python, args.quick, threads, args.omp_spin))
            except OSError as exc:
                skipped[name] = f"{python}: {exc}"
    libs: List[Union[Local, Remote]] = [
        Local("tapeflow", args.quick, threads),
        Local("numpy", args.quick, threads),
    ]
    for r in remotes:
        try:
            r.wait_ready(300)
            libs.append(r)
        except (RuntimeError, TimeoutError, OSError, ValueError, KeyError) as exc:
            skipped[r.lib] = f"{r.proc.args[0]}: {exc}"
            r.close()
    print(
        f"# ready after {time.perf_counter() - t_start:.0f}s: "
        + ", ".join(lib.lib for lib in libs),
        file=sys.stderr,
    )

    # Row by row, every library in turn, in `rounds` rounds with the order rotated: a
    # row's numbers are taken seconds apart and interleaved, so the load from other work
    # on a shared machine (which comes and goes over seconds) hits them alike. A cell is
    # the median of its rounds' medians.
    rows = workloads(args.quick)
    us: Dict[str, Dict[str, Optional[float]]] = {lib.lib: {} for lib in libs}
    for w in rows:
        got: Dict[str, List[float]] = {lib.lib: [] for lib in libs}
        for r in range(args.rounds):
            order = libs[r % len(libs):] + libs[:r % len(libs)]
            for lib in order:
                if lib not in libs:
                    continue
                time.sleep(args.gap)  # let the previous library's spinning threads park
                try:
                    t = lib.time_us(w)
                except (RuntimeError, TimeoutError, OSError, ValueError) as exc:
                    skipped[lib.lib] = f"failed at {w.name!r}: {exc}"
                    libs.remove(lib)
                    del us[lib.lib]
                    lib.close()
                    continue
                if t is not None:
                    got[lib.lib].append(t)
        for lib in libs:
            us[lib.lib][w.name] = statistics.median(got[lib.lib]) if got[lib.lib] else None
        print(f"# {time.perf_counter() - t_start:.0f}s {w.name}", file=sys.stderr)
    for lib in libs:
        lib.close()

    versions = ", ".join(f"{lib.lib} {lib.info['version']}" for lib in libs[1:])
    threads_of = ", ".join(f"{lib.lib} {lib.info['threads']}" for lib in libs[2:])
    run = "quick" if args.quick else "full"
    load = f"load avg {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    print(
        f"tapeflow isa={libs[0].info['isa']} threads={libs[0].info['threads']}; "
        + versions
    )
    print(
        f"peer threads: {threads_of}; {run} run, "
        f"{time.perf_counter() - t_start:.0f}s, {load}"
    )
    print()
    print_table(rows, us, skipped, load_before)


if __name__ == "__main__":
    main()
