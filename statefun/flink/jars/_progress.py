"""Download progress: quiet, a hook, a tqdm bar, or a line per jar (each thread-safe)."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from typing import Any

from statefun.flink.jars._lock import LockedJar

#: A download progress hook: called with (bytes done, bytes in all) as bytes arrive, and once
#: more when the downloads are over.
ProgressHook = Callable[[int, int], None]


class Progress:
    """Quiet progress: the base of the reporting kinds below (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        """``n`` more bytes arrived."""

    def grow(self, n: int) -> None:
        """``n`` bytes received earlier were thrown away and must come again."""

    def done(self, jar: LockedJar) -> None:
        """One jar is in place."""

    def close(self) -> None:
        """The downloads are over."""


def make_progress(show: bool | ProgressHook, count: int, total: int) -> Progress:
    """The progress kind: quiet, a hook, tqdm (an ipywidgets bar in Jupyter, a terminal bar
    elsewhere: ``tqdm.auto``), or a line per jar without tqdm."""
    if callable(show):
        return _HookProgress(show, total)
    if not show:
        return Progress()
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        return _LineProgress(count)
    try:
        return _TqdmProgress(tqdm, total)
    except ImportError:  # Jupyter without ipywidgets: tqdm.notebook cannot draw; a text bar
        return _TqdmProgress(importlib.import_module("tqdm.std").tqdm, total)


class _TqdmProgress(Progress):
    def __init__(self, tqdm: Any, total: int) -> None:
        super().__init__()
        self._bar = tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="statefun-lab jars"
        )

    def add(self, n: int) -> None:
        with self._lock:
            self._bar.update(n)

    def grow(self, n: int) -> None:
        with self._lock:
            self._bar.total += n
            self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            self._bar.close()


class _LineProgress(Progress):
    def __init__(self, count: int) -> None:
        super().__init__()
        self._count = count
        self._done = 0

    def done(self, jar: LockedJar) -> None:
        with self._lock:
            self._done += 1
            print(
                f"[statefun-lab] {self._done}/{self._count} {jar.coordinate}"
                f" ({jar.size / 1e6:.1f} MB)",
                file=sys.stderr,
                flush=True,
            )


class _HookProgress(Progress):
    """Reports to a :data:`ProgressHook` (a notebook widget, a test)."""

    def __init__(self, hook: ProgressHook, total: int) -> None:
        super().__init__()
        self._hook = hook
        self._done = 0
        self._total = total
        hook(0, total)

    def add(self, n: int) -> None:
        with self._lock:
            self._done += n
            self._hook(self._done, self._total)

    def grow(self, n: int) -> None:
        with self._lock:
            self._total += n
            self._hook(self._done, self._total)

    def close(self) -> None:
        with self._lock:
            self._hook(self._done, self._total)
