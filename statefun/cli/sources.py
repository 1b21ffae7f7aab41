"""Where ``statefun-lab run``'s records come from: the built-in generator of names, or stdin.

Each record names the ingress (or topic) it feeds, its key and its message; errors name the
record ("record 3", "stdin line 3") and raise :class:`~statefun.cli.parser.UsageError`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from statefun.cli.parser import UsageError
from statefun.core import message_name
from statefun.local.module_yaml import IngressSpec, ModuleSpec, RoutingSpec
from statefun.local.routing import route_of
from statefun.local.values import message_class

__all__ = [
    "DEFAULT_COUNT",
    "NAMES",
    "Record",
    "Routes",
    "generated_records",
    "names",
    "stdin_lines",
    "stdin_records",
]

#: The walkthrough event generator's names (generator/event-generator.py).
NAMES: tuple[str, ...] = ("Jerry", "George", "Elaine", "Kramer", "Newman", "Frank")
DEFAULT_COUNT = 10

_STDIN_KEYS = ("key", "value", "topic")
_EXAMPLE = '{"key": "Jerry", "value": {"name": "Jerry"}}'


@dataclass(frozen=True, slots=True)
class Record:
    """One record for the ingress, and where it came from (for error messages)."""

    feed: str  # what LocalRuntime.ingest takes: the ingress id, or the topic
    key: str
    value: Message
    where: str  # "record 3", "stdin line 3"


class Routes:
    """Which ingress and message class a record goes to, from --ingress or its "topic"."""

    def __init__(self, module: ModuleSpec, default: str | None) -> None:
        self.module = module
        self.default = default
        self._cache: dict[str | None, tuple[str, type[Message], RoutingSpec]] = {}

    def resolve(self, name: str | None) -> tuple[str, type[Message], RoutingSpec]:
        """(what to pass to ``ingest``, the message class of the topic, the topic's routing)."""
        name = name if name is not None else self.default
        if name not in self._cache:
            ingress, route = self._route(name)
            self._cache[name] = (_feed_name(ingress, route), _topic_class(route), route)
        return self._cache[name]

    def _route(self, name: str | None) -> tuple[IngressSpec, RoutingSpec]:
        if name is None:
            return self._only_route()
        try:
            return route_of(self.module, name)
        except ValueError as e:
            raise UsageError(str(e)) from None

    def _only_route(self) -> tuple[IngressSpec, RoutingSpec]:
        """With no --ingress: the only topic that module.yaml routes."""
        module, shown = self.module, self.module.path or "module.yaml"
        routes = [(i, r) for i in module.ingresses.values() if i.routable for r in i.topics]
        if len(routes) == 1:
            return routes[0]
        if not routes:
            raise UsageError(
                f"{shown} declares no routable ingress, so there is nothing to feed. "
                f"Declare a statefun.kafka.io/routable-protobuf-ingress with `topics`, "
                f"each with a `typeUrl` and `targets`."
            )
        topics = ", ".join(r.topic for _, r in routes)
        raise UsageError(
            f"{shown} reads several topics ({topics}): pick one with --ingress TOPIC "
            f'(with --stdin, or give "topic" in each JSON line).'
        )


def _feed_name(ingress: IngressSpec, route: RoutingSpec) -> str:
    return ingress.id if len(ingress.topics) == 1 else route.topic


def _topic_class(route: RoutingSpec) -> type[Message]:
    full_name = message_name(route.type_url)
    cls = message_class(full_name)
    if cls is None:
        raise UsageError(
            f"topic {route.topic!r} carries {full_name} (typeUrl {route.type_url!r}), a message "
            f"type that is not loaded. Give the Python file that imports it (its _pb2 module), "
            f"also with --http (e.g. greeter/messages_pb2.py)."
        )
    return cls


# ------------------------------------------------------------------------------------------------
# The built-in generator
# ------------------------------------------------------------------------------------------------


def generated_records(
    routes: Routes, given: Sequence[str] | None, count: int | None, seed: int | None
) -> Iterator[Record]:
    """The built-in generator: names as the walkthrough's event generator sends them.

    Checks the ingress right away, so a wrong one fails before anything runs.
    """
    feed, cls, route = routes.resolve(None)
    field = cls.DESCRIPTOR.fields_by_name.get("name")
    if field is None or field.type != FieldDescriptor.TYPE_STRING or _repeated(field):
        raise UsageError(
            f"the built-in generator sends names, but topic {route.topic!r} carries "
            f"{cls.DESCRIPTOR.full_name}, which has no string field `name`. Feed your own "
            f"records with --stdin (one JSON object a line)."
        )
    return (
        Record(feed, name, cls(name=name), f"record {number}")
        for number, name in enumerate(names(given, count, seed), 1)
    )


def _repeated(field: object) -> bool:
    return bool(getattr(field, "is_repeated", False))


def names(given: Sequence[str] | None, count: int | None, seed: int | None) -> Iterator[str]:
    """Exactly the walkthrough event generator's ``name_sequence`` (same seed, same names).

    ``given`` names are repeated in order up to ``count`` (default: each once); else ``count``
    (default 10) random :data:`NAMES`.
    """
    if given is not None:
        total = len(given) if count is None else count
        for i in range(total):
            yield given[i % len(given)]
        return
    rng = random.Random(seed)
    for _ in range(DEFAULT_COUNT if count is None else count):
        yield rng.choice(NAMES)


# ------------------------------------------------------------------------------------------------
# JSON lines on stdin
# ------------------------------------------------------------------------------------------------


def stdin_records(stream: Iterable[str], routes: Routes) -> Iterator[Record]:
    """Records from JSON lines; blank lines are skipped. Errors name the line."""
    for number, line in stdin_lines(stream):
        if not line.strip():
            continue
        where = f"stdin line {number}"
        try:
            yield _stdin_record(line, routes, where)
        except UsageError as e:
            raise UsageError(f"{where}: {e}") from None


def stdin_lines(stream: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Numbered lines, decoded as UTF-8 here (the bytes below the text stream when it has them)
    so that a line that is not UTF-8 is named, whatever the locale; a BOM on line 1 is skipped.
    """
    binary: Iterable[bytes | str] = getattr(stream, "buffer", None) or stream
    for number, raw in enumerate(binary, 1):
        try:
            # text from a stream with no bytes below: undo Python's surrogateescape
            data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
            line = data.decode("utf-8-sig" if number == 1 else "utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError) as e:
            bad = e.object[e.start]
            what = f"byte 0x{bad:02x}" if isinstance(bad, int) else f"character {bad!r}"
            raise UsageError(
                f"stdin line {number}: not UTF-8 text ({what} at column {e.start + 1}). JSON "
                f"lines are UTF-8: convert the input first, e.g. with `iconv -f latin1 -t utf-8`."
            ) from None
        yield number, line


def _stdin_record(line: str, routes: Routes, where: str) -> Record:
    data = _json_object(line)
    key, value, topic = data.get("key"), data.get("value"), data.get("topic")
    if not isinstance(key, str) or not key:
        raise UsageError(
            f'"key" must be a non-empty string (it becomes the function id), got {key!r}'
        )
    if topic is not None and not isinstance(topic, str):
        raise UsageError(f'"topic" must be a string, got {_json_kind(topic)}')
    feed, cls, _ = routes.resolve(topic)
    return Record(feed, key, _message(value, cls), where)


def _json_object(line: str) -> dict[str, object]:
    """The line as a JSON object with no other fields than "key", "value" and "topic"."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise UsageError(
            f"not valid JSON ({e}). Each line is one object, e.g. {_EXAMPLE}"
        ) from None
    except RecursionError:
        raise UsageError(
            f"not valid JSON (nested too deeply). Each line is one object, e.g. {_EXAMPLE}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"expected a JSON object like {_EXAMPLE}, got {_json_kind(data)}")
    unknown = sorted(set(data) - set(_STDIN_KEYS))
    if unknown:
        raise UsageError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; a line has "
            f'"key", "value" and optionally "topic", e.g. {_EXAMPLE}'
        )
    return data


def _message(value: object, cls: type[Message]) -> Message:
    """The "value" of a line as a ``cls`` message."""
    if not isinstance(value, dict):
        raise UsageError(
            f'"value" must be a JSON object: the {cls.DESCRIPTOR.full_name} message as JSON, '
            f"got {_json_kind(value)}"
        )
    try:
        return json_format.ParseDict(value, cls())
    except json_format.ParseError as e:
        detail = " ".join(str(e).split())
        raise UsageError(f'"value" is not a valid {cls.DESCRIPTOR.full_name}: {detail}') from None
    except RecursionError:
        raise UsageError(f'"value" is nested too deeply for a {cls.DESCRIPTOR.full_name}') from None


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), f"the number {value}"
    )
