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

Keys the runtime does not read are ignored by it, and usually a typo (``Egresses:``): each one is
a :class:`~statefun.errors.ModuleYamlWarning` with a "did you mean", issued with
:func:`warnings.warn` and kept in ``ModuleSpec.warnings``; ``strict=True`` makes it an error.

A hostile or broken file is a ``ModuleYamlError`` with a line too, and quickly: files over
``max_bytes`` (1 MiB) are refused before they are read, nesting deeper than 50 levels and more
than 100,000 values are refused while the YAML is composed, invalid UTF-8 and control characters
are named with their line and column, and PyYAML's syntax errors are said in plain words at the
line to fix (a tab, a missing colon, a key indented too far or not far enough, an unclosed
quote or bracket).
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import unicodedata
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.tokens import ScalarToken

from statefun.errors import ModuleYamlError, ModuleYamlWarning, StatefunError

__all__ = [
    "DEFAULT_MAX_BYTES",
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
#: The largest module.yaml read by default, in bytes (1 MiB; real ones are a few KB). Pass
#: ``max_bytes=`` to :func:`load_module` or :func:`parse_module` to read a larger one.
DEFAULT_MAX_BYTES: Final = 1 << 20
_MAX_NODES: Final = 100_000  # keys, values and list items: a module.yaml has a few hundred
_MAX_DEPTH: Final = 50  # nested maps and lists: a module.yaml needs about 10
_TRIAL_MAX_CHARS: Final = 32_768  # syntax errors: files this small are re-parsed to find the fix
_TRIALS: Final = 12  # re-parses at most, per syntax error


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
    """A parsed module.yaml (or several, see :func:`merge_modules`).

    ``warnings`` are what the file holds that the runtime ignores (an unknown key, most often a
    typo), in line order; each was also issued with :func:`warnings.warn`.
    """

    version: str
    path: str | None
    functions: dict[str, FunctionSpec]
    ingresses: dict[str, IngressSpec]
    egresses: dict[str, EgressSpec]
    routers: tuple[RouterSpec, ...] = ()
    warnings: tuple[ModuleYamlWarning, ...] = field(default=(), compare=False)

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
    value = int(number) if len(number.lstrip("0")) <= 19 else _LONG_MAX + 1
    if value > _LONG_MAX:
        raise _DurationError(
            f"The value '{number if len(number) <= 30 else number[:27] + '...'}' cannot be re "
            f"represented as 64bit number (numeric overflow).",
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
_SCALAR_WORDS: Final = {
    "int": ("not a whole number", "a whole number such as `500`"),
    "float": ("not a number", "a number such as `1.5`"),
    "bool": ("not a boolean (YAML's are true/false, yes/no, on/off)", "`true` or `false`"),
}
# PyYAML counts lines with these breaks, so every line number here does too.
_LINE_BREAK: Final = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_C0_NAMES: Final = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF"),
    *("CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM"),
    *("SUB", "ESC", "FS", "GS", "RS", "US"),
)
# Line breaks to YAML that editors may not show as such, and the ones they do.
_UNUSUAL_BREAK: Final = re.compile("[\x85\u2028\u2029]")
_EDITOR_BREAK: Final = re.compile("\r\n|[\n\r]")
# Spaces that are not spaces to YAML, at the start of a line (copied from web pages, mostly).
_ODD_INDENT: Final = re.compile("^[ \t]*([\u00a0\u2000-\u200b\u202f\u205f\u3000])", re.MULTILINE)
_SPACE_NAMES: Final = {
    "\u00a0": "a non-breaking space",
    "\u202f": "a narrow non-breaking space",
    "\u200b": "a zero-width space",
    "\u3000": "an ideographic space",
}


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting lines as PyYAML's marks do."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def _describe_char(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return f"the control character U+{code:04X} ({_C0_NAMES[code]})"
    if 0x7F <= code <= 0x9F:
        return f"the control character U+{code:04X}"
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X}, half of a character (a lone surrogate),"
    name = unicodedata.name(char, "")
    return f"the character U+{code:04X}" + (f" ({name})" if name else "")


def _size_words(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1 << 20:
        return f"{size:,} bytes ({size / 1024:.1f} KiB)"
    return f"{size:,} bytes ({size / (1 << 20):.1f} MiB)"


def _limit_words(size: int) -> str:
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size:,}-byte"


def _too_deep(column: int) -> str:
    return (
        f"values are nested more than {_MAX_DEPTH} levels deep at column {column}; a module.yaml "
        f"needs about 10."
    )


