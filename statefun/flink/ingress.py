"""Producing records into a running stack's Kafka: :class:`StackIngress`.

:meth:`StackIngress.produce` writes one record, :meth:`StackIngress.produce_many` many, and
:meth:`StackIngress.send` is the walkthrough's shorthand (``GreetRequest(name=...)`` keyed by
each name to the ingress topic). :func:`message_class` finds the generated class of a type URL.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from statefun.core import message_name
from statefun.errors import FlinkStackError
from statefun.flink.base import StackBase
from statefun.flink.kafka import Producer

__all__ = ["StackIngress", "message_class"]


class StackIngress(StackBase):
    """The part of :class:`~statefun.flink.FlinkStack` that writes to its ingress topics."""

    def _producer_(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self.bootstrap)
        return self._producer

    def produce(self, topic: str, key: str | None, value: Message | bytes) -> None:
        """Write one record to ``topic`` (keyed by ``key``: the routable ingress's function
        id), ``value`` a message (serialized as itself) or bytes; flushed."""
        producer = self._producer_()
        producer.send(topic, key, value)
        producer.flush()

    def produce_many(
        self, topic: str, records: Iterable[tuple[str | None, Message | bytes]]
    ) -> int:
        """Write ``(key, value)`` records to ``topic``; returns how many."""
        return self._producer_().send_many(topic, records)

    def send(self, *names: str, topic: str | None = None) -> int:
        """The walkthrough's shorthand: for each name, produce ``Request(name=name)`` keyed by
        the name to the ingress topic (the only one module.yaml reads, or ``topic``), where
        ``Request`` is the message type of the topic's ``typeUrl`` (``example.GreetRequest``;
        its module must be imported, e.g. ``from messages_pb2 import GreetRequest``)."""
        route_topic, cls = self._ingress_route(topic)
        if "name" not in cls.DESCRIPTOR.fields_by_name:
            raise FlinkStackError(
                f"send() builds {cls.DESCRIPTOR.full_name}(name=...), which has no `name` field: "
                f"use stack.produce({route_topic!r}, key, message) instead."
            )
        return self.produce_many(route_topic, ((n, cls(name=n)) for n in names))

    def _ingress_route(self, topic: str | None) -> tuple[str, type[Message]]:
        routes = [
            route
            for ingress in self.module.ingresses.values()
            for route in ingress.topics
            if topic is None or route.topic == topic
        ]
        if len(routes) != 1:
            known = sorted({r.topic for i in self.module.ingresses.values() for r in i.topics})
            which = f"topic {topic!r}" if topic else "a single ingress topic"
            raise FlinkStackError(
                f"{self.module_path}: found {len(routes)} routes for {which} (topics: "
                f"{', '.join(known) or 'none'}); pass topic= one of them."
            )
        return routes[0].topic, message_class(routes[0].type_url)


def message_class(type_url_or_name: str) -> type[Message]:
    """The message class of a type URL (``com.googleapis/example.GreetRequest``) or full name,
    from the default descriptor pool: its ``_pb2`` module must have been imported."""
    name = message_name(type_url_or_name)
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        raise FlinkStackError(
            f"the message type {name} is not loaded: import its generated module first "
            f"(e.g. `from messages_pb2 import GreetRequest, GreetResponse`)."
        ) from None
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls
