"""Run a learner's function in a fresh local runtime and explain what went wrong.

A checker is straight-line code over a :class:`Harness`: feed names, move the clock, look at
the egress and the state, and call :meth:`Harness.wrong` at the first surprise. Every failure
of the runtime (an exception in the function, an unknown egress, ...) becomes a specific
"wrong" verdict, or "not attempted yet" for ``NotImplementedError``.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn, TypeVar

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.message import DecodeError, Message

from statefun.core import StatefulFunctions, message_name
from statefun.errors import (
    FunctionSignatureError,
    MessageTypeMismatchError,
    MissingCallerError,
    RuntimeFailure,
    StateTypeMismatchError,
    UnknownStateError,
)
from statefun.exercises._repo import messages, module_spec
from statefun.exercises.attempt import is_placeholder, resolve_function
from statefun.exercises.progress import is_the_solution, record, solution_cell_ran
from statefun.exercises.result import CheckResult, Status
from statefun.i18n import gettext as _
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.local.clock import EPOCH
from statefun.local.effects import Effects as LocalEffects
from statefun.local.effects import from_response
from statefun.local.module_yaml import ModuleSpec, load_module, parse_module
from statefun.local.runtime import EgressRecord, LocalRuntime, StateView
from statefun.local.trace import DelayScheduled
from statefun.local.transport import Attempt, InProcessTransport, Transport
from statefun.local.values import format_value
from statefun.request_reply_pb2 import FromFunction
from statefun.testing import Effects, from_effects
from statefun.walkthrough import EGRESS_ID, FUNCTION_TYPE, GREETINGS_TOPIC, NAMES_TOPIC

__all__ = ["Harness", "Verdict", "greeting_of", "record_pass", "run_check", "verdict"]

T = TypeVar("T")


ModuleArg = str | os.PathLike[str] | ModuleSpec | None


class Verdict(Exception):
    """Raised inside a check to stop it with a result."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(str(result))
        self.result = result


class _Recorder(Transport):
    """A transport that remembers the effects of the last response (to explain failures).

    It forwards :meth:`call`, so the runtime takes the path of the transport it wraps.
    """

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.last_effects: LocalEffects | None = None

    def describe(self) -> str:
        return self.inner.describe()

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        return self.inner.send(typename, request, timeout)

    def call(self, typename: str, request: bytes, timeout: timedelta) -> Attempt | LocalEffects:
        self.last_effects = None
        result = self.inner.call(typename, request, timeout)
        if isinstance(result, LocalEffects):
            self.last_effects = result
        else:
            with contextlib.suppress(DecodeError):
                response = FromFunction.FromString(result.body).invocation_result
                self.last_effects = from_response(response)
        return result


def _load(module: ModuleArg) -> ModuleSpec:
    if module is None:
        return module_spec("module.yaml")
    if isinstance(module, ModuleSpec):
        return module
    text = os.fspath(module)
    if "\n" in text:
        return parse_module(text, path="<your module>")
    return load_module(text)


