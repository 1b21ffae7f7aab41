"""Reading typed values from the built nodes, as Jackson's selectors do, with our messages.

A :class:`Reader` is where a module.yaml's sections (``_functions``, ``_ingresses``, ...) get
their values: a required key, a string, an int, a list, a map, properties, a duration. Each
raises a :class:`~statefun.errors.ModuleYamlError` with the file, line and key path; a missing
key that is present but misspelled or mis-indented nearby is named as such.
"""

from __future__ import annotations

import datetime
import re
from typing import NoReturn

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml._durations import (
    _DurationError,
    parse_duration_nanos,
    to_timedelta,
)
from statefun.local.module_yaml._java import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, as_java_text
from statefun.local.module_yaml._keys import KEYS, Places, closest
from statefun.local.module_yaml._lines import _colon_fix, _indent, _indent_words
from statefun.local.module_yaml._nodes import Node, join


def _quoted_example(key: str, node: Node) -> str:
    return f'{key}: "{node.raw}"'


class Reader:
    """Reads the values of one module.yaml; every problem fails with its line and key path.

    ``version`` is the format version, once read; ``places`` notes where each map is, for the
    warnings about keys the runtime does not read.
    """

    def __init__(self, path: str | None, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.version = ""
        self.places = Places()

    def fail(
        self, line: int | None, key_path: str, problem: str, hint: str | None = None
    ) -> NoReturn:
        """Raise a ModuleYamlError at ``line`` and ``key_path`` of this file."""
        raise ModuleYamlError(
            problem, path=self.path, line=line, key_path=key_path or None, hint=hint
        )

    def known(self, node: Node, place: str) -> None:
        """Note that map ``node`` is at ``place`` (a key of ``KEYS``), for the warnings."""
        self.places.known(node, place)

    # -- keys near where they were expected ------------------------------------------------------

    def not_where_expected(self, parent: Node, key: str) -> None:
        """Fail at ``key`` if it is near ``parent`` but misspelled or indented out of it."""
        if parent.kind == "map":
            place = self.places.get(parent)
            strangers = [k for k in parent.value if place is not None and k not in KEYS[place]]
            typo = closest(key, strangers)
            if typo is not None:
                found = parent.value[typo]
                self.fail(
                    found.line,
                    found.key_path,
                    f"missing key `{key}` in {parent.name}; this line has `{typo}:`, which the "
                    f"runtime does not read.",
                    f"rename `{typo}` to `{key}`.",
                )
            for child in parent.value.values():
                if child.kind == "map" and key in child.value:
                    first = next(iter(parent.value.values()))
                    tail = (
                        f" So it is read as part of {child.name}, and {parent.name} has no "
                        f"`{key}:`."
                    )
                    self._fail_indent(child.value[key], first.column - 1, tail)
        holder = parent.parent
        if holder is not None and holder.kind == "map" and key in holder.value:
            found = holder.value[key]
            if found is not parent:
                if parent.kind == "map" and parent.value:
                    column = next(iter(parent.value.values())).column - 1
                else:
                    column = parent.column + 1  # 0-based: two more spaces than its key
                tail = f" So it is outside {parent.name}, which has no `{key}:`."
                self._fail_indent(found, column, tail)

    def _fail_indent(self, found: Node, column: int, tail: str) -> None:
        """Fail at ``found``'s key, which belongs at ``column``, if it starts its line."""
        row = found.line - 1
        if row >= len(self.lines) or _indent(self.lines[row]) != found.column - 1:
            return
        problem, hint, _ = _indent_words(self.lines, row, column)
        self.fail(found.line, found.key_path, problem + tail, hint)

    def _stray_children(self, node: Node, place: str) -> None:
        """Fail at a key of empty map ``node`` that sits beside it, not indented under it."""
        holder = node.parent
        if holder is None or holder.kind != "map":
            return
        holder_place = self.places.get(holder)
        for key in KEYS[place]:
            found = holder.value.get(key)
            if found is not None and (holder_place is None or key not in KEYS[holder_place]):
                tail = f" So it is outside {node.name}, which is left empty."
                self._fail_indent(found, node.column + 1, tail)

    def looks_like_a_key(self, node: Node) -> None:
        """Fail at a text value on its own line that was meant as ``key: value``."""
        if node.kind in ("map", "list", "null") or node.start <= node.line:
            return
        found = _colon_fix(self.lines[node.start - 1]) if node.start <= len(self.lines) else None
        if found is not None:
            self.fail(node.start, node.key_path, found[0], found[1])

    # -- typed selectors (Jackson's Selectors, with our messages) ---------------------------------

    def require(self, parent: Node, key: str, hint: str | None = None) -> Node:
        """The value of ``key`` in ``parent``; fails if absent (naming a near miss)."""
        node = parent.get(key)
        if node is not None:
            return node
        self.not_where_expected(parent, key)
        key_path = join(parent.key_path, key)
        if parent.kind == "map" or parent.kind == "null":
            where = f"`{parent.key_path.rsplit('.', 1)[-1]}`" if parent.key_path else "the file"
            problem = f"missing key `{key}` in {where}."
        else:
            self.looks_like_a_key(parent)
            problem = f"missing key `{key}`: `{parent.key_path}` is {parent.describe()}, not a map."
        self.fail(parent.line, key_path, problem, hint or f"add `{key}:` under it.")

    def text(self, parent: Node, key: str, *, hint: str | None = None) -> str:
        """The string value of required ``key``."""
        return self.as_text(self.require(parent, key, hint), key, hint)

    def optional_text(self, parent: Node, key: str, *, hint: str | None = None) -> str | None:
        """The string value of ``key``, or ``None`` if absent."""
        node = parent.get(key)
        return None if node is None else self.as_text(node, key, hint)

    def as_text(self, node: Node, key: str, hint: str | None) -> str:
        """``node``'s string; fails for any other kind (quote a number)."""
        if node.kind == "str":
            return str(node.value)
        if node.kind in ("int", "float", "bool"):
            fix = hint or f"quote it: `{_quoted_example(key, node)}`."
        elif node.kind == "null":
            fix = hint or f"give `{key}` a value."
        else:
            fix = hint or f"`{key}` takes a single string."
        self.fail(node.line, node.key_path, f"not a string: `{key}` is {node.describe()}.", fix)

    def as_int(self, node: Node, key: str, *, long: bool = False) -> int:
        """``node``'s whole number, within Java's int (or ``long``) range."""
        lo, hi = (LONG_MIN, LONG_MAX) if long else (INT_MIN, INT_MAX)
        what = "a long" if long else "an integer"
        if node.kind == "int" and lo <= node.value <= hi:
            return int(node.value)
        if node.kind == "int":
            self.fail(node.line, node.key_path, f"not {what}: {node.raw} is out of range.")
        hint = f"write a whole number without quotes, e.g. `{key}: 1000`."
        if node.kind == "str" and re.fullmatch(r"[+-]?\d+", str(node.value).strip()):
            hint = f"remove the quotes: `{key}: {str(node.value).strip()}`."
        self.fail(node.line, node.key_path, f"not {what}: `{key}` is {node.describe()}.", hint)

    def optional_int(self, parent: Node, key: str, *, long: bool = False) -> int | None:
        """The whole number at ``key``, or ``None`` if absent."""
        node = parent.get(key)
        return None if node is None else self.as_int(node, key, long=long)

    def list_at(self, parent: Node, key: str) -> list[Node]:
        """The items of list ``key``; ``[]`` if absent."""
        node = parent.get(key)
        if node is None:
            return []
        if node.kind != "list":
            if node.kind == "str" and node.start > node.line and node.raw.startswith("-"):
                self.fail(
                    node.start,
                    node.key_path,
                    f"`{node.raw.split()[0]}` needs a space after the dash to be a list item.",
                    f"write `- {node.raw[1:].lstrip()}`.",
                )
            self.fail(
                node.line,
                node.key_path,
                f"not a list: `{key}` is {node.describe()}.",
                f"write each element of `{key}` on its own line starting with `- `.",
            )
        items: list[Node] = node.value
        return items

    def optional_map(self, parent: Node, key: str, place: str) -> Node | None:
        """Map ``key`` (its keys read at ``place``), or ``None`` if absent."""
        node = parent.get(key)
        if node is None:
            return None
        if node.kind == "null":
            self._stray_children(node, place)
        if node.kind != "map":
            self.looks_like_a_key(node)
            self.fail(
                node.line,
                node.key_path,
                f"not a map: `{key}` is {node.describe()}.",
                f"indent the keys of `{key}` under it, e.g. `{key}:` then `  type: ...`.",
            )
        return node

    def properties(self, parent: Node, key: str) -> dict[str, str]:
        """A ``- name: value`` list as a dict of Jackson's texts; ``{}`` if absent."""
        node = parent.get(key)
        if node is None:
            return {}
        example = f"`{key}:` then `  - max.poll.records: 500`"
        if node.kind != "list":
            self.fail(
                node.line,
                node.key_path,
                f"not a key-value list: `{key}` is {node.describe()}.",
                f"write one `- name: value` per line, e.g. {example}.",
            )
        result: dict[str, str] = {}
        for item in node.value:
            if item.kind != "map" or len(item.value) != 1:
                got = f"{len(item.value)} keys" if item.kind == "map" else item.describe()
                if item.kind == "map" and len(item.value) > 1:
                    got += "; the runtime would keep only the first one"
                self.fail(
                    item.line,
                    item.key_path,
                    f"not a key-value list: each entry of `{key}` must be a single `name: value` "
                    f"(got {got}).",
                    f"start every property with its own `- `, e.g. {example}.",
                )
            ((name, value),) = item.value.items()
            if value.kind in ("map", "list"):
                self.fail(
                    value.line,
                    value.key_path,
                    f"property `{name}` has {value.describe()} as value, not text.",
                    "give a single value, e.g. `- name: value`.",
                )
            result[name] = as_java_text(value)
        return result

    def namespace_name(self, node: Node, value: str, example: str) -> tuple[str, str]:
        """``value`` split as ``<namespace>/<name>``."""
        pos = value.rfind("/")
        if pos <= 0 or pos == len(value) - 1:
            self.fail(
                node.line,
                node.key_path,
                f"{value} does not conform to the <namespace>/<name> format",
                f"write a namespace, a slash and a name, e.g. `{example}`.",
            )
        return value[:pos], value[pos + 1 :]

    def duration(self, parent: Node, key: str) -> tuple[datetime.timedelta, int] | None:
        """Duration ``key`` and its nanoseconds, or ``None`` if absent."""
        node = parent.get(key)
        if node is None:
            return None
        if node.kind in ("int", "float"):
            unitless = f'"{node.raw}ms"' if node.kind == "int" else '"1500ms"'
            self.fail(
                node.line,
                node.key_path,
                f"not a string: `{key}` is {node.describe()}; durations must be YAML strings.",
                f'quote it and give a unit, e.g. `{key}: "60s"` (a bare number means '
                f"milliseconds, so `{key}: {unitless}` is the same).",
            )
        text = self.as_text(node, key, f'give a duration string, e.g. `{key}: "60s"`.')
        try:
            nanos = parse_duration_nanos(text)
            return to_timedelta(nanos, text), nanos
        except _DurationError as exc:
            self.fail(node.line, node.key_path, f"{text!r}: {exc.problem}", exc.hint)

    # -- list entries -----------------------------------------------------------------------------

    def entry(self, item: Node, entry: str, list_key: str, first_key: str) -> Node:
        """The ``{meta, spec}`` map of a ``- <entry>:`` list item, catching the docs' trap."""
        body = item.get(entry)
        siblings = [k for k in ("meta", "spec") if item.get(k) is not None]
        if body is None:
            if item.kind != "map":
                self.fail(
                    item.line,
                    item.key_path,
                    f"each entry of `{list_key}` must be a map starting with `{entry}:`, but "
                    f"this one is {item.describe()}.",
                    f"write `- {entry}:` and indent `meta:` and `spec:` under it.",
                )
            problem = f"missing key /{entry}/{first_key}: the entry has no `{entry}:` key."
            self.fail(
                item.line,
                join(item.key_path, entry),
                problem,
                f"start the entry with `- {entry}:` and indent `meta:` and `spec:` under it.",
            )
        if body.kind == "null" and siblings:
            stray = " and ".join(f"`{k}:`" for k in siblings)
            verb = "sit" if len(siblings) > 1 else "sits"
            self.fail(
                body.line,
                body.key_path,
                f"`{entry}:` is empty and {stray} {verb} at the same level as `{entry}:`, so "
                f"the runtime finds no /{entry}/{first_key} (missing key). This is the "
                f"mis-indented 'Full Example' of the StateFun 2.x docs.",
                f"indent `meta:` and `spec:` under `{entry}:` (two more spaces than `{entry}:`).",
            )
        if body.kind != "map":
            self.looks_like_a_key(body)
            self.fail(
                body.line,
                body.key_path,
                f"`{entry}` is {body.describe()}, not a map with `meta:` and `spec:`.",
                f"indent `meta:` and `spec:` under `{entry}:`.",
            )
        self.known(item, f"{list_key}[]")
        self.known(body, entry)
        return body
