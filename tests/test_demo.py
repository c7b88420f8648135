"""The main job, `python -m tapeflow.demo`, runs end to end and reports what it should."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_runs_and_converges(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-m", "tapeflow.demo", "--no-plot"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    lines = text.splitlines()
    losses = [float(line.rsplit(": ", 1)[1]) for line in lines if line.startswith("Loss at step")]
    assert len(losses) == 40 and losses[-1] < 0.05 < losses[0]
    assert "Training accuracy: 0.99" in text
    assert "Epoch 5/5" in text and "Optimizer params: 5 (24.00 B)" in text
    assert text.count("matches numpy") == 5 and "DIFFERS" not in text
    assert not list(tmp_path.iterdir())  # --no-plot writes nothing
