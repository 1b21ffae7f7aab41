"""YAML values that keep where they were written, built from PyYAML's nodes within the limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.nodes import Node as YamlNode

from statefun.local.module_yaml._loader import MAX_DEPTH, MAX_NODES, too_deep

_SCALAR_KINDS: Final = {
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
}
_SCALAR_WORDS: Final = {
    "int": ("not a whole number", "a whole number such as `500`"),
    "float": ("not a number", "a number such as `1.5`"),
    "bool": ("not a boolean (YAML's are true/false, yes/no, on/off)", "`true` or `false`"),
}


@dataclass(slots=True)
class Node:
    """A YAML value with where it was written.

    ``kind`` is str/int/float/bool/null (like Jackson: every other scalar tag, e.g. a
    timestamp, is a string) or map/list. ``line`` and ``column`` (1-based) are where the key
    that holds the value starts (the item itself for list items), which is where a reader looks;
    ``start`` is the line of the value itself.
    """

    kind: str
    value: Any
    line: int
    key_path: str
    raw: str = ""
    column: int = 1
    start: int = 0  # the line where the value itself starts
    parent: Node | None = field(default=None, repr=False, compare=False)

    def get(self, key: str) -> Node | None:
        """The value of ``key`` in this map; ``None`` if absent or if this is not a map."""
        if self.kind != "map":
            return None
        found: Node | None = self.value.get(key)
        return found

    @property
    def name(self) -> str:
        """The key that holds this value, e.g. `` `spec:` ``; ``the file`` for the top level."""
        if not self.key_path:
            return "the file"
        last = re.sub(r"(\[[0-9]+\])+$", "", self.key_path.rsplit(".", 1)[-1])
        return f"`{last}:`"

    def describe(self) -> str:
        """What this value is, for a message: ``the string 'x'``, ``a list``, ..."""
        if self.kind == "str":
            return f"the string {self.value!r}"
        if self.kind in ("int", "float"):
            return f"the number {self.raw}"
        if self.kind == "bool":
            return f"the boolean {self.raw}"
        if self.kind == "null":
            return "nothing (an empty value)"
        return "a list" if self.kind == "list" else "a map"


def join(key_path: str, key: str) -> str:
    """The key path of ``key`` under ``key_path``: ``module.spec``."""
    return f"{key_path}.{key}" if key_path else key


class Fail(Protocol):
    """Raise a ModuleYamlError at ``line`` and ``key_path`` of the file being read."""

    def __call__(
        self, line: int | None, key_path: str, problem: str, hint: str | None = None
    ) -> NoReturn: ...


class Builder:
    """Turns PyYAML's nodes into ``Node``s, expanding aliases within the loader's limits."""

    def __init__(self, fail: Fail, text: str, aliases: int) -> None:
        self.fail = fail
        self.text = text
        self.aliases = aliases
        self.constructor = SafeConstructor()
        self.count = 0

    def build(
        self,
        node: YamlNode,
        key_path: str,
        mark: Mark,
        parent: Node | None,
        ancestors: frozenset[int],
    ) -> Node:
        """The ``Node`` of ``node`` (held by the key at ``mark``) and of everything under it."""
        line, column, start = mark.line + 1, mark.column + 1, node.start_mark.line + 1
        self.count += 1
        if self.count > MAX_NODES:
            self._too_many(line, key_path)
        if isinstance(node, ScalarNode):
            kind = _SCALAR_KINDS.get(node.tag, "str")
            if kind == "str":
                return Node("str", node.value, line, key_path, node.value, column, start, parent)
            try:
                value = self.constructor.construct_object(node, deep=True)
            except (ValueError, KeyError, IndexError, TypeError, OverflowError, yaml.YAMLError):
                self._not_of_its_type(node, kind, key_path)
            return Node(kind, value, line, key_path, node.value, column, start, parent)
        if id(node) in ancestors:
            self.fail(
                line,
                key_path,
                "a YAML alias refers to one of its own parents.",
                "write the value out instead of the alias.",
            )
        if len(ancestors) >= MAX_DEPTH:
            self.fail(
                line,
                key_path,
                too_deep(column)[:-1] + ", once the YAML aliases (`*name`) are expanded.",
                "write the values out instead of nesting anchors in aliases.",
            )
        inner = ancestors | {id(node)}
        if isinstance(node, SequenceNode):
            items = Node("list", [], line, key_path, "", column, start, parent)
            self._items(node, items, inner)
            return items
        assert isinstance(node, MappingNode)
        entries = Node("map", {}, line, key_path, "", column, start, parent)
        self._entries(node, entries, inner)
        return entries

    def _too_many(self, line: int, key_path: str) -> NoReturn:
        # The loader counted what the text holds: only expanded aliases can hold more.
        problem = f"the file holds more than {MAX_NODES:,} values by this line."
        if self.aliases:
            problem = (
                f"expanding the YAML aliases (`*name`) gives more than {MAX_NODES:,} values "
                f"by this line: an alias bomb?"
            )
        self.fail(line, key_path, problem, "write the values out instead of repeating aliases.")

    def _items(self, node: SequenceNode, items: Node, ancestors: frozenset[int]) -> None:
        for index, child in enumerate(node.value):
            items.value.append(
                self.build(child, f"{items.key_path}[{index}]", child.start_mark, items, ancestors)
            )

    def _entries(self, node: MappingNode, entries: Node, ancestors: frozenset[int]) -> None:
        key_path = entries.key_path
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.fail(key_line, key_path, "a map key must be a plain name.")
            key = key_node.value
            if key in entries.value:
                self.fail(
                    key_line,
                    join(key_path, key),
                    f"duplicate key `{key}` (first written at line {entries.value[key].line}); "
                    f"the runtime would silently keep only the last one.",
                    "remove one of the two, or merge their contents.",
                )
            entries.value[key] = self.build(
                value_node, join(key_path, key), key_node.start_mark, entries, ancestors
            )

    def _not_of_its_type(self, node: ScalarNode, kind: str, key_path: str) -> NoReturn:
        """A scalar whose tag (written, or implied by its first characters) it does not fit."""
        mark = node.start_mark
        written = re.match(r"(?:&\S+\s+)?(!\S*)", self.text[mark.index : mark.index + 200])
        tag = written.group(1) if written else ""
        value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        words, example = _SCALAR_WORDS[kind]
        digits = len(re.sub(r"[^0-9]", "", node.value))
        if kind == "int" and digits > 1000:
            problem = f"the number `{value}` has {digits:,} digits, more than any value needs."
        elif tag:
            problem = f"`{value}` is {words}, but the tag `{tag}` says it must be one."
        else:
            problem = f"`{value}` is {words}, though YAML takes it for one by its first characters."
        hint = (
            f"remove the `{tag}` tag, or write {example}."
            if tag
            else f'quote it if it is text (`"{value}"`), or write {example}.'
        )
        self.fail(mark.line + 1, key_path, problem, hint)
