"""The function registry, state handles, addresses and egress helpers of the StateFun 2.x SDK.

Same names and behaviour as ``statefun.core`` in ``apache-flink-statefun`` 2.0–2.2.2, except where
the upstream SDK gave a silent wrong result or an unhelpful error: those places raise the clear
errors of :mod:`statefun.errors` instead. ``docs/compatibility.md`` lists every difference.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any as _TypingAny

from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message

from statefun.errors import (
    ArgumentTypeError,
    FunctionSignatureError,
    InvalidArgumentError,
    MessageTypeMismatchError,
    PayloadDecodeError,
    StateTypeMismatchError,
    UnknownFunctionError,
)
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.kinesis_egress_pb2 import KinesisEgressRecord

__all__ = [
    "AnyStateHandle",
    "SdkAddress",
    "StatefulFunction",
    "StatefulFunctions",
    "deduce_protobuf_types",
    "kafka_egress_record",
    "kinesis_egress_record",
    "message_name",
    "packed",
    "parse_typename",
    "type_url_of",
]


class SdkAddress:
    """The address of a function instance: ``namespace/type/identity``."""

    __slots__ = ("identity", "namespace", "type")

    def __init__(self, namespace: str, type: str, identity: str) -> None:
        self.namespace = namespace
        self.type = type
        self.identity = identity

    def typename(self) -> str:
        """``"namespace/type"``, the function type of this address."""
        return f"{self.namespace}/{self.type}"

    def __repr__(self) -> str:
        return f"{self.namespace}/{self.type}/{self.identity}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SdkAddress):
            return NotImplemented
        return (self.namespace, self.type, self.identity) == (
            other.namespace,
            other.type,
            other.identity,
        )

    def __hash__(self) -> int:
        return hash((self.namespace, self.type, self.identity))


_M = typing.TypeVar("_M", bound=Message)

_TYPE_URL_PREFIX = "type.googleapis.com/"
_TYPE_URLS: dict[type, str] = {}
_URL_CLASSES: dict[str, type] = {}  # type URL -> the message class last unpacked from it


def type_url_of(message: object, operation: str = "pack") -> str:
    """The ``type.googleapis.com/<full name>`` URL ``Any.Pack`` writes for ``message``.

    Raises a clear ``TypeError`` for something that is not a protobuf message, or that is
    already an ``Any`` (packing it again would double-wrap it).
    """
    cls = type(message)
    url = _TYPE_URLS.get(cls)
    if url is None:
        if not isinstance(message, Message):
            raise ArgumentTypeError(
                f"{operation}() expects a protobuf message, got {cls.__name__}."
            )
        if isinstance(message, Any):
            raise ArgumentTypeError(
                f"{operation}() got a google.protobuf.Any, which it would wrap in a second Any."
            )
        url = _TYPE_URL_PREFIX + message.DESCRIPTOR.full_name
        _TYPE_URLS[cls] = url
    return url


def packed(message: object, operation: str = "pack") -> tuple[str, bytes]:
    """``(type_url, value)``: ``message`` packed into an ``Any``, as ``Any.Pack`` writes it.

    The one way the package packs a message (states, messages, egress records, test requests);
    the errors are :func:`type_url_of`'s, worded for ``operation``.

    >>> from google.protobuf.duration_pb2 import Duration
    >>> packed(Duration(seconds=1))
    ('type.googleapis.com/google.protobuf.Duration', b'\\x08\\x01')
    """
    url = _TYPE_URLS.get(type(message))
    if url is None:
        url = type_url_of(message, operation)
    return url, message.SerializeToString()  # type: ignore[attr-defined]


def message_name(type_url: str) -> str:
    """The full name of the message a type URL names: the text after its last ``/``.

    ``Any.Is`` reads a type URL this way: only that text counts, whatever comes before it.
    Without a ``/`` it is the whole text.

    >>> message_name("type.googleapis.com/example.GreetRequest")
    'example.GreetRequest'
    >>> message_name("com.googleapis/example.GreetRequest")
    'example.GreetRequest'
    """
    return type_url.rpartition("/")[2]


class AnyStateHandle:
    """One persisted state value of the current address, as seen by a function.

    The runtime stores a state as bytes; by SDK convention they hold a serialized
    ``google.protobuf.Any``. Reading is lazy. Any assignment, ``pack`` or ``del`` counts as a
    mutation and is sent back to the runtime, even when the value did not change.
    """

    __slots__ = ("_payload", "_url", "any", "deleted", "modified", "name", "value_bytes")

    def __init__(self, any_bytes: bytes | None, name: str = "") -> None:
        self.value_bytes = any_bytes
        self.any: Any | None = None  # the Any object, once asked for or assigned
        # The (type_url, value) of the current value when known without an Any object:
        # decoded from value_bytes, or written by pack().
        self._url: str | None = None
        self._payload: bytes | None = None
        self.modified = False
        self.deleted = False
        self.name = name

    def _decode(self) -> bool:
        """Fill ``_url``/``_payload`` from the original bytes; False when the state is empty."""
        if self._url is not None:
            return True
        if not self.value_bytes:
            return False
        any = Any()
        try:
            any.ParseFromString(self.value_bytes)
        except DecodeError as e:
            raise PayloadDecodeError(
                type_url=None,
                target=Any.DESCRIPTOR.full_name,
                size=len(self.value_bytes),
                detail=str(e),
                state=self.name,
            ) from e
        self._url, self._payload = any.type_url, any.value
        return True

    @property
    def value(self) -> Any | None:
        """The state as an ``Any``, or ``None`` when it is empty."""
        if self.deleted:
            return None
        if self.any is None:
            if not self._decode():
                return None
            self.any = Any(type_url=self._url, value=self._payload)
        return self.any

    @value.setter
    def value(self, value: Any) -> None:
        if not isinstance(value, Any):
            if value is None:
                raise ArgumentTypeError(
                    f"cannot set state {self.name!r} to None: use del context[{self.name!r}] "
                    f"to clear a state."
                )
            if isinstance(value, Message):
                raise ArgumentTypeError(
                    f"state {self.name!r} must be set to a google.protobuf.Any, not a "
                    f"{type(value).DESCRIPTOR.full_name}: use "
                    f"context.state({self.name!r}).pack(message) to store a message."
                )
            raise ArgumentTypeError(
                f"state {self.name!r} must be set to a google.protobuf.Any, not "
                f"{type(value).__name__}: states hold protobuf messages; wrap the value in a "
                f"message and use context.state({self.name!r}).pack(message)."
            )
        # The Any object is the value from now on (read when the response is built, as
        # upstream does), so its own fields are not cached.
        self.any = value
        self._url = self._payload = None
        self.value_bytes = None
        self.modified = True
        self.deleted = False

    @value.deleter
    def value(self) -> None:
        self.any = None
        self._url = self._payload = None
        self.value_bytes = None
        self.deleted = True
        self.modified = True

    def pack(self, message: Message) -> None:
        """Store ``message`` (wrapped in an ``Any``) as the new value of this state."""
        # Serialised now: later in-place edits of `message` are not part of the state. A class
        # seen before is looked up here rather than through packed() (the hot path: one call
        # less per message).
        url = _TYPE_URLS.get(type(message))
        if url is None:
            url, self._payload = packed(message, f"state({self.name!r}).pack")
        else:
            self._payload = message.SerializeToString()
        self._url = url
        self.any = None
        self.value_bytes = None
        self.modified = True
        self.deleted = False

    def unpack(self, into_class: type[_M]) -> _M | None:
        """The state as an ``into_class`` message, or ``None`` when the state is empty.

        Raises :class:`~statefun.errors.StateTypeMismatchError` when the state holds another
        message type (upstream silently returned an empty ``into_class()``), and
        :class:`~statefun.errors.PayloadDecodeError` when its bytes do not parse as one
        (upstream: a bare ``DecodeError`` that named no state).
        """
        any = self.any
        if any is not None:
            url, payload = any.type_url, any.value
        elif self._url is not None or self._decode():
            url, payload = self._url, self._payload  # type: ignore[assignment]
        else:
            return None  # empty or deleted
        if _URL_CLASSES.get(url) is not into_class:
            self._check_type(url, into_class)
        try:
            return into_class.FromString(payload)
        except DecodeError as e:
            raise PayloadDecodeError(
                type_url=url,
                target=into_class.DESCRIPTOR.full_name,
                size=len(payload),
                detail=str(e),
                state=self.name,
            ) from e

    def _check_type(self, url: str, into_class: type[Message]) -> None:
        """Any.Is: the state's type URL must name ``into_class`` after its last ``/``."""
        if not (isinstance(into_class, type) and issubclass(into_class, Message)):
            operation = f"state({self.name!r}).unpack()"
            if isinstance(into_class, Message):
                cls = type(into_class).__name__
                raise ArgumentTypeError(
                    f"{operation} takes a protobuf message class, not a {cls} instance: write "
                    f".unpack({cls}), not .unpack({cls}())."
                )
            raise ArgumentTypeError(
                f"{operation} takes a protobuf message class such as SeenCount, not {into_class!r}."
            )
        full_name = into_class.DESCRIPTOR.full_name
        if not _type_url_matches(url, full_name):
            raise StateTypeMismatchError(self.name, url, full_name)
        if len(_URL_CLASSES) < 1024:
            _URL_CLASSES[url] = into_class  # the pair seen last; a check on a miss is cheap

    def bytes(self) -> bytes | None:
        """The serialized ``Any`` to send back to the runtime."""
        if self.deleted:
            raise AssertionError("can not obtain the bytes of a delete handle")
        if self.modified:
            if self.any is not None:
                return self.any.SerializeToString()
            any = Any()  # fields set one by one: faster than keywords on upb
            any.type_url = self._url  # type: ignore[assignment]
            any.value = self._payload  # type: ignore[assignment]
            return any.SerializeToString()
        return self.value_bytes


