"""LocalRuntime: the Flink StateFun 2.x runtime's semantics inside the Python process.

The rules are those of ``RequestReplyFunction`` (spec §3): at most one request in flight per
address, messages that arrive meanwhile go together in the next request, effects applied in the
runtime's order and all at once, delayed messages and state TTL on a virtual clock.

The runtime is one mailbox (as a Flink task is): ingress records, messages between functions,
fired timers and request completions queue up in it in arrival order. A request is computed as
soon as it is sent, but its completion is queued behind everything already waiting, so what
arrives while it is "in flight" is batched exactly as on Flink when input outpaces the function.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any as _TypingAny
from typing import NamedTuple

from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message

from statefun.core import StatefulFunctions, message_name, packed, parse_typename
from statefun.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    InvalidResponseError,
    RuntimeFailure,
    UnknownEgressError,
)
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.kinesis_egress_pb2 import KinesisEgressRecord
from statefun.local.clock import VirtualClock
from statefun.local.effects import Effects, from_response
from statefun.local.events import (
    Backpressured,
    DelayFired,
    DelayScheduled,
    Egressed,
    Event,
    Failed,
    Ingressed,
    MessageSent,
    RequestSent,
    Responded,
    Resumed,
    StateChanged,
    StateExpired,
)
from statefun.local.module_yaml import (
    FunctionSpec,
    ModuleSpec,
    StateSpec,
    load_module,
    parse_module,
)
from statefun.local.routing import route_of
from statefun.local.trace import DEFAULT_LIMIT as DEFAULT_TRACE_LIMIT
from statefun.local.trace import DEFAULT_VALUE_BYTES, Trace
from statefun.local.transport import (
    CONTENT_TYPE,
    Attempt,
    HttpTransport,
    InProcessTransport,
    Transport,
    TransportError,
    WSGITransport,
)
from statefun.local.values import LargeValue, decode_any, format_value
from statefun.request_reply_pb2 import FromFunction, ToFunction

__all__ = ["DEFAULT_MAX_HOPS", "DEFAULT_MAX_MESSAGES", "EgressRecord", "LocalRuntime", "StateView"]

_KAFKA_RECORD = KafkaProducerRecord.DESCRIPTOR.full_name
_KINESIS_RECORD = KinesisEgressRecord.DESCRIPTOR.full_name
_RETRYABLE = {408, 409, 420, 429, 499, 500}

_Address = tuple[str, str, str]  # (namespace, type, id)


def _addr(a: _Address) -> str:
    return f"{a[0]}/{a[1]}/{a[2]}"


# A message on its way: (source or None for an ingress, target, type_url, value, hops). A
# plain tuple, not a class: the cyclic GC stops tracking tuples of strings and bytes, which
# keeps a burst of 100,000 queued records from slowing every collection down. ``hops`` counts
# the messages between functions since the input that started the chain (0 for an ingress
# record, a message from outside, or a delayed message that let virtual time pass).
_Envelope = tuple[_Address | None, _Address, str, bytes, int]


class _Completion:
    """The mailbox event that the request in flight at ``address`` has completed."""

    __slots__ = ("address",)

    def __init__(self, address: _Address) -> None:
        self.address = address


# What the mailbox holds, in arrival order: a message to deliver (the envelope itself, to stay
# a GC-untracked tuple) or the completion of a request.
_MailboxEvent = _Envelope | _Completion

# The virtual clock's horizon: Python's dates end in the year 9999.
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

#: The default of ``LocalRuntime(max_hops=...)``: how long a chain of messages between
#: functions may grow, without new input or virtual time passing, before it is taken for a loop.
DEFAULT_MAX_HOPS = 10_000

#: The default of ``LocalRuntime(max_messages=...)``: how many messages between functions a run
#: may deliver, with no virtual time passing, before a fan-out that grows without end (each
#: message sending two) is taken for a storm; also the most delayed messages that may wait.
DEFAULT_MAX_MESSAGES = 100_000


@dataclass(slots=True)
class _Inflight:
    batch: list[_Envelope]
    request: bytes
    effects: Effects | None = None  # what came back, whichever transport brought it
    error: RuntimeFailure | None = None
    attempts: int = 1
    hops: int = 0  # the longest chain of messages in the batch (see _Envelope)


@dataclass(slots=True)
class _FunctionInfo:
    """What the hot path needs of a function type, computed once."""

    spec: FunctionSpec
    states: frozenset[str]
    ttl: dict[str, StateSpec]  # the states with an expireAfter
    limit: int  # maxNumBatchRequests; <= 0: no backpressure
    state_names: tuple[str, ...]  # in module.yaml order


@dataclass(slots=True)
class _AddressState:
    info: _FunctionInfo
    inflight: _Inflight | None = None
    backlog: list[_Envelope] = field(default_factory=list)
    values: dict[str, bytes] = field(default_factory=dict)
    accessed: dict[str, datetime] = field(default_factory=dict)  # for TTL
    blocked: bool = False


class EgressRecord(NamedTuple):
    """A record that went out on an egress. ``value`` is decoded when a type was given."""

    egress: str
    topic: str  # the Kinesis stream for a Kinesis egress
    key: str | None  # the Kinesis partition key for a Kinesis egress
    value: object
    time: datetime
    explicit_hash_key: str | None = None

    def __repr__(self) -> str:
        value = format_value(self.value)
        return f"EgressRecord(topic={self.topic!r}, key={self.key!r}, value={value})"


# An egress record as stored: the fields of EgressRecord in a plain tuple (untracked by the GC).
# (egress id, True for Kafka, the serialised KafkaProducerRecord/KinesisEgressRecord, time):
# decoded into an EgressRecord when read, as Flink's sinks decode them after the response.
_RawEgress = tuple[str, bool, bytes, datetime]


def _egress_record(raw: _RawEgress) -> EgressRecord:
    egress_id, is_kafka, record, time = raw
    try:
        if is_kafka:
            kafka = KafkaProducerRecord.FromString(record)
            return EgressRecord(egress_id, kafka.topic, kafka.key or None, kafka.value_bytes, time)
        kinesis = KinesisEgressRecord.FromString(record)
    except DecodeError as e:
        kind = "KafkaProducerRecord" if is_kafka else "KinesisEgressRecord"
        raise InvalidArgumentError(
            f"a record sent to egress {egress_id} is not a valid {kind} ({len(record)} bytes): "
            f"{e}. Build it with kafka_egress_record/kinesis_egress_record."
        ) from e
    return EgressRecord(
        egress_id,
        kinesis.stream,
        kinesis.partition_key,
        kinesis.value_bytes,
        time,
        kinesis.explicit_hash_key or None,
    )


class _Checked(NamedTuple):
    messages: list[_Envelope]
    delayed: list[tuple[int, _Envelope]]
    egresses: list[_RawEgress]
    mutations: list[tuple[str, bytes | None]]  # None: DELETE


class StateView(Mapping[str, object]):
    """The states of one address that have a value, decoded; ``.raw`` has the stored bytes."""

    def __init__(self, address: str, raw: dict[str, bytes]) -> None:
        self.address = address
        self.raw = raw

    def __getitem__(self, name: str) -> object:
        return decode_any(Any.FromString(self.raw[name]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{n!r}: {format_value(self[n])}" for n in self.raw) + "}"


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
        unknown = sorted(set(egress_types or {}) - set(module.egresses))
        if unknown:
            raise InvalidArgumentError(
                f"egress_types names {unknown}, which module.yaml does not declare "
                f"(declared: {sorted(module.egresses)})"
            )
        #: How to decode the record values of each egress, for the trace and :meth:`egress`.
        self.egress_types: dict[str, type[Message]] = dict(egress_types or {})
        self._transports = dict(transports)
        self._calls = {typename: _call_of(t) for typename, t in self._transports.items()}
        missing = [t for t in module.functions if t not in self._transports]
        if missing:
            raise InvalidArgumentError(f"no transport for function types {missing}")
        self.clock = VirtualClock()
        self.auto_run = auto_run
        self.record_trace = record_trace
        self.max_hops = _positive("max_hops", max_hops)
        self.max_messages = _positive("max_messages", max_messages)
        self._storm = 0  # messages between functions since the runtime was last idle
        self._trace = Trace(limit=trace_limit)
        self._value_bytes = trace_value_bytes
        self._senders: dict[_Address, _Address] = {}  # the last sender of each message target
        self._subscribers: list[Callable[[Event], None]] = []
        self._addresses: dict[_Address, _AddressState] = {}
        self._mailbox: deque[_MailboxEvent] = deque()
        self._timers: list[tuple[datetime, int, _Envelope]] = []
        self._seq = itertools.count()
        self._blocked = 0
        self._failed: list[_Address] = []
        self._egress: list[_RawEgress] = []  # materialised as EgressRecord when read
        self._egress_cleared = 0
        self._ttl_addresses: set[_Address] = set()
        self._info = {
            typename: _FunctionInfo(
                spec,
                frozenset(spec.state_names),
                {s.name: s for s in spec.states if s.expire_after is not None},
                spec.max_num_batch_requests,
                spec.state_names,
            )
            for typename, spec in module.functions.items()
        }
        # (namespace, type) of each function type / egress id: the checks of a response
        self._function_keys = {(spec.namespace, spec.name) for spec in module.functions.values()}
        self._egress_checks: dict[tuple[str, str], tuple[str, str]] = {}
        for egress_id, egress_spec in module.egresses.items():
            namespace, _, name = egress_id.rpartition("/")
            expected = _KAFKA_RECORD if egress_spec.kind == "kafka" else _KINESIS_RECORD
            self._egress_checks[(namespace, name)] = (egress_id, "/" + expected)
        self._routes: dict[str, tuple[_TypingAny, _TypingAny, list[tuple[str, str]]]] = {}
        self._checked_types: set[tuple[str, type]] = set()  # (typeUrl, message class) that match

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
        spec = _load(module)
        endpoints = dict(endpoints or {})
        unknown = sorted(set(endpoints) - set(spec.functions))
        if unknown:
            raise InvalidArgumentError(
                f"endpoints given for {unknown}, which module.yaml does not declare "
                f"(declared: {sorted(spec.functions)})"
            )
        if functions is not None and app is not None:
            raise InvalidArgumentError("give either functions (in-process) or app (WSGI), not both")
        transports: dict[str, Transport] = {}
        shared: Transport | None = None
        if functions is not None:
            shared = InProcessTransport(functions)
        elif app is not None:
            shared = WSGITransport(app, path)
        for typename, fn in spec.functions.items():
            if typename in endpoints:
                transports[typename] = _http(endpoints[typename], fn)
            elif shared is not None:
                transports[typename] = shared
            else:
                if not fn.endpoint:
                    raise InvalidArgumentError(
                        f"function {typename} has no endpoint in module.yaml"
                    )
                transports[typename] = _http(fn.endpoint, fn)
        return cls(
            spec,
            transports,
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
        self._calls[typename] = _call_of(transport)

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
        source: _Address | None = None
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
        while self._timers and self._timers[0][0] <= when:
            due = self._timers[0][0]
            self._expire_until(due)
            self.clock.set(max(due, self.clock.now))
            while self._timers and self._timers[0][0] == due:
                _, _, envelope = heapq.heappop(self._timers)
                self._emit(
                    DelayFired(
                        self.clock.now,
                        _addr(envelope[0]) if envelope[0] else "?",
                        _addr(envelope[1]),
                        self._shown(envelope),
                    )
                )
                self._mailbox.append(envelope)
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
        event = self._next_event()
        if event is None:
            self._storm = 0  # idle: the next messages between functions start a new count
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
            if isinstance(event, _Completion):
                state = self._addresses[event.address]
                batch = len(state.inflight.batch) if state.inflight else 0
                out.append(f"response of {_addr(event.address)} (batch of {batch})")
            else:
                source = _addr(event[0]) if event[0] else "ingress"
                out.append(f"message {source} -> {_addr(event[1])}: {format_value(_value(event))}")
        return tuple(out)

    @property
    def timers(self) -> tuple[tuple[datetime, str, str, object], ...]:
        """Delayed messages waiting to fire: ``(due, sender, target, message)``, in firing order."""
        return tuple(
            (due, _addr(env[0]) if env[0] else "?", _addr(env[1]), _value(env))
            for due, _, env in sorted(self._timers, key=lambda t: (t[0], t[1]))
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
            for name in spec.state_names:
                value = st.values.get(name)
                if value is not None and not self._expired(st, name):
                    raw[name] = value
        return StateView(_addr(address), raw)

    def addresses(self, typename: str | None = None) -> list[str]:
        """Addresses that hold state or have messages waiting, sorted: the ids of one function
        type, or every ``namespace/type/id`` when ``typename`` is None."""
        live = [a for a, st in self._addresses.items() if st.values or st.inflight or st.backlog]
        if typename is None:
            return sorted(_addr(a) for a in live)
        return sorted(a[2] for a in live if f"{a[0]}/{a[1]}" == typename)

    def egress(
        self, egress: str | None = None, value_type: type[Message] | None = None
    ) -> list[EgressRecord]:
        """Records sent to ``egress`` (an egress id or topic; all when None), oldest first."""
        if (
            egress is not None
            and egress not in self.module.egresses
            and not any(_egress_record(raw).topic == egress for raw in self._egress)
        ):
            raise UnknownEgressError(egress, sorted(self.module.egresses))
        out = []
        for raw in self._egress:
            r = _egress_record(raw)
            if egress is not None and egress not in (r.egress, r.topic):
                continue
            decode_as = value_type or self.egress_types.get(r.egress)
            if decode_as is not None and isinstance(r.value, bytes):
                r = r._replace(value=decode_as.FromString(r.value))
            out.append(r)
        return out

    def clear_egress(self) -> int:
        """Forget the egress records captured so far (e.g. between runs); returns how many."""
        count = len(self._egress)
        self._egress_cleared += count
        self._egress.clear()
        return count

    @property
    def egress_total(self) -> int:
        """How many egress records were ever captured (cleared ones included)."""
        return self._egress_cleared + len(self._egress)

    def egress_records(self, since: int = 0) -> Sequence[EgressRecord]:
        """Egress records, values as raw bytes; ``since`` counts from the first ever captured
        (see :attr:`egress_total`), so a reader keeps its place across :meth:`clear_egress`."""
        start = max(0, since - self._egress_cleared)
        return [_egress_record(raw) for raw in self._egress[start:]]

    @property
    def trace(self) -> Trace:
        """Every step so far, in order."""
        return self._trace

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

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

    def _route(self, ingress: str) -> tuple[_TypingAny, _TypingAny, list[tuple[str, str]]]:
        """The ingress, its routing and the parsed target types, for an ingress id or topic."""
        cached = self._routes.get(ingress)
        if cached is not None:
            return cached
        spec, route = route_of(self.module, ingress)
        targets = [parse_typename(typename) for typename in route.targets]
        self._routes[ingress] = (spec, route, targets)
        return spec, route, targets

    def _enqueue_record(self, ingress: str, key: str | None, value: Message | bytes) -> None:
        spec, route, targets = self._route(ingress)
        if key is None or key == "":
            raise InvalidArgumentError(
                f"a record on {spec.id} [{route.topic}] needs a key: the routable ingress makes "
                f"the key the function id (the real runtime fails the job on a null key)"
            )
        if not isinstance(key, str):
            raise ArgumentTypeError(
                f"the record key must be a str (the UTF-8 Kafka key), got {type(key).__name__}"
            )
        if type(value) is bytes:
            payload = value
        elif (route.type_url, type(value)) in self._checked_types:
            payload = value.SerializeToString()  # type: ignore[union-attr]
        elif isinstance(value, Message):
            expected = message_name(route.type_url)
            actual = value.DESCRIPTOR.full_name
            if actual != expected:
                raise ArgumentTypeError(
                    f"topic {route.topic!r} carries {expected} (typeUrl {route.type_url!r}), but "
                    f"the value is a {actual}; send a {expected}, or raw bytes"
                )
            self._checked_types.add((route.type_url, type(value)))
            payload = value.SerializeToString()
        elif isinstance(value, bytes | bytearray | memoryview):
            payload = bytes(value)
        else:
            raise ArgumentTypeError(
                f"a record value is a protobuf message or bytes, got {type(value).__name__}"
            )
        if self._observed:
            shown: object = value if isinstance(value, Message) else payload
            if len(payload) > self._value_bytes:
                shown = LargeValue(message_name(route.type_url), len(payload))
            self._emit(
                Ingressed(self.clock.now, spec.id, route.topic, key, tuple(route.targets), shown)
            )
        type_url = route.type_url
        for namespace, name in targets:
            self._mailbox.append((None, (namespace, name, key), type_url, payload, 0))

    # -- internals: the per-address state machine -------------------------------------------

    def _next_event(self) -> _MailboxEvent | None:
        mailbox = self._mailbox
        if not mailbox:
            return None
        if self._blocked:
            # Backpressure: input waits; only completions of in-flight requests are processed.
            for index, event in enumerate(mailbox):
                if type(event) is _Completion:
                    del mailbox[index]
                    return event
            return None
        return mailbox.popleft()

    def _deliver(self, envelope: _Envelope) -> None:
        address = envelope[1]
        st = self._addresses.get(address)
        if st is None:
            st = self._addresses[address] = _AddressState(self._info[f"{address[0]}/{address[1]}"])
        if st.inflight is None:
            self._send_request(address, st, [envelope])
            return
        st.backlog.append(envelope)
        limit = st.info.limit
        if limit > 0 and len(st.backlog) >= limit and not st.blocked:
            st.blocked = True
            self._blocked += 1
            self._emit(Backpressured(self.clock.now, _addr(address), len(st.backlog)))

    def _send_request(self, address: _Address, st: _AddressState, batch: list[_Envelope]) -> None:
        spec = st.info.spec
        typename = spec.typename
        to_function = ToFunction()
        request = to_function.invocation
        target = request.target
        target.namespace, target.type, target.id = address
        observed = self._observed
        shown_states = []
        add_state = request.state.add
        values = st.values
        ttl = st.info.ttl
        for name in st.info.state_names:
            persisted = add_state()
            persisted.state_name = name
            value = self._read_state(address, st, name) if name in ttl else values.get(name)
            if value is not None:
                persisted.state_value = value
            if observed:
                shown_states.append((name, value is not None))
        add = request.invocations.add
        longest = 0
        for envelope in batch:
            invocation = add()
            source, _, type_url, value, hops = envelope
            if source is not None:
                c = invocation.caller
                c.namespace, c.type, c.id = source
                if hops > longest:
                    longest = hops
            argument = invocation.argument
            argument.type_url = type_url
            argument.value = value
        inflight = _Inflight(batch, to_function.SerializeToString(), hops=longest)
        st.inflight = inflight
        transport = self._transports[typename]
        if observed:
            self._emit(
                RequestSent(
                    self.clock.now,
                    _addr(address),
                    len(batch),
                    tuple(shown_states),
                    transport.describe(),
                )
            )
        self._call(address, spec, inflight)
        self._mailbox.append(_Completion(address))

    def _call(self, address: _Address, spec: FunctionSpec, inflight: _Inflight) -> None:
        """One request with the retry policy of spec §3.4; fills ``effects`` or ``error``."""
        call = self._calls[spec.typename]
        result: Attempt | Effects | TransportError
        try:
            result = call(spec.typename, inflight.request, spec.timeout)
        except TransportError as e:
            result = e
        if type(result) is Effects:  # a transport without a wire (in-process): no checks
            inflight.effects = result
            return
        if type(result) is Attempt and 200 <= result.status < 300:
            self._accept(address, inflight, result)  # the common case over a wire
            return
        attempt = 1
        budget = spec.timeout
        elapsed = timedelta(0)
        backoff = timedelta(milliseconds=10)
        while True:
            if isinstance(result, Effects):
                inflight.attempts = attempt
                inflight.effects = result
                return
            if isinstance(result, TransportError):
                last = str(result)
                if not result.retryable:
                    inflight.error = self._failure(address, inflight, last, result.cause or result)
                    return
                if isinstance(result.cause, TimeoutError):
                    elapsed += spec.read_timeout
            else:
                if 200 <= result.status < 300:
                    inflight.attempts = attempt
                    self._accept(address, inflight, result)
                    return
                last = f"invalid HTTP response code {result.status}" + _body_hint(result)
                if not (result.status in _RETRYABLE or result.status >= 500):
                    reason = f"Non successful HTTP response code {result.status}"
                    inflight.error = self._failure(
                        address, inflight, reason + _body_hint(result), None
                    )
                    return
            if elapsed + backoff > budget:
                inflight.error = self._failure(
                    address,
                    inflight,
                    f"Maximal request time has elapsed ({attempt} attempts within the function's "
                    f"timeout of {budget}). Last known error is: {last}",
                    None,
                )
                return
            elapsed += backoff
            backoff *= 2
            attempt += 1
            try:
                result = call(spec.typename, inflight.request, spec.timeout)
            except TransportError as e:
                result = e

    def _accept(self, address: _Address, inflight: _Inflight, result: Attempt) -> None:
        if result.content_type != CONTENT_TYPE:
            inflight.error = self._failure(
                address,
                inflight,
                f"Wrong HTTP content-type {result.content_type!r}: the runtime accepts exactly "
                f"{CONTENT_TYPE!r}, with no parameters such as '; charset=...'",
                None,
            )
            return
        try:
            response = FromFunction.FromString(result.body)
        except DecodeError as e:
            inflight.error = self._failure(
                address,
                inflight,
                f"Unable to parse a Protobuf message (the response body of "
                f"{len(result.body)} bytes is not a FromFunction): {e}",
                e,
            )
            return
        inflight.effects = from_response(response.invocation_result)

    def _failure(
        self, address: _Address, inflight: _Inflight, reason: str, cause: BaseException | None
    ) -> RuntimeFailure:
        error = RuntimeFailure(
            f"Failure forwarding a message to a remote function {_addr(address)}: {reason}. "
            f"Nothing of this batch of {len(inflight.batch)} message(s) was applied: state is "
            f"unchanged and the batch is still pending. Fix the function (re-bind it) and call "
            f"rt.resume() to resend the same batch, as Flink does after a restart.",
            address=_addr(address),
            reason=reason,
        )
        error.__cause__ = cause
        return error

    def _complete(self, address: _Address) -> None:
        st = self._addresses[address]
        inflight = st.inflight
        assert inflight is not None
        effects: _Checked | None = None
        if inflight.error is None:
            assert inflight.effects is not None
            try:
                effects = self._check(address, st, inflight.effects)
            except InvalidResponseError as rejected:
                inflight.error = self._failure(address, inflight, str(rejected), None)
        if effects is None:
            assert inflight.error is not None
            self._failed.append(address)
            self._emit(
                Failed(
                    self.clock.now,
                    _addr(address),
                    len(inflight.batch),
                    inflight.error.reason,
                )
            )
            raise inflight.error
        self._commit(address, st, effects)
        if st.blocked:
            st.blocked = False
            self._blocked -= 1
        if st.backlog:
            batch, st.backlog = st.backlog, []
            self._send_request(address, st, batch)
        else:
            st.inflight = None

    def _resend_failed(self) -> None:
        """The "unknown" path: resend the very same request of each failed address."""
        failed, self._failed = self._failed, []
        for position, address in enumerate(failed):
            st = self._addresses[address]
            inflight = st.inflight
            assert inflight is not None
            spec = self.module.functions[f"{address[0]}/{address[1]}"]
            inflight.error = inflight.effects = None
            self._emit(Resumed(self.clock.now, _addr(address), len(inflight.batch)))
            self._call(address, spec, inflight)
            self._mailbox.insert(position, _Completion(address))

    def _check(self, address: _Address, st: _AddressState, effects: Effects) -> _Checked:
        """The effects of a response, checked as the real job would, ready to apply.

        Nothing is applied here: a response is applied whole (:meth:`_commit`) or not at all.

        :raises InvalidResponseError: with what the job would fail on.
        """
        messages, delayed, egresses, mutations = effects
        functions = self._function_keys
        assert st.inflight is not None
        hops = st.inflight.hops + 1
        if hops > self.max_hops and (messages or any(d[0] == 0 for d in delayed)):
            raise InvalidResponseError(self._loop_reason(address, messages, delayed))
        if messages and self._storm + len(messages) > self.max_messages:
            raise InvalidResponseError(self._storm_reason(address, messages))
        if delayed and len(self._timers) + len(delayed) > self.max_messages:
            raise InvalidResponseError(self._waiting_reason(address, delayed))
        envelopes: list[_Envelope] = []
        for namespace, type, id, url, value in messages:
            if (namespace, type) not in functions:
                typename = f"{namespace}/{type}"
                raise InvalidResponseError(
                    f"a message to {typename}/{id}: Unknown provider for type "
                    f"{typename} (module.yaml declares {sorted(self.module.functions)})"
                )
            if not id:
                raise InvalidResponseError(f"a message to {namespace}/{type} has an empty id")
            envelopes.append((address, (namespace, type, id), url, value, hops))
        timed: list[tuple[int, _Envelope]] = []
        for delay_ms, namespace, type, id, url, value in delayed:
            typename = f"{namespace}/{type}"
            if delay_ms < 0:
                raise InvalidResponseError(
                    f"a delayed message to {typename} has a negative delay ({delay_ms} ms)"
                )
            if delay_ms > (_END_OF_TIME - self.clock.now) // _MILLISECOND:
                raise InvalidResponseError(
                    f"a delayed message to {typename} would be due after the year 9999 "
                    f"({delay_ms} ms from now): the virtual clock cannot hold it"
                )
            if (namespace, type) not in functions:
                raise InvalidResponseError(
                    f"a delayed message to {typename}: Unknown provider for type {typename} "
                    f"(module.yaml declares {sorted(self.module.functions)})"
                )
            # a delay lets virtual time pass: the chain starts again (a timer loop is no hang)
            timed.append(
                (
                    delay_ms,
                    (address, (namespace, type, id), url, value, hops if delay_ms == 0 else 0),
                )
            )
        records: list[_RawEgress] = []
        now = self.clock.now
        observed = self._observed
        checks = self._egress_checks
        for namespace, type, url, value in egresses:
            check = checks.get((namespace, type))
            if check is None:
                raise InvalidResponseError(
                    f"Unknown egress {namespace}/{type} (module.yaml declares "
                    f"{sorted(self.module.egresses) or 'no egress'})"
                )
            egress_id, suffix = check
            if not url.endswith(suffix):
                kind = "kafka" if suffix.endswith(_KAFKA_RECORD) else "kinesis"
                raise InvalidResponseError(
                    f"The generic {kind.capitalize()} egress {egress_id} expects only messages "
                    f"of type {suffix[1:]}, got {url!r}; build the record with "
                    f"{kind}_egress_record(...) and send it with pack_and_send_egress"
                )
            raw = (egress_id, suffix.endswith(_KAFKA_RECORD), value, now)
            if observed:  # the trace shows the record: decode it now, before anything applies
                try:
                    _egress_record(raw)
                except ValueError as error:
                    raise InvalidResponseError(str(error)) from None
            records.append(raw)
        declared = st.info.states
        for name, _ in mutations:
            if name not in declared:
                raise InvalidResponseError(
                    f"Accessing a non-existing remote function state: {name} "
                    f"(declared: {list(st.info.spec.state_names)})"
                )
        return _Checked(envelopes, timed, records, mutations)

    def _commit(self, address: _Address, st: _AddressState, effects: _Checked) -> None:
        """Apply checked effects in the runtime's order: messages, delayed, egress, state."""
        now = self.clock.now
        record = self._observed
        source_text = _addr(address) if record else ""
        if record:
            self._emit(
                Responded(
                    now,
                    source_text,
                    len(effects.messages),
                    len(effects.delayed),
                    len(effects.egresses),
                    len(effects.mutations),
                )
            )
        mailbox = self._mailbox
        senders = self._senders
        self._storm += len(effects.messages)
        for envelope in effects.messages:
            if record:
                self._emit(MessageSent(now, source_text, _addr(envelope[1]), self._shown(envelope)))
            senders[envelope[1]] = address
            mailbox.append(envelope)
        for delay_ms, envelope in effects.delayed:
            senders[envelope[1]] = address
            due = now + timedelta(milliseconds=delay_ms)
            heapq.heappush(self._timers, (due, next(self._seq), envelope))
            if record:
                self._emit(
                    DelayScheduled(now, source_text, _addr(envelope[1]), due, self._shown(envelope))
                )
        self._egress.extend(effects.egresses)
        if record:
            for raw in effects.egresses:
                r = _egress_record(raw)
                value = self._egress_value(r.egress, r.value)  # type: ignore[arg-type]
                self._emit(Egressed(now, r.egress, r.topic, r.key, value))
        ttl = st.info.ttl
        values = st.values
        for name, value in effects.mutations:
            before = values.get(name)
            if value is not None:
                values[name] = value
                if name in ttl:
                    st.accessed[name] = now
                    self._ttl_addresses.add(address)
            else:
                values.pop(name, None)
                st.accessed.pop(name, None)
            if record:
                self._emit(
                    StateChanged(
                        now,
                        source_text,
                        name,
                        self._shown_state(before),
                        self._shown_state(value),
                    )
                )

    def _loop_reason(
        self,
        address: _Address,
        messages: list[tuple[str, str, str, str, bytes]],
        delayed: list[tuple[int, str, str, str, str, bytes]],
    ) -> str:
        """Why a response that would lengthen a chain of messages past ``max_hops`` fails."""
        targets = [f"{m[0]}/{m[1]}/{m[2]}" for m in messages]
        targets += [f"{d[1]}/{d[2]}/{d[3]}" for d in delayed if d[0] == 0]
        return (
            f"a loop? {_addr(address)} sent a message to {', '.join(sorted(set(targets)))} at the "
            f"end of a chain of {self.max_hops:,} messages between functions with no new input "
            f"and no virtual time passing (max_hops={self.max_hops:,})"
            + self._cycle(address)
            + ". If the function is meant to go on, raise the budget (rt.max_hops = N, "
            "LocalRuntime.from_module(..., max_hops=N), statefun-lab run --max-hops N) or send "
            "the next message with a delay"
        )

    def _storm_reason(
        self, address: _Address, messages: list[tuple[str, str, str, str, bytes]]
    ) -> str:
        """Why a response that would take a run past ``max_messages`` messages fails."""
        targets = _some(sorted({f"{m[0]}/{m[1]}/{m[2]}" for m in messages}))
        return (
            f"a message storm? {_addr(address)} sent {len(messages):,} message(s) to {targets} "
            f"after {self._storm:,} messages between functions in this run with no virtual time "
            f"passing (max_messages={self.max_messages:,}): a function that sends more than one "
            "message for each it receives, in a cycle, never ends"
            + self._cycle(address)
            + ". If the work is meant to be this big, raise the budget (rt.max_messages = N, "
            "LocalRuntime.from_module(..., max_messages=N), statefun-lab run --max-messages N); "
            "if not, send one message on, not two"
        )

    def _waiting_reason(
        self, address: _Address, delayed: list[tuple[int, str, str, str, str, bytes]]
    ) -> str:
        """Why a response that would leave more than ``max_messages`` delayed messages fails."""
        targets = _some(sorted({f"{d[1]}/{d[2]}/{d[3]}" for d in delayed}))
        return (
            f"too many delayed messages: {_addr(address)} sent {len(delayed):,} to {targets} while "
            f"{len(self._timers):,} already wait for their time (max_messages="
            f"{self.max_messages:,}); a function that answers each delayed message with two "
            "doubles them every time the clock moves"
            + self._cycle(address)
            + ". If so many are meant to wait, raise the budget (rt.max_messages = N, "
            "LocalRuntime.from_module(..., max_messages=N), statefun-lab run --max-messages N)"
        )

    def _cycle(self, address: _Address) -> str:
        """``; the cycle: a -> b -> a`` when the last senders lead from ``address`` into a cycle."""
        # Walk back through the last sender of each address to find the cycle it is part of.
        path = [address]
        seen = {address: 0}
        while (sender := self._senders.get(path[-1])) is not None and sender not in seen:
            seen[sender] = len(path)
            path.append(sender)
        if sender is None:
            return ""
        j = seen[sender]  # path[j:] is a cycle, walked backwards: show it forwards
        return "; the cycle: " + " -> ".join(
            _addr(a) for a in [path[j], *reversed(path[j + 1 :]), path[j]]
        )

    def _egress_value(self, egress_id: str, value: bytes) -> object:
        if len(value) > self._value_bytes:
            value_type = self.egress_types.get(egress_id)
            name = value_type.DESCRIPTOR.full_name if value_type is not None else "bytes"
            return LargeValue(name, len(value))
        value_type = self.egress_types.get(egress_id)
        if value_type is None:
            return value
        try:
            return value_type.FromString(value)
        except DecodeError:
            return value

    # -- internals: state and TTL -----------------------------------------------------------

    def _read_state(self, address: _Address, st: _AddressState, name: str) -> bytes | None:
        """The value a request carries for state ``name``: empty once its TTL has run out."""
        value = st.values.get(name)
        if value is None:
            return None
        state_spec = st.info.ttl.get(name)
        if state_spec is None:
            return value
        if self._expired(st, name):
            self._expire(address, st, name)
            return None
        if state_spec.expire_mode == "after-invoke":
            st.accessed[name] = self.clock.now  # OnReadAndWrite: a request reads every state
        return value

    def _expired(self, st: _AddressState, name: str) -> bool:
        state_spec = st.info.ttl.get(name)
        accessed = st.accessed.get(name)
        if state_spec is None or accessed is None:
            return False
        return _expiry(accessed, state_spec.expire_after) <= self.clock.now  # type: ignore[arg-type]

    def _expire(self, address: _Address, st: _AddressState, name: str) -> None:
        value = st.values.pop(name)
        st.accessed.pop(name, None)
        self._emit(StateExpired(self.clock.now, _addr(address), name, self._shown_state(value)))

    def _expire_until(self, when: datetime) -> None:
        """Expire, in time order, every TTL state whose time has come by ``when``."""
        due: list[tuple[datetime, str, _Address, str]] = []
        for address in list(self._ttl_addresses):
            st = self._addresses[address]
            for name, accessed in st.accessed.items():
                expiry = _expiry(accessed, st.info.ttl[name].expire_after)  # type: ignore[arg-type]
                if expiry <= when and name in st.values:
                    due.append((expiry, _addr(address), address, name))
            if not st.accessed:
                self._ttl_addresses.discard(address)
        for expiry, _, address, name in sorted(due):
            self.clock.set(max(expiry, self.clock.now))
            self._expire(address, self._addresses[address], name)

    # -- internals: events ------------------------------------------------------------------

    def _shown(self, envelope: _Envelope) -> object:
        """A message's value as events show it: decoded, or its type and size if large."""
        if len(envelope[3]) > self._value_bytes:
            return LargeValue(message_name(envelope[2]), len(envelope[3]))
        return _value(envelope)

    def _shown_state(self, raw: bytes | None) -> object:
        """A state value as events show it (see :meth:`_shown`); None when there is none."""
        if raw is not None and len(raw) > self._value_bytes:
            try:
                type_name = message_name(Any.FromString(raw).type_url) or "Any"
            except DecodeError:
                type_name = "bytes"
            return LargeValue(type_name, len(raw))
        return _state_value(raw)

    @property
    def _observed(self) -> bool:
        """Whether anyone sees events (the trace or a subscriber): else skip building them."""
        return self.record_trace or bool(self._subscribers)

    def _emit(self, event: Event) -> None:
        if self.record_trace:
            self._trace.append(event)
        for callback in list(self._subscribers):
            callback(event)


