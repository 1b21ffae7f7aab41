"""The *Follow* toggle of the Flink views: polling started, stopped and shown in one place.

A view mixes in :class:`Following` and sets ``interval``, ``follow_toggle`` (an ipywidgets
``ToggleButton`` observed with :meth:`Following._on_follow`) and ``_poller`` (a
:class:`~statefun.widgets._poll.Poller`) in its ``__init__``.
"""

from __future__ import annotations

import ipywidgets as w

from statefun.widgets._poll import Poller

__all__ = ["Following"]


class Following:
    """``follow`` / ``following`` / ``stop`` of a view that polls a stack in the background."""

    interval: float
    follow_toggle: w.ToggleButton
    _poller: Poller

    def follow(self, interval: float | None = None) -> None:
        """Read every ``interval`` seconds (default: the view's) in a background thread."""
        if interval is not None:
            self.interval = interval
        self.follow_toggle.value = True  # starts the poller (see _on_follow)

    @property
    def following(self) -> bool:
        """Whether the background thread polls."""
        return self._poller.running

    def stop(self) -> None:
        """Stop polling; returns once the thread has ended."""
        self.follow_toggle.value = False
        self._poller.stop()

    def _on_follow(self, change: dict[str, object]) -> None:
        self.follow_toggle.icon = "pause" if change["new"] else "play"
        if change["new"]:
            self._poller.start(self.interval)
        else:
            self._poller.stop()

    def _untoggle_if_stopped(self) -> None:
        """After a draw: the toggle shows off when the poller stopped itself (the stack is gone)."""
        if self.follow_toggle.value and not self._poller.running:
            self.follow_toggle.value = False
