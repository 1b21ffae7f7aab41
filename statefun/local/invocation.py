"""Invoking a function: the request of a batch, its sending with spec §3.4's retries, failures.

A batch of messages to one address becomes one ``ToFunction`` carrying the address's states
(:func:`build_request`); :func:`invoke` sends it through the function type's transport and
retries what the Flink runtime retries, with its backoff, within the function's ``timeout``.
What comes back is kept on the :class:`~statefun.local.addresses.Inflight`: the effects, or
the :class:`~statefun.errors.RuntimeFailure` the job would fail with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from google.protobuf.message import DecodeError

from statefun.errors import RuntimeFailure
from statefun.local import ttl
from statefun.local.addresses import AddressState, Inflight
from statefun.local.clock import VirtualClock
from statefun.local.effects import Effects, from_response
from statefun.local.mailbox import Address, Envelope, address_text
from statefun.local.module_yaml import FunctionSpec
from statefun.local.transport import CONTENT_TYPE, Attempt, Transport, TransportError
from statefun.request_reply_pb2 import FromFunction, ToFunction

__all__ = ["RETRYABLE", "Call", "build_request", "call_of", "failure", "invoke"]

#: The HTTP statuses the runtime retries besides 5xx (as OkHttp's retry in Flink StateFun).
RETRYABLE = frozenset({408, 409, 420, 429, 499, 500})

#: How the runtime calls a transport: ``(typename, serialized ToFunction, timeout)``.
Call = Callable[[str, bytes, timedelta], Attempt | Effects]


def call_of(transport: Transport) -> Call:
    """How to call a transport: its ``call``, or ``send`` for a duck-typed one without it."""
    call: Call | None = getattr(transport, "call", None)
    return call if call is not None else transport.send


def build_request(
    address: Address,
    st: AddressState,
    batch: list[Envelope],
    clock: VirtualClock,
    on_expired: Callable[[str, bytes], None],
    shown_states: list[tuple[str, bool]] | None,
) -> Inflight:
    """The request of ``batch`` to ``address``, in flight: every declared state's value (TTL
    states read at the clock's time, ``on_expired`` told of those that ran out) and the
    messages.

    ``shown_states``, when given, gets ``(state name, has a value)`` for each state. The clock
    is read only for a TTL state (a fast path: most requests carry none).
    """
    to_function = ToFunction()
    request = to_function.invocation
    target = request.target
    target.namespace, target.type, target.id = address
    add_state = request.state.add
    values = st.values
    ttls = st.info.ttl
    for name in st.info.state_names:
        persisted = add_state()
        persisted.state_name = name
        value = ttl.read(st, name, clock.now, on_expired) if name in ttls else values.get(name)
        if value is not None:
            persisted.state_value = value
        if shown_states is not None:
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
    return Inflight(batch, to_function.SerializeToString(), hops=longest)


def invoke(call: Call, spec: FunctionSpec, address: Address, inflight: Inflight) -> None:
    """Send the request in flight at ``address`` with the retry policy of spec §3.4.

    Fills ``inflight.effects``, or ``inflight.error`` with the failure the job would see.
    """
    result: Attempt | Effects | TransportError
    # the attempt written out here and in _retry, not a helper: this runs for every request
    try:
        result = call(spec.typename, inflight.request, spec.timeout)
    except TransportError as e:
        result = e
    if type(result) is Effects:  # a transport without a wire (in-process): no checks
        inflight.effects = result
        return
    if type(result) is Attempt and 200 <= result.status < 300:
        _accept(address, inflight, result)  # the common case over a wire
        return
    _retry(call, spec, address, inflight, result)


def failure(
    address: Address, batch_size: int, reason: str, cause: BaseException | None
) -> RuntimeFailure:
    """The failure of a batch of ``batch_size`` messages to ``address``, for ``reason``."""
    error = RuntimeFailure(
        f"Failure forwarding a message to a remote function {address_text(address)}: {reason}. "
        f"Nothing of this batch of {batch_size} message(s) was applied: state is "
        f"unchanged and the batch is still pending. Fix the function (re-bind it) and call "
        f"rt.resume() to resend the same batch, as Flink does after a restart.",
        address=address_text(address),
        reason=reason,
    )
    error.__cause__ = cause
    return error


def _retry(
    call: Call,
    spec: FunctionSpec,
    address: Address,
    inflight: Inflight,
    result: Attempt | Effects | TransportError,
) -> None:
    """Retry after a first attempt that did not succeed: doubling backoffs from 10 ms while
    they fit in the function's ``timeout`` (a read timeout spends its ``readTimeout``)."""
    attempt = 1
    budget = spec.timeout
    elapsed = timedelta(0)
    backoff = timedelta(milliseconds=10)
    while True:
        if isinstance(result, Effects):
            inflight.attempts = attempt
            inflight.effects = result
            return
        if not isinstance(result, TransportError) and 200 <= result.status < 300:
            inflight.attempts = attempt
            _accept(address, inflight, result)
            return
        last, fatal = _what_went_wrong(result)
        if fatal is not None:
            inflight.error = failure(address, len(inflight.batch), *fatal)
            return
        if isinstance(result, TransportError) and isinstance(result.cause, TimeoutError):
            elapsed += spec.read_timeout
        if elapsed + backoff > budget:
            inflight.error = failure(
                address,
                len(inflight.batch),
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


def _what_went_wrong(
    result: Attempt | TransportError,
) -> tuple[str, tuple[str, BaseException | None] | None]:
    """What an attempt that failed got (the "last known error"), and, when no retry can cure
    it, the reason and cause the batch fails with."""
    if isinstance(result, TransportError):
        last = str(result)
        if not result.retryable:
            return last, (last, result.cause or result)
        return last, None
    last = f"invalid HTTP response code {result.status}" + _body_hint(result)
    if not (result.status in RETRYABLE or result.status >= 500):
        reason = f"Non successful HTTP response code {result.status}" + _body_hint(result)
        return last, (reason, None)
    return last, None


def _accept(address: Address, inflight: Inflight, result: Attempt) -> None:
    """Read the effects of a successful HTTP answer, or fail on its content type or body."""
    if result.content_type != CONTENT_TYPE:
        inflight.error = failure(
            address,
            len(inflight.batch),
            f"Wrong HTTP content-type {result.content_type!r}: the runtime accepts exactly "
            f"{CONTENT_TYPE!r}, with no parameters such as '; charset=...'",
            None,
        )
        return
    try:
        response = FromFunction.FromString(result.body)
    except DecodeError as e:
        inflight.error = failure(
            address,
            len(inflight.batch),
            f"Unable to parse a Protobuf message (the response body of "
            f"{len(result.body)} bytes is not a FromFunction): {e}",
            e,
        )
        return
    inflight.effects = from_response(response.invocation_result)


def _body_hint(result: Attempt) -> str:
    if not result.body:
        return ""
    text = result.body[:300].decode("utf-8", "replace").strip()
    return f" ({text})"
