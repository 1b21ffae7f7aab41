"""Load and validate a StateFun 2.x ``module.yaml`` the way the 2.2.2 runtime does.

The runtime reads module.yaml with Jackson through JSON pointers: unknown keys are ignored, but
typed values are strict (a string must be a YAML string, an int a YAML int, a list a list).
:func:`parse_module` applies the same rules and raises :class:`~statefun.errors.ModuleYamlError`
naming the file, the line, the key path, what is wrong and how to fix it.

Where the real runtime silently drops a value (a non-string state name or target, a map state
under version ``"1.0"``, the second key of a property entry) or keeps only the last of two
duplicates, this loader fails instead: those are always mistakes.

Usage::

    module = load_module("module.yaml")
    module.function("example/greeter").state_names   # ('seen_count',)
    ingress, route = module.ingress_for("names")       # by topic, or by id "example/names"
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from statefun.errors import ModuleYamlError, StatefunError

__all__ = [
    "EgressSpec",
    "FunctionSpec",
    "IngressSpec",
    "ModuleSpec",
    "RouterSpec",
    "RoutingSpec",
    "StateSpec",
    "load_module",
    "merge_modules",
    "parse_duration",
    "parse_module",
]

FORMAT_VERSIONS: Final = ("1.0", "2.0")

KAFKA_ROUTABLE_INGRESS: Final = "statefun.kafka.io/routable-protobuf-ingress"
KAFKA_PROTOBUF_INGRESS: Final = "statefun.kafka.io/protobuf-ingress"
KINESIS_ROUTABLE_INGRESS: Final = "statefun.kinesis.io/routable-protobuf-ingress"
INGRESS_TYPES: Final = (KAFKA_ROUTABLE_INGRESS, KAFKA_PROTOBUF_INGRESS, KINESIS_ROUTABLE_INGRESS)

KAFKA_EGRESS: Final = "statefun.kafka.io/generic-egress"
KINESIS_EGRESS: Final = "statefun.kinesis.io/generic-egress"
EGRESS_TYPES: Final = (KAFKA_EGRESS, KINESIS_EGRESS)

PROTOBUF_ROUTER: Final = "org.apache.flink.statefun.sdk/protobuf-router"

DEFAULT_TIMEOUT: Final = datetime.timedelta(minutes=1)
DEFAULT_IO_TIMEOUT: Final = datetime.timedelta(seconds=10)
DEFAULT_MAX_NUM_BATCH_REQUESTS: Final = 1000

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_MAX_NODES = 100_000  # guards against YAML alias bombs


# ------------------------------------------------------------------------------------------------
# Specs
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateSpec:
    """One state declared for a function type.

    ``expire_after`` is ``None`` when the state never expires. ``expire_mode`` is
    ``"after-invoke"`` (any invocation of the address refreshes the TTL) or ``"after-write"``
    (only a write does); it only matters when ``expire_after`` is set.
    """

    name: str
    expire_after: datetime.timedelta | None = None
    expire_mode: str = "after-invoke"


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A ``- function:`` entry. ``endpoint`` is ``None`` for the placeholder ``grpc`` kind."""

    typename: str
    namespace: str
    name: str
    kind: str
    endpoint: str | None
    states: tuple[StateSpec, ...] = ()
    max_num_batch_requests: int = DEFAULT_MAX_NUM_BATCH_REQUESTS
    timeout: datetime.timedelta = DEFAULT_TIMEOUT
    connect_timeout: datetime.timedelta = DEFAULT_IO_TIMEOUT
    read_timeout: datetime.timedelta = DEFAULT_IO_TIMEOUT
    write_timeout: datetime.timedelta = DEFAULT_IO_TIMEOUT
    line: int | None = None
    path: str | None = None

    @property
    def state_names(self) -> tuple[str, ...]:
        """The declared state names, in declaration order."""
        return tuple(s.name for s in self.states)


@dataclass(frozen=True, slots=True)
class RoutingSpec:
    """One routed topic (Kafka) or stream (Kinesis) of an ingress.

    ``type_url`` is used verbatim as the ``Any.type_url`` of every record; ``targets`` are the
    function types that each record is sent to, in order. For the non-routable Kafka ingress,
    ``type_url`` is ``""`` and ``targets`` is empty: a router decides.
    """

    topic: str
    type_url: str
    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IngressSpec:
    """An ``- ingress:`` entry.

    ``startup_position`` is ``{"type": "latest"}`` unless configured; ``"specific-offsets"``
    adds ``"offsets": {(topic, partition): offset}`` and ``"date"`` adds ``"date"`` (an aware
    ``datetime``). ``properties`` are the user's Kafka ``properties`` (or Kinesis
    ``clientConfigProperties``) as written; the named fields override them in the real runtime.
    ``consumer_group_id`` and ``auto_offset_reset`` are Kafka-only.
    """

    id: str
    type: str
    address: str | None
    topics: tuple[RoutingSpec, ...]
    consumer_group_id: str | None = None
    auto_offset_reset: str = "latest"
    startup_position: dict[str, object] = field(default_factory=lambda: {"type": "latest"})
    properties: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    path: str | None = None
    message_type: str | None = None
    descriptor_set: str | None = None
    aws_region: dict[str, str] | None = None
    aws_credentials: dict[str, str] | None = None

    @property
    def kind(self) -> str:
        """``"kafka"`` or ``"kinesis"``."""
        return _io_kind(self.type)

    @property
    def routable(self) -> bool:
        """True for the routable ingresses; the plain protobuf ingress needs a router."""
        return self.type != KAFKA_PROTOBUF_INGRESS


@dataclass(frozen=True, slots=True)
class EgressSpec:
    """An ``- egress:`` entry. Its ``id`` is what functions pass to ``send_egress``."""

    id: str
    type: str
    address: str | None
    delivery_semantic: str = "at-least-once"
    transaction_timeout_millis: int | None = None
    properties: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    path: str | None = None
    aws_region: dict[str, str] | None = None
    aws_credentials: dict[str, str] | None = None
    max_outstanding_records: int | None = None

    @property
    def kind(self) -> str:
        """``"kafka"`` or ``"kinesis"``."""
        return _io_kind(self.type)


@dataclass(frozen=True, slots=True)
class RouterSpec:
    """A ``- router:`` entry (only used with the non-routable protobuf ingress)."""

    type: str
    ingress: str
    target: str
    message_type: str
    descriptor_set: str
    line: int | None = None
    path: str | None = None