def _type_url_matches(type_url: str, full_name: str) -> bool:
    # Any.Is semantics: only the text after the last '/' counts, and there must be a '/'.
    return "/" in type_url and message_name(type_url) == full_name


class StatefulFunction:
    """A bound function and the message types its type hint accepts."""

    __slots__ = ("_by_name", "_by_url", "func", "is_async", "known_messages", "typename")

    def __init__(
        self,
        fun: Callable[..., _TypingAny],
        expected_messages: list[type[Message]] | None = None,
        typename: str = "",
    ) -> None:
        if fun is None or not callable(fun):
            raise InvalidArgumentError("function code is missing.")
        self.func = fun
        self.typename = typename
        self.is_async = _is_async_callable(fun)
        if expected_messages is None:
            self.known_messages: list[type[Message]] | None = None
            self._by_name: dict[str, type[Message]] | None = None
        else:
            self._by_url: dict[str, type[Message]] = {}
            self.known_messages = expected_messages[:]
            self._by_name = {}
            for cls in expected_messages:
                self._by_name.setdefault(cls.DESCRIPTOR.full_name, cls)

    def message_classes(self) -> dict[str, type[Message]] | None:
        """The hinted classes by the type URLs seen so far (a cache), or None for no hint."""
        return None if self._by_name is None else self._by_url

    def unpack_any(self, any: Any) -> Message | None:
        """The argument as one of the hinted types; ``None`` if the function takes the raw Any.

        Raises :class:`~statefun.errors.MessageTypeMismatchError` when it matches none and
        :class:`~statefun.errors.PayloadDecodeError` when its bytes do not parse.
        """
        by_name = self._by_name
        if by_name is None:
            return None
        type_url = any.type_url
        cls = self._by_url.get(type_url)
        if cls is None:
            cls = by_name.get(message_name(type_url)) if "/" in type_url else None
            if cls is None:
                raise MessageTypeMismatchError(self.typename or "?", type_url, list(by_name))
            if len(self._by_url) < 64:  # a few spellings per type: com.googleapis/, type...
                self._by_url[type_url] = cls
        try:
            return cls.FromString(any.value)
        except DecodeError as e:
            raise _argument_decode_error(any, cls, e) from e


