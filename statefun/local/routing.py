"""Ingress routing: which routable ingress and topic a record fed by ingress id or topic takes.

The one rule behind :meth:`LocalRuntime.ingest <statefun.local.runtime.LocalRuntime.ingest>` and
``statefun-lab run --ingress``, so both accept and refuse the same names with the same errors.
"""

from __future__ import annotations

from statefun.errors import IngressRoutingError
from statefun.local.module_yaml import IngressSpec, ModuleSpec, RoutingSpec

__all__ = ["route_of"]


def route_of(module: ModuleSpec, name: str) -> tuple[IngressSpec, RoutingSpec]:
    """The routable ingress and the topic routing that a record on ``name`` arrives by.

    ``name`` is an ingress id, or a topic (stream) that an ingress reads. Raises a
    ``ValueError`` naming the known ids and topics when there is no such ingress (from
    :meth:`ModuleSpec.ingress_for`), and an :class:`~statefun.errors.IngressRoutingError` when
    the ingress needs a router or the id stands for several topics.
    """
    ingress, route = module.ingress_for(name)
    if not ingress.routable:
        raise IngressRoutingError(
            f"ingress {ingress.id} is a {ingress.type}, which needs a router: the local runtime "
            f"feeds only routable ingresses (statefun.kafka.io/routable-protobuf-ingress)."
        )
    if route is None:
        topics = ", ".join(repr(r.topic) for r in ingress.topics)
        raise IngressRoutingError(
            f"ingress {ingress.id} reads several topics ({topics}): name the topic the record "
            f"arrives on instead of the ingress id, e.g. {ingress.topics[0].topic!r}."
        )
    return ingress, route
