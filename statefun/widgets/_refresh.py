"""Redraw a view once the runtime is quiet, not on every one of its events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from statefun.errors import InvalidArgumentError
from statefun.local.runtime import LocalRuntime


class Refresher:
    """Calls ``render`` soon after :meth:`request`, once however many requests came.

    In a Jupyter kernel (an event loop is running) the render runs when the current cell or
    widget callback returns, so a burst of a thousand events redraws once. Without a loop
    (pytest, scripts) it renders at once, so tests see the widgets up to date.
    """

    def __init__(self, render: Callable[[], None]) -> None:
        self._render = render
        self._pending = False

    def request(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._render()
            return
        if not self._pending:
            self._pending = True
            loop.call_soon(self._run)

    def _run(self) -> None:
        self._pending = False
        self._render()


def require_trace(rt: LocalRuntime, view: str) -> None:
    """For a view that reads ``rt.trace``, which a runtime built with ``record_trace=False``
    does not keep (views that only subscribe to events need no trace)."""
    if not rt.record_trace:
        raise InvalidArgumentError(
            f"{view} reads the runtime's trace, and a runtime built with record_trace=False "
            f"does not keep one: build it with record_trace=True (the default)."
        )


def split_address(rt: LocalRuntime, address: str) -> tuple[str, str] | None:
    """``"example/greeter/Jerry"`` as ``("example/greeter", "Jerry")`` for a declared type."""
    for typename in sorted(rt.module.functions, key=len, reverse=True):
        if address.startswith(typename + "/"):
            return typename, address[len(typename) + 1 :]
    return None
