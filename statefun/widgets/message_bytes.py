"""Type a name; see its message's bytes, field by field, and the ``Any`` the ingress wraps."""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as w
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from statefun.errors import InvalidArgumentError
from statefun.i18n import N_, on_language_change
from statefun.i18n import gettext as _

__all__ = ["Encoding", "MessageBytes", "MessageBytesView", "wire_parts"]

_WIRE_TYPES = {0: N_("varint"), 1: N_("64-bit"), 2: N_("length-delimited"), 5: N_("32-bit")}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at ``at`` and the offset after it."""
    value, shift = 0, 0
    while True:
        if at >= len(data):
            raise InvalidArgumentError(
                f"the bytes end inside a varint (at byte {at} of {len(data)})"
            )
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return value, at


def _hex(data: bytes) -> str:
    return data.hex(" ")


def wire_parts(message: Message) -> list[tuple[str, str]]:
    """The serialized ``message`` as ``(hex bytes, what they are)`` pairs, in order.

    Each field is its tag (field number and wire type), then its length and payload
    (length-delimited) or its value. Field names come from the message's descriptor.
    """
    data = message.SerializeToString()
    fields = {f.number: f for f in message.DESCRIPTOR.fields}
    parts: list[tuple[str, str]] = []
    at = 0
    while at < len(data):
        tag, after = _varint(data, at)
        number, wire = tag >> 3, tag & 7
        field = fields.get(number)
        name = field.name if field is not None else "?"
        parts.append(
            (
                _hex(data[at:after]),
                _("field {number} ({name}), {wire}").format(
                    number=number, name=name, wire=_(_WIRE_TYPES.get(wire, "?"))
                ),
            )
        )
        at = after
        if wire == 0:
            value, after = _varint(data, at)
            parts.append((_hex(data[at:after]), _("the value {value}").format(value=value)))
        elif wire == 2:
            length, after = _varint(data, at)
            parts.append((_hex(data[at:after]), _("length: {n} bytes").format(n=length)))
            at, after = after, after + length
            payload = data[at:after]
            if field is not None and field.type == FieldDescriptor.TYPE_STRING:
                what = _("{text!r} in UTF-8").format(text=payload.decode("utf-8"))
            else:
                what = _("{n} bytes").format(n=length)
            parts.append((_hex(payload), what))
        else:
            size = 8 if wire == 1 else 4
            after = at + size
            parts.append((_hex(data[at:after]), _("{n} bytes").format(n=size)))
        at = after
    return parts


@dataclass(frozen=True)
class Encoding:
    """One message, its bytes, and the ``Any`` holding them (what a function without a type hint
    receives)."""

    message: Message
    data: bytes
    envelope: AnyMessage

    def lines(self) -> list[str]:
        """The message, its bytes field by field, then the ``Any``'s two fields and its size."""
        fields = ", ".join(f"{f.name}={v!r}" for f, v in self.message.ListFields())
        head = _("{message}({fields}): {n} bytes").format(
            message=self.message.DESCRIPTOR.name, fields=fields, n=len(self.data)
        )
        lines = [head]
        parts = wire_parts(self.message)
        if not parts:
            lines.append("  " + _("no bytes: a field at its default value is not written"))
        width = max((len(hexed) for hexed, _what in parts), default=0)
        lines.extend(f"  {hexed:<{width}}  {what}" for hexed, what in parts)
        lines.append(_("Any (the envelope): {n} bytes").format(n=self.envelope.ByteSize()))
        lines.append(f"  type_url: {self.envelope.type_url}")
        shown = _hex(self.envelope.value) or _("(empty)")
        lines.append(f"  value:    {shown}")
        return lines

    @property
    def text(self) -> str:
        """:meth:`lines` as one text."""
        return "\n".join(self.lines())


class MessageBytes:
    """The logic of :class:`MessageBytesView`: a message with one text field, encoded.

    ``field`` is the text field the learner types (by default the message's first string
    field: ``name`` of ``GreetRequest``); ``type_url`` is what the ingress puts in the ``Any``
    (module.yaml's ``typeUrl``; by default the prefix ``type.googleapis.com/`` that
    ``Any.Pack`` writes).
    """

    def __init__(
        self,
        message_type: type[Message],
        *,
        type_url: str | None = None,
        field: str | None = None,
    ) -> None:
        strings = [
            f.name for f in message_type.DESCRIPTOR.fields if f.type == FieldDescriptor.TYPE_STRING
        ]
        if field is None:
            if not strings:
                raise InvalidArgumentError(
                    f"{message_type.DESCRIPTOR.full_name} has no string field to type into; "
                    f"pass field=... naming one."
                )
            field = strings[0]
        elif field not in strings:
            raise InvalidArgumentError(
                f"{message_type.DESCRIPTOR.full_name} has no string field {field!r} (its "
                f"string fields: {', '.join(strings) or 'none'})."
            )
        self.message_type = message_type
        self.field = field
        self.type_url = type_url or f"type.googleapis.com/{message_type.DESCRIPTOR.full_name}"

    def encode(self, text: str) -> Encoding:
        """The message with ``field`` set to ``text``, its bytes and its ``Any``."""
        message = self.message_type(**{self.field: text})
        data = message.SerializeToString()
        return Encoding(message, data, AnyMessage(type_url=self.type_url, value=data))


class MessageBytesView:
    """A text box and, live as you type, the message's bytes and its ``Any``.

    ``view.name`` is the text box, ``view.html`` the output, ``view.logic`` the
    :class:`MessageBytes`, ``view.encoding`` the :class:`Encoding` on screen.
    """

    def __init__(
        self,
        message_type: type[Message],
        *,
        type_url: str | None = None,
        field: str | None = None,
        value: str = "Jerry",
    ) -> None:
        self.logic = MessageBytes(message_type, type_url=type_url, field=field)
        self.name = w.Text(value=value, continuous_update=True)
        self.html = w.HTML()
        self.encoding = self.logic.encode(value)
        self.name.observe(self._typed, names="value")
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox([self.name, self.html])

    def _relabel(self, language: str = "") -> None:
        self.name.description = _("{field}:").format(field=self.logic.field)
        self.name.placeholder = _("type a name")
        self._draw()

    def _typed(self, change: dict[str, object]) -> None:
        self.encoding = self.logic.encode(str(change["new"]))
        self._draw()

    def _draw(self) -> None:
        self.html.value = (
            f'<pre style="font-size:12px;line-height:1.4">{html.escape(self.encoding.text)}</pre>'
        )

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