def seconds(delta: timedelta) -> str:
    """``timedelta(seconds=61)`` as ``61 s``, ``timedelta(days=60)`` as ``60 days``."""
    total = delta.total_seconds()
    if total >= 86400 and total % 86400 == 0:
        return _("{n} days").format(n=int(total // 86400))
    if total >= 1 and total == int(total):
        return _("{n} s").format(n=int(total))
    return _("{n} ms").format(n=f"{total * 1000:g}")


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, … (English; other languages say "the n-th" in their own messages)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def nth_request(name: str, n: int) -> str:
    """What the harness is doing, for messages: ``Jerry's 2nd GreetRequest``."""
    # NOTE: {ordinal} is English ("2nd"); a translation may use {n} (the number) instead.
    return _("{name}'s {ordinal} GreetRequest").format(name=name, ordinal=ordinal(n), n=n)


def at_time(offset: float) -> str:
    """A virtual time as an offset from the clock's start: ``+30 s``."""
    return _("+{n} s").format(n=f"{offset:g}")


class Harness:
    """A fresh runtime on module.yaml with the learner's function bound to ``example/greeter``."""

    def __init__(self, step: int, fn: Callable[..., Any], module: ModuleArg = None) -> None:
        self.step = step
        self.fn = fn
        msgs = messages()
        self.GreetRequest: type[Message] = msgs.GreetRequest
        self.GreetResponse: type[Message] = msgs.GreetResponse
        self.SeenCount: type[Message] = msgs.SeenCount
        self.module = _load(module)
        if FUNCTION_TYPE not in self.module.functions:
            self.wrong(
                _(
                    "the module does not declare the function {function!r} (it declares "
                    "{declared})."
                ).format(
                    function=FUNCTION_TYPE,
                    declared=", ".join(sorted(self.module.functions)) or _("none"),
                )
            )
        self.functions = StatefulFunctions()
        try:
            self.functions.register(FUNCTION_TYPE, fn)
        except FunctionSignatureError as e:
            self.wrong(_("your function cannot be bound: {error}").format(error=e))
        self.transport = _Recorder(InProcessTransport(self.functions))
        egress_types = (
            {EGRESS_ID: self.GreetResponse} if EGRESS_ID in self.module.egresses else None
        )
        self.rt = LocalRuntime(
            self.module, {FUNCTION_TYPE: self.transport}, egress_types=egress_types
        )
        self.printed: list[str] = []  # what the function printed, one entry per input
        self.doing = ""  # what the current input is, for messages
        self._egress_seen = 0

    # -- verdicts ----------------------------------------------------------------------------

    def wrong(self, message: str) -> NoReturn:
        raise Verdict(CheckResult(self.step, Status.WRONG, message))

    # -- inputs ------------------------------------------------------------------------------

    @property
    def now(self) -> str:
        return at_time((self.rt.now - EPOCH).total_seconds())

    def ingest(self, name: str, what: str | None = None) -> str:
        """Send a GreetRequest for ``name``; returns what the function printed."""
        self.doing = what or _("{name}'s GreetRequest").format(name=name)
        with self._running() as out:
            self.rt.ingest(NAMES_TOPIC, key=name, value=self.GreetRequest(name=name))
        return out.getvalue()

    def ingest_many(self, names: list[str], what: str) -> str:
        """A burst: the names queue up together, so one address gets a batch."""
        self.doing = what
        with self._running() as out:
            self.rt.ingest_many(NAMES_TOPIC, [(n, self.GreetRequest(name=n)) for n in names])
        return out.getvalue()

    def advance(self, secs: float) -> None:
        due = (self.rt.now - EPOCH).total_seconds() + secs
        self.doing = _("the delayed messages due by {time}").format(time=at_time(due))
        with self._running():
            self.rt.advance(timedelta(seconds=secs))

    @contextlib.contextmanager
    def _running(self) -> Iterator[io.StringIO]:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                yield out
        except RuntimeFailure as failure:
            raise Verdict(self.explain(failure)) from None
        finally:
            self.printed.append(out.getvalue())

    # -- outputs -----------------------------------------------------------------------------

    def state(self, name: str) -> StateView:
        return self.rt.state(FUNCTION_TYPE, name)

    def seen(self, name: str) -> int | None:
        """The ``seen`` of ``name``'s ``seen_count``, None when empty; wrong if not a SeenCount."""
        view = self.state(name)
        if "seen_count" not in view:
            return None
        value = view["seen_count"]
        if not isinstance(value, self.SeenCount):
            self.wrong(
                _(
                    "after {doing}, seen_count holds {value}; it should hold a SeenCount: "
                    "context.state('seen_count').pack(SeenCount(...))."
                ).format(doing=self.doing, value=format_value(value))
            )
        return int(value.seen)  # type: ignore[attr-defined]

    def new_egress(self) -> list[EgressRecord]:
        """The records sent to any egress since the last call."""
        records = self.rt.egress()
        fresh = records[self._egress_seen :]
        self._egress_seen = len(records)
        return fresh

    def delays(self) -> list[DelayScheduled]:
        return list(self.rt.trace.of(DelayScheduled))  # type: ignore[arg-type]

    # -- common expectations -------------------------------------------------------------------

    def the_one(self, items: Sequence[T], none: str, many: str, **fmt: object) -> T:
        """The one item of ``items``; wrong with ``none`` when there is none, or with ``many``
        (given ``count``) when there are more, both formatted with ``fmt``."""
        if not items:
            self.wrong(none.format(**fmt))
        if len(items) > 1:
            self.wrong(many.format(count=len(items), **fmt))
        return items[0]

    def expect_greeting(
        self, records: list[EgressRecord], name: str, expected: str, others: tuple[str, ...] = ()
    ) -> None:
        """Exactly one record on ``example/greets``, topic ``greetings``, key ``name``,
        value ``GreetResponse(name=name, greeting=expected)``. ``others`` are names greeted
        earlier (to spot a name written into the code)."""
        when = _("for {doing}").format(doing=self.doing)
        fmt = {"when": when, "egress": EGRESS_ID, "topic": GREETINGS_TOPIC, "name": name}
        record = self.the_one(
            records,
            none=_(
                "nothing was sent to the egress {egress!r} {when}. Send the GreetResponse "
                "in a Kafka record: context.pack_and_send_egress({egress!r}, "
                "kafka_egress_record(topic={topic!r}, key=..., value=...))."
            ),
            many=_("{count} records were sent {when}; send exactly one greeting."),
            **fmt,
        )
        self._expect_greetings_record(record, name, fmt)
        self._expect_greet_response(record.value, name, expected, others, fmt)

    def _expect_greetings_record(
        self, record: EgressRecord, name: str, fmt: dict[str, str]
    ) -> None:
        """The Kafka record goes to the greetings topic, with the name as its key."""
        if record.topic != GREETINGS_TOPIC:
            self.wrong(
                _(
                    "the Kafka record {when} goes to topic {got!r}, but greetings go to the "
                    "topic {topic!r} (the event generator reads it): "
                    "kafka_egress_record(topic={topic!r}, ...)."
                ).format(got=record.topic, **fmt)
            )
        if record.key == name:
            return
        if record.key is None:
            self.wrong(
                _(
                    "the Kafka record {when} has no key. Give it the name as key "
                    "(key=greet_request.name): Kafka then keeps all greetings of one name "
                    "in one partition, in order."
                ).format(**fmt)
            )
        self.wrong(
            _(
                "the Kafka record {when} has the key {got!r}; use the name as key "
                "({name!r}, i.e. greet_request.name)."
            ).format(got=record.key, **fmt)
        )

    def _expect_greet_response(
        self,
        value: object,
        name: str,
        expected: str,
        others: tuple[str, ...],
        fmt: dict[str, str],
    ) -> None:
        """The record's value is a GreetResponse with the expected greeting and the name."""
        if not isinstance(value, self.GreetResponse):
            self.wrong(
                _(
                    "the record {when} does not hold a GreetResponse: kafka_egress_record(..., "
                    "value=GreetResponse(name=..., greeting=...))."
                ).format(**fmt)
            )
        greeting = str(value.greeting)  # type: ignore[attr-defined]
        if greeting != expected:
            self.wrong(self._greeting_problem(name, greeting, expected, others, fmt["when"]))
        if value.name != name:  # type: ignore[attr-defined]
            got = value.name  # type: ignore[attr-defined]
            shown = _("empty") if not got else repr(got)
            self.wrong(
                _(
                    "the GreetResponse {when} has the right greeting but its name is {shown}; "
                    "set name={name!r} (the name from the request)."
                ).format(shown=shown, **fmt)
            )

    def _greeting_problem(
        self, name: str, got: str, expected: str, others: tuple[str, ...], when: str
    ) -> str:
        fmt = {"when": when, "got": got, "expected": expected}
        if not got:
            return _(
                "the GreetResponse {when} has no greeting; expected {expected!r}. Set its "
                "greeting field."
            ).format(**fmt)
        for other in others:
            if other != name and got == expected.replace(name, other):
                return _(
                    "the greeting {when} is {got!r}: {other}'s name is written into your code. "
                    "Take the name from the message (greet_request.name) or from the key "
                    "(context.address.identity)."
                ).format(other=other, **fmt)
        if f"{FUNCTION_TYPE}/{name}" in got:
            return _(
                "the greeting {when} is {got!r}: that is the whole address. The name is its "
                "id, context.address.identity (or greet_request.name)."
            ).format(**fmt)
        if name not in got:
            return _(
                "the greeting {when} is {got!r}, without the name; expected {expected!r}. "
                "Take the name from the message: greet_request.name."
            ).format(**fmt)
        return _("the greeting {when} is {got!r}; expected {expected!r}.").format(**fmt)

    # -- explaining failures ---------------------------------------------------------------------

    def explain(self, failure: RuntimeFailure) -> CheckResult:
        cause = failure.__cause__
        if cause is None:
            return CheckResult(self.step, Status.WRONG, self._explain_effects(failure))
        if isinstance(cause, NotImplementedError):
            return CheckResult(
                self.step,
                Status.NOT_ATTEMPTED,
                _("your function still raises NotImplementedError: replace it with your code."),
            )
        return CheckResult(self.step, Status.WRONG, self._explain_exception(cause))

    def _explain_exception(self, e: BaseException) -> str:
        when = _("when {doing} arrived").format(doing=self.doing)
        fmt = {
            "when": when,
            "egress": EGRESS_ID,
            "topic": GREETINGS_TOPIC,
            "function": FUNCTION_TYPE,
        }
        explained = self._explain_sdk_error(e, fmt) or self._explain_slip(e, fmt)
        if explained:
            return explained
        where = _line_in(self.fn, e.__traceback__)
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if where:
            return _("{when}, `{line}` raised {error}").format(line=where, error=text, **fmt)
        return _("{when}, your function raised {error}").format(error=text, **fmt)

    def _explain_sdk_error(self, e: BaseException, fmt: dict[str, str]) -> str | None:
        """What the SDK's typed error ``e`` means for this exercise (None: not one of them)."""
        if isinstance(e, MissingCallerError):
            return _(
                "{when}, your function called reply(): a message from an ingress (Kafka) has no "
                "caller to reply to. Send the greeting to the egress instead: "
                "context.pack_and_send_egress({egress!r}, kafka_egress_record(...))."
            ).format(**fmt)
        if isinstance(e, UnknownStateError):
            declared = ", ".join(repr(n) for n in e.declared) or _("none")
            return _(
                "{when}, your function used the state {state!r}, which module.yaml does not "
                "declare for {function} (declared: {declared}). Use 'seen_count', or declare "
                "your state in a module and pass it: check_step_{step}(greet, module=...)."
            ).format(state=e.name, declared=declared, step=self.step, **fmt)
        if isinstance(e, StateTypeMismatchError):
            return _("{when}: {error}").format(error=e, **fmt)
        if isinstance(e, MessageTypeMismatchError):
            example = (
                "message: Union[GreetRequest, Reset]"
                if self.step == 8
                else "greet_request: GreetRequest"
            )
            return _(
                "{when}, the message did not match the type hint of your function: {got} is "
                "not among {expected}. Annotate the message parameter with every type it "
                "receives: {example}."
            ).format(
                got=message_name(e.type_url),
                expected=", ".join(e.expected),
                example=example,
                **fmt,
            )
        return None

    def _explain_slip(self, e: BaseException, fmt: dict[str, str]) -> str | None:
        """A learner's slip recognised from ``e`` and its traceback (None: none of them)."""
        if isinstance(e, AttributeError) and isinstance(getattr(e, "obj", None), AnyMessage):
            return _(
                "{when}, your function received a google.protobuf.Any (the packed message) and "
                "looked for {attribute!r} on it. Give the message parameter its type hint, "
                "`greet_request: GreetRequest`, and the SDK unpacks it for you."
            ).format(attribute=e.name, **fmt)
        called = _called(e.__traceback__)
        if isinstance(e, ValueError) and called & {"send_egress", "pack_and_send_egress"}:
            return _(
                "{when}, your function sent to an egress with a bad id ({error}). An egress id "
                "is 'namespace/name' as declared in module.yaml: {egress!r}. The Kafka topic "
                "({topic!r}) goes into the record: kafka_egress_record(topic={topic!r}, ...)."
            ).format(error=e, **fmt)
        if _compute_greeting_with_zero(e.__traceback__):
            return _(
                "{when}, compute_greeting was called with seen=0: counting starts at 1. The "
                "first visit stores SeenCount(seen=1) and greets with 'Welcome'."
            ).format(**fmt)
        return None

    def _explain_effects(self, failure: RuntimeFailure) -> str:
        reason = failure.reason
        recorded = self.transport.last_effects
        effects = from_effects(recorded) if recorded is not None else Effects()
        declared = sorted(self.module.egresses)
        when = _("for {doing}").format(doing=self.doing)
        fmt = {"when": when, "egress": EGRESS_ID, "topic": GREETINGS_TOPIC}
        for egress in effects.egresses:
            if egress.egress not in self.module.egresses:
                extra = ""
                if egress.egress.rpartition("/")[2] == GREETINGS_TOPIC:
                    extra = " " + _(
                        "The egress id is not the Kafka topic: the topic {topic!r} goes into "
                        "the record (kafka_egress_record(topic={topic!r}, ...))."
                    ).format(**fmt)
                return (
                    _(
                        "{when}, your function sent to the egress {got!r}, but module.yaml "
                        "declares {declared}: send to {egress!r}."
                    ).format(
                        got=egress.egress,
                        declared=", ".join(repr(d) for d in declared) or _("no egress"),
                        **fmt,
                    )
                    + extra
                )
            if not egress.argument.type_url.endswith(
                "/" + KafkaProducerRecord.DESCRIPTOR.full_name
            ):
                inner = message_name(egress.argument.type_url)
                return _(
                    "{when}, your function sent a message of type {type} straight to the Kafka "
                    "egress {got!r}. A Kafka egress takes Kafka records: wrap it with "
                    "kafka_egress_record(topic={topic!r}, key=..., value=...)."
                ).format(type=inner, got=egress.egress, **fmt)
        for message in effects.messages:
            typename = f"{message.target.namespace}/{message.target.type}"
            if typename not in self.module.functions:
                return _(
                    "{when}, your function sent a message to {typename!r}, which module.yaml "
                    "does not declare as a function. Greetings go to the egress: "
                    "context.pack_and_send_egress({egress!r}, ...)."
                ).format(typename=typename, **fmt)
        return _("{when}, the runtime failed: {reason}").format(reason=reason, **fmt)


def greeting_of(records: list[EgressRecord]) -> str | None:
    """The greeting of the first record, if it is a decoded GreetResponse."""
    if not records:
        return None
    greeting = getattr(records[0].value, "greeting", None)
    return greeting if isinstance(greeting, str) else None


def _called(tb: TracebackType | None) -> set[str]:
    """The names of the functions the exception passed through."""
    names = set()
    while tb is not None:
        names.add(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


def _compute_greeting_with_zero(tb: TracebackType | None) -> bool:
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "compute_greeting" and frame.f_locals.get("seen") == 0:
            return True
        tb = tb.tb_next
    return False


def _line_in(fn: Callable[..., Any], tb: TracebackType | None) -> str:
    """The source line of ``fn`` (or of code in its file) where the exception passed last."""
    code = getattr(fn, "__code__", None)
    line = ""
    while tb is not None:
        frame_code = tb.tb_frame.f_code
        if code is not None and frame_code.co_filename == code.co_filename:
            line = linecache.getline(frame_code.co_filename, tb.tb_lineno).strip()
        tb = tb.tb_next
    return line


def run_check(
    step: int,
    target: object,
    scenario: Callable[[Harness], str],
    *,
    module: ModuleArg = None,
    starter_hint: str | None = None,
) -> CheckResult:
    """Resolve the learner's function, spot the starter, run ``scenario`` and give a verdict."""
    fn, problem = resolve_function(target)
    if fn is None:
        return CheckResult(step, Status.WRONG, problem)
    if is_placeholder(fn):
        hint = starter_hint or _(
            "replace the ... with your code, run that cell, then run this check."
        )
        return CheckResult(
            step,
            Status.NOT_ATTEMPTED,
            _("your function is still the starter: {hint}").format(hint=hint),
        )
    try:
        harness = Harness(step, fn, module)
        message = scenario(harness)
    except Verdict as v:
        return v.result
    result = CheckResult(step, Status.CORRECT, message)
    record_pass(result, fn)
    return result


def record_pass(result: CheckResult, fn: Callable[..., Any]) -> None:
    """Note a correct ``result`` in the progress file (:mod:`statefun.exercises.progress`),
    marked as the solution's when ``fn`` is the step's solution verbatim."""
    from statefun.exercises import EXERCISES  # the package imports this module

    exercise = EXERCISES.get(result.step)
    record(result, solution=exercise is not None and is_the_solution(fn, exercise.solution))


def verdict(step: int, check: Callable[[], str]) -> CheckResult:
    """The result of ``check``, the checks of a step whose answers are values, not a function.

    ``check`` returns the message of a correct answer or raises :class:`Verdict`; a pass is
    recorded in the progress file, as the solution's when the kernel ran the solution's cell.
    """
    from statefun.exercises import EXERCISES  # the package imports this module

    try:
        result = CheckResult(step, Status.CORRECT, check())
    except Verdict as stop:
        return stop.result
    exercise = EXERCISES.get(step)
    record(result, solution=exercise is not None and solution_cell_ran(exercise.solution))
    return result
