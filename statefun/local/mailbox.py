"""What the local runtime's mailbox holds: messages on their way and completions of requests.

The runtime is one mailbox (as a Flink task is): ingress records, messages between functions,
fired timers and request completions queue up in it in arrival order. A message is an
:data:`Envelope`, a plain tuple rather than a class: the cyclic GC stops tracking tuples of
strings and bytes, which keeps a burst of 100,000 queued records from slowing every collection
down.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Address", "Completion", "Envelope", "MailboxEvent", "address_text", "next_event"]

#: An address: ``(namespace, type, id)``.
Address = tuple[str, str, str]

#: A message on its way: ``(source or None for an ingress, target, type_url, value, hops)``.
#: ``hops`` counts the messages between functions since the input that started the chain (0
#: for an ingress record, a message from outside, or a delayed message that let virtual time
#: pass).
Envelope = tuple[Address | None, Address, str, bytes, int]


def address_text(address: Address) -> str:
    """An address as events and errors show it: ``namespace/type/id``.

    >>> address_text(("example", "greeter", "Jerry"))
    'example/greeter/Jerry'
    """
    return f"{address[0]}/{address[1]}/{address[2]}"


class Completion:
    """The mailbox event that the request in flight at ``address`` has completed."""

    __slots__ = ("address",)

    def __init__(self, address: Address) -> None:
        self.address = address


#: What the mailbox holds, in arrival order: a message to deliver (the envelope itself, to stay
#: a GC-untracked tuple) or the completion of a request.
MailboxEvent = Envelope | Completion


def next_event(mailbox: deque[MailboxEvent], backpressured: bool) -> MailboxEvent | None:
    """Take the next event to process from ``mailbox``; None when nothing can be processed.

    Under backpressure input waits: only completions of in-flight requests are taken, the
    first one in the mailbox, and messages stay where they are.
    """
    if not mailbox:
        return None
    if backpressured:
        for index, event in enumerate(mailbox):
            if type(event) is Completion:
                del mailbox[index]
                return event
        return None
    return mailbox.popleft()