def _argument_decode_error(any: Any, cls: type[Message], error: DecodeError) -> PayloadDecodeError:
    """The error for an argument ``any`` whose bytes do not parse as ``cls``."""
    return PayloadDecodeError(
        type_url=any.type_url,
        target=cls.DESCRIPTOR.full_name,
        size=len(any.value),
        detail=str(error),
    )


def _is_async_callable(fun: Callable[..., _TypingAny]) -> bool:
    if inspect.iscoroutinefunction(fun):
        return True
    call = getattr(fun, "__call__", None)  # noqa: B004 - a callable object's async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def parse_typename(typename: str | None) -> tuple[str, str]:
    """Split ``"namespace/name"`` at the last ``/``; the errors are the upstream SDK's.

    >>> parse_typename("org.example/greeter")
    ('org.example', 'greeter')
    """
    if typename is None:
        raise InvalidArgumentError("function type must be provided")
    if not isinstance(typename, str):
        raise ArgumentTypeError(
            f"function type must be a string 'namespace/name', not {type(typename).__name__}"
        )
    idx = typename.rfind("/")
    if idx < 0:
        raise InvalidArgumentError(
            f"function type must be of the from namespace/name, got {typename!r} "
            f"(e.g. 'example/greeter')"
        )
    namespace = typename[:idx]
    if not namespace:
        raise InvalidArgumentError(f"function type's namespace must not be empty, got {typename!r}")
    name = typename[idx + 1 :]
    if not name:
        raise InvalidArgumentError(f"function type's name must not be empty, got {typename!r}")
    return namespace, name