class _UndeclaredFunctionError(KeyError, StatefunError):
    """A function type that module.yaml does not declare was looked up."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """A parsed module.yaml (or several, see :func:`merge_modules`)."""

    version: str
    path: str | None
    functions: dict[str, FunctionSpec]
    ingresses: dict[str, IngressSpec]
    egresses: dict[str, EgressSpec]
    routers: tuple[RouterSpec, ...] = ()

    def function(self, typename: str) -> FunctionSpec:
        """The function declared with type ``typename`` (``"namespace/name"``).

        Raises a ``KeyError`` naming the declared types if there is none.
        """
        try:
            return self.functions[typename]
        except KeyError:
            known = ", ".join(repr(t) for t in self.functions) or "none"
            close = difflib.get_close_matches(typename, list(self.functions), n=1)
            did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
            raise _UndeclaredFunctionError(
                f"function type {typename!r} is not declared in {self.path or 'module.yaml'} "
                f"(declared types: {known}).{did_you_mean} Add a `- function:` entry with "
                f"`type: {typename}` or fix the type name."
            ) from None

    def ingress_for(self, name_or_topic: str) -> tuple[IngressSpec, RoutingSpec | None]:
        """Find an ingress by its id (``"example/names"``) or by a topic/stream it reads.

        Looking up a topic returns its routing. Looking up an id returns the routing of the
        ingress's only topic, or ``None`` when it has several. Raises ``ValueError`` listing the
        known ids and topics when nothing matches.
        """
        ingress = self.ingresses.get(name_or_topic)
        if ingress is not None:
            only = ingress.topics[0] if len(ingress.topics) == 1 else None
            return ingress, only
        matches = [
            (ing, route)
            for ing in self.ingresses.values()
            for route in ing.topics
            if route.topic == name_or_topic
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(repr(ing.id) for ing, _ in matches)
            raise ValueError(
                f"topic {name_or_topic!r} is read by several ingresses ({ids}); pass the "
                f"ingress id instead."
            )
        ids = ", ".join(repr(i) for i in self.ingresses) or "none"
        topics = ", ".join(repr(r.topic) for i in self.ingresses.values() for r in i.topics)
        raise ValueError(
            f"no ingress with id or topic {name_or_topic!r} in {self.path or 'module.yaml'} "
            f"(ingress ids: {ids}; topics/streams: {topics or 'none'}). Use one of those, or "
            f"declare the ingress in module.yaml."
        )


def _io_kind(type_: str) -> str:
    return "kinesis" if type_.startswith("statefun.kinesis.io/") else "kafka"


# ------------------------------------------------------------------------------------------------
# Durations (Flink 1.11 TimeUtils.parseDuration)
# ------------------------------------------------------------------------------------------------

_NANOS: Final = {
    "DAYS": 86_400_000_000_000,
    "HOURS": 3_600_000_000_000,
    "MINUTES": 60_000_000_000,
    "SECONDS": 1_000_000_000,
    "MILLISECONDS": 1_000_000,
    "MICROSECONDS": 1_000,
    "NANOSECONDS": 1,
}
_LABELS: Final = {
    "DAYS": ("d", "day", "days"),
    "HOURS": ("h", "hour", "hours"),
    "MINUTES": ("min", "minute", "minutes"),
    "SECONDS": ("s", "sec", "secs", "second", "seconds"),
    "MILLISECONDS": ("ms", "milli", "millis", "millisecond", "milliseconds"),
    "MICROSECONDS": ("\u00b5s", "micro", "micros", "microsecond", "microseconds"),
    "NANOSECONDS": ("ns", "nano", "nanos", "nanosecond", "nanoseconds"),
}
_UNIT_NANOS: Final = {label: _NANOS[unit] for unit, labels in _LABELS.items() for label in labels}
_ALL_UNITS: Final = ", ".join(f"{unit}: ({' | '.join(ls)})" for unit, ls in _LABELS.items())
_UNIT_SUGGESTIONS: Final = {
    "mins": "min",
    "m": "min",
    "mn": "min",
    "hr": "h",
    "hrs": "h",
    "sek": "s",
    "msec": "ms",
    "msecs": "ms",
    "us": "\u00b5s` (the micro sign) or `micros",
    "\u03bcs": "\u00b5s` (U+00B5, the micro sign, not the Greek mu) or `micros",
}
# Java's String.trim() strips every char <= U+0020.
_JAVA_WHITESPACE: Final = "".join(chr(c) for c in range(0x21))


class _DurationError(ValueError):
    """A duration string Flink would reject; ``problem`` is Flink's message."""

    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem} Fix: {hint}")


def _parse_duration_nanos(text: str) -> int:
    trimmed = text.strip(_JAVA_WHITESPACE)
    if not trimmed:
        raise _DurationError(
            "argument is an empty- or whitespace-only string",
            'give a whole number and a unit, e.g. "60s".',
        )
    pos = 0
    while pos < len(trimmed) and "0" <= trimmed[pos] <= "9":
        pos += 1
    number = trimmed[:pos]
    unit = trimmed[pos:].strip(_JAVA_WHITESPACE).lower()
    if not number:
        if trimmed.startswith("-"):
            hint = 'durations cannot be negative; use a positive whole number, e.g. "60s".'
        elif trimmed[:2].upper() == "PT" or trimmed[:1].upper() == "P":
            hint = 'ISO-8601 durations are not accepted by Flink 1.11; write e.g. "1min".'
        else:
            hint = 'start with a whole number, then a unit, e.g. "60s" or "2min".'
        raise _DurationError("text does not start with a number", hint)
    value = int(number)
    if value > _LONG_MAX:
        raise _DurationError(
            f"The value '{number}' cannot be re represented as 64bit number (numeric overflow).",
            "use a smaller number or a larger unit.",
        )
    if not unit:
        return value * _UNIT_NANOS["ms"]
    nanos_per_unit = _UNIT_NANOS.get(unit)
    if nanos_per_unit is None:
        problem = (
            f"Time interval unit label '{unit}' does not match any of the recognized units: "
            f"{_ALL_UNITS}"
        )
        if unit in _UNIT_SUGGESTIONS:
            hint = f"write `{number}{_UNIT_SUGGESTIONS[unit]}`; `{unit}` is not a Flink unit."
        elif unit[:1] in ".,":
            hint = "durations are whole numbers: use a smaller unit, e.g. 1500ms instead of 1.5s."
        else:
            hint = 'use one of d, h, min, s, ms, \u00b5s, ns (or their long forms), e.g. "60s".'
        raise _DurationError(problem, hint)
    return value * nanos_per_unit


