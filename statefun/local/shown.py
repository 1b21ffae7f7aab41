"""How the local runtime's events show a value: decoded, or its type and size when large.

A message, state or egress value of more than ``limit`` serialized bytes is shown as a
:class:`~statefun.local.values.LargeValue`, so a trace of a long run does not hold every large
value it saw.
"""

from __future__ import annotations

from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message

from statefun.core import message_name
from statefun.local.values import LargeValue, decode_any

__all__ = ["message_value", "shown_egress", "shown_message", "shown_state", "state_value"]


def message_value(type_url: str, value: bytes) -> object:
    """A message's value, decoded when its type is loaded (else the ``Any``)."""
    return decode_any(Any(type_url=type_url, value=value))


def state_value(raw: bytes | None) -> object:
    """A stored state value (a serialized ``Any``), decoded; None when there is none."""
    if raw is None:
        return None
    try:
        return decode_any(Any.FromString(raw))
    except DecodeError:
        return raw


def shown_message(type_url: str, value: bytes, limit: int) -> object:
    """A message's value as events show it: decoded, or its type and size if large."""
    if len(value) > limit:
        return LargeValue(message_name(type_url), len(value))
    return message_value(type_url, value)


def shown_state(raw: bytes | None, limit: int) -> object:
    """A state value as events show it (see :func:`shown_message`); None when there is none."""
    if raw is not None and len(raw) > limit:
        try:
            type_name = message_name(Any.FromString(raw).type_url) or "Any"
        except DecodeError:
            type_name = "bytes"
        return LargeValue(type_name, len(raw))
    return state_value(raw)


def shown_egress(value: bytes, value_type: type[Message] | None, limit: int) -> object:
    """An egress record's value as events show it: decoded as ``value_type`` when given and
    it parses, else the bytes; its type and size if large."""
    if len(value) > limit:
        name = value_type.DESCRIPTOR.full_name if value_type is not None else "bytes"
        return LargeValue(name, len(value))
    if value_type is None:
        return value
    try:
        return value_type.FromString(value)
    except DecodeError:
        return value
