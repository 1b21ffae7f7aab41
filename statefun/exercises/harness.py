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
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.message import Message

from statefun.core import StatefulFunctions
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
from statefun.exercises.result import CheckResult, Status
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.local.clock import EPOCH
from statefun.local.module_yaml import ModuleSpec, load_module, parse_module
from statefun.local.runtime import EgressRecord, LocalRuntime, StateView
from statefun.local.trace import DelayScheduled
from statefun.local.transport import Attempt, InProcessTransport, Transport
from statefun.local.values import format_value
from statefun.testing import Effects, decode_response

__all__ = ["Harness", "Verdict", "greeting_of", "run_check"]

FUNCTION = "example/greeter"
EGRESS = "example/greets"
TOPIC = "greetings"

ModuleArg = str | os.PathLike[str] | ModuleSpec | None


class Verdict(Exception):
    """Raised inside a check to stop it with a result."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(str(result))
        self.result = result


class _Recorder(Transport):
    """A transport that remembers the last request and response (to explain failures)."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.last_response: bytes | None = None

    def describe(self) -> str:
        return self.inner.describe()

    def send(self, typename: str, request: bytes, timeout: timedelta) -> Attempt:
        self.last_response = None
        attempt = self.inner.send(typename, request, timeout)
        self.last_response = attempt.body
        return attempt


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
        return f"{int(total // 86400)} days"
    if total >= 1 and total == int(total):
        return f"{int(total)} s"
    return f"{total * 1000:g} ms"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


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
        if FUNCTION not in self.module.functions:
            self.wrong(
                f"the module does not declare the function {FUNCTION!r} (it declares "
                f"{', '.join(sorted(self.module.functions)) or 'none'})."
            )
        self.functions = StatefulFunctions()
        try:
            self.functions.register(FUNCTION, fn)
        except FunctionSignatureError as e:
            self.wrong(f"your function cannot be bound: {e}")
        self.transport = _Recorder(InProcessTransport(self.functions))
        egress_types = {EGRESS: self.GreetResponse} if EGRESS in self.module.egresses else None
        self.rt = LocalRuntime(self.module, {FUNCTION: self.transport}, egress_types=egress_types)
        self.printed: list[str] = []  # what the function printed, one entry per input
        self.doing = ""  # what the current input is, for messages
        self._egress_seen = 0

    # -- verdicts ----------------------------------------------------------------------------

    def wrong(self, message: str) -> NoReturn:
        raise Verdict(CheckResult(self.step, Status.WRONG, message))

    def not_attempted(self, message: str) -> NoReturn:
        raise Verdict(CheckResult(self.step, Status.NOT_ATTEMPTED, message))

    # -- inputs ------------------------------------------------------------------------------

    @property
    def now(self) -> str:
        return f"+{(self.rt.now - EPOCH).total_seconds():g} s"

    def ingest(self, name: str, what: str | None = None) -> str:
        """Send a GreetRequest for ``name``; returns what the function printed."""
        self.doing = what or f"{name}'s GreetRequest"
        with self._running() as out:
            self.rt.ingest("names", key=name, value=self.GreetRequest(name=name))
        return out.getvalue()

    def ingest_many(self, names: list[str], what: str) -> str:
        """A burst: the names queue up together, so one address gets a batch."""
        self.doing = what
        with self._running() as out:
            self.rt.ingest_many("names", [(n, self.GreetRequest(name=n)) for n in names])
        return out.getvalue()

    def advance(self, secs: float) -> None:
        due = (self.rt.now - EPOCH).total_seconds() + secs
        self.doing = f"the delayed messages due by +{due:g} s"
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
        return self.rt.state(FUNCTION, name)

    def seen(self, name: str) -> int | None:
        """The ``seen`` of ``name``'s ``seen_count``, None when empty; wrong if not a SeenCount."""
        view = self.state(name)
        if "seen_count" not in view:
            return None
        value = view["seen_count"]
        if not isinstance(value, self.SeenCount):
            self.wrong(
                f"after {self.doing}, seen_count holds {format_value(value)}; it should hold a "
                f"SeenCount: context.state('seen_count').pack(SeenCount(...))."
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

    def expect_greeting(
        self, records: list[EgressRecord], name: str, expected: str, others: tuple[str, ...] = ()
    ) -> None:
        """Exactly one record on ``example/greets``, topic ``greetings``, key ``name``,
        value ``GreetResponse(name=name, greeting=expected)``. ``others`` are names greeted
        earlier (to spot a name written into the code)."""
        when = f"for {self.doing}"
        if not records:
            self.wrong(
                f"nothing was sent to the egress {EGRESS!r} {when}. Send the GreetResponse in "
                f"a Kafka record: context.pack_and_send_egress({EGRESS!r}, "
                f"kafka_egress_record(topic={TOPIC!r}, key=..., value=...))."
            )
        if len(records) > 1:
            self.wrong(f"{len(records)} records were sent {when}; send exactly one greeting.")
        record = records[0]
        if record.topic != TOPIC:
            self.wrong(
                f"the Kafka record {when} goes to topic {record.topic!r}, but greetings go to "
                f"the topic {TOPIC!r} (the event generator reads it): "
                f"kafka_egress_record(topic={TOPIC!r}, ...)."
            )
        if record.key != name:
            if record.key is None:
                self.wrong(
                    f"the Kafka record {when} has no key. Give it the name as key "
                    f"(key=greet_request.name): Kafka then keeps all greetings of one name "
                    f"in one partition, in order."
                )
            self.wrong(
                f"the Kafka record {when} has the key {record.key!r}; use the name as key "
                f"({name!r}, i.e. greet_request.name)."
            )
        value = record.value
        if not isinstance(value, self.GreetResponse):
            self.wrong(
                f"the record {when} does not hold a GreetResponse: kafka_egress_record(..., "
                f"value=GreetResponse(name=..., greeting=...))."
            )
        greeting = str(value.greeting)  # type: ignore[attr-defined]
        if greeting != expected:
            self.wrong(self._greeting_problem(name, greeting, expected, others, when))
        if value.name != name:  # type: ignore[attr-defined]
            got = value.name  # type: ignore[attr-defined]
            shown = "empty" if not got else repr(got)
            self.wrong(
                f"the GreetResponse {when} has the right greeting but its name is {shown}; "
                f"set name={name!r} (the name from the request)."
            )

    def _greeting_problem(
        self, name: str, got: str, expected: str, others: tuple[str, ...], when: str
    ) -> str:
        if not got:
            return (
                f"the GreetResponse {when} has no greeting; expected {expected!r}. Set its "
                f"greeting field."
            )
        for other in others:
            if other != name and got == expected.replace(name, other):
                return (
                    f"the greeting {when} is {got!r}: {other}'s name is written into your "
                    f"code. Take the name from the message (greet_request.name) or from the "
                    f"key (context.address.identity)."
                )
        if f"{FUNCTION}/{name}" in got:
            return (
                f"the greeting {when} is {got!r}: that is the whole address. The name is its "
                f"id, context.address.identity (or greet_request.name)."
            )
        if name not in got:
            return (
                f"the greeting {when} is {got!r}, without the name; expected {expected!r}. "
                f"Take the name from the message: greet_request.name."
            )
        return f"the greeting {when} is {got!r}; expected {expected!r}."

    # -- explaining failures ---------------------------------------------------------------------

    def explain(self, failure: RuntimeFailure) -> CheckResult:
        cause = failure.__cause__
        if cause is None:
            return CheckResult(self.step, Status.WRONG, self._explain_effects(failure))
        if isinstance(cause, NotImplementedError):
            return CheckResult(
                self.step,
                Status.NOT_ATTEMPTED,
                "your function still raises NotImplementedError: replace it with your code.",
            )
        return CheckResult(self.step, Status.WRONG, self._explain_exception(cause))

    def _explain_exception(self, e: BaseException) -> str:
        when = f"when {self.doing} arrived"
        if isinstance(e, MissingCallerError):
            return (
                f"{when}, your function called reply(): a message from an ingress (Kafka) has "
                f"no caller to reply to. Send the greeting to the egress instead: "
                f"context.pack_and_send_egress({EGRESS!r}, kafka_egress_record(...))."
            )
        if isinstance(e, UnknownStateError):
            declared = ", ".join(repr(n) for n in e.declared) or "none"
            return (
                f"{when}, your function used the state {e.name!r}, which module.yaml does not "
                f"declare for {FUNCTION} (declared: {declared}). Use 'seen_count', or declare "
                f"your state in a module and pass it: check_step_{self.step}(greet, module=...)."
            )
        if isinstance(e, StateTypeMismatchError):
            return f"{when}: {e}"
        if isinstance(e, MessageTypeMismatchError):
            example = (
                "message: Union[GreetRequest, Reset]"
                if self.step == 8
                else "greet_request: GreetRequest"
            )
            return (
                f"{when}, the message did not match the type hint of your function: "
                f"{e.type_url.rsplit('/', 1)[-1]} is not among {', '.join(e.expected)}. Annotate "
                f"the message parameter with every type it receives: {example}."
            )
        if isinstance(e, AttributeError) and isinstance(getattr(e, "obj", None), AnyMessage):
            return (
                f"{when}, your function received a google.protobuf.Any (the packed message) "
                f"and looked for {e.name!r} on it. Give the message parameter its type hint, "
                f"`greet_request: GreetRequest`, and the SDK unpacks it for you."
            )
        called = _called(e.__traceback__)
        if isinstance(e, ValueError) and called & {"send_egress", "pack_and_send_egress"}:
            return (
                f"{when}, your function sent to an egress with a bad id ({e}). An egress id "
                f"is 'namespace/name' as declared in module.yaml: {EGRESS!r}. The Kafka topic "
                f"({TOPIC!r}) goes into the record: kafka_egress_record(topic={TOPIC!r}, ...)."
            )
        zero = _compute_greeting_with_zero(e.__traceback__)
        if zero:
            return (
                f"{when}, compute_greeting was called with seen=0: counting starts at 1. "
                f"The first visit stores SeenCount(seen=1) and greets with 'Welcome'."
            )
        where = _line_in(self.fn, e.__traceback__)
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if where:
            return f"{when}, `{where}` raised {text}"
        return f"{when}, your function raised {text}"

    def _explain_effects(self, failure: RuntimeFailure) -> str:
        reason = str(getattr(failure, "reason", failure))
        body = self.transport.last_response
        effects = decode_response(body) if body is not None else Effects()
        declared = sorted(self.module.egresses)
        when = f"for {self.doing}"
        for egress in effects.egresses:
            if egress.egress not in self.module.egresses:
                extra = ""
                if egress.egress.rsplit("/", 1)[-1] == TOPIC or egress.egress == TOPIC:
                    extra = (
                        f" The egress id is not the Kafka topic: the topic {TOPIC!r} goes into "
                        f"the record (kafka_egress_record(topic={TOPIC!r}, ...))."
                    )
                return (
                    f"{when}, your function sent to the egress {egress.egress!r}, but module.yaml "
                    f"declares {', '.join(repr(d) for d in declared) or 'no egress'}: send to "
                    f"{EGRESS!r}.{extra}"
                )
            if not egress.argument.type_url.endswith(
                "/" + KafkaProducerRecord.DESCRIPTOR.full_name
            ):
                inner = egress.argument.type_url.rsplit("/", 1)[-1]
                return (
                    f"{when}, your function sent a message of type {inner} straight to the "
                    f"Kafka egress "
                    f"{egress.egress!r}. A Kafka egress takes Kafka records: wrap it with "
                    f"kafka_egress_record(topic={TOPIC!r}, key=..., value=...)."
                )
        for message in effects.messages:
            typename = f"{message.target.namespace}/{message.target.type}"
            if typename not in self.module.functions:
                return (
                    f"{when}, your function sent a message to {typename!r}, which module.yaml "
                    f"does not declare as a function. Greetings go to the egress: "
                    f"context.pack_and_send_egress({EGRESS!r}, ...)."
                )
        return f"{when}, the runtime failed: {reason}"


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
    starter_hint: str = "replace the ... with your code, run that cell, then run this check.",
) -> CheckResult:
    """Resolve the learner's function, spot the starter, run ``scenario`` and give a verdict."""
    fn, problem = resolve_function(target)
    if fn is None:
        return CheckResult(step, Status.WRONG, problem)
    if is_placeholder(fn):
        return CheckResult(
            step, Status.NOT_ATTEMPTED, f"your function is still the starter: {starter_hint}"
        )
    try:
        harness = Harness(step, fn, module)
        message = scenario(harness)
    except Verdict as v:
        return v.result
    return CheckResult(step, Status.CORRECT, message)
