"""ipywidgets views over a :class:`~statefun.local.LocalRuntime`, and over a running
:class:`~statefun.flink.FlinkStack` (the real engine), for the notebooks.

Each view is a thin shell over a plain-Python class that holds the logic (and that the tests
drive without a browser)::

    sender = GreetSender(rt, GreetRequest)     # logic: sender.logic (GreetRequestSender)
    sender.name.value = "Bob"; sender.send_button.click()
    StateInspector(rt).table.lines()           # ['example/greeter/Bob  seen_count=...']
    EgressLog(rt).lines.lines                  # ['Bob:\\tWelcome Bob']
    MessageBytesView(GreetRequest).encoding    # a name's bytes and its Any (no runtime)
    ExchangeView(exchanges).lines()            # a request and its response, decoded as trees

Views follow the runtime's own events (``rt.subscribe``), so they show what it holds.

The real engine's views take a running stack (anything with
:class:`~statefun.flink.protocol.FlinkStackLike`'s methods) and read it when asked
(*Refresh*, ``refresh()``) or, with *Follow*, from a background thread that ``stop()`` and
``close()`` end::

    FlinkSender(stack)                         # names into the Kafka topic `names`
    FlinkGreetings(stack).refresh()            # the committed greetings, in commit order
    FlinkStatusView(stack).refresh()           # the job, its checkpoints, each process's RSS
    FailureDrillView(stack).run()              # kill, restore, check the counts carry on
    FlinkDashboard(stack)                      # all four
"""

from __future__ import annotations

# First: without ipywidgets, a MissingExtraError that names the extra to install.
from statefun.widgets import _requires  # noqa: F401
from statefun.widgets.clock import ClockControls, ClockDriver
from statefun.widgets.dashboard import Dashboard
from statefun.widgets.egress_log import EgressLines, EgressLog, format_record
from statefun.widgets.exchange_view import ExchangeTrees, ExchangeView, message_tree
from statefun.widgets.flink_dashboard import FlinkDashboard
from statefun.widgets.flink_drill import FailureDrillView, drill_lines, problem_text, step_text
from statefun.widgets.flink_greetings import CommittedGreetings, FlinkGreetings
from statefun.widgets.flink_sender import FlinkSender, StackSender
from statefun.widgets.flink_status import FlinkStatusView, format_duration, status_lines
from statefun.widgets.inspector import StateInspector, StateRow, StateTable
from statefun.widgets.message_bytes import Encoding, MessageBytes, MessageBytesView
from statefun.widgets.module_view import (
    ModuleReport,
    ModuleYamlView,
    describe_module,
    validate_module_text,
)
from statefun.widgets.progress import ProgressRow, ProgressTable, ProgressView
from statefun.widgets.sender import DEFAULT_NAMES, PACES, GreetRequestSender, GreetSender
from statefun.widgets.trace_view import TraceView

__all__ = [
    "DEFAULT_NAMES",
    "PACES",
    "ClockControls",
    "ClockDriver",
    "CommittedGreetings",
    "Dashboard",
    "EgressLines",
    "EgressLog",
    "Encoding",
    "ExchangeTrees",
    "ExchangeView",
    "FailureDrillView",
    "FlinkDashboard",
    "FlinkGreetings",
    "FlinkSender",
    "FlinkStatusView",
    "GreetRequestSender",
    "GreetSender",
    "MessageBytes",
    "MessageBytesView",
    "ModuleReport",
    "ModuleYamlView",
    "ProgressRow",
    "ProgressTable",
    "ProgressView",
    "StackSender",
    "StateInspector",
    "StateRow",
    "StateTable",
    "TraceView",
    "describe_module",
    "drill_lines",
    "format_duration",
    "format_record",
    "message_tree",
    "problem_text",
    "status_lines",
    "step_text",
    "validate_module_text",
]
