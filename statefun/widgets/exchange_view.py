"""One request and its response between the runtime and a function, decoded as trees.

A ``ToFunction`` request and a ``FromFunction`` response are protobuf messages with more
messages inside: ``Any`` arguments, states stored as serialized ``Any``s, Kafka records whose
value is a serialized ``GreetResponse``. :func:`message_tree` unpacks each layer it can
name (``Any``s by their type URL, bytes fields through ``decoders``) and shows the rest as
bytes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import ipywidgets as w
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from statefun.core import message_name
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.request_reply_pb2 import FromFunction, ToFunction

__all__ = ["STATE_VALUES", "ExchangeTrees", "ExchangeView", "message_tree"]

_ADDRESS = "org.apache.flink.statefun.flink.core.polyglot.Address"
#: The bytes fields of the protocol that hold a serialized ``Any`` (a state's value).
STATE_VALUES: dict[str, type[Message]] = {
    ToFunction.PersistedValue.DESCRIPTOR.fields_by_name["state_value"].full_name: AnyMessage,
    FromFunction.PersistedValueMutation.DESCRIPTOR.fields_by_name[
        "state_value"
    ].full_name: AnyMessage,
}
_INDENT = "  "


def _unpack(envelope: AnyMessage) -> Message | None:
    """The message inside ``envelope``, if its type is known to this process."""
    name = message_name(envelope.type_url)
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        return None
    inner = message_factory.GetMessageClass(descriptor)()
    try:
        inner.ParseFromString(envelope.value)
    except DecodeError:
        return None
    return inner


def _scalar(field: FieldDescriptor, value: object) -> str:
    if field.type == FieldDescriptor.TYPE_ENUM:
        number = value if isinstance(value, int) else -1
        enum = field.enum_type.values_by_number.get(number) if field.enum_type else None
        return enum.name if enum is not None else str(value)
    if isinstance(value, bytes):
        return value.hex(" ") if value else _("(empty)")
    return repr(value)


def message_tree(
    message: Message, decoders: Mapping[str, type[Message]] | None = None, depth: int = 0
) -> list[str]:
    """``message`` as indented lines, one per field set, nested messages below their field.

    An ``Any`` shows its type URL and, when its type is known, the message inside. A bytes
    field named in ``decoders`` (by its full name, e.g.
    ``org.apache.flink.statefun.flink.io.KafkaProducerRecord.value_bytes``) is decoded as
    that message type; the protocol's state values (:data:`STATE_VALUES`) always are.
    """
    known = {**STATE_VALUES, **(decoders or {})}
    pad = _INDENT * depth
    lines: list[str] = []
    for field, value in message.ListFields():
        repeated = bool(field.is_repeated)
        items = list(value) if repeated else [value]
        for index, item in enumerate(items):
            label = f"{field.name}[{index}]" if repeated else field.name
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                lines.extend(_message_lines(label, item, known, depth))
            elif field.type == FieldDescriptor.TYPE_BYTES and field.full_name in known:
                decoded = known[field.full_name]()
                try:
                    decoded.ParseFromString(item)
                except DecodeError:
                    lines.append(f"{pad}{label}: {_scalar(field, item)}")
                    continue
                lines.extend(_message_lines(label, decoded, known, depth))
            else:
                lines.append(f"{pad}{label}: {_scalar(field, item)}")
    return lines


def _message_lines(
    label: str, message: Message, known: Mapping[str, type[Message]], depth: int
) -> list[str]:
    pad = _INDENT * depth
    full_name = message.DESCRIPTOR.full_name
    if full_name == _ADDRESS:
        address = f"{message.namespace}/{message.type}/{message.id}"  # type: ignore[attr-defined]
        return [f"{pad}{label}: {address}"]
    if isinstance(message, AnyMessage):
        if not message.type_url and not message.value:
            return [f"{pad}{label}: Any " + _("(empty)")]
        inner = _unpack(message)
        head = f"{pad}{label}: Any {message.type_url}"
        if inner is None:
            shown = message.value.hex(" ") or _("(empty)")
            return [head, f"{pad}{_INDENT}value: {shown}"]
        return [
            f"{head} → {inner.DESCRIPTOR.name}",
            *(message_tree(inner, known, depth + 1) or [f"{pad}{_INDENT}" + _("(all defaults)")]),
        ]
    children = message_tree(message, known, depth + 1)
    if full_name == ToFunction.PersistedValue.DESCRIPTOR.full_name and not message.state_value:  # type: ignore[attr-defined]
        children.append(f"{pad}{_INDENT}state_value: " + _("(no value yet)"))
    return [f"{pad}{label}: {message.DESCRIPTOR.name}", *children]


class ExchangeTrees:
    """The logic of :class:`ExchangeView`: a request's and a response's trees.

    ``decoders`` name the bytes fields to decode (see :func:`message_tree`); the
    greeter's Kafka records are decoded with ``ExchangeTrees({...value_bytes: GreetResponse})``
    or :meth:`for_kafka_values`.
    """

    def __init__(self, decoders: Mapping[str, type[Message]] | None = None) -> None:
        self.decoders = dict(decoders or {})

    @classmethod
    def for_kafka_values(cls, value_type: type[Message]) -> ExchangeTrees:
        """Trees that decode the value of every Kafka record as ``value_type``."""
        field = KafkaProducerRecord.DESCRIPTOR.fields_by_name["value_bytes"].full_name
        return cls({field: value_type})

    def request(self, data: bytes) -> list[str]:
        """The tree of a ``ToFunction`` request."""
        return self._tree(ToFunction, data)

    def response(self, data: bytes) -> list[str]:
        """The tree of a ``FromFunction`` response."""
        return self._tree(FromFunction, data)

    def _tree(self, kind: type[Message], data: bytes) -> list[str]:
        message = kind()
        try:
            message.ParseFromString(data)
        except DecodeError as error:
            return [
                _("not a {kind}: {error} ({n} bytes)").format(
                    kind=kind.DESCRIPTOR.name, error=error, n=len(data)
                )
            ]
        head = _("{kind}: {n} bytes").format(kind=kind.DESCRIPTOR.name, n=len(data))
        return [head, *message_tree(message, self.decoders, 1)]


class ExchangeView:
    """Request/response pairs side by side, as trees; a menu picks the pair.

    ``exchanges`` is a list of ``(request bytes, response bytes)``, e.g. a recording
    transport's; :meth:`refresh` picks up pairs appended since. ``view.trees`` is the
    :class:`ExchangeTrees`, ``view.pick`` the menu, ``view.request_html`` and
    ``view.response_html`` the two trees.
    """

    def __init__(
        self,
        exchanges: Sequence[tuple[bytes, bytes]],
        trees: ExchangeTrees | None = None,
    ) -> None:
        self.exchanges = exchanges
        self.trees = trees or ExchangeTrees()
        self.pick = w.Dropdown(options=[])
        self.refresh_button = w.Button(icon="refresh")
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.request_html = w.HTML()
        self.response_html = w.HTML()
        self.pick.observe(lambda _change: self._draw(), names="value")
        self._relabel()
        on_language_change(self._relabel)
        half = w.Layout(width="50%")
        self.widget = w.VBox(
            [
                w.HBox([self.pick, self.refresh_button]),
                w.HBox(
                    [
                        w.Box([self.request_html], layout=half),
                        w.Box([self.response_html], layout=half),
                    ]
                ),
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.pick.description = _("Exchange")
        self.refresh_button.description = _("Refresh")
        self.refresh()

    def refresh(self) -> None:
        """Re-read ``exchanges`` (keeps the pair shown, or shows the first)."""
        chosen = self.pick.value
        options = []
        for index, (request, _response) in enumerate(self.exchanges):
            target = ToFunction()
            try:
                target.ParseFromString(request)
                address = target.invocation.target
                name = f"{address.namespace}/{address.type}/{address.id}"
            except DecodeError:
                name = "?"
            options.append((f"{index + 1}: {name}", index))
        self.pick.options = options
        if options:
            self.pick.value = chosen if chosen is not None and chosen < len(options) else 0
        self._draw()

    def lines(self) -> tuple[list[str], list[str]]:
        """The request's and the response's tree of the pair shown."""
        index = self.pick.value
        if index is None:
            return [_("no exchange yet")], []
        request, response = self.exchanges[index]
        return self.trees.request(request), self.trees.response(response)

    def _draw(self) -> None:
        request, response = self.lines()
        self.request_html.value = _pre(_("request (runtime → function)"), request)
        self.response_html.value = _pre(_("response (function → runtime)"), response)

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)


def _pre(title: str, lines: list[str]) -> str:
    return (
        f"<b>{html.escape(title)}</b>"
        '<pre style="font-size:12px;line-height:1.35;white-space:pre-wrap">'
        f"{html.escape(chr(10).join(lines))}</pre>"
    )
