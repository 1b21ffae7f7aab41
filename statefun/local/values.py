"""Decode and print the protobuf values the local runtime holds, deterministically."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message

from statefun.core import message_name

__all__ = ["LargeValue", "decode_any", "format_value", "message_class"]


@dataclass(frozen=True)
class LargeValue:
    """A value too large to keep decoded (in a trace): its type name and its size in bytes.

    >>> LargeValue("example.SeenCount", 10_000_000)
    SeenCount(<10,000,000 bytes, too large to keep in the trace>)
    """

    type_name: str
    size: int

    def __repr__(self) -> str:
        short = self.type_name.rpartition(".")[2]
        return f"{short}(<{self.size:,} bytes, too large to keep in the trace>)"


def message_class(full_name: str) -> type[Message] | None:
    """The generated class of ``full_name`` if a loaded ``_pb2`` module defines it."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    except KeyError:
        return None
    return message_factory.GetMessageClass(descriptor)


def decode_any(any: Any) -> Message | Any:
    """The message inside ``any`` when its type is loaded and it parses; else ``any`` itself.

    The class found for a type URL is remembered (a fast path: a traced runtime decodes a few
    values per record, of a few types). A type URL whose type is not loaded is looked up again
    next time: its ``_pb2`` module may be imported meanwhile.
    """
    type_url = any.type_url
    cls = _classes.get(type_url)
    if cls is None:
        cls = message_class(message_name(type_url)) if "/" in type_url else None
        if cls is None:
            return any
        if len(_classes) < 1024:  # a few spellings per type: com.googleapis/, type...
            _classes[type_url] = cls
    try:
        return cls.FromString(any.value)
    except DecodeError:
        return any


#: The class of each type URL decoded so far (see :func:`decode_any`).
_classes: dict[str, type[Message]] = {}


def format_value(value: object) -> str:
    """A one-line, deterministic text: ``SeenCount(seen=3)``, ``b'..'``, ``None``.

    >>> from google.protobuf.duration_pb2 import Duration
    >>> format_value(Duration(seconds=3))
    'Duration(seconds=3)'
    >>> format_value(b"x" * 50)
    "b'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' (50 bytes)"
    """
    if isinstance(value, Any):
        inner = decode_any(value)
        if inner is not value:
            return format_value(inner)
        return f"Any(type_url={value.type_url!r}, {len(value.value)} bytes)"
    if isinstance(value, Message):
        fields = ", ".join(f"{field.name}={_format_field(v)}" for field, v in value.ListFields())
        return f"{value.DESCRIPTOR.name}({fields})"
    if isinstance(value, bytes) and len(value) > 48:
        return repr(value[:48])[:-1] + f"...' ({len(value)} bytes)"
    return repr(value)


def _format_field(v: object) -> str:
    if isinstance(v, str | bytes | int | float | bool | Message):
        return format_value(v)
    if hasattr(v, "items"):  # a map field
        return "{" + ", ".join(f"{k!r}: {format_value(x)}" for k, x in sorted(v.items())) + "}"
    return "[" + ", ".join(format_value(x) for x in v) + "]"  # type: ignore[attr-defined]
