"""Every view of one running Flink stack together: sender, committed greetings, job status,
failure drill."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w

from statefun.flink.drill import DRILL_NAMES
from statefun.flink.protocol import FlinkStackLike
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.walkthrough import NAMES_TOPIC
from statefun.widgets.flink_drill import FailureDrillView
from statefun.widgets.flink_greetings import FlinkGreetings
from statefun.widgets.flink_sender import FlinkSender
from statefun.widgets.flink_status import FlinkStatusView
from statefun.widgets.sender import DEFAULT_NAMES

__all__ = ["FlinkDashboard"]


class FlinkDashboard:
    """The real engine on one screen; each part is also an attribute (``sender``,
    ``greetings``, ``status``, ``drill``).

    The drill's greetings show in ``greetings`` too, and ``status`` is read again after a
    drill. :meth:`close` stops every background poll.
    """

    def __init__(
        self,
        stack: FlinkStackLike,
        *,
        topic: str = NAMES_TOPIC,
        names: Sequence[str] = DEFAULT_NAMES,
        drill_names: Sequence[str] = DRILL_NAMES,
        seed: int = 7,
    ) -> None:
        self.sender = FlinkSender(stack, topic=topic, names=names, seed=seed)
        self.greetings = FlinkGreetings(stack)
        self.status = FlinkStatusView(stack)
        self.drill = FailureDrillView(
            stack,
            drill_names,
            on_greetings=self.greetings.logic.add,
            after_run=self.status.refresh,
        )
        self.tabs = tabs = w.Tab(children=[self.status.widget, self.drill.widget])
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox(
                    [self.sender.widget, self.greetings.widget],
                    layout=w.Layout(align_items="flex-start"),
                ),
                tabs,
            ]
        )

    def refresh(self) -> None:
        """Read the greetings and the status now."""
        self.greetings.refresh()
        self.status.refresh()

    def close(self) -> None:
        """Stop every background poll (each thread has ended when this returns)."""
        self.greetings.close()
        self.status.close()

    def _relabel(self, language: str = "") -> None:
        self.tabs.titles = (_("Job"), _("Failure drill"))

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)