def _message_parameter(fn: Callable[..., _TypingAny]) -> inspect.Parameter:
    """The second ``(context, message)`` parameter of a function, or a clear error."""
    if not callable(fn):
        raise FunctionSignatureError(
            f"a stateful function must be callable, got {type(fn).__name__}"
        )
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise FunctionSignatureError(f"cannot read the signature of {fn!r}: {e}") from e
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    required_other = [
        p
        for p in signature.parameters.values()
        if p.kind == p.KEYWORD_ONLY and p.default is p.empty
    ]
    if len(positional) != 2 or required_other:
        names = [p.name for p in signature.parameters.values()]
        raise FunctionSignatureError(
            "A stateful function must have two arguments: a context and a message. but got "
            f"{names}. Define it as `def {getattr(fn, '__name__', 'fn')}(context, message):`."
        )
    return positional[1]


def deduce_protobuf_types(fn: Callable[..., _TypingAny]) -> list[type] | None:
    """The classes the message argument's type hint names, or ``None`` for no hint.

    Unlike upstream, string annotations and ``from __future__ import annotations`` are
    resolved like real ones, ``Optional[X]`` means ``X``, and a ``google.protobuf.Any`` hint
    means "give me the raw Any" (like no hint).
    """
    param = _message_parameter(fn)
    annotation = param.annotation
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        annotation = _resolve_string_annotation(fn, param.name, annotation)
    if annotation is None or annotation is _TypingAny:
        return None
    if isinstance(annotation, type):
        if annotation is Any:
            return None
        return [annotation]
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        classes = [a for a in args if a is not type(None)]
        if any(a is Any for a in classes):
            return None
        return classes or None
    return list(args) if args else None


