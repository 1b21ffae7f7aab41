"""Upstream's SDK (``apache-flink-statefun`` 2.2.2) in a virtual environment of its own.

The venv and the greeter directory are benchmarks/serving.py's (created once under
``~/.cache/statefun-lab/upstream-serving``, reused while the pins are unchanged): the
walkthrough's greeter.py as it is, beside a messages_pb2.py in the form protoc 3.20 writes, for
the protobuf 3.20.3 that upstream's ``protobuf<4`` resolves to (pure Python on 3.11).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import serving  # benchmarks/serving.py


def upstream_app() -> tuple[Path, Path]:
    """The upstream venv's python and the directory holding ``greeter:app`` for it.

    Exits with a message saying what to do when the venv cannot be made (PyPI unreachable).
    """
    # The venv must import its own statefun, not the one PYTHONPATH may point at.
    saved = os.environ.pop("PYTHONPATH", None)
    try:
        app_dir = serving.upstream_greeter()
    except subprocess.CalledProcessError as exc:
        if "pip" not in exc.cmd:
            raise SystemExit(
                f"--upstream: the venv does not import upstream's SDK ({exc.stderr}); delete "
                f"{serving_home()} and run again."
            ) from None
        raise SystemExit(
            f"--upstream: could not create the venv with {' '.join(serving.UPSTREAM_PINS)} "
            f"(`{' '.join(map(str, exc.cmd))}` exited {exc.returncode}). Is PyPI reachable "
            f"(pip's proxy / index settings)? Run without --upstream, or retry once it is."
        ) from None
    finally:
        if saved is not None:
            os.environ["PYTHONPATH"] = saved
    python = app_dir.parent / "venv" / "bin" / "python"
    return python, app_dir


__all__ = ["upstream_app"]


def serving_home() -> Path:
    """Where benchmarks/serving.py keeps the upstream venv and greeter."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "statefun-lab"
    return cache / "upstream-serving"
