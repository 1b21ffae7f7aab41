"""Step 4, a stateful hello: count the visits of each name in the ``seen_count`` state."""

from __future__ import annotations

from statefun.exercises._harness import Harness, ModuleArg, greeting_of, nth_request, run_check
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult
from statefun.i18n import N_
from statefun.i18n import gettext as _
from statefun.walkthrough import greeting

__all__ = ["EXERCISE", "check_step_4", "expected_greeting"]

STARTER = """\
@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest):
    # en: Count this name's visits in the state "seen_count" (a SeenCount: 1 the first time,
    # en: one more every time after), then send compute_greeting(name, seen) to Kafka as in
    # en: step 3. The notes above say how a function reads and stores its state.
    # zh: 在状态 "seen_count"（一个 SeenCount：第一次为 1，之后每次加一）里统计这个名字的
    # zh: 访问次数，然后像第 3 步那样把 compute_greeting(name, seen) 发到 Kafka。
    # zh: 函数怎样读取和保存状态，见上面的说明。
    ...
"""

SOLUTION = """\
@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest):
    state = context.state("seen_count").unpack(SeenCount)
    if not state:
        state = SeenCount()
        state.seen = 1
    else:
        state.seen += 1
    context.state("seen_count").pack(state)

    response = compute_greeting(greet_request.name, state.seen)

    egress_message = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
    context.pack_and_send_egress("example/greets", egress_message)
"""

PREAMBLE = """\
from greeter import compute_greeting
from messages_pb2 import GreetRequest, GreetResponse, SeenCount
from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()
"""

HINTS = (
    N_(
        "State lives in the runtime, per address (example/greeter + the name), and comes with "
        "every request. Your function reads it, changes it, and hands it back: a Python "
        "variable would be shared by all names and lost on restart."
    ),
    N_(
        "unpack(SeenCount) gives a copy: after `state.seen += 1` nothing is saved until you call "
        "context.state('seen_count').pack(state). The first time unpack returns None: start "
        "at SeenCount(seen=1)."
    ),
    N_(
        "state = context.state('seen_count').unpack(SeenCount) or SeenCount(); state.seen += 1; "
        "context.state('seen_count').pack(state); response = compute_greeting("
        "greet_request.name, state.seen); then send it as in step 3."
    ),
)


def expected_greeting(name: str, seen: int) -> str:
    """The walkthrough's greeting for the ``seen``-th visit of ``name``.

    >>> expected_greeting("Jerry", 3)
    'Third time is a charm Jerry'
    """
    return greeting(name, seen)


def _visit(h: Harness, name: str, n: int, greeted: tuple[str, ...]) -> None:
    """Visit ``n`` of ``name``: its greeting and the state afterwards."""
    h.ingest(name, nth_request(name, n))
    records = h.new_egress()
    seen = h.seen(name)
    if seen is None:
        if n == 1:
            # Is the count kept somewhere else? A second visit tells.
            h.expect_greeting(records, name, expected_greeting(name, 1), greeted)
            h.ingest(name, nth_request(name, 2))
            again = h.new_egress()
            if h.seen(name) is None and greeting_of(again) == expected_greeting(name, 2):
                h.wrong(
                    _(
                        "the greetings are right but seen_count stays empty: the count is kept "
                        "in a Python variable, not in StateFun state. Such a variable is shared "
                        "by all names across the function's processes and lost when they "
                        "restart. Keep it in context.state('seen_count')."
                    )
                )
        h.wrong(
            _(
                "after {doing}, seen_count is still empty: the count was never stored. After "
                "changing it, store it with context.state('seen_count').pack(state)."
            ).format(doing=h.doing)
        )
    if seen == n - 1 and n > 1:
        h.wrong(
            _(
                "after {doing}, seen_count is still {seen}: the count did not go up. Changes to "
                "the unpacked SeenCount are not saved by themselves: store it again with "
                "context.state('seen_count').pack(state) every time."
            ).format(doing=h.doing, seen=seen)
        )
    if seen == n - 1:
        h.wrong(
            _(
                "after {doing}, seen_count is SeenCount(seen=0): counting starts at 1. The "
                "first visit stores seen=1 and greets with 'Welcome'."
            ).format(doing=h.doing)
        )
    if seen != n:
        h.wrong(
            _("after {doing}, seen_count should be {expected}, but it is {seen}.").format(
                doing=h.doing, expected=n, seen=seen
            )
        )
    h.expect_greeting(records, name, expected_greeting(name, n), greeted)


def _scenario(h: Harness) -> str:
    plan = [("Jerry", 1), ("George", 1), ("Jerry", 2), ("Jerry", 3), ("George", 2), ("Jerry", 4)]
    greeted: list[str] = []
    for name, n in plan:
        _visit(h, name, n, tuple(greeted))
        greeted.append(name)
    # A burst: Elaine's three requests queue up, the last two reach the function in one batch.
    h.ingest_many(["Elaine"] * 3, _("three GreetRequests for Elaine arriving at once"))
    records = h.new_egress()
    for n, record in enumerate(records[:3], start=1):
        h.doing = _("{request} (in a burst)").format(request=nth_request("Elaine", n))
        h.expect_greeting([record], "Elaine", expected_greeting("Elaine", n), tuple(greeted))
    if len(records) != 3:
        h.wrong(
            _("three GreetRequests for Elaine gave {count} greetings; expected 3.").format(
                count=len(records)
            )
        )
    if h.seen("Elaine") != 3:
        h.wrong(
            _("after Elaine's three GreetRequests, seen_count is {seen}, not 3.").format(
                seen=h.seen("Elaine")
            )
        )
    # A second, fresh runtime must start from nothing.
    fresh = Harness(h.step, h.fn, h.module)
    fresh.ingest("Jerry", _("Jerry's GreetRequest in a fresh runtime"))
    first = greeting_of(fresh.new_egress())
    if first is not None and first != expected_greeting("Jerry", 1):
        fresh.wrong(
            _(
                "in a fresh runtime, Jerry's first greeting is {got!r}: your function remembers "
                "between runtimes, in a Python variable. Keep the count only in "
                "context.state('seen_count')."
            ).format(got=first)
        )
    return _(
        "Jerry was welcomed, seen again, charmed, then greeted at the 4th time; George and "
        "Elaine were counted on their own, also when two of Elaine's requests came in one batch. "
        "seen_count holds each count."
    )


def check_step_4(greet: object, *, module: ModuleArg = None) -> CheckResult:
    """Check step 4 on a fresh local runtime: ``check_step_4(greet)``."""
    return run_check(4, greet, _scenario, module=module)


EXERCISE = Exercise(
    step=4,
    title=N_("a stateful hello"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_4,
)
