"""PyYAML's safe loader, hardened: too many values or too deep a nesting are refused on sight."""

from __future__ import annotations

from typing import Any, Final

import yaml
from yaml.error import Mark
from yaml.nodes import Node
from yaml.tokens import ScalarToken

MAX_NODES: Final = 100_000  # keys, values and list items: a module.yaml has a few hundred
MAX_DEPTH: Final = 50  # nested maps and lists: a module.yaml needs about 10


def too_deep(column: int) -> str:
    """The problem of a value nested deeper than ``MAX_DEPTH``, at ``column``."""
    return (
        f"values are nested more than {MAX_DEPTH} levels deep at column {column}; a module.yaml "
        f"needs about 10."
    )


class Refused(Exception):
    """The loader stops composing: ``problem`` at ``mark``, fixed by ``hint``."""

    def __init__(self, mark: Mark, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.mark = mark
        self.problem = problem
        self.hint = hint


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting while it composes and noting quotes that span lines.

    Composing is recursive, so 500 ``[`` in a row would run into Python's recursion limit; this
    loader refuses more than ``MAX_DEPTH`` levels and more than ``MAX_NODES`` values as soon as
    it meets them. It counts aliases (only they can make the tree larger than the text), and
    keeps the start and end of each quoted value that spans lines: an unclosed quote reads on to
    the next quote, and PyYAML's error only comes lines later.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.values = 0
        self.depth = 0
        self.aliases = 0
        self.multiline_quotes: list[tuple[Mark, Mark]] = []

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            return super().compose_node(parent, index)
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Mark = event.start_mark  # type: ignore[assignment]
        self.values += 1
        if self.values > MAX_NODES:
            raise Refused(
                mark,
                f"the file holds more than {MAX_NODES:,} values (keys, values and list items) "
                f"by this line, where a module.yaml holds a few hundred.",
                "check that this is your module.yaml: the loader stops here to stay fast.",
            )
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        if self.depth >= MAX_DEPTH:
            flow = bool(event.flow_style)
            raise Refused(
                mark,
                too_deep(mark.column + 1),
                "check the `[` and `{` on this line: each needs its `]` or `}`."
                if flow
                else "check the indentation above this line: each deeper step opens a level.",
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def scan_flow_scalar(self, style: Any) -> ScalarToken:
        token = super().scan_flow_scalar(style)
        if token.start_mark.line != token.end_mark.line:
            self.multiline_quotes.append((token.start_mark, token.end_mark))
        return token
