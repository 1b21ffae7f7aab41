"""The committed greetings of a running Flink stack (read ``read_committed``), live."""

from __future__ import annotations

import html
import threading
from collections import Counter
from collections.abc import Callable, Iterable

import ipywidgets as w

from statefun.errors import FunctionFailedError, StackNotRunningError, StatefunError
from statefun.flink.protocol import FlinkStackLike
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.widgets._following import Following
from statefun.widgets._poll import Poller, stack_lock

__all__ = ["CommittedGreetings", "FlinkGreetings"]


class CommittedGreetings:
    """The logic of :class:`FlinkGreetings`: the stack's committed greetings, in the order
    they were committed (newest last), as ``<name>:\\t<greeting>`` lines.

    :meth:`refresh` reads what was committed since the last read (``stack.greetings()``; a
    greeting is committed one checkpoint after the function sent it). The stack has one
    greetings cursor: greetings read elsewhere (``stack.greetings(...)`` in a cell, the failure
    drill) are not seen here unless given to :meth:`add` (the drill view does).
    """

    def __init__(self, stack: FlinkStackLike, *, limit: int = 1000, timeout: float = 5.0) -> None:
        self.stack = stack
        self.limit = limit
        self.timeout = timeout
        self.lines: list[str] = []
        #: How many greetings were read in all (the lines keep the last ``limit``).
        self.total = 0
        #: Greetings per name, over all read.
        self.counts: Counter[str] = Counter()
        #: Called after greetings were added or cleared (the view redraws).
        self.listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        """The kept lines, one greeting a line."""
        with self._lock:
            return "\n".join(self.lines)

    def per_name(self) -> list[tuple[str, int]]:
        """``(name, greetings read)`` sorted by name."""
        with self._lock:
            return sorted(self.counts.items())

    def refresh(self) -> int:
        """Read the greetings committed since the last read; returns how many came."""
        with stack_lock(self.stack):
            got = self.stack.greetings(count=None, timeout=self.timeout)
        self.add(got)
        return len(got)

    def add(self, greetings: Iterable[tuple[str, str]]) -> None:
        """Show ``(name, greeting)`` pairs read elsewhere (in the order they were committed)."""
        got = list(greetings)
        with self._lock:
            for name, greeting in got:
                self.lines.append(f"{name}:\t{greeting}")
                self.counts[name] += 1
            self.total += len(got)
            if len(self.lines) > self.limit:
                del self.lines[: len(self.lines) - self.limit]
        if got:
            self._notify()

    def clear(self) -> None:
        """Forget the greetings shown so far (Kafka keeps them)."""
        with self._lock:
            self.lines.clear()
            self.counts.clear()
            self.total = 0
        self._notify()

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener()


class FlinkGreetings(Following):
    """The committed greetings of a stack, with *Refresh*, *Follow* (poll every ``interval``
    seconds in a background thread) and *Clear*; ``text`` holds the lines.

    :meth:`refresh` reads once (as *Refresh* does), :meth:`follow` starts polling,
    :meth:`stop` stops it (and waits for the thread to end), :meth:`close` stops and detaches.
    """

    def __init__(
        self,
        stack: FlinkStackLike,
        *,
        rows: int = 12,
        interval: float = 1.0,
        follow: bool = False,
    ) -> None:
        self.logic = CommittedGreetings(stack)
        self.interval = interval
        self.text = w.Textarea(value="", disabled=True, rows=rows, layout=w.Layout(width="100%"))
        self.count = w.Label(value="")
        self.per_name = w.HTML(value="")
        self.error = w.HTML(value="")
        self.title = w.HTML()
        self.refresh_button = w.Button(icon="refresh")
        self.follow_toggle = w.ToggleButton(value=False, icon="play")
        self.clear_button = w.Button(icon="eraser")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.clear_button.on_click(lambda _: self.logic.clear())
        self.follow_toggle.observe(self._on_follow, names="value")
        self._poller = Poller(self._tick, self._render, name="statefun-greetings")
        self._error_text = ""
        self.logic.listeners.append(self._render_if_here)
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox(
                    [
                        self.title,
                        self.count,
                        self.refresh_button,
                        self.follow_toggle,
                        self.clear_button,
                    ]
                ),
                self.text,
                self.per_name,
                self.error,
            ]
        )
        if follow:
            self.follow_toggle.value = True

    # -- what the buttons do -------------------------------------------------------------------

    def refresh(self) -> int:
        """Read what was committed since the last read and show it; returns how many came."""
        try:
            got = self.logic.refresh()
        except StatefunError as e:
            self._error_text = str(e)
            self._render()
            return 0
        self._error_text = ""
        self._render()
        return got

    def close(self) -> None:
        """Stop polling and stop redrawing (the widgets stay as they are)."""
        self.stop()
        if self._render_if_here in self.logic.listeners:
            self.logic.listeners.remove(self._render_if_here)

    def _tick(self) -> bool:
        """One poll (in the thread): False stops polling (the stack is gone)."""
        try:
            self.logic.refresh()
        except FunctionFailedError as e:  # the function raised: say it, go on reading
            self._error_text = str(e)
            return True
        except StackNotRunningError as e:
            self._error_text = str(e)
            return False
        except Exception as e:  # shown to the learner: the thread must not die mute
            self._error_text = f"{type(e).__name__}: {e}"
            return False
        self._error_text = ""
        return True

    # -- drawing -------------------------------------------------------------------------------

    def _relabel(self, language: str = "") -> None:
        self.title.value = "<b>{}</b>".format(html.escape(_("Committed greetings")))
        self.refresh_button.description = _("Refresh")
        self.follow_toggle.description = _("Follow")
        self.clear_button.description = _("Clear")
        self._render()

    def _render_if_here(self) -> None:
        if not self._poller.in_thread():  # the poller draws after its tick
            self._render()

    def _render(self) -> None:
        self.text.value = self.logic.text
        self.count.value = _("{count} greeting(s)").format(count=self.logic.total)
        names = self.logic.per_name()
        self.per_name.value = (
            "<small>{}</small>".format(html.escape(", ".join(f"{name} ×{n}" for name, n in names)))
            if names
            else ""
        )
        self.error.value = (
            f'<span style="color:#d62728">{html.escape(self._error_text)}</span>'
            if self._error_text
            else ""
        )
        self._untoggle_if_stopped()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
