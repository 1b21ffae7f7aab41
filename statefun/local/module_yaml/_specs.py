"""What a module.yaml declares: the spec dataclasses, the types and defaults the runtime knows."""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field
from typing import Final

from statefun.errors import InvalidArgumentError, ModuleYamlWarning, UndeclaredFunctionError

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
            raise UndeclaredFunctionError(
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
            raise InvalidArgumentError(
                f"topic {name_or_topic!r} is read by several ingresses ({ids}); pass the "
                f"ingress id instead."
            )
        ids = ", ".join(repr(i) for i in self.ingresses) or "none"
        topics = ", ".join(repr(r.topic) for i in self.ingresses.values() for r in i.topics)
        raise InvalidArgumentError(
            f"no ingress with id or topic {name_or_topic!r} in {self.path or 'module.yaml'} "
            f"(ingress ids: {ids}; topics/streams: {topics or 'none'}). Use one of those, or "
            f"declare the ingress in module.yaml."
        )


def _io_kind(type_: str) -> str:
    return "kinesis" if type_.startswith("statefun.kinesis.io/") else "kafka"
