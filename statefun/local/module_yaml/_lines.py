"""Lines of YAML text as a reader sees them: keys, dashes, indentation, and how to name a line.

Syntax errors are explained with these (``_syntax``), and so are indentation mistakes that
still parse (``_reader``): both speak of lines, not of PyYAML's tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Final

# A line's leading list dashes, and a `key:` after them (a plain, quoted or bracketed key).
_DASHES: Final = re.compile(r"(?:-(?: +|$))*")
_KEY: Final = re.compile(r"""([^\s:#'"\[\]{},&*!|>%@`][^:#]*?|"[^"]*"|'[^']*')[ \t]*:(?=\s|$)""")


def _lead(line: str) -> str:
    """The indentation of ``line``: its leading spaces and tabs."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent(line: str) -> int:
    """How many spaces ``line`` starts with."""
    return len(line) - len(line.lstrip(" "))


def _structural(line: str) -> bool:
    """Whether ``line`` holds YAML (not blank, not only a comment)."""
    content = line.strip(" \t")
    return bool(content) and not content.startswith("#")


def _content(line: str) -> str:
    """A line without its indentation and trailing comment."""
    return re.sub(r"\s+#.*$", "", line.strip(" \t"))


def _split_key(line: str) -> tuple[str, str | None, str]:
    """``(dashes, key or None, value)`` of a line, e.g. ``("- ", "topic", "names")``."""
    content = _content(line)
    dashes = _DASHES.match(content)
    prefix = dashes.group(0) if dashes else ""
    key = _KEY.match(content, len(prefix))
    if key is None:
        return prefix, None, content[len(prefix) :]
    return prefix, key.group(1), content[key.end() :].strip()


def _label(line: str, *, dashes: bool = True) -> str:
    """How a message names a line: `` `spec:` ``, `` `- topic:` `` or its (shortened) text."""
    prefix, key, _ = _split_key(line)
    if key is not None:
        return f"`{prefix if dashes else ''}{key}:`"
    return f"`{_shorten(_content(line))}`"


def _sibling(lines: list[str], row: int, column: int) -> tuple[int, str] | None:
    """The nearest line that starts a key at ``column`` in the same block as ``row``."""
    for step, where in ((-1, "above"), (1, "below")):
        other = row + step
        while 0 <= other < len(lines):
            line = lines[other]
            if _structural(line) and "\t" not in _lead(line):
                indent = _indent(line)
                keys_at = indent + len(_split_key(line)[0])
                if indent == column or keys_at == column:
                    return other, where
                if indent < column:
                    break
            other += step
    return None


def _spaces(count: int) -> str:
    """``1 space``, ``4 spaces``."""
    return f"{count} space" if count == 1 else f"{count} spaces"


def _indent_words(lines: list[str], row: int, column: int) -> tuple[str, str, str]:
    """``(problem, hint, like)`` for line ``row`` whose key belongs at ``column`` (0-based);
    ``like`` names the line it lines up with, if any."""
    label = _label(lines[row])
    current = _indent(lines[row])
    sibling = _sibling(lines, row, column)
    if sibling is not None:
        other, where = sibling
        like = _label(lines[other], dashes=_indent(lines[other]) == column)
        more = "more" if current > column else "less"
        problem = (
            f"{label} is indented {more} than {like} {where} it (line {other + 1}): "
            f"{_spaces(current)} instead of {column}."
        )
        if column == 0:
            return problem, f"start {label} at the beginning of its line, like {like}.", like
        return problem, f"indent {label} by {_spaces(column)}, like {like}.", like
    if column == 0:
        return (
            f"{label} is a top-level key, so it starts at the beginning of its line, not after "
            f"{_spaces(current)}.",
            f"remove the spaces before {label}.",
            "",
        )
    parent = next(
        (r for r in range(row - 1, -1, -1) if _structural(lines[r]) and _indent(lines[r]) < column),
        None,
    )
    under = ""
    if parent is not None:
        under = f" to sit under {_label(lines[parent])} (line {parent + 1})"
    return (
        f"{label} needs {_spaces(column)} of indentation{under}, not {current}.",
        f"indent {label} by {_spaces(column)}.",
        "",
    )


def _steps(lines: list[str]) -> tuple[int, int]:
    """The file's usual indentation step: for keys under a key, and for list dashes."""
    keys: Counter[int] = Counter()
    dashes: Counter[int] = Counter()
    for delta, dash in _deltas(lines):
        if delta is not None:
            (dashes if dash else keys)[delta] += 1
    return (
        keys.most_common(1)[0][0] if keys else 2,
        dashes.most_common(1)[0][0] if dashes else 2,
    )


def _deltas(lines: list[str]) -> Iterator[tuple[int | None, bool]]:
    """For each line with content: how much deeper it is than its parent's keys, and whether it
    is a list item. ``None`` for a key in line with its list item's first key; ``-1`` for a
    top-level line that is indented, or a line indented with a tab."""
    stack: list[tuple[int, int, bool]] = []  # indent, column of its keys, is a list item
    for line in lines:
        if not _structural(line):
            continue
        if "\t" in _lead(line):
            yield -1, False
            continue
        indent = _indent(line)
        prefix = _DASHES.match(line, indent)
        dash = bool(prefix and prefix.end() > indent)
        keys_at = prefix.end() if prefix else indent
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not stack:
            yield (None if indent == 0 else -1), dash
        elif stack[-1][2] and indent == stack[-1][1]:
            yield None, dash
        else:
            yield indent - stack[-1][1], dash
        stack.append((indent, keys_at, dash))


def _deviations(lines: list[str], steps: tuple[int, int]) -> int:
    """How many lines are indented against the file's usual step."""
    return sum(
        1
        for delta, dash in _deltas(lines)
        if delta is not None and delta != (steps[1] if dash else steps[0])
    )


def _colon_fix(line: str) -> tuple[str, str, str] | None:
    """``(problem, hint, fixed line)`` for a line that lacks the colon (or the space) of a key."""
    content = _content(line)
    dashes = _DASHES.match(content)
    prefix = dashes.group(0) if dashes else ""
    body = content[len(prefix) :]
    if not body or body[0] in "#'\"[]{},&*!|>%@`" or body.startswith(("---", "...")):
        return None
    glued = re.match(r"([^\s:]+):(\S.*)$", body)
    if glued:
        fixed = f"{prefix}{glued.group(1)}: {glued.group(2)}"
        return (
            f"`{_shorten(content)}` needs a space after the colon.",
            f"write `{_shorten(fixed)}`.",
            _lead(line) + fixed,
        )
    key, _, value = body.partition(" ")
    fixed = f"{prefix}{key}: {value.strip()}" if value.strip() else f"{prefix}{key}:"
    return (
        f"`{_shorten(content)}` has no colon.",
        f"write `{_shorten(fixed)}` (a key, a colon and a space, then the value), or start the "
        f"line with `#` if it is a comment.",
        _lead(line) + fixed,
    )


def _quoted(value: str) -> str:
    """``value`` as a YAML quoted string (single quotes when it holds a double quote)."""
    if '"' in value:
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\") + '"'


def _shorten(text: str) -> str:
    """``text``, cut to 60 characters."""
    return text if len(text) <= 60 else text[:57] + "..."
