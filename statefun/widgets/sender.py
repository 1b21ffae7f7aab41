"""Send GreetRequests into a local runtime: one name, or N random names (seeded)."""

from __future__ import annotations

import html
import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

import ipywidgets as w
from google.protobuf.message import Message

from statefun.errors import InvalidArgumentError, RuntimeFailure
from statefun.i18n import N_, on_language_change
from statefun.i18n import gettext as _
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import Event, RequestSent, Responded
from statefun.walkthrough import NAMES_TOPIC

__all__ = ["DEFAULT_NAMES", "PACES", "GreetRequestSender", "GreetSender", "name_summary"]

#: The names of the walkthrough's event generator.
DEFAULT_NAMES = ("Jerry", "George", "Elaine", "Kramer", "Newman", "Frank")

#: How N names are sent: each to the end, one per virtual second (like the event generator),
#: or all queued up at once (so the runtime batches them). The values are English (for code);
#: the sender's menu shows them translated.
PACES = (N_("one by one"), N_("one per second"), N_("all at once"))


class GreetRequestSender:
    """The logic of :class:`GreetSender`: ingest ``message_type(name=...)`` keyed by the name."""

    def __init__(
        self,
        rt: LocalRuntime,
        message_type: type[Message],
        *,
        ingress: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        seed: int = 7,
    ) -> None:
        if not names:
            raise InvalidArgumentError("names must not be empty")
        self.rt = rt
        self.message_type = message_type
        self.ingress = ingress
        self.names = tuple(names)
        self.random = random.Random(seed)
        #: Every name sent, in order.
        self.sent: list[str] = []

    def send(self, name: str) -> None:
        """One record: key ``name``, value ``message_type(name=name)``."""
        name = name.strip()
        if not name:
            raise InvalidArgumentError("type a name first")
        self.rt.ingest(self.ingress, key=name, value=self.message_type(name=name))
        self.sent.append(name)

    def pick(self, count: int) -> list[str]:
        """``count`` names drawn from :attr:`names` (seeded: the same run gives the same names)."""
        return [self.random.choice(self.names) for _ in range(count)]

    def send_many(
        self,
        names: Sequence[str],
        pace: str = "one by one",
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Send ``names`` at ``pace`` (see :data:`PACES`); ``on_progress(done)`` after each."""
        if pace not in PACES:
            raise InvalidArgumentError(f"pace must be one of {PACES}, got {pace!r}")
        progress = on_progress or (lambda done: None)
        if pace != "all at once":
            for done, name in enumerate(names, start=1):
                self.send(name)
                if pace == "one per second":
                    self.rt.advance(timedelta(seconds=1))
                progress(done)
            return
        for name in names:
            self.rt.ingest(self.ingress, key=name, value=self.message_type(name=name), run=False)
            self.sent.append(name)
        if not self.rt.auto_run:
            return  # step mode: the learner steps through the queue
        counter = _ProcessedCounter()
        unsubscribe = self.rt.subscribe(counter)
        try:
            while self.rt.step():
                progress(min(counter.done, len(names)))
        finally:
            unsubscribe()
        progress(len(names))


class _ProcessedCounter:
    """Counts the messages whose request has completed (batch sizes of answered requests)."""

    def __init__(self) -> None:
        self.inflight: dict[str, int] = {}
        self.done = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, RequestSent):
            self.inflight[event.address] = event.batch
        elif isinstance(event, Responded):
            self.done += self.inflight.pop(event.address, 0)


def name_summary(names: Sequence[str]) -> str:
    """How many times each name was sent, most first: ``"Jerry ×3, Elaine ×1"``."""
    counts = Counter(names)
    return ", ".join(f"{name} ×{n}" for name, n in sorted(counts.items(), key=lambda x: -x[1]))


class GreetSender:
    """A name field with *Send*, and *Send N random names* with a pace and a progress bar.

    Usable without a browser: ``sender.name.value = "Bob"; sender.send_button.click()``.
    """

    def __init__(
        self,
        rt: LocalRuntime,
        message_type: type[Message],
        *,
        ingress: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        seed: int = 7,
        count: int = 10,
    ) -> None:
        self.logic = GreetRequestSender(rt, message_type, ingress=ingress, names=names, seed=seed)
        self.name = w.Text(value="")
        self.send_button = w.Button(button_style="primary", icon="paper-plane")
        self.count = w.BoundedIntText(value=count, min=1, max=10_000, description="N")
        self.pace = w.Dropdown(options=[(p, p) for p in PACES], value=PACES[0])
        self.random_button = w.Button(icon="random")
        self.progress = w.IntProgress(value=0, min=0, max=count)
        self.status = w.HTML(value="")
        self.title = w.HTML()
        self.send_button.on_click(self._on_send)
        self.random_button.on_click(self._on_random)
        self._message_name = message_type.DESCRIPTOR.name
        self._ingress = ingress
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                self.title,
                w.HBox([self.name, self.send_button]),
                w.HBox([self.count, self.pace, self.random_button]),
                self.progress,
                self.status,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.name.placeholder = _("a name, e.g. Jerry")
        self.name.description = _("Name")
        self.send_button.description = _("Send")
        pace = self.pace.value
        self.pace.options = [(_(p), p) for p in PACES]
        self.pace.value = pace
        self.pace.description = _("Pace")
        self.random_button.description = _("Send N random names")
        self.progress.description = _("Sent")
        self.title.value = _("<b>Send {message}s</b> to the ingress <code>{ingress}</code>").format(
            message=html.escape(self._message_name), ingress=html.escape(self._ingress)
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
        except (ValueError, RuntimeFailure) as e:
            self._report(str(e), error=True)
            return
        self._report(_("sent {name}").format(name=name))

    def _on_random(self, event: object = None) -> None:
        names = self.logic.pick(self.count.value)
        self.progress.max = len(names)
        self.progress.value = 0

        def progress(done: int) -> None:
            self.progress.value = done

        try:
            self.logic.send_many(names, self.pace.value, progress)
        except RuntimeFailure as e:
            self._report(str(e), error=True)
            return
        self._report(
            _("sent {count} names ({pace}): {names}").format(
                count=len(names), pace=_(self.pace.value), names=name_summary(names)
            )
        )

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
