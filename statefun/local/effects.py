"""What a function's response asks of the runtime: its effects, read from either form it takes.

Over a wire the response is a serialized ``FromFunction``; in-process the SDK's own
:class:`~statefun.request_reply.BatchContext` already holds the same records. Both become one
:class:`Effects`, in the shapes the SDK records them in, so the runtime checks and applies them
the same way whichever transport brought them.
"""

from __future__ import annotations

from typing import NamedTuple

from statefun.request_reply import _DELETE, _MODIFY, BatchContext
from statefun.request_reply_pb2 import FromFunction

__all__ = ["Effects", "from_context", "from_response"]


class Effects(NamedTuple):
    """The effects of one response, in the order the runtime applies them.

    Message arguments are ``(type_url, value)`` pairs spelled out in each record.
    """

    #: ``(namespace, type, id, type_url, value)`` per message to another address.
    messages: list[tuple[str, str, str, str, bytes]]
    #: ``(delay_ms, namespace, type, id, type_url, value)`` per delayed message.
    delayed: list[tuple[int, str, str, str, str, bytes]]
    #: ``(egress namespace, egress type, type_url, value)`` per egress record.
    egresses: list[tuple[str, str, str, bytes]]
    #: ``(state name, new value)`` per changed state; a value of None deletes the state.
    mutations: list[tuple[str, bytes | None]]


def from_response(response: FromFunction.InvocationResponse) -> Effects:
    """The effects of a parsed ``FromFunction.invocation_result``.

    A mutation of a type other than MODIFY or DELETE is ignored, as the Flink runtime does.
    """
    messages = []
    outgoing = response.outgoing_messages  # (iterating an empty field is not free in upb)
    for out in outgoing if outgoing else ():
        t, argument = out.target, out.argument
        messages.append((t.namespace, t.type, t.id, argument.type_url, argument.value))
    delayed = []
    delayed_invocations = response.delayed_invocations
    for d in delayed_invocations if delayed_invocations else ():
        t, argument = d.target, d.argument
        delayed.append(
            (d.delay_in_ms, t.namespace, t.type, t.id, argument.type_url, argument.value)
        )
    egresses = []
    outgoing_egresses = response.outgoing_egresses
    for e in outgoing_egresses if outgoing_egresses else ():
        argument = e.argument
        egresses.append((e.egress_namespace, e.egress_type, argument.type_url, argument.value))
    mutations: list[tuple[str, bytes | None]] = []
    state_mutations = response.state_mutations
    for m in state_mutations if state_mutations else ():
        mutation_type = m.mutation_type
        if mutation_type == _MODIFY:
            mutations.append((m.state_name, m.state_value))
        elif mutation_type == _DELETE:
            mutations.append((m.state_name, None))
    return Effects(messages, delayed, egresses, mutations)


def from_context(context: BatchContext) -> Effects:
    """The effects an in-process batch recorded in the SDK's context (no serialization).

    The same effects the SDK's ``build_response`` would write, which its own tests pin down.
    """
    mutations: list[tuple[str, bytes | None]] = [
        (h.name, None if h.deleted else h.bytes() or b"")
        for h in context.states.values()
        if h.modified
    ]
    return Effects(context.messages, context.delayed_messages, context.egresses, mutations)
