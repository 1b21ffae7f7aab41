"""PyYAML's syntax errors said in plain words, at the line to fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import yaml
from yaml.error import Mark

from statefun.local.module_yaml._fixes import Trial, best_fix
from statefun.local.module_yaml._lines import (
    _colon_fix,
    _content,
    _indent,
    _indent_words,
    _label,
    _lead,
    _quoted,
    _spaces,
    _split_key,
    _structural,
)
from statefun.local.module_yaml._source import LINE_BREAK

# PyYAML's words for what it found, and what a reader calls them.
_PLAIN_WORDS: Final = (
    ("'<block mapping start>'", "a key indented differently"),
    ("'<block sequence start>'", "a list indented differently"),
    ("<block end>", "the end of the indented block"),
    ("'<scalar>'", "a value"),
    ("'<stream end>'", "the end of the file"),
    ("'<document start>'", "the start of the file"),
    ("'<document end>'", "the end of the file"),
    ("'?'", "a key"),
    ("'-'", "a list item"),
    ("token", "text"),
    ("simple key", "key"),
)


def _plain(words: str) -> str:
    for jargon, plain in _PLAIN_WORDS:
        words = words.replace(jargon, plain)
    return re.sub(r"<[a-z ]+>", "something", words)


@dataclass(frozen=True, slots=True)
class _Culprit:
    """Where a syntax error is fixed (1-based ``line``), what is wrong there, and the fix."""

    line: int
    problem: str
    hint: str


class Explainer:
    """Says a PyYAML syntax error in plain words, at the line to fix.

    PyYAML reports where it gave up, often lines after the mistake: the key after a missing
    colon, the sibling after a mis-indented key, the end of the file after an unclosed quote.
    Each of its errors is mapped to its usual cause. For indentation, the lines that may be at
    fault are re-indented to the columns in use around them; with ``trial`` (which re-parses a
    candidate text and scores it, see ``Parser.trial``), the fix that reads best wins, then
    the one that keeps the file's indentation step, then the line PyYAML named.
    """

    def __init__(
        self,
        text: str,
        error: yaml.MarkedYAMLError,
        multiline_quotes: list[tuple[Mark, Mark]],
        trial: Trial | None,
    ) -> None:
        self.lines = LINE_BREAK.split(text)
        self.error = error
        self.quotes = multiline_quotes
        self.trial = trial
        self.context = error.context or ""
        self.problem = error.problem or ""

    def explain(self) -> _Culprit:
        """The culprit of the error: where to fix it, what is wrong there, and the fix."""
        mark = self.error.problem_mark or self.error.context_mark
        row = min(mark.line, len(self.lines) - 1) if mark is not None else 0
        column = mark.column if mark is not None else 0
        start = self.error.context_mark
        culprit = (
            self._swallowed_by_quote(row)
            or self._mistake(row, column, start)
            or self._yaml_feature(row, column, start)
        )
        if culprit is not None:
            return culprit
        if self.problem.startswith("expected <block end>") or "'<document start>'" in self.problem:
            return self._block(row, column)
        return self._generic(row, column)

    def _mistake(self, row: int, column: int, start: Mark | None) -> _Culprit | None:
        """The usual slips: a quote, bracket or colon, a dash, a tab, a character YAML reserves."""
        context, problem = self.context, self.problem
        if "quoted scalar" in context and start is not None:
            if "unexpected end" in problem or "document separator" in problem:
                return self._unclosed_quote(start.line, start.column, None)
            return _Culprit(
                row + 1,
                f"at column {column + 1}, inside double quotes, a backslash starts an escape "
                f"that YAML does not know ({_plain(problem)}).",
                "use single quotes, where a backslash is just a backslash, or double it: `\\\\`.",
            )
        if "expected the node content" in problem:
            return self._cannot_start(row, column)
        if context.startswith("while parsing a flow") and start is not None:
            return self._flow(start, row, column)
        if "simple key" in context and start is not None:
            colon = re.search(r":(\s|$)", self.lines[start.line][start.column :])
            if colon is not None and colon.start() > 1024:
                return self._long_key(start.line, start.column + colon.start())
            return self._missing_colon(start.line)
        if problem.startswith("mapping values are not allowed"):
            return self._colon(row, column)
        if problem.startswith("sequence entries are not allowed"):
            return self._dash(row, column)
        if "'\\t'" in problem:
            return self._tab(row, column)
        if "cannot start any token" in problem or "found unexpected ':'" in problem:
            return self._cannot_start(row, column)
        return None

    def _yaml_feature(self, row: int, column: int, start: Mark | None) -> _Culprit | None:
        """Text that YAML reads as one of its features: an alias, anchor, tag, marker, block."""
        context, problem = self.context, self.problem
        if "undefined alias" in problem:
            name = problem.split("alias", 1)[1].strip(" '\"")
            return self._quote_it(
                row,
                column,
                f"`*{name}` refers to an anchor `&{name}` that is not defined above it (in YAML, "
                f"a value that starts with `*` is an alias).",
            )
        if "duplicate anchor" in context and start is not None:
            return _Culprit(
                row + 1,
                f"the anchor at column {column + 1} has the name of one on line {start.line + 1}.",
                "rename one of the two anchors (and its aliases).",
            )
        if "'<document start>'" in problem:
            marker = next(
                (r for r in range(row, -1, -1) if re.match(r"(\.\.\.|%)", self.lines[r])), None
            )
            if marker is not None:
                return _Culprit(
                    marker + 1,
                    f"`{_content(self.lines[marker])[:20]}` at the start of this line is a YAML "
                    f"document marker, which ends the module or is only allowed before it.",
                    "remove this line.",
                )
        if "single document" in context:
            return _Culprit(
                row + 1,
                "a second YAML document starts here; a module.yaml holds one.",
                "remove the `---` and what follows it, or put that module in a module.yaml of "
                "its own directory.",
            )
        for what, char in (("anchor", "&"), ("alias", "*"), ("tag", "!"), ("directive", "%")):
            if f"a {what}" in context or f"an {what}" in context:
                at = start.column if start is not None else column
                return self._quote_it(
                    row, at, f"`{char}` at column {at + 1} starts a YAML {what} here."
                )
        if "block scalar" in context:
            return _Culprit(
                row + 1,
                f"the `|` or `>` before column {column + 1} starts a block of text, whose "
                f"lines must follow, indented: {_plain(problem)}.",
                "write the value on the same line as its key, quoted if it holds `: ` or `#`.",
            )
        return None

    # -- the usual causes -------------------------------------------------------------------------

    def _generic(self, row: int, column: int) -> _Culprit:
        return _Culprit(
            row + 1,
            f"YAML cannot read column {column + 1} of this line: "
            f"{_plain(self.problem or self.context)}.",
            "check this line and the one above it: keys of one map indented alike, with spaces "
            "only; a colon and a space after each key; quotes and brackets closed on the line "
            "that opens them.",
        )

    def _previous(self, row: int) -> int | None:
        return next((r for r in range(row - 1, -1, -1) if _structural(self.lines[r])), None)

    def _suspects(self, row: int) -> list[int | None]:
        """The lines that may be at fault when PyYAML stops at ``row``: the line above, the
        nearest line less indented (the block it would belong to) and the first line of that
        block, and the start of the block PyYAML was in."""
        context = self.error.context_mark
        column = _indent(self.lines[row])
        structural = [r for r in range(row) if _structural(self.lines[r])]
        less = next((r for r in reversed(structural) if _indent(self.lines[r]) < column), None)
        first = next((r for r in structural if less is None or r > less), None)
        return [
            structural[-1] if structural else None,
            less,
            first,
            context.line if context is not None and context.line < row else None,
        ]

    def _missing_colon(self, row: int) -> _Culprit:
        found = _colon_fix(self.lines[row])
        if found is None:
            return self._generic(row, 0)
        return _Culprit(row + 1, found[0], found[1])

    def _colon(self, row: int, column: int) -> _Culprit:
        """A `:` where YAML is inside a value: in a value, or after a line that went on."""
        line = self.lines[row]
        if column - len(_lead(line)) > 1024:
            return self._long_key(row, column)
        prefix, key, value = _split_key(line)
        if key is not None and _indent(line) + len(prefix) + len(key) < column:
            return _Culprit(
                row + 1,
                f"the value of {_label(line)} holds `: ` (a colon and a space) at column "
                f"{column + 1}, which YAML reads as the start of another key.",
                f"quote the value: `{prefix}{key}: {_quoted(value)}`.",
            )
        above = self._previous(row)
        if above is not None and _split_key(self.lines[above])[1] is None:
            return self._missing_colon(above)
        return self._fix(row, self._suspects(row)) or self._generic(row, column)

    def _long_key(self, row: int, column: int) -> _Culprit:
        return _Culprit(
            row + 1,
            f"the key that ends at column {column + 1} is longer than the 1,024 characters YAML "
            f"allows a key.",
            "shorten the key.",
        )

    def _dash(self, row: int, column: int) -> _Culprit:
        line = self.lines[row]
        indent = _indent(line)
        prefix, key, _ = _split_key(line)
        if column > indent + len(prefix) and key is not None:
            item = line[column:].strip()
            return _Culprit(
                row + 1,
                f"a list item (`{item}`) cannot start on the line of its key {_label(line)}.",
                f"put `{item}` on its own line below {_label(line)}, indented by "
                f"{indent + len(prefix) + 2} spaces, or write `{prefix}{key}: "
                f"[{item[1:].strip()}]`.",
            )
        return self._fix(row, self._suspects(row)) or self._generic(row, column)

    def _block(self, row: int, column: int) -> _Culprit:
        """A key or item where the block above it had ended, or had not yet."""
        line = self.lines[row]
        prefix, key, _ = _split_key(line)
        if column > _indent(line) + len(prefix) and key is not None:
            rest = line[column:].strip()
            return _Culprit(
                row + 1,
                f"`{rest}` at column {column + 1} follows the value of {_label(line)}, which "
                f"ends before it.",
                f'remove it, or quote the whole value: `{prefix}{key}: "..."`.',
            )
        if key is None and not prefix and _structural(line):
            return self._missing_colon(row)
        return self._fix(row, self._suspects(row)) or self._generic(row, column)

    def _tab(self, row: int, column: int) -> _Culprit:
        line = self.lines[row]
        if column >= len(_lead(line)):
            return _Culprit(
                row + 1,
                f"a tab at column {column + 1}: YAML separates keys, values and list items "
                f"with spaces, never tabs.",
                "replace the tab with a space.",
            )
        fix = "replace the tab with spaces, lining the line up with the keys it belongs with."
        best = best_fix(self.lines, self.trial, row, [])
        if best is not None and best[1] >= 0:
            like = _indent_words(self.lines, row, best[1])[2]
            fix = f"replace the tab with {_spaces(best[1])}"
            fix += f", to line it up with {like}." if like else "."
        return _Culprit(
            row + 1, f"line {row + 1} starts with a tab; YAML indents with spaces only.", fix
        )

    def _cannot_start(self, row: int, column: int) -> _Culprit:
        line = self.lines[row]
        char = line[column] if column < len(line) else ""
        if char == ":":
            return _Culprit(
                row + 1,
                f"the `:` at column {column + 1} is inside `[...]` or `{{...}}` without a space "
                f"after it.",
                "add a space after it to separate a key from its value, or quote the item: "
                '`"a:b"`.',
            )
        return self._quote_it(
            row, column, f"a value cannot start with `{char}` (at column {column + 1}) in YAML."
        )

    def _quote_it(self, row: int, column: int, problem: str) -> _Culprit:
        prefix, key, value = _split_key(self.lines[row])
        if key is not None and value:
            return _Culprit(
                row + 1, problem, f"quote the value: `{prefix}{key}: {_quoted(value)}`."
            )
        text = _content(self.lines[row])[len(prefix) :]
        return _Culprit(row + 1, problem, f"quote it if it is text: `{prefix}{_quoted(text)}`.")

    def _flow(self, start: Mark, row: int, column: int) -> _Culprit:
        line = self.lines[min(start.line, len(self.lines) - 1)]
        opener = line[start.column] if start.column < len(line) else "["
        closer = "]" if opener == "[" else "}"
        if start.line != row:
            return _Culprit(
                start.line + 1,
                f"the `{opener}` at column {start.column + 1} is not closed on its line, so YAML "
                f"reads the lines below as part of it.",
                f"close it on the same line (`{_content(line)}{closer}`), or write the items "
                f"one per line, each after `- `.",
            )
        return _Culprit(
            row + 1,
            f"inside the `{opener}` that starts at column {start.column + 1}, YAML expected a "
            f"comma or `{closer}` at column {column + 1}.",
            "separate the items with `, `, and quote an item that holds `: `, `#`, `[` or `{`.",
        )

    def _swallowed_by_quote(self, row: int) -> _Culprit | None:
        """An error just after a quoted value that spans lines: its quote was not closed."""
        for start, end in reversed(self.quotes):
            if start.line < row and end.line >= row - 1:
                return self._unclosed_quote(start.line, start.column, end.line)
        return None

    def _unclosed_quote(self, row: int, column: int, closed_on: int | None) -> _Culprit:
        line = self.lines[row]
        quote = line[column] if column < len(line) else '"'
        then = (
            f"so YAML reads on to the next {quote}, on line {closed_on + 1}, as part of this value."
            if closed_on is not None
            else f"so YAML reads on to the end of the file looking for the closing {quote}."
        )
        return _Culprit(
            row + 1,
            f"the quote `{quote}` at column {column + 1} is not closed on its line, {then}",
            f"close it on the same line: `{line.strip()}{quote}`.",
        )

    # -- indentation ------------------------------------------------------------------------------

    def _fix(self, flagged: int, suspects: Iterable[int | None]) -> _Culprit | None:
        """The culprit named by the best fix of :func:`best_fix`, if any."""
        best = best_fix(self.lines, self.trial, flagged, suspects)
        if best is None:
            return None
        row, column = best
        if column < 0:
            return self._missing_colon(row)
        problem, hint, _ = _indent_words(self.lines, row, column)
        return _Culprit(row + 1, problem, hint)