def _resolve_string_annotation(fn: Callable[..., _TypingAny], name: str, text: str) -> object:
    target = inspect.unwrap(fn)
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = getattr(target, "__call__", target)  # noqa: B004
    try:
        hints = typing.get_type_hints(target)
    except NameError as e:
        raise FunctionSignatureError(
            f"cannot resolve the type hint {text!r} of parameter {name!r} of "
            f"{getattr(fn, '__qualname__', fn)!r}: {e}. Import the message class at module "
            f"level (e.g. `from messages_pb2 import {text.split('.')[-1]}`)."
        ) from e
    return hints.get(name, inspect.Parameter.empty)


class StatefulFunctions:
    """The registry of bound functions, keyed by ``(namespace, type)``."""

    def __init__(self) -> None:
        self.functions: dict[tuple[str, str], StatefulFunction] = {}

    def register(self, typename: str, fun: Callable[..., _TypingAny]) -> None:
        """Bind ``fun`` to the function type ``typename`` (``"namespace/name"``)."""
        if fun is None:
            raise InvalidArgumentError("function instance must be provided")
        namespace, name = parse_typename(typename)
        expected = deduce_protobuf_types(fun)
        if expected is not None:
            for cls in expected:
                if not (isinstance(cls, type) and issubclass(cls, Message)):
                    raise FunctionSignatureError(
                        f"the type hint of {getattr(fun, '__qualname__', fun)!r}'s message "
                        f"argument names {cls!r}, which is not a protobuf message class. Hint "
                        f"with generated message classes (e.g. GreetRequest), a Union of them, "
                        f"or nothing to receive the raw google.protobuf.Any."
                    )
        self.functions[(namespace, name)] = StatefulFunction(fun, expected, typename)

    def bind(
        self, typename: str
    ) -> Callable[[Callable[..., _TypingAny]], Callable[..., _TypingAny]]:
        """Decorator form of :meth:`register`; returns the function unchanged."""

        def wrapper(function: Callable[..., _TypingAny]) -> Callable[..., _TypingAny]:
            self.register(typename, function)
            return function

        return wrapper

    def for_type(self, namespace: str, type: str) -> StatefulFunction:
        """The function bound to ``namespace/type``; a clear ``KeyError`` if none is."""
        try:
            return self.functions[(namespace, type)]
        except KeyError:
            bound = sorted(f"{ns}/{t}" for ns, t in self.functions)
            raise UnknownFunctionError(namespace, type, bound) from None


def kafka_egress_record(topic: str, value: Message, key: str | None = None) -> KafkaProducerRecord:
    """A record for a ``statefun.kafka.io/generic-egress``; send with ``pack_and_send_egress``."""
    if not topic:
        raise InvalidArgumentError("A destination Kafka topic is missing")
    if value is None:
        raise InvalidArgumentError("Missing value")
    try:
        value_bytes = value.SerializeToString()
    except AttributeError:
        raise ArgumentTypeError(
            f"the Kafka record value must be a protobuf message, not {type(value).__name__}"
        ) from None
    record = KafkaProducerRecord()  # fields set one by one: faster than keywords on upb
    record.topic = topic
    if key is not None:
        record.key = key
    record.value_bytes = value_bytes
    return record


def kinesis_egress_record(
    stream: str, value: Message, partition_key: str, explicit_hash_key: str | None = None
) -> KinesisEgressRecord:
    """A record for a ``statefun.kinesis.io/generic-egress``."""
    if not stream:
        raise InvalidArgumentError("Missing destination Kinesis stream")
    if value is None:
        raise InvalidArgumentError("Missing value")
    if not partition_key:
        raise InvalidArgumentError("Missing partition key")
    if not isinstance(value, Message):
        raise ArgumentTypeError(
            f"the Kinesis record value must be a protobuf message, not {type(value).__name__}"
        )
    record = KinesisEgressRecord()
    record.stream = stream
    record.value_bytes = value.SerializeToString()
    record.partition_key = partition_key
    if explicit_hash_key is not None:
        record.explicit_hash_key = explicit_hash_key
    return record
