"""The request-reply handlers: a ``ToFunction`` request in, a ``FromFunction`` response out.

Wire-compatible with ``statefun.request_reply`` of ``apache-flink-statefun`` 2.2.2. A handler
returns the whole response or raises; it never returns a partial one. Exceptions raised by a
function propagate unchanged (a note names the address and the invocation), as upstream. An
argument or a state whose bytes do not parse raises :class:`~statefun.errors.PayloadDecodeError`
(an ``InvalidRequestError``: HTTP 400, not retried), whose text names the invocation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterable
from datetime import timedelta
from typing import Any as _TypingAny

from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message

from statefun.core import (
    _TYPE_URLS,
    AnyStateHandle,
    SdkAddress,
    StatefulFunction,
    StatefulFunctions,
    _argument_decode_error,
    packed,
    parse_typename,
)
from statefun.errors import (
    ArgumentTypeError,
    AsyncFunctionError,
    InvalidArgumentError,
    InvalidRequestError,
    MissingCallerError,
    PayloadDecodeError,
    UnknownStateError,
)
from statefun.request_reply_pb2 import Address, FromFunction, ToFunction

__all__ = [
    "AsyncRequestReplyHandler",
    "BatchContext",
    "InvocationContext",
    "RequestReplyHandler",
    "build_response",
]

_MILLISECOND = timedelta(milliseconds=1)  # exact: upstream's float maths sent 1001 ms as 1000
# The mutation kinds a response writes (statefun.local.effects reads them back with these).
_MODIFY = FromFunction.PersistedValueMutation.MODIFY
_DELETE = FromFunction.PersistedValueMutation.DELETE

# Parsed typenames, so a hot loop sending to the same few targets splits each string once.
_TYPENAME_CACHE: dict[str, tuple[str, str]] = {}


def _split_typename(typename: str) -> tuple[str, str]:
    parts = _TYPENAME_CACHE.get(typename)
    if parts is None:
        parts = parse_typename(typename)
        if len(_TYPENAME_CACHE) < 4096:
            _TYPENAME_CACHE[typename] = parts
    return parts


def _require_any(message: object, operation: str, packing: str) -> tuple[str, bytes]:
    """The ``(type_url, value)`` of an ``Any`` argument, or a clear error."""
    if isinstance(message, Any):
        return message.type_url, message.value
    if message is None:
        raise InvalidArgumentError(
            f"missing message: {operation}() needs a google.protobuf.Any to send"
        )
    if isinstance(message, Message):
        raise ArgumentTypeError(
            f"{operation}() expects a google.protobuf.Any, got a "
            f"{type(message).DESCRIPTOR.full_name}: use {packing}() to wrap it in an Any."
        )
    raise ArgumentTypeError(
        f"{operation}() expects a google.protobuf.Any, got {type(message).__name__}: messages "
        f"are protobuf messages; wrap the value in one and use {packing}()."
    )


def _pack(message: object, operation: str, plain: str) -> tuple[str, bytes]:
    """What ``Any.Pack(message)`` would hold, as ``(type_url, value)``, or a clear error."""
    try:
        return packed(message, operation)
    except TypeError:
        if message is None:
            raise InvalidArgumentError(
                f"missing message: {operation}() needs a protobuf message to send"
            ) from None
        if isinstance(message, Any):
            raise ArgumentTypeError(
                f"{operation}() got a google.protobuf.Any, which it would wrap in a second Any: "
                f"use {plain}() to send an Any as it is."
            ) from None
        raise


def _require_id(id: object, operation: str) -> str:
    if not id:
        raise InvalidArgumentError(
            f"missing id: {operation}() needs the id of the target function instance "
            f"(a non-empty string such as a user name)"
        )
    if not isinstance(id, str):
        raise ArgumentTypeError(f"{operation}(): the id must be a string, not {type(id).__name__}")
    return id


def _require_typename(typename: object, operation: str) -> tuple[str, str]:
    if type(typename) is str:
        parts = _TYPENAME_CACHE.get(typename)
        if parts is not None:
            return parts
    if not typename:
        raise InvalidArgumentError(
            f"missing type name: {operation}() needs a 'namespace/name' target"
        )
    if not isinstance(typename, str):
        raise ArgumentTypeError(
            f"{operation}(): the type name must be a 'namespace/name' string, not "
            f"{type(typename).__name__}"
        )
    if "egress" not in operation:
        return _split_typename(typename)
    try:
        return _split_typename(typename)
    except ValueError as e:
        raise InvalidArgumentError(
            f"{operation}(): the egress id must be 'namespace/name', an egress id declared in "
            f"module.yaml such as 'example/greets' (not a Kafka topic), got {typename!r}"
        ) from e


class BatchContext:
    """The ``context`` a function receives: one per request, shared by the whole batch.

    ``address`` is the invoked address; ``caller`` is the sender of the current message, or
    ``None`` when it came from an ingress. States are those the runtime sent (module.yaml's
    ``states`` of the function type); effects are recorded in call order across the batch.
    """

    __slots__ = (
        "_caller",
        "_caller_of",
        "_invocation",
        "address",
        "delayed_messages",
        "egresses",
        "messages",
        "states",
    )

    def __init__(self, target: Address, states: Iterable[ToFunction.PersistedValue]) -> None:
        self.address = SdkAddress(target.namespace, target.type, target.id)
        self.states: dict[str, AnyStateHandle] = {
            s.state_name: AnyStateHandle(s.state_value, s.state_name) for s in states
        }
        # Effects, validated and snapshotted at call time; arguments as (type_url, value):
        # (namespace, type, id, url, value) / (delay_ms, namespace, type, id, url, value) /
        # (namespace, type, url, value).
        self.messages: list[tuple[str, str, str, str, bytes]] = []
        self.delayed_messages: list[tuple[int, str, str, str, str, bytes]] = []
        self.egresses: list[tuple[str, str, str, bytes]] = []
        self._invocation: ToFunction.Invocation | None = None
        # `caller`, worked out on first use for the invocation in `_caller_of` (None, the
        # starting value, has no caller either)
        self._caller: SdkAddress | None = None
        self._caller_of: ToFunction.Invocation | None = None

    def prepare(self, invocation: ToFunction.Invocation) -> None:
        """Make ``invocation`` the current one (``caller`` follows)."""
        self._invocation = invocation

    @property
    def caller(self) -> SdkAddress | None:
        """The sender of the current message; ``None`` for a message from an ingress."""
        invocation = self._invocation
        if self._caller_of is not invocation:
            if invocation is not None and invocation.HasField("caller"):
                c = invocation.caller
                self._caller = SdkAddress(c.namespace, c.type, c.id)
            else:
                self._caller = None
            self._caller_of = invocation
        return self._caller

    # -- state -------------------------------------------------------------------------------

    def state(self, name: str) -> AnyStateHandle:
        """The handle of state ``name``; it must be declared in module.yaml."""
        try:
            return self.states[name]
        except KeyError:
            raise UnknownStateError(name, self.address.typename(), list(self.states)) from None

    def __getitem__(self, name: str) -> Any | None:
        return self.state(name).value

    def __setitem__(self, name: str, value: Any) -> None:
        self.state(name).value = value

    def __delitem__(self, name: str) -> None:
        del self.state(name).value

    # -- messages ----------------------------------------------------------------------------

    def send(self, typename: str, id: str, message: Any) -> None:
        """Send an ``Any`` to the function ``typename`` with ``id``."""
        namespace, type = _require_typename(typename, "send")
        self.messages.append(
            (
                namespace,
                type,
                _require_id(id, "send"),
                *_require_any(message, "send", "pack_and_send"),
            )
        )

    def pack_and_send(self, typename: str, id: str, message: Message) -> None:
        """Wrap ``message`` in an ``Any`` and send it to ``typename`` with ``id``."""
        namespace, type = _require_typename(typename, "pack_and_send")
        self.messages.append(
            (
                namespace,
                type,
                _require_id(id, "pack_and_send"),
                *_pack(message, "pack_and_send", "send"),
            )
        )

    def _reply_target(self, operation: str) -> SdkAddress:
        caller = self.caller
        if caller is None:
            raise MissingCallerError(
                f"missing id: cannot {operation}() to this message because it came from an "
                f"ingress and has no caller (context.caller is None). Reply only to messages "
                f"sent by another function; to answer an ingress record, send it to an egress "
                f"(context.pack_and_send_egress(...))."
            )
        return caller

    def reply(self, message: Any) -> None:
        """Send an ``Any`` back to the caller of the current message."""
        c = self._reply_target("reply")
        self.messages.append(
            (c.namespace, c.type, c.identity, *_require_any(message, "reply", "pack_and_reply"))
        )

    def pack_and_reply(self, message: Message) -> None:
        """Wrap ``message`` in an ``Any`` and send it back to the caller."""
        c = self._reply_target("pack_and_reply")
        self.messages.append(
            (c.namespace, c.type, c.identity, *_pack(message, "pack_and_reply", "reply"))
        )

    def send_after(self, delay: timedelta, typename: str, id: str, message: Any) -> None:
        """Send an ``Any`` to ``typename``/``id`` after ``delay`` (processing time)."""
        self._add_delayed(
            delay,
            typename,
            id,
            "send_after",
            *_require_any(message, "send_after", "pack_and_send_after"),
        )

    def pack_and_send_after(
        self, delay: timedelta, typename: str, id: str, message: Message
    ) -> None:
        """Wrap ``message`` in an ``Any`` and send it after ``delay``."""
        self._add_delayed(
            delay,
            typename,
            id,
            "pack_and_send_after",
            *_pack(message, "pack_and_send_after", "send_after"),
        )

    def _add_delayed(
        self,
        delay: timedelta,
        typename: str,
        id: str,
        operation: str,
        url: str,
        value: bytes,
    ) -> None:
        if not isinstance(delay, timedelta):
            hint = ""
            if isinstance(typename, timedelta):
                hint = f" The delay comes first: {operation}(delay, typename, id, message)."
            raise ArgumentTypeError(
                f"{operation}(): the delay must be a datetime.timedelta, got "
                f"{type(delay).__name__}.{hint}"
            )
        if not delay:
            raise InvalidArgumentError(
                f"missing delay: {operation}() needs a positive delay, e.g. timedelta(seconds=60)"
            )
        if delay < timedelta(0):
            raise InvalidArgumentError(
                f"{operation}(): the delay must not be negative, got {delay!r} (the StateFun "
                f"runtime fails the job on a negative delay)"
            )
        namespace, name = _require_typename(typename, operation)
        id = _require_id(id, operation)
        self.delayed_messages.append((delay // _MILLISECOND, namespace, name, id, url, value))

    def send_egress(self, typename: str, message: Any) -> None:
        """Send an ``Any`` to the egress ``typename`` (an egress id of module.yaml)."""
        namespace, type = _require_typename(typename, "send_egress")
        self.egresses.append(
            (namespace, type, *_require_any(message, "send_egress", "pack_and_send_egress"))
        )

    def pack_and_send_egress(self, typename: str, message: Message) -> None:
        """Wrap ``message`` in an ``Any`` and send it to the egress ``typename``."""
        try:  # the common case: an egress id and a message class seen before
            namespace, name = _TYPENAME_CACHE[typename]
            url = _TYPE_URLS[type(message)]
        except (KeyError, TypeError):  # TypeError: an unhashable egress id
            namespace, name = _require_typename(typename, "pack_and_send_egress")
            url, value = _pack(message, "pack_and_send_egress", "send_egress")
        else:
            value = message.SerializeToString()
        self.egresses.append((namespace, name, url, value))

    def __repr__(self) -> str:
        return f"<BatchContext address={self.address!r} caller={self.caller!r}>"


def _parse_request(request_bytes: bytes) -> ToFunction.InvocationBatchRequest:
    if not isinstance(request_bytes, bytes | bytearray | memoryview):
        raise ArgumentTypeError(
            f"a request-reply handler takes the request body as bytes, got "
            f"{type(request_bytes).__name__} (in Flask, pass request.data)"
        )
    if not request_bytes:
        raise InvalidRequestError(
            "empty request body: a StateFun request is a serialized ToFunction message. "
            "POST the bytes the runtime sends (Content-Type: application/octet-stream)."
        )
    try:
        to_function = ToFunction.FromString(bytes(request_bytes))
    except DecodeError as e:
        raise InvalidRequestError(
            f"the request body ({len(request_bytes)} bytes, starting "
            f"{bytes(request_bytes[:8]).hex()}) is not a serialized ToFunction message: {e}. A "
            f"StateFun 2.x request starts with a206; a 3.x runtime or a wrong client sends "
            f"something else."
        ) from e
    if not to_function.HasField("invocation"):
        raise InvalidRequestError(
            "the request is a ToFunction without an invocation batch (field 100): nothing to "
            "invoke. Is the client speaking the StateFun 2.x protocol?"
        )
    batch = to_function.invocation
    if not batch.invocations:
        raise InvalidRequestError(
            f"the request for {batch.target.namespace}/{batch.target.type}/{batch.target.id} "
            f"has no invocations: the runtime always sends at least one message."
        )
    return batch


class InvocationContext:
    """The state of one request being handled: the batch, the context and the function.

    Created fresh per request (the 2.2.0 shared-context bug, FLINK-19515, cannot happen).
    """

    __slots__ = ("_functions", "batch", "context", "target_function")

    batch: ToFunction.InvocationBatchRequest
    context: BatchContext
    target_function: StatefulFunction

    def __init__(self, functions: StatefulFunctions) -> None:
        self._functions = functions

    def setup(self, request_bytes: bytes) -> None:
        """Parse the request and look up its function; raises before anything runs."""
        batch = _parse_request(request_bytes)
        target = batch.target
        self.target_function = self._functions.for_type(target.namespace, target.type)
        self.batch = batch
        self.context = BatchContext(target, batch.state)

    def complete(self) -> bytes:
        """Build and serialize the response of the whole batch."""
        return build_response(self.context)


def build_response(context: BatchContext) -> bytes:
    """The serialized ``FromFunction`` for everything ``context`` recorded (``b""`` if nothing)."""
    mutated = [h for h in context.states.values() if h.modified]
    if not (mutated or context.messages or context.delayed_messages or context.egresses):
        return b""
    result = FromFunction()
    response = result.invocation_result
    for handle in mutated:
        mutation = response.state_mutations.add()
        mutation.state_name = handle.name
        if handle.deleted:
            mutation.mutation_type = _DELETE
        else:
            mutation.mutation_type = _MODIFY
            mutation.state_value = handle.bytes() or b""
    # Each repeated field is fetched only when there is something to add: its accessor alone
    # costs a few hundred nanoseconds, which shows in small batches.
    if context.messages:
        add = response.outgoing_messages.add
        for namespace, type, id, url, value in context.messages:
            out = add()
            t = out.target
            t.namespace = namespace
            t.type = type
            t.id = id
            argument = out.argument
            argument.type_url = url
            argument.value = value
    if context.delayed_messages:
        add_delayed = response.delayed_invocations.add
        for delay_ms, namespace, type, id, url, value in context.delayed_messages:
            delayed = add_delayed()
            delayed.delay_in_ms = delay_ms
            t = delayed.target
            t.namespace = namespace
            t.type = type
            t.id = id
            argument = delayed.argument
            argument.type_url = url
            argument.value = value
    if context.egresses:
        add_egress = response.outgoing_egresses.add
        for namespace, type, url, value in context.egresses:
            egress = add_egress()
            egress.egress_namespace = namespace
            egress.egress_type = type
            argument = egress.argument
            argument.type_url = url
            argument.value = value
    return result.SerializeToString()


def _note(e: BaseException, context: BatchContext, index: int, count: int) -> None:
    """Name the address and the message of the batch that ``e`` comes from.

    In the text of a :class:`PayloadDecodeError` (the HTTP helpers send only the text), else in
    a note.
    """
    if isinstance(e, PayloadDecodeError) and e.address is None:
        e.locate(index, count, repr(context.address))
        return
    e.add_note(f"while invoking {context.address!r} (message {index + 1} of {count} in this batch)")


class RequestReplyHandler:
    """Handles a request synchronously: ``handler(request_bytes) -> response_bytes``."""

    def __init__(self, functions: StatefulFunctions) -> None:
        if not isinstance(functions, StatefulFunctions):
            raise ArgumentTypeError(
                f"RequestReplyHandler takes a StatefulFunctions, got {type(functions).__name__}"
            )
        self.functions = functions

    def __call__(self, request_bytes: bytes) -> bytes:
        ic = InvocationContext(self.functions)
        ic.setup(request_bytes)
        RequestReplyHandler.handle_invocation(ic)
        return ic.complete()

    @staticmethod
    def handle_invocation(ic: InvocationContext) -> None:
        """Run every invocation of the batch, in order, against the shared context."""
        fun: StatefulFunction = ic.target_function
        context = ic.context
        if fun.is_async:
            raise AsyncFunctionError(
                f"function {fun.typename!r} is an async def, but RequestReplyHandler runs "
                f"functions synchronously and would drop its effects. Serve it with "
                f"AsyncRequestReplyHandler (await handler(request_bytes)), or make it a def."
            )
        func = fun.func
        invocations = ic.batch.invocations
        by_url = fun.message_classes()
        # Two copies of the loop, so the hot one does not ask "is there a hint?" per message.
        if by_url is None:  # no type hint: the function takes the raw Any
            for index, invocation in enumerate(invocations):
                context._invocation = invocation  # context.prepare(invocation), inlined
                try:
                    result = func(context, invocation.argument)
                except Exception as e:
                    _note(e, context, index, len(invocations))
                    raise
                if result is not None:
                    _refuse_awaitable(result, fun)
            return
        unpack = fun.unpack_any
        for index, invocation in enumerate(invocations):
            context._invocation = invocation
            argument = invocation.argument
            try:
                try:  # a type URL seen before; else unpack_any matches it (or says why not)
                    cls = by_url[argument.type_url]
                except KeyError:
                    cls = None  # unpack_any outside the except: its error chains no KeyError
                if cls is None:
                    message = unpack(argument)
                else:
                    try:  # free when nothing is raised (3.11's zero-cost try)
                        message = cls.FromString(argument.value)
                    except DecodeError as decode_error:
                        raise _argument_decode_error(argument, cls, decode_error) from decode_error
                result = func(context, message)
            except Exception as e:
                _note(e, context, index, len(invocations))
                raise
            if result is not None:
                _refuse_awaitable(result, fun)


def _refuse_awaitable(result: object, fun: StatefulFunction) -> None:
    if inspect.isawaitable(result):
        _discard(result)
        raise AsyncFunctionError(
            f"function {fun.typename!r} returned an awaitable, which "
            f"RequestReplyHandler cannot await: serve it with AsyncRequestReplyHandler."
        )


def _discard(awaitable: Awaitable[_TypingAny]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()  # no "coroutine was never awaited" warning


class AsyncRequestReplyHandler:
    """Handles a request in an event loop: ``await handler(request_bytes)``.

    Safe to await from a running loop (a Jupyter cell, aiohttp, an ASGI server). Invocations
    run one after the other; ``async def`` and plain ``def`` functions both work.
    """

    def __init__(self, functions: StatefulFunctions) -> None:
        if not isinstance(functions, StatefulFunctions):
            raise ArgumentTypeError(
                f"AsyncRequestReplyHandler takes a StatefulFunctions, got "
                f"{type(functions).__name__}"
            )
        self.functions = functions

    async def __call__(self, request_bytes: bytes) -> bytes:
        ic = InvocationContext(self.functions)
        ic.setup(request_bytes)
        await AsyncRequestReplyHandler.handle_invocation(ic)
        return ic.complete()

    @staticmethod
    async def handle_invocation(ic: InvocationContext) -> None:
        """Run (and await) every invocation of the batch, in order."""
        fun: StatefulFunction = ic.target_function
        context = ic.context
        func = fun.func
        unpack = fun.unpack_any
        invocations = ic.batch.invocations
        count = len(invocations)
        for index, invocation in enumerate(invocations):
            context.prepare(invocation)
            argument = invocation.argument
            try:
                unpacked = unpack(argument)
                result = func(context, argument if unpacked is None else unpacked)
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as e:
                _note(e, context, index, count)
                raise
