"""The records leaving an egress, one line each, like the walkthrough's event generator prints."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
from google.protobuf.message import DecodeError, Message

from statefun.errors import UnknownEgressError
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import Egressed, Event
from statefun.local.values import format_value
from statefun.walkthrough import EGRESS_ID
from statefun.widgets._refresh import Refresher

__all__ = ["EgressLines", "EgressLog", "format_record"]


def format_record(key: str | None, value: object) -> str:
    """``<name>:\\t<greeting>`` for a GreetResponse (as the generator prints), else
    ``<key>:\\t<value>``."""
    if isinstance(value, Message):
        fields = {f.name for f in value.DESCRIPTOR.fields}
        if {"name", "greeting"} <= fields:
            return f"{value.name}:\t{value.greeting}"  # type: ignore[attr-defined]
    return f"{key or ''}:\t{format_value(value)}"


class EgressLines:
    """The logic of :class:`EgressLog`: the formatted records of one egress, newest last.

    ``value_type`` decodes record values that arrive as bytes (when the runtime was built
    without ``egress_types``).
    """

    def __init__(
        self,
        rt: LocalRuntime,
        egress: str = EGRESS_ID,
        value_type: type[Message] | None = None,
        *,
        limit: int = 1000,
    ) -> None:
        if egress not in rt.module.egresses:
            raise UnknownEgressError(egress, sorted(rt.module.egresses))
        self.rt = rt
        self.egress = egress
        self.value_type = value_type or rt.egress_types.get(egress)
        self.limit = limit
        self.lines: list[str] = []
        self.total = 0
        #: Called after lines were added (the view redraws).
        self.listeners: list[Callable[[], None]] = []
        for record in rt.egress(egress, self.value_type):
            self._add(record.key, record.value)
        self.close = rt.subscribe(self._on_event)

    @property
    def text(self) -> str:
        """The kept lines, one record a line, as the generator prints them."""
        return "\n".join(self.lines)

    def _decode(self, value: object) -> object:
        if isinstance(value, bytes) and self.value_type is not None:
            try:
                return self.value_type.FromString(value)
            except DecodeError:
                return value
        return value

    def _add(self, key: str | None, value: object) -> None:
        self.lines.append(format_record(key, self._decode(value)))
        self.total += 1
        if len(self.lines) > self.limit:
            del self.lines[: len(self.lines) - self.limit]

    def clear(self) -> None:
        """Forget the lines shown so far (the runtime keeps its records)."""
        self.lines.clear()
        for listener in list(self.listeners):
            listener()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Egressed) and event.egress == self.egress:
            self._add(event.key, event.value)
            for listener in list(self.listeners):
                listener()


class EgressLog:
    """A live log of an egress (``text`` holds the lines), with a *Clear* button."""

    def __init__(
        self,
        rt: LocalRuntime,
        egress: str = EGRESS_ID,
        value_type: type[Message] | None = None,
        *,
        rows: int = 10,
    ) -> None:
        self.lines = EgressLines(rt, egress, value_type)
        self.text = w.Textarea(value="", disabled=True, rows=rows, layout=w.Layout(width="100%"))
        self.count = w.Label(value="")
        self.clear_button = w.Button(icon="eraser")
        self.clear_button.on_click(lambda _: self.lines.clear())
        self.title = w.HTML()
        self._refresher = Refresher(self._render)
        self.lines.listeners.append(self._refresher.request)
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [w.HBox([self.title, self.count, self.clear_button]), self.text],
        )

    def _relabel(self, language: str = "") -> None:
        self.clear_button.description = _("Clear")
        self.title.value = "<b>{}</b> <code>{}</code>".format(
            html.escape(_("Egress")), html.escape(self.lines.egress)
        )
        self._render()

    def _render(self) -> None:
        self.text.value = self.lines.text
        self.count.value = _("{count} record(s)").format(count=self.lines.total)

    def close(self) -> None:
        """Stop following the runtime."""
        self.lines.close()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
