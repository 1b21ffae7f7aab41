"""The message-flow picture of a trace: lanes for ingresses, addresses, egresses; a row a step."""

from __future__ import annotations

import html
from collections.abc import Sequence

from statefun.local.events import (
    Backpressured,
    DelayFired,
    Egressed,
    Event,
    Failed,
    Ingressed,
    MessageSent,
    RequestSent,
    Responded,
    StateChanged,
    StateExpired,
)
from statefun.local.values import format_value

__all__ = ["FlowRow", "flow", "to_svg"]

#: One row of the picture: ``(kind, from lane, to lane, label, color)``.
FlowRow = tuple[str, int, int, str, str]


#: The events the picture draws; the others (Responded, DelayScheduled, Resumed) it leaves out.
_DRAWN = (
    Ingressed
    | RequestSent
    | MessageSent
    | DelayFired
    | Egressed
    | StateChanged
    | StateExpired
    | Failed
    | Backpressured
)

#: The events drawn on their address's own lane (a box or a note).
_ON_ADDRESS = RequestSent | StateChanged | StateExpired | Failed | Backpressured


def flow(events: Sequence[Event], last: int | None = 40) -> tuple[list[str], list[FlowRow]]:
    """The message flow of the last ``last`` drawn events: lanes and one row per step.

    A row is ``(kind, from lane, to lane, label, color)`` with kind ``arrow``, ``box`` or
    ``note``; :func:`to_svg` draws it.
    """
    producer = _egress_producers(events)
    shown = [(i, e) for i, e in enumerate(events) if isinstance(e, _DRAWN)]
    if last is not None:
        shown = shown[-last:]
    lanes = _Lanes()
    rows: list[FlowRow] = []
    for index, e in shown:
        if isinstance(e, Ingressed):
            rows.extend(_ingress_arrows(e, lanes))
        elif isinstance(e, MessageSent | DelayFired):
            label = format_value(e.value) + (" (delayed)" if isinstance(e, DelayFired) else "")
            rows.append(("arrow", lanes(e.source), lanes(e.target), label, "#2ca02c"))
        elif isinstance(e, Egressed):
            source, egress = lanes(producer[index]), lanes(e.egress)
            rows.append(("arrow", source, egress, format_value(e.value), "#ff7f0e"))
        elif isinstance(e, _ON_ADDRESS):
            rows.append(_on_address(e, lanes(e.address)))
    return lanes.names, rows


def _egress_producers(events: Sequence[Event]) -> dict[int, str]:
    """Which address produced each egress record (by the record's index in ``events``): the
    latest Responded before it (a response's egress events follow its Responded), found over
    the whole trace, so the first rows drawn know it too."""
    producer: dict[int, str] = {}
    responder = "?"
    for index, e in enumerate(events):
        if isinstance(e, Responded):
            responder = e.address
        elif isinstance(e, Egressed):
            producer[index] = responder
    return producer


class _Lanes:
    """The lanes of the picture, in the order they are first drawn on."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str) -> int:
        """The lane of ``name``, added on the right the first time."""
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)


def _ingress_arrows(e: Ingressed, lanes: _Lanes) -> list[FlowRow]:
    """An arrow from the ingress to each address its record goes to."""
    label = f"{e.key}: {format_value(e.value)}"
    return [
        ("arrow", lanes(e.ingress), lanes(f"{target}/{e.key}"), label, "#1f77b4")
        for target in e.targets
    ]


def _on_address(
    e: RequestSent | StateChanged | StateExpired | Failed | Backpressured, i: int
) -> FlowRow:
    """The box of a request, or the note of a state change, expiry, failure or backpressure,
    on lane ``i`` of the address."""
    if isinstance(e, RequestSent):
        return ("box", i, i, f"request, batch of {e.batch}", "#555")
    if isinstance(e, StateChanged):
        after = "deleted" if e.after is None else format_value(e.after)
        return ("note", i, i, f"{e.name} = {after}", "#9467bd")
    if isinstance(e, StateExpired):
        return ("note", i, i, f"{e.name} expired", "#8c564b")
    if isinstance(e, Failed):
        return ("note", i, i, f"FAILED: {e.reason[:60]}", "#d62728")
    return ("note", i, i, f"backpressure ({e.backlog} waiting)", "#d62728")


def to_svg(events: Sequence[Event], last: int | None = 40) -> str:
    """A message-flow picture: lanes for ingresses, addresses and egresses; one row a step."""
    lanes, rows = flow(events, last)
    width, top, step = 190, 44, 26
    svg_w = max(1, len(lanes)) * width + 120  # room for notes right of the last lane
    svg_h = top + step * (len(rows) + 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{svg_w}" height="{svg_h}" '
        f'font-family="sans-serif" font-size="11">',
        '<defs><marker id="arr" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
    ]
    for i, name in enumerate(lanes):
        x = i * width + width // 2
        out.append(
            f'<text x="{x}" y="16" text-anchor="middle" font-weight="bold">'
            f"{html.escape(name)}</text>"
        )
        out.append(
            f'<line x1="{x}" y1="24" x2="{x}" y2="{svg_h - 6}" stroke="#bbb" '
            'stroke-dasharray="4,3"/>'
        )
    for r, (kind, a, b, label, color) in enumerate(rows):
        y = top + r * step
        xa, xb = a * width + width // 2, b * width + width // 2
        text = html.escape(label if len(label) <= 48 else label[:45] + "...")
        if kind == "arrow" and a != b:
            out.append(
                f'<line x1="{xa}" y1="{y}" x2="{xb}" y2="{y}" stroke="{color}" '
                'stroke-width="1.5" marker-end="url(#arr)"/>'
            )
            out.append(
                f'<text x="{(xa + xb) // 2}" y="{y - 4}" text-anchor="middle" '
                f'fill="{color}">{text}</text>'
            )
        elif kind == "box" or (kind == "arrow" and a == b):
            out.append(
                f'<rect x="{xa - 80}" y="{y - 12}" width="160" height="18" rx="3" '
                f'fill="white" stroke="{color}"/>'
            )
            out.append(
                f'<text x="{xa}" y="{y + 1}" text-anchor="middle" fill="{color}">{text}</text>'
            )
        else:
            out.append(f'<text x="{xa + 6}" y="{y + 1}" fill="{color}">{text}</text>')
    out.append("</svg>")
    return "\n".join(out)
