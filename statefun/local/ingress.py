"""Records fed to a local runtime's ingress: the route each takes, its key and value checked.

As the routable Kafka/Kinesis ingress does, a record's key becomes the id of the function it
goes to, and its value is sent with the ``typeUrl`` of its topic to each target of the topic.
"""

from __future__ import annotations

from typing import NamedTuple

from google.protobuf.message import Message

from statefun.core import message_name, parse_typename
from statefun.errors import ArgumentTypeError, InvalidArgumentError
from statefun.local.module_yaml import IngressSpec, ModuleSpec, RoutingSpec
from statefun.local.routing import route_of

__all__ = ["IngressRecords", "Route"]


class Route(NamedTuple):
    """Where the records of an ingress id or topic go."""

    ingress: IngressSpec
    routing: RoutingSpec
    #: ``(namespace, type)`` of each target function type.
    targets: list[tuple[str, str]]


class IngressRecords:
    """The ingresses of one module, ready to take records (their routes found once)."""

    __slots__ = ("_checked_types", "_module", "_routes")

    def __init__(self, module: ModuleSpec) -> None:
        self._module = module
        self._routes: dict[str, Route] = {}
        self._checked_types: set[tuple[str, type]] = set()  # (typeUrl, message class) that match

    def route(self, ingress: str) -> Route:
        """The route of records on ``ingress``, an ingress id or topic (see
        :func:`~statefun.local.routing.route_of` for its errors)."""
        cached = self._routes.get(ingress)
        if cached is not None:
            return cached
        spec, routing = route_of(self._module, ingress)
        targets = [parse_typename(typename) for typename in routing.targets]
        route = self._routes[ingress] = Route(spec, routing, targets)
        return route

    def take(self, ingress: str, key: str | None, value: Message | bytes) -> tuple[Route, bytes]:
        """The route of a record with ``key`` on ``ingress`` (as :meth:`route` finds it), and
        its value serialized.

        One call per record, not :meth:`route` then a second for the value: the runtime takes
        each record sent one by one through here (``benchmarks/runtime.py``).

        :raises InvalidArgumentError: for a missing key.
        :raises ArgumentTypeError: for a key that is not a str, or a value that is neither
            bytes nor a message of the topic's type.
        """
        route = self._routes.get(ingress) or self.route(ingress)
        routing = route.routing
        if key is None or key == "":
            raise InvalidArgumentError(
                f"a record on {route.ingress.id} [{routing.topic}] needs a key: the routable "
                f"ingress makes the key the function id (the real runtime fails the job on a "
                f"null key)"
            )
        if not isinstance(key, str):
            raise ArgumentTypeError(
                f"the record key must be a str (the UTF-8 Kafka key), got {type(key).__name__}"
            )
        if type(value) is bytes:
            return route, value
        if (routing.type_url, type(value)) in self._checked_types:
            return route, value.SerializeToString()  # type: ignore[union-attr]
        if isinstance(value, Message):
            expected = message_name(routing.type_url)
            actual = value.DESCRIPTOR.full_name
            if actual != expected:
                raise ArgumentTypeError(
                    f"topic {routing.topic!r} carries {expected} (typeUrl "
                    f"{routing.type_url!r}), but the value is a {actual}; send a {expected}, "
                    f"or raw bytes"
                )
            self._checked_types.add((routing.type_url, type(value)))
            return route, value.SerializeToString()
        if isinstance(value, bytes | bytearray | memoryview):
            return route, bytes(value)
        raise ArgumentTypeError(
            f"a record value is a protobuf message or bytes, got {type(value).__name__}"
        )