def _to_timedelta(nanos: int, text: str) -> datetime.timedelta:
    try:
        return datetime.timedelta(microseconds=nanos // 1000)
    except OverflowError:
        raise _DurationError(
            f"The value '{text.strip()}' cannot be represented as a duration (numeric overflow).",
            "use a smaller number.",
        ) from None


def parse_duration(text: str) -> datetime.timedelta:
    """Parse a duration like Flink's ``TimeUtils.parseDuration`` (``"2min"``, ``"10 s"``).

    ``<whole number><optional spaces><unit>``, case-insensitive units (note ``mins`` is not
    one); no unit means milliseconds. Raises ``ValueError`` with Flink's message and a fix.
    ``timedelta`` has microsecond resolution, so nanoseconds are truncated.
    """
    if not isinstance(text, str):
        raise TypeError(f'a duration must be a string such as "60s", not {text!r}')
    return _to_timedelta(_parse_duration_nanos(text), text)


# ------------------------------------------------------------------------------------------------
# YAML nodes that keep their line
# ------------------------------------------------------------------------------------------------

_SCALAR_KINDS: Final = {
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
}


@dataclass(slots=True)
class _Node:
    """A YAML value with where it was written.

    ``kind`` is str/int/float/bool/null (like Jackson: every other scalar tag, e.g. a
    timestamp, is a string) or map/list. ``line`` is the 1-based line of the key that holds the
    value (of the item itself for list items), which is where a reader looks.
    """

    kind: str
    value: Any
    line: int
    key_path: str
    raw: str = ""

    def get(self, key: str) -> _Node | None:
        if self.kind != "map":
            return None
        found: _Node | None = self.value.get(key)
        return found

    def describe(self) -> str:
        if self.kind == "str":
            return f"the string {self.value!r}"
        if self.kind in ("int", "float"):
            return f"the number {self.raw}"
        if self.kind == "bool":
            return f"the boolean {self.raw}"
        if self.kind == "null":
            return "nothing (an empty value)"
        return "a list" if self.kind == "list" else "a map"


def _join(key_path: str, key: str) -> str:
    return f"{key_path}.{key}" if key_path else key


class _Builder:
    def __init__(self, parser: _Parser) -> None:
        self.parser = parser
        self.constructor = SafeConstructor()
        self.count = 0

    def build(self, node: Node, key_path: str, line: int, ancestors: frozenset[int]) -> _Node:
        self.count += 1
        if self.count > _MAX_NODES:
            self.parser.fail(line, key_path, "the document is too large (alias expansion?).")
        if isinstance(node, ScalarNode):
            kind = _SCALAR_KINDS.get(node.tag, "str")
            if kind == "str":
                return _Node("str", node.value, line, key_path, node.value)
            try:
                value = self.constructor.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                self.parser.fail(line, key_path, f"invalid YAML value {node.value!r}: {exc}")
            return _Node(kind, value, line, key_path, node.value)
        if id(node) in ancestors:
            self.parser.fail(line, key_path, "a YAML alias refers to one of its own parents.")
        inner = ancestors | {id(node)}
        if isinstance(node, SequenceNode):
            items = [
                self.build(child, f"{key_path}[{i}]", child.start_mark.line + 1, inner)
                for i, child in enumerate(node.value)
            ]
            return _Node("list", items, line, key_path)
        assert isinstance(node, MappingNode)
        entries: dict[str, _Node] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.parser.fail(key_line, key_path, "a map key must be a plain name.")
            key = key_node.value
            if key in entries:
                self.parser.fail(
                    key_line,
                    _join(key_path, key),
                    f"duplicate key `{key}` (first written at line {entries[key].line}); the "
                    f"runtime would silently keep only the last one.",
                    "remove one of the two, or merge their contents.",
                )
            entries[key] = self.build(value_node, _join(key_path, key), key_line, inner)
        return _Node("map", entries, line, key_path)


# ------------------------------------------------------------------------------------------------
# The parser
# ------------------------------------------------------------------------------------------------


def _quoted_example(key: str, node: _Node) -> str:
    return f'{key}: "{node.raw}"'


class _Parser:
    """Reads one module.yaml; every check raises ModuleYamlError with file, line and key path."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.version = ""

    # -- errors -----------------------------------------------------------------------------------

    def fail(
        self, line: int | None, key_path: str, problem: str, hint: str | None = None
    ) -> NoReturn:
        raise ModuleYamlError(
            problem, path=self.path, line=line, key_path=key_path or None, hint=hint
        )

    # -- typed selectors (Jackson's Selectors, with our messages) ---------------------------------

    def require(self, parent: _Node, key: str, hint: str | None = None) -> _Node:
        node = parent.get(key)
        if node is not None:
            return node
        key_path = _join(parent.key_path, key)
        if parent.kind == "map" or parent.kind == "null":
            where = f"`{parent.key_path.rsplit('.', 1)[-1]}`" if parent.key_path else "the file"
            problem = f"missing key `{key}` in {where}."
        else:
            problem = f"missing key `{key}`: `{parent.key_path}` is {parent.describe()}, not a map."
        self.fail(parent.line, key_path, problem, hint or f"add `{key}:` under it.")

    def text(self, parent: _Node, key: str, *, hint: str | None = None) -> str:
        return self._as_text(self.require(parent, key, hint), key, hint)

    def optional_text(self, parent: _Node, key: str, *, hint: str | None = None) -> str | None:
        node = parent.get(key)
        return None if node is None else self._as_text(node, key, hint)

    def _as_text(self, node: _Node, key: str, hint: str | None) -> str:
        if node.kind == "str":
            return str(node.value)
        if node.kind in ("int", "float", "bool"):
            fix = hint or f"quote it: `{_quoted_example(key, node)}`."
        elif node.kind == "null":
            fix = hint or f"give `{key}` a value."
        else:
            fix = hint or f"`{key}` takes a single string."
        self.fail(node.line, node.key_path, f"not a string: `{key}` is {node.describe()}.", fix)

    def _as_int(self, node: _Node, key: str, *, long: bool = False) -> int:
        lo, hi = (_LONG_MIN, _LONG_MAX) if long else (_INT_MIN, _INT_MAX)
        what = "a long" if long else "an integer"
        if node.kind == "int" and lo <= node.value <= hi:
            return int(node.value)
        if node.kind == "int":
            self.fail(node.line, node.key_path, f"not {what}: {node.raw} is out of range.")
        hint = f"write a whole number without quotes, e.g. `{key}: 1000`."
        if node.kind == "str" and re.fullmatch(r"[+-]?\d+", str(node.value).strip()):
            hint = f"remove the quotes: `{key}: {str(node.value).strip()}`."
        self.fail(node.line, node.key_path, f"not {what}: `{key}` is {node.describe()}.", hint)

    def optional_int(self, parent: _Node, key: str, *, long: bool = False) -> int | None:
        node = parent.get(key)
        return None if node is None else self._as_int(node, key, long=long)

    def list_at(self, parent: _Node, key: str) -> list[_Node]:
        node = parent.get(key)
        if node is None:
            return []
        if node.kind != "list":
            self.fail(
                node.line,
                node.key_path,
                f"not a list: `{key}` is {node.describe()}.",
                f"write each element of `{key}` on its own line starting with `- `.",
            )
        items: list[_Node] = node.value
        return items

    def optional_map(self, parent: _Node, key: str) -> _Node | None:
        node = parent.get(key)
        if node is None:
            return None
        if node.kind != "map":
            self.fail(
                node.line,
                node.key_path,
                f"not a map: `{key}` is {node.describe()}.",
                f"indent the keys of `{key}` under it, e.g. `{key}:` then `  type: ...`.",
            )
        return node

    def properties(self, parent: _Node, key: str) -> dict[str, str]:
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
            result[name] = _as_java_text(value)
        return result

    def namespace_name(self, node: _Node, value: str, example: str) -> tuple[str, str]:
        pos = value.rfind("/")
        if pos <= 0 or pos == len(value) - 1:
            self.fail(
                node.line,
                node.key_path,
                f"{value} does not conform to the <namespace>/<name> format",
                f"write a namespace, a slash and a name, e.g. `{example}`.",
            )
        return value[:pos], value[pos + 1 :]

    def duration(self, parent: _Node, key: str) -> tuple[datetime.timedelta, int] | None:
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
        text = self._as_text(node, key, f'give a duration string, e.g. `{key}: "60s"`.')
        try:
            nanos = _parse_duration_nanos(text)
            return _to_timedelta(nanos, text), nanos
        except _DurationError as exc:
            self.fail(node.line, node.key_path, f"{text!r}: {exc.problem}", exc.hint)

    # -- top level --------------------------------------------------------------------------------

    def parse(self, text: str) -> ModuleSpec:
        root = self._compose(text)
        if root.kind != "map":
            self.fail(
                root.line,
                "",
                f"the top level is {root.describe()}, not a map.",
                'start the file with `version: "2.0"` and `module:`.',
            )
        self._version(root)
        module = self.require(root, "module", "add `module:` with `meta:` and `spec:` under it.")
        meta = module.get("meta")
        type_node = meta.get("type") if meta is not None else None
        if type_node is None:
            self.fail(
                module.line,
                _join(module.key_path, "meta.type"),
                f"Unable to find a module type in {self.path or 'module.yaml'}: `module.meta.type` "
                f"is missing.",
                "add `meta:` with `type: remote` under `module:`.",
            )
        module_type = self._as_text(type_node, "type", "write `type: remote`.")
        if module_type.lower() != "remote":
            self.fail(
                type_node.line,
                type_node.key_path,
                f"Unknown module type {module_type}, currently supported: REMOTE",
                "write `type: remote`.",
            )
        spec = module.get("spec")
        if spec is None or spec.kind != "map":
            problem = f"A module without a spec at {self.path or 'module.yaml'}"
            if spec is not None:
                problem += f": `module.spec` is {spec.describe()}, not a map."
            self.fail(
                (spec or module).line,
                _join(module.key_path, "spec"),
                problem,
                "add `spec:` under `module:`, with `functions:`, `ingresses:` and `egresses:`.",
            )

        functions: dict[str, FunctionSpec] = {}
        for item in self.list_at(spec, "functions"):
            fn = self._function(item)
            self._no_duplicate(functions, fn.typename, fn.line, item, "function type")
            functions[fn.typename] = fn
        routers = tuple(self._router(item) for item in self.list_at(spec, "routers"))
        ingresses: dict[str, IngressSpec] = {}
        for item in self.list_at(spec, "ingresses"):
            ing = self._ingress(item)
            self._no_duplicate(ingresses, ing.id, ing.line, item, "ingress id")
            ingresses[ing.id] = ing
        egresses: dict[str, EgressSpec] = {}
        for item in self.list_at(spec, "egresses"):
            eg = self._egress(item)
            self._no_duplicate(egresses, eg.id, eg.line, item, "egress id")
            egresses[eg.id] = eg
        return ModuleSpec(self.version, self.path, functions, ingresses, egresses, routers)

    def _no_duplicate(
        self, seen: dict[str, Any], key: str, line: int | None, item: _Node, what: str
    ) -> None:
        if key in seen:
            self.fail(
                line,
                item.key_path,
                f"A binding for the key {key} was previously defined. ({what} {key!r} is "
                f"declared twice, first at line {seen[key].line}.)",
                f"remove one of the two entries or give it another {what.split()[-1]}.",
            )

    def _compose(self, text: str) -> _Node:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = f"invalid YAML: {exc.problem or exc.context or exc}"
            if exc.context and exc.problem:
                problem = f"invalid YAML: {exc.context}, {exc.problem}"
            hint = "check the indentation and the colons around this line."
            if "\\t" in str(exc.problem) or "'\\t'" in str(exc):
                hint = "indent with spaces, not tabs."
            self.fail(line, "", problem + ".", hint)
        except yaml.YAMLError as exc:
            self.fail(None, "", f"invalid YAML: {exc}.")
        if node is None:
            self.fail(
                1,
                "",
                "the file is empty.",
                'start it with `version: "2.0"` and a `module:` (see the walkthrough\'s '
                "module.yaml).",
            )
        return _Builder(self).build(node, "", node.start_mark.line + 1, frozenset())

    def _version(self, root: _Node) -> None:
        node = self.require(root, "version", 'add `version: "2.0"` (or "1.0") as the first line.')
        if node.kind != "str":
            example = 'version: "2.0"'
            if node.kind == "float":
                example = f'version: "{node.raw}"'
            elif node.kind == "int":
                example = f'version: "{node.raw}.0"'
            problem = f"not a string: `version` is {node.describe()}."
            if node.kind in ("int", "float", "bool"):
                problem += (
                    f" YAML reads an unquoted {node.raw} as a {node.kind}, and the runtime needs "
                    f"a string."
                )
            self.fail(node.line, "version", problem, f"quote it: `{example}`.")
        version = str(node.value)
        if version not in FORMAT_VERSIONS:
            hint = 'use `version: "1.0"` or `version: "2.0"` (StateFun 2.2).'
            if version.strip() in FORMAT_VERSIONS:
                hint = f'remove the spaces: `version: "{version.strip()}"`.'
            elif version.startswith("3"):
                hint = (
                    '"3.0" is the StateFun 3.x format, which this 2.x kit does not run; '
                    'use `version: "2.0"`.'
                )
            self.fail(node.line, "version", f"Unrecognized format version: {version}", hint)
        self.version = version

    def _entry(self, item: _Node, entry: str, list_key: str, first_key: str) -> _Node:
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
                _join(item.key_path, entry),
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
            self.fail(
                body.line,
                body.key_path,
                f"`{entry}` is {body.describe()}, not a map with `meta:` and `spec:`.",
                f"indent `meta:` and `spec:` under `{entry}:`.",
            )
        return body

    # -- functions --------------------------------------------------------------------------------

    def _function(self, item: _Node) -> FunctionSpec:
        body = self._entry(item, "function", "functions", "meta/kind")
        meta = self.require(body, "meta", "add `meta:` with `kind: http` and `type: ns/name`.")
        kind_node = self.require(meta, "kind", "add `kind: http`.")
        kind = self._as_text(kind_node, "kind", "write `kind: http`.").lower()
        if kind not in ("http", "grpc"):
            self.fail(
                kind_node.line,
                kind_node.key_path,
                f"unknown function kind {kind_node.value!r}; the runtime fails with "
                f'"No enum constant ...FunctionSpec.Kind.{str(kind_node.value).upper()}".',
                "write `kind: http` (remote functions are served over HTTP).",
            )
        type_node = self.require(meta, "type", "add `type: <namespace>/<name>`.")
        typename = self._as_text(type_node, "type", "write e.g. `type: example/greeter`.")
        namespace, name = self.namespace_name(type_node, typename, "type: example/greeter")

        spec = self.require(body, "spec", "add `spec:` with `endpoint:` under `function:`.")
        if kind == "grpc":
            self.text(spec, "host")
            port = self.require(spec, "port")
            self._as_int(port, "port")
            return FunctionSpec(
                typename, namespace, name, "grpc", None, line=item.line, path=self.path
            )

        endpoint = self._endpoint(spec)
        states = self._states(spec)
        max_batch = self.optional_int(spec, "maxNumBatchRequests")
        timeouts = self._timeouts(spec)
        return FunctionSpec(
            typename,
            namespace,
            name,
            "http",
            endpoint,
            states=states,
            max_num_batch_requests=(
                DEFAULT_MAX_NUM_BATCH_REQUESTS if max_batch is None else max_batch
            ),
            timeout=timeouts["timeout"],
            connect_timeout=timeouts["connectTimeout"],
            read_timeout=timeouts["readTimeout"],
            write_timeout=timeouts["writeTimeout"],
            line=item.line,
            path=self.path,
        )

    def _endpoint(self, spec: _Node) -> str:
        example = "endpoint: http://python-worker:8000/statefun"
        node = self.require(spec, "endpoint", f"add e.g. `{example}`.")
        uri = self._as_text(node, "endpoint", f"write e.g. `{example}`.")
        if re.search(r"\s", uri):
            self.fail(
                node.line,
                node.key_path,
                f"endpoint {uri!r} contains whitespace.",
                "remove the spaces; a URL cannot contain them.",
            )
        match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", uri)
        if match is None:
            self.fail(
                node.line,
                node.key_path,
                f"Missing scheme in function endpoint {uri}; an http or https scheme must be "
                f"provided.",
                f"write the full URL, e.g. `{example}`.",
            )
        scheme = match.group(1).lower()
        if scheme not in ("http", "https", "http+unix", "https+unix"):
            fix = f"write the full URL, e.g. `{example}`."
            if not uri[match.end() :].startswith("//"):
                fix = f"add the scheme: `endpoint: http://{uri}`."
            self.fail(
                node.line,
                node.key_path,
                f"Missing scheme in function endpoint {uri}; an http or https or http+unix or "
                f"https+unix scheme must be provided.",
                fix,
            )
        try:
            parts = urllib.parse.urlsplit(uri)
            host, _port = parts.hostname, parts.port
        except ValueError as exc:
            self.fail(
                node.line,
                node.key_path,
                f"endpoint {uri} is not a valid URL: {exc}.",
                f"write `{scheme}://<host>:<port>/<path>`, e.g. `{example}`.",
            )
        if scheme in ("http", "https"):
            if not host:
                self.fail(
                    node.line,
                    node.key_path,
                    f"endpoint {uri} has no host.",
                    f"write `{scheme}://<host>:<port>/<path>`, e.g. `{example}`.",
                )
        else:
            # Like the runtime: the socket file is the path up to the first `.sock` segment.
            if not any(seg.endswith(".sock") for seg in parts.path.split("/")):
                self.fail(
                    node.line,
                    node.key_path,
                    f"{scheme} endpoint {uri} has no path segment ending in `.sock`: the "
                    f"runtime cannot tell the socket file from the HTTP path.",
                    f"name the socket file, then the path, e.g. "
                    f"`endpoint: {scheme}:///tmp/statefun.sock/statefun`.",
                )
        return uri

    def _states(self, spec: _Node) -> tuple[StateSpec, ...]:
        states: list[StateSpec] = []
        lines: dict[str, int] = {}
        for entry in self.list_at(spec, "states"):
            state = self._state_v2(entry) if self.version == "2.0" else self._state_v1(entry)
            if state.name in lines:
                self.fail(
                    entry.line,
                    entry.key_path,
                    f"state {state.name!r} is declared twice (first at line {lines[state.name]}).",
                    "remove one of the two.",
                )
            lines[state.name] = entry.line
            states.append(state)
        return tuple(states)

    def _state_v1(self, entry: _Node) -> StateSpec:
        if entry.kind == "str":
            return StateSpec(str(entry.value))
        if entry.kind == "map":
            name = entry.get("name")
            shown = f"`- {name.raw}`" if name is not None and name.kind == "str" else "its name"
            self.fail(
                entry.line,
                entry.key_path,
                'under version "1.0" each state is a plain name, but this one is a map; the '
                "runtime would silently drop it.",
                f'set `version: "2.0"` to use `name`/`expireAfter`/`expireMode`, or write only '
                f"{shown}.",
            )
        self.fail(
            entry.line,
            entry.key_path,
            f"not a string: this state is {entry.describe()}; the runtime would silently drop it.",
            f'quote it: `- "{entry.raw}"`.' if entry.raw else "write the state's name.",
        )

    def _state_v2(self, entry: _Node) -> StateSpec:
        if entry.kind != "map":
            shown = entry.raw or "seen_count"
            self.fail(
                entry.line,
                entry.key_path,
                f'missing key /name: under version "2.0" each state is a map, but this one is '
                f"{entry.describe()}.",
                f"write `- name: {shown}` (optionally with `expireAfter: 60s` and "
                f'`expireMode: after-invoke` below it), or use `version: "1.0"` for plain names.',
            )
        name = self.text(entry, "name", hint="write `name: <state name>`.")
        parsed = self.duration(entry, "expireAfter")
        if parsed is None:
            # Without expireAfter the runtime never reads expireMode.
            return StateSpec(name)
        expire_after, nanos = parsed
        if nanos < 1_000_000:
            node = entry.value["expireAfter"]
            self.fail(
                node.line,
                node.key_path,
                'expireAfter must be at least 1ms: Flink fails with "TTL is expected to be '
                'positive." when the state is registered.',
                "remove `expireAfter` to keep the state forever (the 2.2 docs' \"0 disables "
                'expiry" is wrong), or give a positive duration such as "60s".',
            )
        mode = self.optional_text(entry, "expireMode", hint="write `expireMode: after-invoke`.")
        if mode is not None and mode not in ("after-invoke", "after-write"):
            node = entry.value["expireMode"]
            hint = "write `expireMode: after-invoke` or `expireMode: after-write`."
            if mode.strip().lower() in ("after-invoke", "after-write"):
                hint = f"write it exactly, in lower case: `expireMode: {mode.strip().lower()}`."
            self.fail(
                node.line,
                node.key_path,
                "Invalid state ttl expire mode; must be one of [after-invoke, after-write].",
                hint,
            )
        return StateSpec(name, expire_after, mode or "after-invoke")

    def _timeouts(self, spec: _Node) -> dict[str, datetime.timedelta]:
        defaults = {
            "timeout": DEFAULT_TIMEOUT,
            "connectTimeout": DEFAULT_IO_TIMEOUT,
            "readTimeout": DEFAULT_IO_TIMEOUT,
            "writeTimeout": DEFAULT_IO_TIMEOUT,
        }
        values: dict[str, datetime.timedelta] = {}
        nanos: dict[str, int] = {}
        for key, default in defaults.items():
            parsed = self.duration(spec, key)
            if parsed is None:
                values[key] = default
                nanos[key] = default // datetime.timedelta(microseconds=1) * 1000
                continue
            if parsed[1] == 0:
                node = spec.value[key]
                self.fail(
                    node.line,
                    node.key_path,
                    "Timeout durations must be larger than 0.",
                    f'give a positive duration, e.g. `{key}: "10s"`, or remove `{key}`.',
                )
            values[key], nanos[key] = parsed
        names = {"connectTimeout": "Connect", "readTimeout": "Read", "writeTimeout": "Write"}
        too_long = [k for k in names if nanos[k] > nanos["timeout"]]
        if too_long:
            first = too_long[0]
            problem = f"{names[first]} timeout cannot be larger than request timeout."
            timeout_text = _format_timedelta(values["timeout"])
            explicit = [k for k in too_long if spec.get(k) is not None]
            defaulted = [k for k in too_long if spec.get(k) is None]
            if defaulted:
                node = spec.get("timeout") or spec
                keys = ", ".join(f"`{k}: {timeout_text}`" for k in defaulted)
                problem += f" `timeout` is {timeout_text} but {'/'.join(defaulted)} default to 10s."
                hint = (
                    f"also lower connectTimeout/readTimeout/writeTimeout to at most "
                    f"{timeout_text}: add {keys} under `spec:`, or raise `timeout` to at least "
                    f"10s."
                )
            else:
                node = spec.value[explicit[0]]
                hint = f"lower `{explicit[0]}` to at most {timeout_text}, or raise `timeout`."
            self.fail(node.line, node.key_path, problem, hint)
        return values

    # -- routers ----------------------------------------------------------------------------------

    def _router(self, item: _Node) -> RouterSpec:
        body = self._entry(item, "router", "routers", "meta/type")
        meta = self.require(body, "meta", f"add `meta:` with `type: {PROTOBUF_ROUTER}`.")
        type_node = self.require(meta, "type", f"add `type: {PROTOBUF_ROUTER}`.")
        router_type = self._as_text(type_node, "type", f"write `type: {PROTOBUF_ROUTER}`.")
        if router_type.lower() != PROTOBUF_ROUTER.lower():
            self.fail(
                type_node.line,
                type_node.key_path,
                f"Invalid router type {router_type}",
                f"the only router type is `{PROTOBUF_ROUTER}`; for remote functions prefer the "
                f"routable ingress `{KAFKA_ROUTABLE_INGRESS}`, which needs no router.",
            )
        spec = self.require(
            body, "spec", "add `spec:` with ingress, target, messageType, descriptorSet."
        )
        ingress_node = self.require(spec, "ingress", "add `ingress: <namespace>/<name>`.")
        ingress = self._as_text(ingress_node, "ingress", "write `ingress: example/names`.")
        self.namespace_name(ingress_node, ingress, "ingress: example/names")
        return RouterSpec(
            type=router_type,
            ingress=ingress,
            target=self.text(
                spec, "target", hint='write e.g. `target: "example/greeter/{{$.name}}"`.'
            ),
            message_type=self.text(
                spec, "messageType", hint="write e.g. `messageType: example.GreetRequest`."
            ),
            descriptor_set=self.text(
                spec, "descriptorSet", hint="write e.g. `descriptorSet: classpath:messages.desc`."
            ),
            line=item.line,
            path=self.path,
        )

    # -- ingresses --------------------------------------------------------------------------------

    def _io_meta(self, body: _Node, what: str, types: tuple[str, ...]) -> tuple[str, str]:
        """The ``meta.id`` and ``meta.type`` of an ingress or egress."""
        example = f"id: example/{'names' if what == 'ingress' else 'greets'}"
        meta = self.require(body, "meta", f"add `meta:` with `type:` and `id:` under `{what}:`.")
        id_node = self.require(meta, "id", f"add `id: <namespace>/<name>` to the {what}.")
        id_ = self._as_text(id_node, "id", f"write e.g. `{example}`.")
        self.namespace_name(id_node, id_, example)
        type_node = self.require(meta, "type", f"add `type: {types[0]}`.")
        type_ = self._as_text(type_node, "type", f"write `type: {types[0]}`.")
        if type_ not in types:
            close = [t for t in types if t.lower() == type_.lower()]
            hint = (
                f"write it exactly: `type: {close[0]}`."
                if close
                else "use one of: " + ", ".join(f"`{t}`" for t in types) + "."
            )
            self.fail(
                type_node.line,
                type_node.key_path,
                f"unsupported {what} type {type_!r}; supported {what} types are "
                f"{', '.join(types)}.",
                hint,
            )
        return id_, type_

    def _ingress(self, item: _Node) -> IngressSpec:
        body = self._entry(item, "ingress", "ingresses", "meta/id")
        id_, type_ = self._io_meta(body, "ingress", INGRESS_TYPES)
        spec = self.require(body, "spec", "add `spec:` under `ingress:`.")
        common: dict[str, Any] = {"id": id_, "type": type_, "line": item.line, "path": self.path}
        if type_ == KINESIS_ROUTABLE_INGRESS:
            return IngressSpec(
                address=None,
                topics=self._routes(spec, "streams", "stream", "Kinesis"),
                startup_position=self._kinesis_startup(spec),
                properties=self.properties(spec, "clientConfigProperties"),
                aws_region=self._aws_region(spec),
                aws_credentials=self._aws_credentials(spec),
                **common,
            )
        address = self.text(spec, "address", hint="add e.g. `address: kafka-broker:9092`.")
        consumer_group = self.optional_text(spec, "consumerGroupId")
        reset = self._auto_offset_reset(spec)
        startup = self._kafka_startup(spec)
        properties = self.properties(spec, "properties")
        if type_ == KAFKA_ROUTABLE_INGRESS:
            topics = self._routes(spec, "topics", "topic", "Kafka")
            extra: dict[str, Any] = {}
        else:
            topic_names: list[str] = []
            for node in self.list_at(spec, "topics"):
                topic_names.append(self._as_text(node, "topics", "write each topic as a name."))
            topics = tuple(RoutingSpec(t, "", ()) for t in topic_names)
            extra = {
                "message_type": self.text(spec, "messageType"),
                "descriptor_set": self.text(spec, "descriptorSet"),
            }
        return IngressSpec(
            address=address,
            topics=topics,
            consumer_group_id=consumer_group,
            auto_offset_reset=reset,
            startup_position=startup,
            properties=properties,
            **common,
            **extra,
        )

    def _routes(self, spec: _Node, key: str, name_key: str, system: str) -> tuple[RoutingSpec, ...]:
        routes: dict[str, RoutingSpec] = {}
        lines: dict[str, int] = {}
        example = (
            f"`- {name_key}: names` with `typeUrl: com.googleapis/example.GreetRequest` and "
            f"`targets: [example/greeter]`"
        )
        nodes = self.list_at(spec, key)
        if not nodes:
            node = spec.get(key)
            self.fail(
                (node or spec).line,
                _join(spec.key_path, key),
                f"Routing config for routable {system} ingress cannot be empty.",
                f"list at least one {name_key} under `{key}:`, e.g. {example}.",
            )
        for entry in nodes:
            if entry.kind != "map":
                self.fail(
                    entry.line,
                    entry.key_path,
                    f"each entry of `{key}` must be a map with `{name_key}`, `typeUrl` and "
                    f"`targets`, but this one is {entry.describe()}.",
                    f"write {example}.",
                )
            name = self.text(entry, name_key, hint=f"write `{name_key}: <name>`.")
            type_url_node = self.require(
                entry, "typeUrl", "add e.g. `typeUrl: com.googleapis/example.GreetRequest`."
            )
            type_url = self._as_text(type_url_node, "typeUrl", None)
            if "/" not in type_url or not type_url.rsplit("/", 1)[1]:
                self.fail(
                    type_url_node.line,
                    type_url_node.key_path,
                    f"typeUrl {type_url!r} has no message name after a '/': the runtime matches "
                    f"message types by the text after the last '/', so it would never match "
                    f"(the 2.2 Kafka docs show this mistake).",
                    f"prefix the full protobuf name, e.g. "
                    f"`typeUrl: com.googleapis/{type_url or 'example.GreetRequest'}`.",
                )
            targets: list[str] = []
            for target in self.list_at(entry, "targets"):
                if target.kind != "str":
                    self.fail(
                        target.line,
                        target.key_path,
                        f"not a string: this target is {target.describe()}; the runtime would "
                        f"silently drop it.",
                        "write the function type, e.g. `- example/greeter`.",
                    )
                self.namespace_name(target, str(target.value), "- example/greeter")
                targets.append(str(target.value))
            if name in routes:
                self.fail(
                    entry.line,
                    entry.key_path,
                    f"{name_key} {name!r} is listed twice in this ingress (first at line "
                    f"{lines[name]}); the runtime would keep only the last routing.",
                    "merge the two entries: one typeUrl, and all targets in one list.",
                )
            routes[name] = RoutingSpec(name, type_url, tuple(targets))
            lines[name] = entry.line
        return tuple(routes.values())

    def _auto_offset_reset(self, spec: _Node) -> str:
        node = spec.get("autoOffsetResetPosition")
        if node is None:
            return "latest"
        value = self._as_text(
            node, "autoOffsetResetPosition", "write `autoOffsetResetPosition: earliest`."
        )
        if value.upper() not in ("EARLIEST", "LATEST"):
            self.fail(
                node.line,
                node.key_path,
                f"Invalid autoOffsetResetPosition: {value.upper()}; valid values are "
                f"[EARLIEST, LATEST]",
                "write `autoOffsetResetPosition: earliest` or `latest`.",
            )
        return value.lower()

    def _kafka_startup(self, spec: _Node) -> dict[str, object]:
        node = self.optional_map(spec, "startupPosition")
        if node is None:
            return {"type": "latest"}
        kinds = ("group-offsets", "earliest", "latest", "specific-offsets", "date")
        type_node = self.require(node, "type", "add e.g. `type: earliest`.")
        kind = self._as_text(type_node, "type", "write e.g. `type: earliest`.").lower()
        if kind not in kinds:
            self.fail(
                type_node.line,
                type_node.key_path,
                f"Invalid startup position type: {kind}; valid values are [{', '.join(kinds)}]",
                "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
            )
        if kind == "specific-offsets":
            return {"type": kind, "offsets": self._specific_offsets(node)}
        if kind == "date":
            return {"type": kind, "date": self._startup_date(node)}
        return {"type": kind}

    def _specific_offsets(self, node: _Node) -> dict[tuple[str, int], int]:
        example = "`offsets:` then `  - names/0: 42`"
        offsets_node = node.get("offsets")
        if offsets_node is None:
            return {}
        if offsets_node.kind != "list":
            self.fail(
                offsets_node.line,
                offsets_node.key_path,
                f"not a key-value list: `offsets` is {offsets_node.describe()}.",
                f"write one `- <topic>/<partition>: <offset>` per line, e.g. {example}.",
            )
        offsets: dict[tuple[str, int], int] = {}
        for item in offsets_node.value:
            if item.kind != "map" or len(item.value) != 1:
                self.fail(
                    item.line,
                    item.key_path,
                    "not a key-value list: each offset must be a single `<topic>/<partition>: "
                    "<offset>`.",
                    f"start every offset with its own `- `, e.g. {example}.",
                )
            ((key, value),) = item.value.items()
            topic, _, partition = key.rpartition("/")
            if not topic or not re.fullmatch(r"[0-9]+", partition) or int(partition) > _INT_MAX:
                self.fail(
                    item.line,
                    item.key_path,
                    f"{key} does not conform to the <topic>/<partition_id> format",
                    "write the topic, a slash and the partition number, e.g. `- names/0: 42`.",
                )
            if value.kind != "int" or not _LONG_MIN <= value.value <= _LONG_MAX:
                self.fail(
                    value.line,
                    value.key_path,
                    f"value for key-value pair at {key} is not a long: "
                    f"{value.raw or value.describe()}",
                    f"write the offset as a number without quotes, e.g. `- {key}: 42`.",
                )
            if value.value < 0:
                self.fail(
                    value.line,
                    value.key_path,
                    f"Invalid offset value: {value.value}; must be a numeric integer with value "
                    f"between 0 and {_LONG_MAX}",
                    "offsets start at 0.",
                )
            offsets[(topic, int(partition))] = int(value.value)
        return offsets

    def _startup_date(self, node: _Node) -> datetime.datetime:
        example = "date: 2020-02-01 04:15:00.000 +0000"
        date_node = self.require(node, "date", f"add e.g. `{example}`.")
        text = self._as_text(date_node, "date", f"write e.g. `{example}`.")
        parsed: datetime.datetime | None = None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{4}", text):
            try:
                parsed = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %z")
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail(
                date_node.line,
                date_node.key_path,
                f"Unable to parse date string for startup position: {text}; the date should "
                f"conform to the pattern yyyy-MM-dd HH:mm:ss.SSS Z",
                f"write milliseconds and a numeric UTC offset, e.g. `{example}`.",
            )
        return parsed

    def _kinesis_startup(self, spec: _Node) -> dict[str, object]:
        node = self.optional_map(spec, "startupPosition")
        if node is None:
            return {"type": "latest"}
        kinds = ("earliest", "latest", "date")
        type_node = self.require(node, "type", "add e.g. `type: earliest`.")
        kind = self._as_text(type_node, "type", "write e.g. `type: earliest`.")
        if kind not in kinds:
            hint = "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + "."
            if kind.lower() in kinds:
                hint = f"Kinesis startup types are case-sensitive: write `type: {kind.lower()}`."
            self.fail(
                type_node.line,
                type_node.key_path,
                f"Invalid startup position type: {kind}; valid values are [{', '.join(kinds)}]",
                hint,
            )
        if kind == "date":
            return {"type": kind, "date": self._startup_date(node)}
        return {"type": kind}

    def _aws_region(self, spec: _Node) -> dict[str, str] | None:
        node = self.optional_map(spec, "awsRegion")
        if node is None:
            return None
        kinds = ("default", "specific", "custom-endpoint")
        kind = self.text(node, "type", hint="write e.g. `type: specific` with `id: us-west-2`.")
        if kind == "default":
            return {"type": kind}
        if kind == "specific":
            return {"type": kind, "id": self.text(node, "id", hint="add e.g. `id: us-west-2`.")}
        if kind == "custom-endpoint":
            return {
                "type": kind,
                "endpoint": self.text(
                    node, "endpoint", hint="add e.g. `endpoint: https://localhost:4567`."
                ),
                "id": self.text(node, "id", hint="add e.g. `id: us-west-1`."),
            }
        type_node = node.value["type"]
        self.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid AWS region type: {kind}; valid values are [{', '.join(kinds)}]",
            "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
        )

    def _aws_credentials(self, spec: _Node) -> dict[str, str] | None:
        node = self.optional_map(spec, "awsCredentials")
        if node is None:
            return None
        kinds = ("default", "basic", "profile")
        kind = self.text(node, "type", hint="write e.g. `type: default`.")
        if kind == "default":
            return {"type": kind}
        if kind == "basic":
            return {
                "type": kind,
                "accessKeyId": self.text(node, "accessKeyId"),
                "secretAccessKey": self.text(node, "secretAccessKey"),
            }
        if kind == "profile":
            result = {"type": kind}
            profile_path = self.optional_text(node, "profilePath")
            result["profileName"] = self.text(node, "profileName")
            if profile_path is not None:
                result["profilePath"] = profile_path
            return result
        type_node = node.value["type"]
        self.fail(
            type_node.line,
            type_node.key_path,
            f"Invalid AWS credential type: {kind}; valid values are [{', '.join(kinds)}]",
            "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
        )

    # -- egresses ---------------------------------------------------------------------------------

    def _egress(self, item: _Node) -> EgressSpec:
        body = self._entry(item, "egress", "egresses", "meta/id")
        id_, type_ = self._io_meta(body, "egress", EGRESS_TYPES)
        spec = self.require(body, "spec", "add `spec:` under `egress:`.")
        common: dict[str, Any] = {"id": id_, "type": type_, "line": item.line, "path": self.path}
        if type_ == KINESIS_EGRESS:
            max_outstanding = self.optional_int(spec, "maxOutstandingRecords")
            return EgressSpec(
                address=None,
                properties=self.properties(spec, "clientConfigProperties"),
                aws_region=self._aws_region(spec),
                aws_credentials=self._aws_credentials(spec),
                max_outstanding_records=1000 if max_outstanding is None else max_outstanding,
                **common,
            )
        address = self.text(spec, "address", hint="add e.g. `address: kafka-broker:9092`.")
        properties = self.properties(spec, "properties")
        semantic, txn_timeout = self._delivery_semantic(spec)
        return EgressSpec(
            address=address,
            delivery_semantic=semantic,
            transaction_timeout_millis=txn_timeout,
            properties=properties,
            **common,
        )

    def _delivery_semantic(self, spec: _Node) -> tuple[str, int | None]:
        node = self.optional_map(spec, "deliverySemantic")
        if node is None:
            return "at-least-once", None
        kinds = ("at-least-once", "exactly-once", "none")
        type_node = self.require(node, "type", "add e.g. `type: at-least-once`.")
        kind = self._as_text(type_node, "type", "write e.g. `type: at-least-once`.").lower()
        if kind not in kinds:
            self.fail(
                type_node.line,
                type_node.key_path,
                f"Invalid delivery semantic type: {kind}; valid types are "
                f"[at-least-once, exactly-once, none]",
                "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
            )
        if kind != "exactly-once":
            return kind, None
        timeout_node = self.require(
            node,
            "transactionTimeoutMillis",
            "exactly-once needs `transactionTimeoutMillis`, e.g. `transactionTimeoutMillis: "
            "100000`.",
        )
        millis = self._as_int(timeout_node, "transactionTimeoutMillis", long=True)
        if millis <= 0:
            self.fail(
                timeout_node.line,
                timeout_node.key_path,
                f"transactionTimeoutMillis must be larger than 0, got {millis}.",
                "give the Kafka transaction timeout in milliseconds, e.g. "
                "`transactionTimeoutMillis: 100000`.",
            )
        return kind, millis


def _as_java_text(node: _Node) -> str:
    """Jackson's ``asText()`` of a scalar."""
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind == "null":
        return "null"
    if node.kind == "int":
        return str(node.value)
    if node.kind == "float":
        return repr(float(node.value))
    return str(node.value)


def _format_timedelta(value: datetime.timedelta) -> str:
    micros = value // datetime.timedelta(microseconds=1)
    for unit, size in (("min", 60_000_000), ("s", 1_000_000), ("ms", 1_000)):
        if micros % size == 0 and micros >= size:
            return f"{micros // size}{unit}"
    return f"{micros}\u00b5s"


# ------------------------------------------------------------------------------------------------
# Public entry points
# ------------------------------------------------------------------------------------------------


def parse_module(text: str, *, path: str | None = None) -> ModuleSpec:
    """Parse and validate module.yaml text. ``path`` is only used in error messages."""
    return _Parser(path).parse(text)


def load_module(path: str | os.PathLike[str]) -> ModuleSpec:
    """Read and validate a module.yaml file (or the ``module.yaml`` inside a directory)."""
    file = Path(path)
    if file.is_dir():
        file = file / "module.yaml"
    shown = os.fspath(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModuleYamlError(
            "file not found.",
            path=shown,
            hint="pass the path of your module.yaml (or of the directory that holds it).",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ModuleYamlError(
            f"the file is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            path=shown,
            hint="save module.yaml as UTF-8.",
        ) from exc
    return parse_module(text, path=shown)


def merge_modules(mods: Iterable[ModuleSpec]) -> ModuleSpec:
    """Combine several modules, failing like the runtime on a duplicate type or id.

    The runtime loads every module.yaml into one universe; a function type, ingress id or egress
    id defined twice fails with "A binding for the key <k> was previously defined.".
    """
    modules = list(mods)
    if not modules:
        raise ValueError("merge_modules needs at least one module")
    functions: dict[str, FunctionSpec] = {}
    ingresses: dict[str, IngressSpec] = {}
    egresses: dict[str, EgressSpec] = {}
    routers: list[RouterSpec] = []
    for module in modules:
        _merge(functions, module.functions, module, "functions", "function type")
        _merge(ingresses, module.ingresses, module, "ingresses", "ingress id")
        _merge(egresses, module.egresses, module, "egresses", "egress id")
        routers.extend(module.routers)
    versions = list(dict.fromkeys(m.version for m in modules))
    paths = list(dict.fromkeys(m.path for m in modules if m.path))
    return ModuleSpec(
        version=versions[0] if len(versions) == 1 else "+".join(versions),
        path=paths[0] if len(paths) == 1 else (", ".join(paths) or None),
        functions=functions,
        ingresses=ingresses,
        egresses=egresses,
        routers=tuple(routers),
    )


def _merge(
    into: dict[str, Any], new: dict[str, Any], module: ModuleSpec, list_key: str, what: str
) -> None:
    for key, spec in new.items():
        if key in into:
            first = into[key]
            where = f"{first.path or 'module.yaml'}:{first.line}" if first.line else first.path
            raise ModuleYamlError(
                f"A binding for the key {key} was previously defined. ({what} {key!r} is also "
                f"defined at {where or 'another module'}.)",
                path=spec.path or module.path,
                line=spec.line,
                key_path=f"module.spec.{list_key}",
                hint=f"every {what} must be unique across all module.yaml files: remove one of "
                f"the two or rename it.",
            )
        into[key] = spec
