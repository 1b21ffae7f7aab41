"""Committing a checked response: its effects applied all at once, in the runtime's order.

Messages go to the mailbox, delayed messages to the timers, records to the egress log, then the
state changes (a write restarts a TTL); each step is an event for whoever observes. Nothing can
fail here: :mod:`statefun.local.response_check` refused what the job would fail on.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from statefun.local.addresses import AddressState
from statefun.local.budgets import Budgets
from statefun.local.clock import VirtualClock
from statefun.local.egress_log import EgressLog
from statefun.local.events import DelayScheduled, MessageSent, Responded, StateChanged
from statefun.local.mailbox import Address, Envelope, MailboxEvent, address_text
from statefun.local.observers import Observers
from statefun.local.response_check import Checked
from statefun.local.timers import Timers

__all__ = ["Commit"]


@dataclass(slots=True)
class Commit:
    """Applies the checked responses of one runtime to its mailbox, timers, egress and state.

    ``budgets`` counts the messages and keeps their senders; ``with_ttl`` gets every address
    that writes a TTL state.
    """

    clock: VirtualClock
    mailbox: deque[MailboxEvent]
    timers: Timers
    egress: EgressLog
    budgets: Budgets
    with_ttl: set[Address]
    observers: Observers

    def apply(self, address: Address, st: AddressState, effects: Checked) -> None:
        """Apply the effects of a response of ``address``: messages, delayed, egress, state,
        all at the same virtual time."""
        messages, delayed, egresses, mutations = effects
        observers = self.observers
        now = self.clock.now
        source = address_text(address) if observers.observed else ""
        if source:
            counts = (len(messages), len(delayed), len(egresses), len(mutations))
            observers.emit(Responded(now, source, *counts))
        if messages:
            self._messages(address, source, messages, now)
        if delayed:
            self._delayed(address, source, delayed, now)
        if egresses:  # captured here rather than in a method (a fast path: most responses)
            self.egress.raw.extend(egresses)
            if source:
                for raw in egresses:
                    observers.emit(observers.egressed(raw, now))
        if mutations:
            self._mutations(address, st, source, mutations, now)

    def _messages(
        self, address: Address, source: str, messages: list[Envelope], now: datetime
    ) -> None:
        """Queue the messages in the mailbox (``source``: the sender's text when observed)."""
        mailbox = self.mailbox
        senders = self.budgets.senders
        self.budgets.storm += len(messages)
        observers = self.observers
        for envelope in messages:
            if source:
                target = address_text(envelope[1])
                shown = observers.message(envelope)
                observers.emit(MessageSent(now, source, target, shown))
            senders[envelope[1]] = address
            mailbox.append(envelope)

    def _delayed(
        self, address: Address, source: str, delayed: list[tuple[int, Envelope]], now: datetime
    ) -> None:
        """Hold the delayed messages in the timers until they are due."""
        senders = self.budgets.senders
        observers = self.observers
        for delay_ms, envelope in delayed:
            senders[envelope[1]] = address
            due = now + timedelta(milliseconds=delay_ms)
            self.timers.schedule(due, envelope)
            if source:
                target, shown = address_text(envelope[1]), observers.message(envelope)
                observers.emit(DelayScheduled(now, source, target, due, shown))

    def _mutations(
        self,
        address: Address,
        st: AddressState,
        source: str,
        mutations: list[tuple[str, bytes | None]],
        now: datetime,
    ) -> None:
        """Write and delete the states; a write restarts a TTL."""
        with_ttl = st.info.ttl
        values = st.values
        observers = self.observers
        for name, value in mutations:
            before = values.get(name)
            if value is not None:
                values[name] = value
                if name in with_ttl:
                    st.accessed[name] = now
                    self.with_ttl.add(address)
            else:
                values.pop(name, None)
                st.accessed.pop(name, None)
            if source:
                shown = (observers.state(before), observers.state(value))
                observers.emit(StateChanged(now, source, name, *shown))
