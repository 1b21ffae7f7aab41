"""Committing a checked response: every effect lands, in the runtime's order, each an event."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from messages_pb2 import GreetResponse
from module_builder import build_module, function

from statefun import kafka_egress_record
from statefun.local.addresses import AddressState, function_infos
from statefun.local.budgets import Budgets
from statefun.local.clock import EPOCH, VirtualClock
from statefun.local.commit import Commit
from statefun.local.egress_log import EgressLog
from statefun.local.events import (
    DelayScheduled,
    Egressed,
    MessageSent,
    Responded,
    StateChanged,
)
from statefun.local.mailbox import MailboxEvent
from statefun.local.observers import Observers
from statefun.local.response_check import Checked
from statefun.local.timers import Timers
from statefun.local.trace import Trace

A = ("example", "greeter", "Jerry")
TOM = ("example", "greeter", "Tom")
URL = "type.googleapis.com/example.GreetRequest"
STATES = [{"name": "seen_count", "expireAfter": "60s"}, {"name": "other"}]
MODULE = build_module(function("example/greeter", STATES), version="2.0")
RECORD = kafka_egress_record(topic="greetings", key="Jerry", value=GreetResponse(greeting="Hi"))


class Runtime:
    """What a runtime lends its commit."""

    def __init__(self, record: bool = True) -> None:
        self.clock = VirtualClock()
        self.mailbox: deque[MailboxEvent] = deque()
        self.timers = Timers()
        self.egress = EgressLog()
        self.budgets = Budgets()
        self.with_ttl: set[tuple[str, str, str]] = set()
        self.observers = Observers(Trace(), record=record, value_bytes=4096, egress_types={})
        self.commit = Commit(
            self.clock,
            self.mailbox,
            self.timers,
            self.egress,
            self.budgets,
            self.with_ttl,
            self.observers,
        )


def effects() -> Checked:
    raw = ("example/greets", True, RECORD.SerializeToString(), EPOCH)
    return Checked(
        [(A, TOM, URL, b"m", 1)],
        [(1000, (A, TOM, URL, b"d", 0))],
        [raw],
        [("seen_count", b"s"), ("other", b"o"), ("other", None)],
    )


def test_every_effect_lands_where_it_belongs() -> None:
    rt = Runtime()
    st = AddressState(function_infos(MODULE)["example/greeter"])
    rt.commit.apply(A, st, effects())
    assert list(rt.mailbox) == [(A, TOM, URL, b"m", 1)]
    assert rt.timers.waiting() == [(EPOCH + timedelta(seconds=1), (A, TOM, URL, b"d", 0))]
    assert [r.topic for r in rt.egress.since(0)] == ["greetings"]
    assert st.values == {"seen_count": b"s"}
    assert st.accessed == {"seen_count": EPOCH} and rt.with_ttl == {A}  # a write starts a TTL
    assert rt.budgets.storm == 1 and rt.budgets.senders == {TOM: A}


def test_each_effect_is_an_event_in_the_runtime_order() -> None:
    rt = Runtime()
    rt.commit.apply(A, AddressState(function_infos(MODULE)["example/greeter"]), effects())
    kinds = [type(e) for e in rt.observers.trace]
    assert kinds == [Responded, MessageSent, DelayScheduled, Egressed] + [StateChanged] * 3
    responded = rt.observers.trace[0]
    assert responded == Responded(EPOCH, "example/greeter/Jerry", 1, 1, 1, 3)
    deleted = rt.observers.trace[-1]
    assert isinstance(deleted, StateChanged) and deleted.after is None


def test_nobody_observing_no_event_is_built() -> None:
    rt = Runtime(record=False)
    seen: list[object] = []
    rt.commit.apply(A, AddressState(function_infos(MODULE)["example/greeter"]), effects())
    assert len(rt.observers.trace) == 0 and len(rt.mailbox) == 1
    rt.observers.subscribe(seen.append)
    rt.commit.apply(A, AddressState(function_infos(MODULE)["example/greeter"]), effects())
    assert len(seen) == 7 and len(rt.observers.trace) == 0