def _load(module: str | os.PathLike[str] | ModuleSpec) -> ModuleSpec:
    if isinstance(module, ModuleSpec):
        return module
    text = os.fspath(module)
    if "\n" in text and not os.path.exists(text):
        return parse_module(text)
    return load_module(text)


def _call_of(transport: Transport) -> Callable[[str, bytes, timedelta], Attempt | Effects]:
    """How to call a transport: its ``call``, or ``send`` for a duck-typed one without it."""
    call: Callable[[str, bytes, timedelta], Attempt | Effects] | None = getattr(
        transport, "call", None
    )
    return call if call is not None else transport.send


def _http(endpoint: str, spec: FunctionSpec) -> HttpTransport:
    return HttpTransport(
        endpoint, connect_timeout=spec.connect_timeout, read_timeout=spec.read_timeout
    )


def _packed(message: Message | Any) -> tuple[str, bytes]:
    """An ``Any`` as it is, or a message packed into one."""
    if isinstance(message, Any):
        return message.type_url, message.value
    return packed(message, "send")


def _value(envelope: _Envelope) -> object:
    return decode_any(Any(type_url=envelope[2], value=envelope[3]))


def _state_value(raw: bytes | None) -> object:
    if raw is None:
        return None
    try:
        return decode_any(Any.FromString(raw))
    except DecodeError:
        return raw


def _expiry(accessed: datetime, expire_after: timedelta) -> datetime:
    """When a state read or written at ``accessed`` expires (the end of time if past it)."""
    if expire_after >= _END_OF_TIME - accessed:
        return _END_OF_TIME
    return accessed + expire_after


def _some(names: list[str]) -> str:
    """The first three of ``names``, and how many more."""
    more = f" and {len(names) - 3:,} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def _body_hint(result: Attempt) -> str:
    if not result.body:
        return ""
    text = result.body[:300].decode("utf-8", "replace").strip()
    return f" ({text})"
