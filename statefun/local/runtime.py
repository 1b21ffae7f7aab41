"""LocalRuntime: the Flink StateFun 2.x runtime's semantics inside the Python process.

The rules are those of ``RequestReplyFunction`` (spec §3): at most one request in flight per
address, messages that arrive meanwhile go together in the next request, effects applied in the
runtime's order and all at once, delayed messages and state TTL on a virtual clock.

The runtime is one mailbox (as a Flink task is): ingress records, messages between functions,
fired timers and request completions queue up in it in arrival order. A request is computed as
soon as it is sent, but its completion is queued behind everything already waiting, so what
arrives while it is "in flight" is batched exactly as on Flink when input outpaces the function.

The pipeline of a message, one module a stage: :mod:`~statefun.local.ingress` (a record's route
and value), :mod:`~statefun.local.mailbox` (what waits, in order), this module's dispatch loop
(batching per address in :mod:`~statefun.local.addresses`, backpressure),
:mod:`~statefun.local.invocation` (the request and its retries), :mod:`~statefun.local.budgets`
and :mod:`~statefun.local.response_check` (what a response may do), then
:mod:`~statefun.local.commit` (its effects into the mailbox, :mod:`~statefun.local.timers`, the
:mod:`~statefun.local.egress_log` and the state), with :mod:`~statefun.local.ttl` on the
virtual clock; each step is an event for :mod:`~statefun.local.observers`. The module.yaml ->
runtime wiring of :meth:`LocalRuntime.from_module` is :mod:`~statefun.local.wiring`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any as _TypingAny
from typing import NoReturn

from google.protobuf.any_pb2 import Any
from google.protobuf.message import Message

from statefun.core import StatefulFunctions, message_name, packed, parse_typename
from statefun.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    InvalidResponseError,
    RuntimeFailure,
)
from statefun.local import ttl
from statefun.local.addresses import AddressState, Inflight, StateView, function_infos
from statefun.local.budgets import DEFAULT_MAX_HOPS, DEFAULT_MAX_MESSAGES, Budgets, positive
from statefun.local.clock import VirtualClock
from statefun.local.commit import Commit
from statefun.local.egress_log import EgressLog, EgressRecord
from statefun.local.events import (
    Backpressured,
    DelayFired,
    Event,
    Failed,
    Ingressed,
    RequestSent,
    Resumed,
    StateExpired,
)
from statefun.local.ingress import IngressRecords
from statefun.local.invocation import build_request, call_of, failure, invoke
from statefun.local.mailbox import (
    Address,
    Completion,
    Envelope,
    MailboxEvent,
    address_text,
    next_event,
)
from statefun.local.module_yaml import ModuleSpec
from statefun.local.observers import Observers
from statefun.local.response_check import Checked, ResponseCheck
from statefun.local.shown import message_value
from statefun.local.timers import Timers
from statefun.local.trace import DEFAULT_LIMIT as DEFAULT_TRACE_LIMIT
from statefun.local.trace import DEFAULT_VALUE_BYTES, Trace
from statefun.local.transport import InProcessTransport, Transport
from statefun.local.values import LargeValue, format_value
from statefun.local.wiring import every_function_reached, module_of, transports_for

__all__ = ["DEFAULT_MAX_HOPS", "DEFAULT_MAX_MESSAGES", "EgressRecord", "LocalRuntime", "StateView"]


class LocalRuntime:
    """Runs a module's functions like the Flink StateFun 2.x runtime, on a virtual clock."""

    def __init__(
        self,
        module: ModuleSpec,
        transports: Mapping[str, Transport],
        *,
        auto_run: bool = True,
        record_trace: bool = True,
        egress_types: Mapping[str, type[Message]] | None = None,
        max_hops: int = DEFAULT_MAX_HOPS,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        trace_limit: int | None = DEFAULT_TRACE_LIMIT,
        trace_value_bytes: int = DEFAULT_VALUE_BYTES,
    ) -> None:
        """A runtime for a parsed module whose function types are reached through ``transports``.

        ``max_hops`` bounds a chain of messages between functions that grows without new input
        and without virtual time passing (a loop): past it the sending batch fails with a
        :class:`~statefun.errors.RuntimeFailure` naming the cycle. ``max_messages`` bounds the
        messages between functions one run delivers with no virtual time passing (a fan-out
        where each message sends two never makes a long chain, but grows without end) and the
        delayed messages waiting at once; past it the sending batch fails the same way.
        ``trace_limit`` keeps only the last events in :attr:`trace` (None: all of them), and a
        message or state value of more than ``trace_value_bytes`` is kept there as its type and
        size only.
        """
        self.module = module
        self._transports = every_function_reached(module, transports)
        self._calls = {typename: call_of(t) for typename, t in self._transports.items()}
        self.clock = VirtualClock()
        self.auto_run = auto_run
        self._budgets = Budgets(max_hops, max_messages)
        self._observers = Observers(
            Trace(limit=trace_limit),
            record=record_trace,
            value_bytes=trace_value_bytes,
            egress_types=_egress_types(module, egress_types),
        )
        self._info = function_infos(module)
        self._addresses: dict[Address, AddressState] = {}
        self._mailbox: deque[MailboxEvent] = deque()
        self._timers = Timers()
        self._blocked = 0
        self._failed: list[Address] = []
        self._egress = EgressLog()
        self._ttl_addresses: set[Address] = set()
        self._ingress = IngressRecords(module)
        self._response_check = ResponseCheck(module)
        self._commit = Commit(
            self.clock,
            self._mailbox,
            self._timers,
            self._egress,
            self._budgets,
            self._ttl_addresses,
            self._observers,
        )

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_module(
        cls,
        module: str | os.PathLike[str] | ModuleSpec,
        functions: StatefulFunctions | None = None,
        *,
        app: Callable[..., _TypingAny] | None = None,
        path: str = "/statefun",
        endpoints: Mapping[str, str] | None = None,
        auto_run: bool = True,
        record_trace: bool = True,
        egress_types: Mapping[str, type[Message]] | None = None,
        max_hops: int = DEFAULT_MAX_HOPS,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        trace_limit: int | None = DEFAULT_TRACE_LIMIT,
        trace_value_bytes: int = DEFAULT_VALUE_BYTES,
    ) -> LocalRuntime:
        """A runtime for ``module`` (a module.yaml path, its text, or a parsed module).

        Functions are reached in-process (``functions``), through a WSGI ``app``, or, with
        neither, over HTTP at the endpoints of module.yaml (``endpoints`` overrides them per
        function type). ``egress_types`` maps an egress id to the message type of its record
        values (e.g. ``{"example/greets": GreetResponse}``) so the trace and :meth:`egress` show
        them decoded. ``max_hops``, ``max_messages``, ``trace_limit`` and ``trace_value_bytes``: see
        :class:`LocalRuntime`.
        """
        spec = module_of(module)
        return cls(
            spec,
            transports_for(spec, functions, app, path, endpoints),
            auto_run=auto_run,
            record_trace=record_trace,
            egress_types=egress_types,
            max_hops=max_hops,
            max_messages=max_messages,
            trace_limit=trace_limit,
            trace_value_bytes=trace_value_bytes,
        )

    def bind(self, typename: str, transport: Transport | StatefulFunctions) -> None:
        """Reach function type ``typename`` through another transport (or registry) from now on."""
        self.module.function(typename)
        if isinstance(transport, StatefulFunctions):
            transport = InProcessTransport(transport)
        self._transports[typename] = transport
        self._calls[typename] = call_of(transport)

    # -- settings --------------------------------------------------------------------------

    @property
    def record_trace(self) -> bool:
        """Whether events go to :attr:`trace` (subscribers get them either way)."""
        return self._observers.record

    @record_trace.setter
    def record_trace(self, value: bool) -> None:
        self._observers.record = value

    @property
    def egress_types(self) -> dict[str, type[Message]]:
        """How to decode the record values of each egress, for the trace and :meth:`egress`."""
        return self._observers.egress_types

    @egress_types.setter
    def egress_types(self, value: dict[str, type[Message]]) -> None:
        self._observers.egress_types = value

    @property
    def max_hops(self) -> int:
        """How long a chain of messages between functions may grow, with no new input and no
        virtual time passing, before the batch that would lengthen it fails (a loop)."""
        return self._budgets.max_hops

    @max_hops.setter
    def max_hops(self, value: int) -> None:
        self._budgets.max_hops = positive("max_hops", value)

    @property
    def max_messages(self) -> int:
        """How many messages between functions a run may deliver with no virtual time passing
        (a storm past it), and how many delayed messages may wait at once."""
        return self._budgets.max_messages

    @max_messages.setter
    def max_messages(self, value: int) -> None:
        self._budgets.max_messages = positive("max_messages", value)

    # -- inputs ----------------------------------------------------------------------------

    def ingest(
        self, ingress: str, key: str | None, value: Message | bytes, *, run: bool | None = None
    ) -> None:
        """A record arriving on an ingress (by ingress id or topic/stream name)."""
        self._enqueue_record(ingress, key, value)
        self._maybe_run(run)

    def ingest_many(
        self,
        ingress: str,
        records: Iterable[tuple[str, Message | bytes]],
        *,
        run: bool | None = None,
    ) -> int:
        """Many records at once (they queue up together, as a burst from Kafka would)."""
        count = 0
        for key, value in records:
            self._enqueue_record(ingress, key, value)
            count += 1
        self._maybe_run(run)
        return count

    def send(
        self,
        typename: str,
        id: str,
        message: Message,
        *,
        caller: tuple[str, str] | None = None,
        run: bool | None = None,
    ) -> None:
        """A message straight to an address; ``caller`` is ``("ns/type", "id")`` or no caller."""
        namespace, name = parse_typename(typename)
        self.module.function(typename)
        if not id:
            raise InvalidArgumentError("send() needs the id of the target function instance")
        source: Address | None = None
        if caller is not None:
            caller_ns, caller_type = parse_typename(caller[0])
            source = (caller_ns, caller_type, caller[1])
        type_url, payload = _packed(message)
        self._mailbox.append((source, (namespace, name, id), type_url, payload, 0))
        self._maybe_run(run)

    def advance(self, delta: timedelta, *, run: bool | None = None) -> None:
        """Move the virtual clock by ``delta``: delayed messages fire and TTLs expire on the way."""
        if not isinstance(delta, timedelta):
            raise ArgumentTypeError(
                f"advance() takes a datetime.timedelta, got {type(delta).__name__}"
            )
        if delta < timedelta(0):
            raise InvalidArgumentError("the clock cannot go backwards")
        self.advance_to(self.clock.now + delta, run=run)

    def advance_to(self, when: datetime, *, run: bool | None = None) -> None:
        """Move the virtual clock to ``when`` (see :meth:`advance`)."""
        if self._should_run(run):
            self.run()
        while (due := self._timers.next_due(when)) is not None:
            self._expire_until(due)
            self.clock.set(max(due, self.clock.now))
            self._fire(due)
            if self._should_run(run):
                self.run()
        self._expire_until(when)
        self.clock.set(max(when, self.clock.now))

    @property
    def now(self) -> datetime:
        """The virtual time."""
        return self.clock.now

    # -- running ---------------------------------------------------------------------------

    def run(self) -> int:
        """Process everything that is due (to quiescence). Returns the number of steps."""
        steps = 0
        while self.step():
            steps += 1
        return steps

    def step(self) -> bool:
        """Process one queued event; False when nothing is left. Failures raise RuntimeFailure."""
        if self._failed:
            self._resend_failed()
        mailbox = self._mailbox
        # fast path, taken three times per record: the next event of a mailbox that is not
        # backpressured is its first (what next_event returns then, without the call)
        if mailbox and not self._blocked:
            event: MailboxEvent | None = mailbox.popleft()
        else:
            event = next_event(mailbox, self._blocked > 0)
        if event is None:
            self._budgets.storm = 0  # idle: the next messages between functions count anew
            return False
        if type(event) is tuple:
            self._deliver(event)
        else:
            self._complete(event.address)  # type: ignore[union-attr]
        return True

    def resume(self) -> int:
        """After a failure and a fix: resend the failed batch, then run to quiescence."""
        return self.run()

    @property
    def pending(self) -> tuple[str, ...]:
        """What waits in the mailbox, in order (for step-by-step mode)."""
        out = []
        for event in self._mailbox:
            if isinstance(event, Completion):
                state = self._addresses[event.address]
                batch = len(state.inflight.batch) if state.inflight else 0
                out.append(f"response of {address_text(event.address)} (batch of {batch})")
            else:
                source = address_text(event[0]) if event[0] else "ingress"
                value = format_value(message_value(event[2], event[3]))
                out.append(f"message {source} -> {address_text(event[1])}: {value}")
        return tuple(out)

    @property
    def timers(self) -> tuple[tuple[datetime, str, str, object], ...]:
        """Delayed messages waiting to fire: ``(due, sender, target, message)``, in firing order."""
        return tuple(
            (
                due,
                address_text(env[0]) if env[0] else "?",
                address_text(env[1]),
                message_value(env[2], env[3]),
            )
            for due, env in self._timers.waiting()
        )

    @property
    def failure(self) -> RuntimeFailure | None:
        """The pending failure, if a request failed and was not resumed yet."""
        for address in self._failed:
            inflight = self._addresses[address].inflight
            if inflight is not None and inflight.error is not None:
                return inflight.error
        return None

    # -- outputs ---------------------------------------------------------------------------

    def state(self, typename: str, id: str) -> StateView:
        """The states of an address that hold a value, decoded (``.raw`` for the bytes)."""
        spec = self.module.function(typename)
        address = (spec.namespace, spec.name, id)
        st = self._addresses.get(address)
        raw: dict[str, bytes] = {}
        if st is not None:
            now = self.clock.now
            for name in spec.state_names:
                value = st.values.get(name)
                if value is not None and not ttl.is_expired(st, name, now):
                    raw[name] = value
        return StateView(address_text(address), raw)

    def addresses(self, typename: str | None = None) -> list[str]:
        """Addresses that hold state or have messages waiting, sorted: the ids of one function
        type, or every ``namespace/type/id`` when ``typename`` is None."""
        live = [a for a, st in self._addresses.items() if st.values or st.inflight or st.backlog]
        if typename is None:
            return sorted(address_text(a) for a in live)
        return sorted(a[2] for a in live if f"{a[0]}/{a[1]}" == typename)

    def egress(
        self, egress: str | None = None, value_type: type[Message] | None = None
    ) -> list[EgressRecord]:
        """Records sent to ``egress`` (an egress id or topic; all when None), oldest first."""
        return self._egress.select(egress, value_type, self.module.egresses, self.egress_types)

    def clear_egress(self) -> int:
        """Forget the egress records captured so far (e.g. between runs); returns how many."""
        return self._egress.clear()

    @property
    def egress_total(self) -> int:
        """How many egress records were ever captured (cleared ones included)."""
        return self._egress.total

    def egress_records(self, since: int = 0) -> Sequence[EgressRecord]:
        """Egress records, values as raw bytes; ``since`` counts from the first ever captured
        (see :attr:`egress_total`), so a reader keeps its place across :meth:`clear_egress`."""
        return self._egress.since(since)

    @property
    def trace(self) -> Trace:
        """Every step so far, in order."""
        return self._observers.trace

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on; returns an unsubscribe function."""
        return self._observers.subscribe(callback)

    def __repr__(self) -> str:
        return (
            f"LocalRuntime(module={os.path.basename(self.module.path or 'module.yaml')!r}, "
            f"functions={sorted(self.module.functions)}, "
            f"now=+{self.clock.elapsed.total_seconds():g}s, "
            f"addresses={len(self.addresses())}, pending={len(self._mailbox)}, "
            f"timers={len(self._timers)}, egress_records={len(self._egress)})"
        )

    # -- internals: inputs -----------------------------------------------------------------

    def _maybe_run(self, run: bool | None) -> None:
        if self._should_run(run):
            self.run()

    def _should_run(self, run: bool | None) -> bool:
        return self.auto_run if run is None else run

    def _enqueue_record(self, ingress: str, key: str | None, value: Message | bytes) -> None:
        route, payload = self._ingress.take(ingress, key, value)
        routing = route.routing
        id: str = key  # type: ignore[assignment]  # take() refused a key that is no str
        observers = self._observers
        if observers.observed:
            shown: object = value if isinstance(value, Message) else payload
            if len(payload) > observers.value_bytes:
                shown = LargeValue(message_name(routing.type_url), len(payload))
            observers.emit(
                Ingressed(
                    self.clock.now,
                    route.ingress.id,
                    routing.topic,
                    id,
                    tuple(routing.targets),
                    shown,
                )
            )
        type_url = routing.type_url
        for namespace, name in route.targets:
            self._mailbox.append((None, (namespace, name, id), type_url, payload, 0))

    def _fire(self, due: datetime) -> None:
        """Move the delayed messages due at ``due`` to the mailbox."""
        while (envelope := self._timers.pop(due)) is not None:
            self._observers.emit(
                DelayFired(
                    self.clock.now,
                    address_text(envelope[0]) if envelope[0] else "?",
                    address_text(envelope[1]),
                    self._observers.message(envelope),
                )
            )
            self._mailbox.append(envelope)

    # -- internals: the per-address state machine -------------------------------------------

    def _deliver(self, envelope: Envelope) -> None:
        address = envelope[1]
        st = self._addresses.get(address)
        if st is None:
            st = self._addresses[address] = AddressState(self._info[f"{address[0]}/{address[1]}"])
        if st.inflight is None:
            self._send_request(address, st, [envelope])
            return
        st.backlog.append(envelope)
        limit = st.info.limit
        if limit > 0 and len(st.backlog) >= limit and not st.blocked:
            st.blocked = True
            self._blocked += 1
            self._observers.emit(
                Backpressured(self.clock.now, address_text(address), len(st.backlog))
            )

    def _send_request(self, address: Address, st: AddressState, batch: list[Envelope]) -> None:
        spec = st.info.spec
        observed = self._observers.observed
        shown_states: list[tuple[str, bool]] | None = [] if observed else None
        on_expired: Callable[[str, bytes], None] = _never_expires
        if st.info.ttl:
            on_expired = lambda name, value: self._expired(address, name, value)  # noqa: E731
        inflight = build_request(address, st, batch, self.clock, on_expired, shown_states)
        st.inflight = inflight
        if observed:
            self._observers.emit(
                RequestSent(
                    self.clock.now,
                    address_text(address),
                    len(batch),
                    tuple(shown_states or ()),
                    self._transports[spec.typename].describe(),
                )
            )
        invoke(self._calls[spec.typename], spec, address, inflight)
        self._mailbox.append(Completion(address))

    def _complete(self, address: Address) -> None:
        """Apply the response of the request in flight at ``address``, checked (see
        :mod:`~statefun.local.response_check`), then send what arrived meanwhile."""
        st = self._addresses[address]
        inflight = st.inflight
        assert inflight is not None
        checked: Checked | None = None
        if inflight.error is None:
            effects = inflight.effects
            assert effects is not None
            hops = inflight.hops + 1
            try:
                if effects[0] or effects[1]:
                    self._budgets.check(address, hops, effects[0], effects[1], self._timers)
                checked = self._response_check.check(
                    address, st, effects, hops, self.clock.now, self._observers.observed
                )
            except InvalidResponseError as rejected:
                inflight.error = failure(address, len(inflight.batch), str(rejected), None)
        if checked is None:
            self._fail(address, inflight)
        self._commit.apply(address, st, checked)
        if st.blocked:
            st.blocked = False
            self._blocked -= 1
        if st.backlog:
            batch, st.backlog = st.backlog, []
            self._send_request(address, st, batch)
        else:
            st.inflight = None

    def _fail(self, address: Address, inflight: Inflight) -> NoReturn:
        """Stop on the failure of the request in flight at ``address``: its batch stays
        pending, to be resent by :meth:`resume` (nothing of it was applied)."""
        error = inflight.error
        assert error is not None
        self._failed.append(address)
        event = Failed(self.clock.now, address_text(address), len(inflight.batch), error.reason)
        self._observers.emit(event)
        raise error

    def _resend_failed(self) -> None:
        """The "unknown" path: resend the very same request of each failed address."""
        failed, self._failed = self._failed, []
        for position, address in enumerate(failed):
            st = self._addresses[address]
            inflight = st.inflight
            assert inflight is not None
            spec = self.module.functions[f"{address[0]}/{address[1]}"]
            inflight.error = inflight.effects = None
            self._observers.emit(
                Resumed(self.clock.now, address_text(address), len(inflight.batch))
            )
            invoke(self._calls[spec.typename], spec, address, inflight)
            self._mailbox.insert(position, Completion(address))

    # -- internals: TTL ---------------------------------------------------------------------

    def _expired(self, address: Address, name: str, value: bytes) -> None:
        """Say that state ``name`` of ``address`` expired, holding ``value``."""
        shown = self._observers.state(value)
        self._observers.emit(StateExpired(self.clock.now, address_text(address), name, shown))

    def _expire_until(self, when: datetime) -> None:
        """Expire, in time order, every TTL state whose time has come by ``when``."""
        for expiry, _, address, name in ttl.due(self._addresses, self._ttl_addresses, when):
            self.clock.set(max(expiry, self.clock.now))
            self._expired(address, name, ttl.expire(self._addresses[address], name))


def _never_expires(name: str, value: bytes) -> None:
    """What a request to a function type without TTL states does when one expires: nothing
    (none can)."""


def _egress_types(
    module: ModuleSpec, egress_types: Mapping[str, type[Message]] | None
) -> dict[str, type[Message]]:
    unknown = sorted(set(egress_types or {}) - set(module.egresses))
    if unknown:
        raise InvalidArgumentError(
            f"egress_types names {unknown}, which module.yaml does not declare "
            f"(declared: {sorted(module.egresses)})"
        )
    return dict(egress_types or {})


def _packed(message: Message | Any) -> tuple[str, bytes]:
    """An ``Any`` as it is, or a message packed into one."""
    if isinstance(message, Any):
        return message.type_url, message.value
    return packed(message, "send")
