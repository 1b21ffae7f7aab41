"""Build StateFun requests and read responses in tests, notebooks and tools.

``InvocationBuilder`` writes a ``ToFunction`` the way the Flink runtime does; ``decode_response``
turns ``FromFunction`` bytes into plain, comparable Python objects::

    request = (InvocationBuilder().with_target("example", "greeter", "Jerry")
               .with_state("seen_count").with_invocation(GreetRequest(name="Jerry")))
    effects = decode_response(handler(request.SerializeToString()))
    effects.egresses[0].egress      # 'example/greets'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.any_pb2 import Any
from google.protobuf.message import Message

from statefun.core import packed
from statefun.local import effects as _effects
from statefun.request_reply_pb2 import FromFunction, ToFunction

__all__ = [
    "Address",
    "DelayedMessage",
    "Effects",
    "EgressRecord",
    "InvocationBuilder",
    "OutgoingMessage",
    "StateMutation",
    "decode_response",
    "from_effects",
    "pack_any",
]


def pack_any(message: Message, type_url: str | None = None) -> Any:
    """``message`` in an ``Any``; with ``type_url``, that URL verbatim (as an ingress does)."""
    if isinstance(message, Any):
        return message
    url, value = packed(message, "pack_any")
    any = Any()
    any.type_url = url if type_url is None else type_url
    any.value = value
    return any


class InvocationBuilder:
    """Builds a ``ToFunction`` request, one call per part, like the runtime would send it."""

    def __init__(self) -> None:
        self.to_function = ToFunction()

    def with_target(self, namespace: str, type: str, id: str) -> InvocationBuilder:
        """Address the request to ``namespace/type/id``."""
        t = self.to_function.invocation.target
        t.namespace, t.type, t.id = namespace, type, id
        return self

    def with_state(self, name: str, value: Message | bytes | None = None) -> InvocationBuilder:
        """Add state ``name``: empty, raw bytes, or a message stored as a serialized Any."""
        state = self.to_function.invocation.state.add()
        state.state_name = name
        if isinstance(value, bytes):
            state.state_value = value
        elif value is not None:
            state.state_value = pack_any(value).SerializeToString()
        return self

    def with_invocation(
        self,
        argument: Message,
        caller: tuple[str, str, str] | None = None,
        *,
        type_url: str | None = None,
    ) -> InvocationBuilder:
        """Add a message; ``caller`` is ``(namespace, type, id)`` or ``None`` for an ingress."""
        invocation = self.to_function.invocation.invocations.add()
        if caller is not None:
            c = invocation.caller
            c.namespace, c.type, c.id = caller
        invocation.argument.CopyFrom(pack_any(argument, type_url))
        return self

    def SerializeToString(self) -> bytes:
        """The request as the runtime sends it: a serialized ``ToFunction``."""
        return self.to_function.SerializeToString()


@dataclass(frozen=True)
class Address:
    """A function instance, ``namespace/type/id``."""

    namespace: str
    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.type}/{self.id}"


@dataclass(frozen=True)
class StateMutation:
    """A state the response changes: its new value, or ``deleted``."""

    name: str
    deleted: bool
    value: Any | None  # the stored Any (None for a DELETE)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the response sends to another address."""

    target: Address
    argument: Any


@dataclass(frozen=True)
class DelayedMessage:
    """A message the response sends after ``delay_ms`` milliseconds."""

    delay_ms: int
    target: Address
    argument: Any


@dataclass(frozen=True)
class EgressRecord:
    """A record the response sends to an egress (``egress`` is its module.yaml id)."""

    egress: str  # "namespace/type", the egress id of module.yaml
    argument: Any


@dataclass(frozen=True)
class Effects:
    """Everything a response asks the runtime to do, in the order the runtime applies it."""

    messages: list[OutgoingMessage] = field(default_factory=list)
    delayed: list[DelayedMessage] = field(default_factory=list)
    egresses: list[EgressRecord] = field(default_factory=list)
    mutations: list[StateMutation] = field(default_factory=list)


def from_effects(effects: _effects.Effects) -> Effects:
    """The effects as the runtime reads them (:class:`statefun.local.effects.Effects`), here
    with addresses and ``Any`` arguments spelled out."""
    return Effects(
        messages=[
            OutgoingMessage(Address(ns, type, id), Any(type_url=url, value=value))
            for ns, type, id, url, value in effects.messages
        ],
        delayed=[
            DelayedMessage(delay, Address(ns, type, id), Any(type_url=url, value=value))
            for delay, ns, type, id, url, value in effects.delayed
        ],
        egresses=[
            EgressRecord(f"{ns}/{type}", Any(type_url=url, value=value))
            for ns, type, url, value in effects.egresses
        ],
        mutations=[
            StateMutation(name, value is None, None if value is None else Any.FromString(value))
            for name, value in effects.mutations
        ],
    )


def decode_response(data: bytes) -> Effects:
    """The effects of ``FromFunction`` bytes (``b""`` is a response in which nothing happened).

    Read as the runtime reads them (a mutation of an unknown type is ignored, as on Flink).
    """
    return from_effects(_effects.from_response(FromFunction.FromString(data).invocation_result))