class _Refused(Exception):
    """The loader stops composing: ``problem`` at ``mark``, fixed by ``hint``."""

    def __init__(self, mark: Mark, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.mark = mark
        self.problem = problem
        self.hint = hint


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting while it composes and noting quotes that span lines.

    Composing is recursive, so 500 ``[`` in a row would run into Python's recursion limit; this
    loader refuses more than ``_MAX_DEPTH`` levels and more than ``_MAX_NODES`` values as soon as
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
        if self.values > _MAX_NODES:
            raise _Refused(
                mark,
                f"the file holds more than {_MAX_NODES:,} values (keys, values and list items) "
                f"by this line, where a module.yaml holds a few hundred.",
                "check that this is your module.yaml: the loader stops here to stay fast.",
            )
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        if self.depth >= _MAX_DEPTH:
            flow = bool(event.flow_style)
            raise _Refused(
                mark,
                _too_deep(mark.column + 1),
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


@dataclass(slots=True)
class _Node:
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
    parent: _Node | None = field(default=None, repr=False, compare=False)

    def get(self, key: str) -> _Node | None:
        if self.kind != "map":
            return None
        found: _Node | None = self.value.get(key)
        return found

    @property
    def name(self) -> str:
        """The key that holds this value, e.g. `` `spec:` ``; ``the file`` for the top level."""
        if not self.key_path:
            return "the file"
        last = re.sub(r"(\[[0-9]+\])+$", "", self.key_path.rsplit(".", 1)[-1])
        return f"`{last}:`"

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
    """Turns PyYAML's nodes into ``_Node``s, expanding aliases within the loader's limits."""

    def __init__(self, parser: _Parser, text: str, aliases: int) -> None:
        self.parser = parser
        self.text = text
        self.aliases = aliases
        self.constructor = SafeConstructor()
        self.count = 0

    def build(
        self,
        node: Node,
        key_path: str,
        mark: Mark,
        parent: _Node | None,
        ancestors: frozenset[int],
    ) -> _Node:
        line, column, start = mark.line + 1, mark.column + 1, node.start_mark.line + 1
        self.count += 1
        if self.count > _MAX_NODES:
            # The loader counted what the text holds: only expanded aliases can hold more.
            problem = f"the file holds more than {_MAX_NODES:,} values by this line."
            if self.aliases:
                problem = (
                    f"expanding the YAML aliases (`*name`) gives more than {_MAX_NODES:,} values "
                    f"by this line: an alias bomb?"
                )
            self.parser.fail(
                line, key_path, problem, "write the values out instead of repeating aliases."
            )
        if isinstance(node, ScalarNode):
            kind = _SCALAR_KINDS.get(node.tag, "str")
            if kind == "str":
                return _Node("str", node.value, line, key_path, node.value, column, start, parent)
            try:
                value = self.constructor.construct_object(node, deep=True)
            except (ValueError, KeyError, IndexError, TypeError, OverflowError, yaml.YAMLError):
                self._not_of_its_type(node, kind, key_path)
            return _Node(kind, value, line, key_path, node.value, column, start, parent)
        if id(node) in ancestors:
            self.parser.fail(
                line,
                key_path,
                "a YAML alias refers to one of its own parents.",
                "write the value out instead of the alias.",
            )
        if len(ancestors) >= _MAX_DEPTH:
            self.parser.fail(
                line,
                key_path,
                _too_deep(column)[:-1] + ", once the YAML aliases (`*name`) are expanded.",
                "write the values out instead of nesting anchors in aliases.",
            )
        inner = ancestors | {id(node)}
        if isinstance(node, SequenceNode):
            items = _Node("list", [], line, key_path, "", column, start, parent)
            for index, child in enumerate(node.value):
                items.value.append(
                    self.build(child, f"{key_path}[{index}]", child.start_mark, items, inner)
                )
            return items
        assert isinstance(node, MappingNode)
        entries = _Node("map", {}, line, key_path, "", column, start, parent)
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.parser.fail(key_line, key_path, "a map key must be a plain name.")
            key = key_node.value
            if key in entries.value:
                self.parser.fail(
                    key_line,
                    _join(key_path, key),
                    f"duplicate key `{key}` (first written at line {entries.value[key].line}); "
                    f"the runtime would silently keep only the last one.",
                    "remove one of the two, or merge their contents.",
                )
            entries.value[key] = self.build(
                value_node, _join(key_path, key), key_node.start_mark, entries, inner
            )
        return entries

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
        self.parser.fail(mark.line + 1, key_path, problem, hint)


# -- syntax errors, in plain words ----------------------------------------------------------------

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
# A line's leading list dashes, and a `key:` after them (a plain, quoted or bracketed key).
_DASHES: Final = re.compile(r"(?:-(?: +|$))*")
_KEY: Final = re.compile(r"""([^\s:#'"\[\]{},&*!|>%@`][^:#]*?|"[^"]*"|'[^']*')[ \t]*:(?=\s|$)""")


def _lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _structural(line: str) -> bool:
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


def _plain(words: str) -> str:
    for jargon, plain in _PLAIN_WORDS:
        words = words.replace(jargon, plain)
    return re.sub(r"<[a-z ]+>", "something", words)


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
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class _Culprit:
    """Where a syntax error is fixed (1-based ``line``), what is wrong there, and the fix."""

    line: int
    problem: str
    hint: str


class _Explainer:
    """Says a PyYAML syntax error in plain words, at the line to fix.

    PyYAML reports where it gave up, often lines after the mistake: the key after a missing
    colon, the sibling after a mis-indented key, the end of the file after an unclosed quote.
    Each of its errors is mapped to its usual cause. For indentation, the lines that may be at
    fault are re-indented to the columns in use around them; with ``trial`` (which re-parses a
    candidate text and scores it, see ``_Parser.trial``), the fix that reads best wins, then
    the one that keeps the file's indentation step, then the line PyYAML named.
    """

    def __init__(
        self,
        text: str,
        error: yaml.MarkedYAMLError,
        multiline_quotes: list[tuple[Mark, Mark]],
        trial: Callable[[str, int], int] | None,
    ) -> None:
        self.lines = _LINE_BREAK.split(text)
        self.error = error
        self.quotes = multiline_quotes
        self.trial = trial
        self.context = error.context or ""
        self.problem = error.problem or ""

    def explain(self) -> _Culprit:
        mark = self.error.problem_mark or self.error.context_mark
        row = min(mark.line, len(self.lines) - 1) if mark is not None else 0
        column = mark.column if mark is not None else 0
        start = self.error.context_mark
        context, problem = self.context, self.problem
        swallowed = self._swallowed_by_quote(row)
        if swallowed is not None:
            return swallowed
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
        if problem.startswith("expected <block end>") or "'<document start>'" in problem:
            return self._block(row, column)
        return self._generic(row, column)

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
        best = self._best_fix(row, [])
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
        """The culprit named by the best fix of :meth:`_best_fix`, if any."""
        best = self._best_fix(flagged, suspects)
        if best is None:
            return None
        row, column = best
        if column < 0:
            return self._missing_colon(row)
        problem, hint, _ = _indent_words(self.lines, row, column)
        return _Culprit(row + 1, problem, hint)

    def _best_fix(self, flagged: int, suspects: Iterable[int | None]) -> tuple[int, int] | None:
        """Try likely fixes at the suspect lines: ``(row, column)`` of the one that reads best
        (column -1: give that line its colon).

        A fix re-indents one line (so that it, or the key after its dash, lines up with a
        column in use near it or above it) or gives a line without a colon its colon.
        """
        lines = self.lines
        steps = _steps(lines)
        options: set[tuple[int, bool, int, int, int]] = set()  # column -1: add the colon
        for row in dict.fromkeys([flagged, *suspects]):
            if row is None or not _structural(lines[row]):
                continue
            if _colon_fix(lines[row]) is not None and _split_key(lines[row])[1] is None:
                options.add((_deviations(self._fixed(row, -1), steps), row != flagged, 0, row, -1))
            lead = _lead(lines[row])
            dashes = _DASHES.match(lines[row], len(lead))
            shift = dashes.end() - len(lead) if dashes else 0
            for column in self._columns(row):
                for start in {column, column - shift}:
                    if start >= 0 and ("\t" in lead or start != len(lead)):
                        deviations = _deviations(self._fixed(row, start), steps)
                        change = abs(start - len(lead))
                        options.add((deviations, row != flagged, change, row, start))
        ranked = sorted(options)
        best: tuple[int, bool, int, int, int] | None = None
        if self.trial is None:
            if ranked and ranked[0][0] < _deviations(lines, steps):
                best = ranked[0]
        else:
            best_score = 0
            for option in ranked[:_TRIALS]:
                score = self.trial("\n".join(self._fixed(option[3], option[4])), flagged)
                if score > best_score:
                    best, best_score = option, score
                if score == 4:
                    break
        return None if best is None else (best[3], best[4])

    def _columns(self, row: int) -> set[int]:
        """Columns a line could belong at: those of the lines near it and of the blocks above."""
        lines = self.lines
        columns = {0}
        for other in range(max(0, row - 12), min(len(lines), row + 13)):
            if other != row and _structural(lines[other]):
                indent = _indent(lines[other])
                dashes = _DASHES.match(lines[other], indent)
                columns |= {indent, dashes.end() if dashes else indent}
        lowest = _indent(lines[row])
        for other in range(row - 1, -1, -1):
            if _structural(lines[other]) and _indent(lines[other]) < lowest:
                lowest = _indent(lines[other])
                columns.add(lowest)
        return columns

    def _fixed(self, row: int, column: int) -> list[str]:
        """The lines with line ``row`` re-indented to ``column``, or given its colon (-1)."""
        lines = list(self.lines)
        if column >= 0:
            lines[row] = " " * column + lines[row].lstrip(" \t")
        else:
            colon = _colon_fix(lines[row])
            lines[row] = colon[2] if colon is not None else lines[row]
        return lines


# ------------------------------------------------------------------------------------------------
# The parser
# ------------------------------------------------------------------------------------------------


_KAFKA_INGRESS_KEYS: Final = (
    "address",
    "consumerGroupId",
    "topics",
    "autoOffsetResetPosition",
    "startupPosition",
    "properties",
)
# The keys the StateFun 2.2.2 runtime reads (its JSON pointers), at each place of module.yaml,
# for both format versions; "<place>:<type>" where the keys depend on a kind or a type.
# Everything else is ignored by the runtime, so it is warned about here.
_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "the top level": ("version", "module"),
    "module": ("meta", "spec"),
    "module.meta": ("type",),
    "module.spec": ("functions", "routers", "ingresses", "egresses"),
    "functions[]": ("function",),
    "routers[]": ("router",),
    "ingresses[]": ("ingress",),
    "egresses[]": ("egress",),
    "function": ("meta", "spec"),
    "function.meta": ("kind", "type"),
    "function.spec:http": (
        "endpoint",
        "states",
        "maxNumBatchRequests",
        "timeout",
        "connectTimeout",
        "readTimeout",
        "writeTimeout",
    ),
    "function.spec:grpc": ("host", "port"),
    "state": ("name", "expireAfter", "expireMode"),
    "router": ("meta", "spec"),
    "router.meta": ("type",),
    "router.spec": ("ingress", "target", "messageType", "descriptorSet"),
    "ingress": ("meta", "spec"),
    "ingress.meta": ("type", "id"),
    f"ingress.spec:{KAFKA_ROUTABLE_INGRESS}": _KAFKA_INGRESS_KEYS,
    f"ingress.spec:{KAFKA_PROTOBUF_INGRESS}": (
        *_KAFKA_INGRESS_KEYS,
        "messageType",
        "descriptorSet",
    ),
    f"ingress.spec:{KINESIS_ROUTABLE_INGRESS}": (
        "awsRegion",
        "awsCredentials",
        "startupPosition",
        "streams",
        "clientConfigProperties",
    ),
    "topic": ("topic", "typeUrl", "targets"),
    "stream": ("stream", "typeUrl", "targets"),
    "startupPosition:kafka": ("type", "offsets", "date"),
    "startupPosition:kinesis": ("type", "date"),
    "awsRegion": ("type", "id", "endpoint"),
    "awsCredentials": ("type", "accessKeyId", "secretAccessKey", "profileName", "profilePath"),
    "egress": ("meta", "spec"),
    "egress.meta": ("type", "id"),
    f"egress.spec:{KAFKA_EGRESS}": ("address", "properties", "deliverySemantic"),
    f"egress.spec:{KINESIS_EGRESS}": (
        "awsRegion",
        "awsCredentials",
        "maxOutstandingRecords",
        "clientConfigProperties",
    ),
    "deliverySemantic": ("type", "transactionTimeoutMillis"),
}
_IGNORED_IN_NAMES: Final = re.compile("[\u00a0\u200b-\u200d\u2060\ufeff_\\- ]")


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate that ``word`` most likely misspells, if any."""
    options = [c for c in candidates if c != word]
    folded = {_IGNORED_IN_NAMES.sub("", c).lower(): c for c in options}
    same = folded.get(_IGNORED_IN_NAMES.sub("", word).lower())
    if same is not None:
        return same
    close = difflib.get_close_matches(word, options, n=1)
    return close[0] if close else None


def _quoted_example(key: str, node: _Node) -> str:
    return f'{key}: "{node.raw}"'


class _Parser:
    """Reads one module.yaml; every check raises ModuleYamlError with file, line and key path.

    ``explain=False`` (for the trial parses of a syntax error's candidate fixes) lets PyYAML's
    errors through as they are.
    """

    def __init__(
        self,
        path: str | None,
        *,
        strict: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        explain: bool = True,
    ) -> None:
        self.path = path
        self.version = ""
        self.strict = strict
        self.max_bytes = max_bytes
        self.explain = explain
        self.lines: list[str] = []
        self.composed = False
        self.places: dict[int, str] = {}  # id of a map node -> its place in _KEYS
        self.unknown: dict[tuple[int, str], tuple[_Node, str, _Node]] = {}

    # -- errors -----------------------------------------------------------------------------------

    def fail(
        self, line: int | None, key_path: str, problem: str, hint: str | None = None
    ) -> NoReturn:
        raise ModuleYamlError(
            problem, path=self.path, line=line, key_path=key_path or None, hint=hint
        )

    def too_big(self, size: int, head: bytes) -> NoReturn:
        """Refuse a file of ``size`` bytes whose first ``max_bytes`` are ``head``."""
        start = head[: self.max_bytes].decode("utf-8", "replace")
        line = _position(start, len(start))[0]
        self.fail(
            line,
            "",
            f"the file is {_size_words(size)}, over the {_limit_words(self.max_bytes)} limit "
            f"for a module.yaml (they are a few KB); the limit is reached on this line.",
            "check that this is your module.yaml. If it is, raise the limit: "
            "`load_module(path, max_bytes=...)` or `parse_module(text, max_bytes=...)`.",
        )

    # -- unknown and misplaced keys ---------------------------------------------------------------

    def known(self, node: _Node, place: str) -> None:
        """Note the keys of map ``node`` that the runtime does not read at ``place``."""
        if node.kind != "map":
            return
        self.places[id(node)] = place
        for key, child in node.value.items():
            if key not in _KEYS[place]:
                self.unknown[(id(node), key)] = (node, key, child)

    def _warnings(self) -> tuple[ModuleYamlWarning, ...]:
        found = sorted(self.unknown.values(), key=lambda u: (u[2].line, u[2].column))
        return tuple(self._unknown_key(parent, key, child) for parent, key, child in found)

    def _unknown_key(self, parent: _Node, key: str, child: _Node) -> ModuleYamlWarning:
        place = self.places[id(parent)]
        allowed = _KEYS[place]
        where = f"in {parent.name}" if parent.key_path else "at the top level"
        under = ", and everything under it" if child.kind in ("map", "list") else ""
        close = _closest(key, allowed)
        elsewhere = self._belongs_elsewhere(parent, key)
        others = [t.split(":", 1)[1] for t in _KEYS if t.startswith(place.split(":")[0] + ":")]
        read_for = [t for t in others if key in _KEYS[f"{place.split(':')[0]}:{t}"]]
        if key == "<<":
            problem = (
                f"`<<` (a YAML merge key) {where}: the runtime's YAML reader (Jackson) does "
                f"not merge, so it sees a key named `<<` and ignores it{under}."
            )
            hint = "write the keys out instead of merging an anchor."
        elif close is not None:
            problem = f"unknown key `{key}` {where}: the runtime ignores it{under}."
            problem += f" Did you mean `{close}`?"
            hint = f"rename `{key}` to `{close}`."
        elif elsewhere is not None:
            other, deeper = elsewhere
            problem = (
                f"`{key}` is not read {where} but in {other.name} (line {other.line}): it is "
                f"indented {'less' if deeper else 'more'} than it should be, so the runtime "
                f"ignores it{under}."
            )
            hint = f"indent `{key}:` like the keys of {other.name}."
        elif read_for:
            problem = (
                f"`{key}` is read for {' and '.join(read_for)} only; this is "
                f"{place.split(':', 1)[1]}, so the runtime ignores it{under}."
            )
            hint = "remove it; the keys read here are " + ", ".join(f"`{a}`" for a in allowed) + "."
        else:
            problem = f"unknown key `{key}` {where}: the runtime ignores it{under}."
            hint = "remove it; the keys read here are " + ", ".join(f"`{a}`" for a in allowed) + "."
        return ModuleYamlWarning(
            problem, path=self.path, line=child.line, key_path=child.key_path, hint=hint
        )

    def _belongs_elsewhere(self, parent: _Node, key: str) -> tuple[_Node, bool] | None:
        """A map near ``parent`` that reads ``key`` and lacks it: ``(map, is it deeper)``."""
        holder = parent.parent
        while holder is not None:
            place = self.places.get(id(holder))
            if place is not None and key in _KEYS[place] and key not in holder.value:
                return holder, False
            holder = holder.parent
        if parent.kind == "map":
            for child in parent.value.values():
                place = self.places.get(id(child))
                if place is not None and key in _KEYS[place] and key not in child.value:
                    return child, True
        return None

    def _not_where_expected(self, parent: _Node, key: str) -> None:
        """Fail at ``key`` if it is near ``parent`` but misspelled or indented out of it."""
        if parent.kind == "map":
            place = self.places.get(id(parent))
            strangers = [k for k in parent.value if place is not None and k not in _KEYS[place]]
            typo = _closest(key, strangers)
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

    def _fail_indent(self, found: _Node, column: int, tail: str) -> None:
        """Fail at ``found``'s key, which belongs at ``column``, if it starts its line."""
        row = found.line - 1
        if row >= len(self.lines) or _indent(self.lines[row]) != found.column - 1:
            return
        problem, hint, _ = _indent_words(self.lines, row, column)
        self.fail(found.line, found.key_path, problem + tail, hint)

    def _stray_children(self, node: _Node, place: str) -> None:
        """Fail at a key of empty map ``node`` that sits beside it, not indented under it."""
        holder = node.parent
        if holder is None or holder.kind != "map":
            return
        holder_place = self.places.get(id(holder))
        for key in _KEYS[place]:
            found = holder.value.get(key)
            if found is not None and (holder_place is None or key not in _KEYS[holder_place]):
                tail = f" So it is outside {node.name}, which is left empty."
                self._fail_indent(found, node.column + 1, tail)

    def _looks_like_a_key(self, node: _Node) -> None:
        """Fail at a text value on its own line that was meant as ``key: value``."""
        if node.kind in ("map", "list", "null") or node.start <= node.line:
            return
        found = _colon_fix(self.lines[node.start - 1]) if node.start <= len(self.lines) else None
        if found is not None:
            self.fail(node.start, node.key_path, found[0], found[1])

    # -- typed selectors (Jackson's Selectors, with our messages) ---------------------------------

    def require(self, parent: _Node, key: str, hint: str | None = None) -> _Node:
        node = parent.get(key)
        if node is not None:
            return node
        self._not_where_expected(parent, key)
        key_path = _join(parent.key_path, key)
        if parent.kind == "map" or parent.kind == "null":
            where = f"`{parent.key_path.rsplit('.', 1)[-1]}`" if parent.key_path else "the file"
            problem = f"missing key `{key}` in {where}."
        else:
            self._looks_like_a_key(parent)
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
        items: list[_Node] = node.value
        return items

    def optional_map(self, parent: _Node, key: str, place: str) -> _Node | None:
        node = parent.get(key)
        if node is None:
            return None
        if node.kind == "null":
            self._stray_children(node, place)
        if node.kind != "map":
            self._looks_like_a_key(node)
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

    def parse(self, source: str | bytes) -> ModuleSpec:
        text = self._text(source)
        self.lines = _LINE_BREAK.split(text)
        root = self._compose(text)
        self.composed = True
        if root.kind != "map":
            self.fail(
                root.line,
                "",
                f"the top level is {root.describe()}, not a map.",
                'start the file with `version: "2.0"` and `module:`.',
            )
        self.known(root, "the top level")
        self._version(root)
        module = self.require(root, "module", "add `module:` with `meta:` and `spec:` under it.")
        self.known(module, "module")
        meta = module.get("meta")
        if meta is not None:
            self.known(meta, "module.meta")
        type_node = meta.get("type") if meta is not None else None
        if type_node is None:
            if meta is not None:
                self._looks_like_a_key(meta)
                self._not_where_expected(meta, "type")
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
        if spec is None:
            self._not_where_expected(module, "spec")
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

        self.known(spec, "module.spec")
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
        found = self._warnings()
        if self.strict and found:
            first = found[0]
            self.fail(
                first.line,
                first.key_path or "",
                f"{first.problem} (An error in strict mode.)",
                first.hint,
            )
        return ModuleSpec(
            self.version, self.path, functions, ingresses, egresses, routers, warnings=found
        )

    def trial(self, text: str, flagged: int) -> int:
        """How well a candidate fix of a syntax error at 0-based line ``flagged`` reads: 4 a
        clean module, 3 a module with warnings, 2 valid YAML but not a valid module, 1 a YAML
        error after line ``flagged``, 0 no better."""
        parser = _Parser(self.path, max_bytes=self.max_bytes, explain=False)
        try:
            module = parser.parse(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return 1 if mark is not None and mark.line > flagged else 0
        except (ModuleYamlError, yaml.YAMLError):
            return 2 if parser.composed else 0
        return 3 if module.warnings else 4

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

    def _text(self, source: str | bytes) -> str:
        """The text of ``source``, once its size, encoding and invisible characters are fine."""
        if isinstance(source, bytes):
            if len(source) > self.max_bytes:
                self.too_big(len(source), source[: self.max_bytes])
            text = self._decode(source)
        else:
            text = source
            if len(text) * 4 > self.max_bytes:  # else it cannot be over, whatever it holds
                data = text.encode("utf-8", "surrogatepass")
                if len(data) > self.max_bytes:
                    self.too_big(len(data), data[: self.max_bytes])
        if text.startswith("\ufeff"):
            text = text[1:]
        stray = text.find("\ufeff")
        if stray >= 0:
            line, column = _position(text, stray)
            self.fail(
                line,
                "",
                f"an invisible byte order mark (U+FEFF) at column {column}, usually left by "
                f"pasting from another file or by joining two files.",
                "delete it: it is invisible, so delete the start of the line and retype it.",
            )
        unusual = _UNUSUAL_BREAK.search(text)
        if unusual is not None:
            before = text[: unusual.start()]
            line = len(_EDITOR_BREAK.findall(before)) + 1
            column = len(before) - max(before.rfind("\n"), before.rfind("\r"))
            self.fail(
                line,
                "",
                f"{_describe_char(unusual.group(0))} at column {column}: YAML counts it as a line "
                f"break, but most editors do not show one, so lines would not be where you see "
                f"them.",
                "replace it with a plain line break (or delete it); it usually comes with copied "
                "text.",
            )
        odd = _ODD_INDENT.search(text)
        if odd is not None:
            line, column = _position(text, odd.start(1))
            char = odd.group(1)
            name = _SPACE_NAMES.get(char, "a Unicode space")
            self.fail(
                line,
                "",
                f"line {line} is indented with {name} (U+{ord(char):04X}) at column {column}, "
                f"usually copied from a web page; YAML indents with plain spaces only.",
                "retype the indentation of this line with the space bar.",
            )
        return text

    def _decode(self, data: bytes) -> str:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.fail(
                1,
                "",
                "the file is UTF-16 (it starts with a UTF-16 byte order mark); a module.yaml is "
                "UTF-8.",
                "save it as UTF-8 (in most editors: Save with Encoding, then UTF-8).",
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = data[: exc.start].decode("utf-8", "replace")
            line, column = _position(before, len(before))
            byte = data[exc.start]
            problem = f"byte 0x{byte:02X} at column {column} is not UTF-8 ({exc.reason})."
            hint = "save module.yaml as UTF-8 (in most editors: Save with Encoding, then UTF-8)"
            legacy = bytes([byte]).decode("cp1252", "replace")
            if legacy.isprintable() and legacy != "\ufffd":
                hint += (
                    f"; in Windows-1252 or Latin-1 this byte is `{legacy}`, so the file was "
                    f"probably saved in one of those"
                )
            self.fail(line, "", problem, hint + ".")

    def _compose(self, text: str) -> _Node:
        try:
            loader = _Loader(text)
        except yaml.reader.ReaderError as exc:
            self._bad_character(text, exc)
        try:
            node = loader.get_single_node()
        except _Refused as exc:
            self.fail(exc.mark.line + 1, "", exc.problem, exc.hint)
        except yaml.MarkedYAMLError as exc:
            if not self.explain:
                raise
            trial = self.trial if len(text) <= _TRIAL_MAX_CHARS else None
            culprit = _Explainer(text, exc, loader.multiline_quotes, trial).explain()
            self.fail(culprit.line, "", culprit.problem, culprit.hint)
        finally:
            loader.dispose()
        if node is None:
            self.fail(
                1,
                "",
                "the file is empty.",
                'start it with `version: "2.0"` and a `module:` (see the walkthrough\'s '
                "module.yaml).",
            )
        return _Builder(self, text, loader.aliases).build(
            node, "", node.start_mark, None, frozenset()
        )

    def _bad_character(self, text: str, exc: yaml.reader.ReaderError) -> NoReturn:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        line, column = _position(text, exc.position)
        hint = (
            "delete it: most editors do not show it (it often comes with copied text); if you "
            "cannot see it, retype the line."
        )
        if text.count("\x00") * 4 > len(text):
            hint = "the file looks like UTF-16 (every other byte is 0): save it as UTF-8."
        self.fail(
            line, "", f"{_describe_char(char)} at column {column} is not allowed in YAML.", hint
        )

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
                    f" YAML reads an unquoted {node.raw} as {'an' if node.kind == 'int' else 'a'} "
                    f"{node.kind}, and the runtime needs "
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
            self._looks_like_a_key(body)
            self.fail(
                body.line,
                body.key_path,
                f"`{entry}` is {body.describe()}, not a map with `meta:` and `spec:`.",
                f"indent `meta:` and `spec:` under `{entry}:`.",
            )
        self.known(item, f"{list_key}[]")
        self.known(body, entry)
        return body

    # -- functions --------------------------------------------------------------------------------

    def _function(self, item: _Node) -> FunctionSpec:
        body = self._entry(item, "function", "functions", "meta/kind")
        meta = self.require(body, "meta", "add `meta:` with `kind: http` and `type: ns/name`.")
        self.known(meta, "function.meta")
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
        self.known(spec, f"function.spec:{kind}")
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
        self.known(entry, "state")
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
        self.known(meta, "router.meta")
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
        self.known(spec, "router.spec")
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
        self.known(meta, f"{what}.meta")
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
        self.known(spec, f"ingress.spec:{type_}")
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
            if node is None:
                self._not_where_expected(spec, key)
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
            self.known(entry, name_key)
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
        node = self.optional_map(spec, "startupPosition", "startupPosition:kafka")
        if node is None:
            return {"type": "latest"}
        self.known(node, "startupPosition:kafka")
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
            if (
                not topic
                or not re.fullmatch(r"[0-9]+", partition)
                or len(partition.lstrip("0")) > 10
                or int(partition) > _INT_MAX
            ):
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
        node = self.optional_map(spec, "startupPosition", "startupPosition:kinesis")
        if node is None:
            return {"type": "latest"}
        self.known(node, "startupPosition:kinesis")
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
        node = self.optional_map(spec, "awsRegion", "awsRegion")
        if node is None:
            return None
        self.known(node, "awsRegion")
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
        node = self.optional_map(spec, "awsCredentials", "awsCredentials")
        if node is None:
            return None
        self.known(node, "awsCredentials")
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
        self.known(spec, f"egress.spec:{type_}")
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
        node = self.optional_map(spec, "deliverySemantic", "deliverySemantic")
        if node is None:
            return "at-least-once", None
        self.known(node, "deliverySemantic")
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


def parse_module(
    text: str | bytes,
    *,
    path: str | None = None,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModuleSpec:
    """Parse and validate module.yaml text (``bytes`` are read as UTF-8).

    ``path`` is only used in messages. Keys the runtime ignores are warned about (see
    ``ModuleSpec.warnings``), or with ``strict=True`` raise. Text over ``max_bytes`` bytes
    raises. Every problem is a :class:`~statefun.errors.ModuleYamlError`.
    """
    module = _Parser(path, strict=strict, max_bytes=max_bytes).parse(text)
    _issue(module.warnings)
    return module


def load_module(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ModuleSpec:
    """Read and validate a module.yaml file (or the ``module.yaml`` inside a directory).

    Like :func:`parse_module`; a file over ``max_bytes`` is refused before it is read.
    """
    file = Path(path)
    if file.is_dir():
        file = file / "module.yaml"
    shown = os.fspath(file)
    parser = _Parser(shown, strict=strict, max_bytes=max_bytes)
    try:
        with file.open("rb") as stream:
            data = stream.read(max_bytes + 1)
            size = os.fstat(stream.fileno()).st_size
    except FileNotFoundError as exc:
        raise ModuleYamlError(
            "file not found.",
            path=shown,
            hint="pass the path of your module.yaml (or of the directory that holds it).",
        ) from exc
    except OSError as exc:
        raise ModuleYamlError(
            f"the file cannot be read ({exc.strerror or exc}).",
            path=shown,
            hint="check the path, and that you may read the file.",
        ) from exc
    if len(data) > max_bytes:
        parser.too_big(max(size, len(data)), data)
    module = parser.parse(data)
    _issue(module.warnings)
    return module


def _issue(found: Iterable[ModuleYamlWarning]) -> None:
    for warning in found:
        warnings.warn(warning, stacklevel=3)


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
        warnings=tuple(w for m in modules for w in m.warnings),
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
