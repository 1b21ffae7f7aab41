"""Send names to a running Flink stack's ingress topic (``names``), one or N random ones."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence

import ipywidgets as w

from statefun.errors import InvalidArgumentError, StatefunError
from statefun.flink.protocol import FlinkStackLike
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.walkthrough import NAMES_TOPIC
from statefun.widgets._poll import stack_lock
from statefun.widgets.sender import DEFAULT_NAMES, name_summary

__all__ = ["FlinkSender", "StackSender"]


class StackSender:
    """The logic of :class:`FlinkSender`: ``stack.send(*names, topic=topic)`` (a
    ``GreetRequest(name=...)`` keyed by each name), with seeded random names."""

    def __init__(
        self,
        stack: FlinkStackLike,
        *,
        topic: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        seed: int = 7,
    ) -> None:
        if not names:
            raise InvalidArgumentError("names must not be empty: give the names to pick from.")
        self.stack = stack
        self.topic = topic
        self.names = tuple(names)
        self.random = random.Random(seed)
        #: Every name sent, in order.
        self.sent: list[str] = []

    def send(self, *names: str) -> int:
        """Produce one record per name (blank names refused); returns how many."""
        cleaned = [n.strip() for n in names]
        if not cleaned or not all(cleaned):
            raise InvalidArgumentError("type a name first")
        with stack_lock(self.stack):
            count = self.stack.send(*cleaned, topic=self.topic)
        self.sent += cleaned
        return count

    def pick(self, count: int) -> list[str]:
        """``count`` names drawn from :attr:`names` (seeded: the same run gives the same)."""
        return [self.random.choice(self.names) for _ in range(count)]


class FlinkSender:
    """A name field with *Send*, and *Send N random names*, into the stack's Kafka topic.

    Usable without a browser: ``sender.name.value = "Bob"; sender.send_button.click()``.
    """

    def __init__(
        self,
        stack: FlinkStackLike,
        *,
        topic: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        seed: int = 7,
        count: int = 10,
    ) -> None:
        self.logic = StackSender(stack, topic=topic, names=names, seed=seed)
        self.name = w.Text(value="")
        self.send_button = w.Button(button_style="primary", icon="paper-plane")
        self.count = w.BoundedIntText(value=count, min=1, max=10_000, description="N")
        self.random_button = w.Button(icon="random")
        self.status = w.HTML(value="")
        self.title = w.HTML()
        self.send_button.on_click(self._on_send)
        self.random_button.on_click(self._on_random)
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                self.title,
                w.HBox([self.name, self.send_button]),
                w.HBox([self.count, self.random_button]),
                self.status,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.name.placeholder = _("a name, e.g. Jerry")
        self.name.description = _("Name")
        self.send_button.description = _("Send")
        self.random_button.description = _("Send N random names")
        self.title.value = _("<b>Send names</b> to the Kafka topic <code>{topic}</code>").format(
            topic=html.escape(self.logic.topic)
        )

    def _report(self, text: str, error: bool = False) -> None:
        color = "#d62728" if error else "#333"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _on_send(self, event: object = None) -> None:
        name = self.name.value.strip()
        if not name:
            self._report(_("type a name first"), error=True)
            return
        try:
            self.logic.send(name)
        except StatefunError as e:
            self._report(str(e), error=True)
            return
        self._report(_("sent {name}").format(name=name))

    def _on_random(self, event: object = None) -> None:
        names = self.logic.pick(self.count.value)
        try:
            self.logic.send(*names)
        except StatefunError as e:
            self._report(str(e), error=True)
            return
        self._report(
            _("sent {count} names: {names}").format(count=len(names), names=name_summary(names))
        )

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
