"""A live table of the runtime's state: one row per address, its states decoded."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets as w

from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.clock import format_time
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import Event, StateChanged, StateExpired
from statefun.local.values import format_value
from statefun.widgets._refresh import Refresher, split_address

__all__ = ["StateInspector", "StateRow", "StateTable"]


@dataclass
class StateRow:
    """One address: its states that hold a value (decoded, as text) and its last change."""

    address: str
    states: dict[str, str] = field(default_factory=dict)
    last_change: str = ""

    def line(self) -> str:
        """The row as text: the address, its states, and its last change."""
        states = ", ".join(f"{n}={v}" for n, v in self.states.items()) or _("(no state)")
        return f"{self.address}  {states}" + (f"  [{self.last_change}]" if self.last_change else "")


class StateTable:
    """The logic of :class:`StateInspector`: rows kept up to date from ``rt.subscribe`` events.

    On every state change or expiry it reads the address back from the runtime
    (``rt.state(...)``), so a row shows what the runtime holds.
    """

    def __init__(self, rt: LocalRuntime) -> None:
        self.rt = rt
        self._rows: dict[str, StateRow] = {}
        #: Called after a row changed (the view redraws).
        self.listeners: list[Callable[[], None]] = []
        for typename in rt.module.functions:
            for id in rt.addresses(typename):
                self._read(typename, id, "")
        self.close = rt.subscribe(self._on_event)

    @property
    def rows(self) -> list[StateRow]:
        """Every address seen so far, sorted."""
        return [self._rows[a] for a in sorted(self._rows)]

    def lines(self) -> list[str]:
        """Every row as text, sorted by address."""
        return [row.line() for row in self.rows]

    def _read(self, typename: str, id: str, change: str) -> None:
        view = self.rt.state(typename, id)
        row = self._rows.setdefault(view.address, StateRow(view.address))
        row.states = {name: format_value(view[name]) for name in view}
        row.last_change = change

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, StateChanged | StateExpired):
            return
        where = split_address(self.rt, event.address)
        if where is None:
            return
        time = format_time(event.time)
        if isinstance(event, StateExpired):
            change = _("{time} {state} expired").format(time=time, state=event.name)
        elif event.after is None:
            change = _("{time} {state} deleted").format(time=time, state=event.name)
        else:
            change = (
                f"{time} {event.name}: {format_value(event.before)} → {format_value(event.after)}"
            )
        self._read(*where, change)
        for listener in list(self.listeners):
            listener()

    def to_html(self) -> str:
        """The rows as an HTML table (a note when there is no state yet)."""
        if not self._rows:
            return "<i>{}</i>".format(html.escape(_("no state yet: send a message")))
        head = "".join(
            f"<th style='text-align:left;padding:2px 8px'>{html.escape(label)}</th>"
            for label in (_("address"), _("state"), _("last change"))
        )
        out = [
            '<table style="border-collapse:collapse;font-family:monospace;font-size:12px">',
            f"<tr>{head}</tr>",
        ]
        for row in self.rows:
            states = "<br>".join(
                f"{html.escape(n)} = {html.escape(v)}" for n, v in row.states.items()
            ) or "<i>{}</i>".format(html.escape(_("(no state)")))
            out.append(
                f"<tr><td style='padding:2px 8px'>{html.escape(row.address)}</td>"
                f"<td style='padding:2px 8px'>{states}</td>"
                f"<td style='padding:2px 8px;color:#666'>{html.escape(row.last_change)}</td></tr>"
            )
        out.append("</table>")
        return "".join(out)


class StateInspector:
    """A live view of :class:`StateTable`, for ``display(...)`` in a notebook."""

    def __init__(self, rt: LocalRuntime) -> None:
        self.table = StateTable(rt)
        self.html = w.HTML()
        self._refresher = Refresher(self._render)
        self.table.listeners.append(self._refresher.request)
        self.title = w.HTML()
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox([self.title, self.html])

    def _relabel(self, language: str = "") -> None:
        self.title.value = "<b>{}</b> {}".format(html.escape(_("State")), html.escape(_("(live)")))
        self._render()

    def _render(self) -> None:
        self.html.value = self.table.to_html()

    def close(self) -> None:
        """Stop following the runtime."""
        self.table.close()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
