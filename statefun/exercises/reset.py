"""Step 8, going further: forget a user 60 s after their last visit, with a delayed message."""

from __future__ import annotations

from datetime import timedelta

from statefun.exercises._harness import (
    Harness,
    ModuleArg,
    at_time,
    run_check,
    seconds,
)
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult
from statefun.exercises.state import expected_greeting
from statefun.i18n import N_
from statefun.i18n import gettext as _
from statefun.walkthrough import FUNCTION_TYPE

__all__ = ["EXERCISE", "check_step_8"]

STARTER = """\
@functions.bind("example/greeter")
def greet(context, message: Union[GreetRequest, Reset]):
    # en: A GreetRequest: count and greet as in step 4, then have a Reset that carries the
    # en: visit number delivered to this same address 60 s later.
    # en: A Reset: forget the user, unless they came back after it was sent. Never greet.
    # zh: 收到 GreetRequest：像第 4 步那样计数并问候，然后让一条带着这次访问序号的 Reset
    # zh: 在 60 秒后送到这个地址自己。
    # zh: 收到 Reset：忘掉这个用户，除非他在这条 Reset 发出后又来过。永远不要发送问候。
    ...
"""

SOLUTION = """\
@functions.bind("example/greeter")
def greet(context, message: Union[GreetRequest, Reset]):
    if isinstance(message, Reset):
        state = context.state("seen_count").unpack(SeenCount)
        if state and state.seen == message.seen:
            # en: No visit since this Reset was sent: forget the user.
            # zh: 这条 Reset 发出后没有人再来过：忘掉这个用户。
            del context["seen_count"]
        # en: Otherwise the user came back, and a newer Reset is on its way.
        # zh: 否则用户回来过，一条更新的 Reset 已经在路上了。
        return

    state = context.state("seen_count").unpack(SeenCount) or SeenCount()
    state.seen += 1
    context.state("seen_count").pack(state)

    response = compute_greeting(message.name, state.seen)
    record = kafka_egress_record(topic="greetings", key=message.name, value=response)
    context.pack_and_send_egress("example/greets", record)

    # en: Forget this user in 60 s, unless they come back before (seen_count will have moved on).
    # zh: 60 秒后忘掉这个用户，除非他在此之前回来（那时 seen_count 已经变了）。
    context.pack_and_send_after(
        timedelta(seconds=60), "example/greeter", context.address.identity, Reset(seen=state.seen)
    )
"""

PREAMBLE = """\
from datetime import timedelta
from typing import Union

from greeter import compute_greeting
from messages_pb2 import GreetRequest, GreetResponse, Reset, SeenCount
from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()
"""

HINTS = (
    N_(
        "Two kinds of messages arrive now: GreetRequests from Kafka and your own Resets. The "
        "Union type hint unpacks both; tell them apart with isinstance(message, Reset)."
    ),
    N_(
        "A delayed message cannot be cancelled. If Jerry comes at +0 s and +30 s, two Resets "
        "arrive, at +60 s and +90 s; only the last may forget him. Put the visit number "
        "(state.seen after counting) into the Reset and compare it when the Reset arrives."
    ),
    N_(
        "After greeting: context.pack_and_send_after(timedelta(seconds=60), 'example/greeter', "
        "context.address.identity, Reset(seen=state.seen)). On a Reset: state = unpack(SeenCount); "
        "if state and state.seen == message.seen: del context['seen_count']; then return."
    ),
)

MINUTE = timedelta(seconds=60)


def _greet(h: Harness, name: str, n: int, greeted: tuple[str, ...]) -> None:
    h.ingest(name, _("{name}'s GreetRequest at {time}").format(name=name, time=h.now))
    h.expect_greeting(h.new_egress(), name, expected_greeting(name, n), greeted)


def _check_timer(h: Harness, name: str, since: int) -> None:
    """The visit just made scheduled one delayed message to its own address, 60 s ahead."""
    scheduled = h.delays()[since:]
    address = f"{FUNCTION_TYPE}/{name}"
    fmt = {"name": name, "time": h.now, "address": address}
    timer = h.the_one(
        scheduled,
        none=_(
            "{name}'s GreetRequest at {time} scheduled no delayed message. Send this "
            "address a Reset in 60 s: context.pack_and_send_after(timedelta(seconds=60), "
            "'example/greeter', context.address.identity, Reset(seen=...))."
        ),
        many=_(
            "{name}'s GreetRequest at {time} scheduled {count} delayed messages; one Reset "
            "per visit is enough."
        ),
        **fmt,
    )
    if timer.target != address:
        h.wrong(
            _(
                "the Reset goes to {target}; send it to the function's own address, {address}: "
                "typename 'example/greeter' (context.address.typename()) and id "
                "context.address.identity."
            ).format(target=timer.target, **fmt)
        )
    delay = timer.due - timer.time
    if delay != MINUTE:
        extra = ""
        if delay == timedelta(days=60):
            extra = " " + _("timedelta(60) means 60 days: write timedelta(seconds=60).")
        elif delay == timedelta(milliseconds=60):
            extra = " " + _("Write timedelta(seconds=60).")
        h.wrong(
            _("the Reset is due {delay} after the visit; it should be 60 s.").format(
                delay=seconds(delay)
            )
            + extra
        )


def _expect_forgotten(h: Harness, name: str, last_visit: str) -> None:
    seen = h.seen(name)
    if seen is None:
        return
    fmt = {"time": h.now, "name": name, "last_visit": last_visit, "seen": seen}
    if seen == 0:
        h.wrong(
            _(
                "at {time}, {name}'s seen_count holds SeenCount(seen=0). Forget the user by "
                "deleting the state, del context['seen_count']: a stored zero stays forever."
            ).format(**fmt)
        )
    h.wrong(
        _(
            "at {time}, 60 s after {name}'s last visit (at {last_visit}), seen_count is still "
            "{seen}. When the Reset of that visit arrives, delete the state: "
            "del context['seen_count']."
        ).format(**fmt)
    )


def _scenario(h: Harness) -> str:
    greeted = ("Jerry", "George")
    _visits_with_timers(h, greeted)
    _first_resets(h)
    _jerrys_reset(h, greeted)
    return _(
        "George was forgotten 60 s after his visit; Jerry, back at +30 s, was kept until +90 s "
        "(the older Reset was ignored), then welcomed as new at +91 s."
    )


def _visits_with_timers(h: Harness, greeted: tuple[str, ...]) -> None:
    """+0 s: Jerry and George come by; +30 s: Jerry comes back. Each of Jerry's visits sets
    its timer."""
    before = len(h.delays())
    _greet(h, "Jerry", 1, ())
    _check_timer(h, "Jerry", before)
    _greet(h, "George", 1, ("Jerry",))
    h.advance(30)
    before = len(h.delays())
    _greet(h, "Jerry", 2, greeted)
    _check_timer(h, "Jerry", before)


def _first_resets(h: Harness) -> None:
    """+61 s: the Resets of the +0 s visits have arrived: George is forgotten, Jerry (back
    since) is not."""
    h.advance(31)
    if h.new_egress():
        h.wrong(
            _(
                "a greeting went out when a Reset arrived. Greet only GreetRequests: on a "
                "Reset, decide whether to forget the user and return."
            )
        )
    _expect_forgotten(h, "George", at_time(0))
    if h.seen("Jerry") != 2:
        h.wrong(
            _(
                "Jerry came back at +30 s, but at +61 s his count is gone: the Reset sent at "
                "his first visit (+0 s) erased it. Put the visit number into the Reset "
                "(Reset(seen=state.seen)) and forget only if seen_count still has that number."
            )
            if h.seen("Jerry") is None
            else _("at +61 s Jerry's seen_count is {seen}; it should still be 2.").format(
                seen=h.seen("Jerry")
            )
        )


def _jerrys_reset(h: Harness, greeted: tuple[str, ...]) -> None:
    """+91 s: the Reset of Jerry's +30 s visit has arrived; Jerry again is a new beginning,
    and counting goes on."""
    h.advance(30)
    if h.new_egress():
        h.wrong(_("a greeting went out when a Reset arrived. Greet only GreetRequests."))
    _expect_forgotten(h, "Jerry", at_time(30))
    _greet(h, "Jerry", 1, greeted)
    h.advance(5)
    _greet(h, "Jerry", 2, greeted)
    if h.seen("Jerry") != 2:
        h.wrong(
            _("at {time} Jerry's seen_count is {seen}; expected 2.").format(
                time=h.now, seen=h.seen("Jerry")
            )
        )
    pending = [d for d in h.delays() if d.due > h.rt.now]
    if not pending:
        h.wrong(_("Jerry's last visits scheduled no Reset."))


def check_step_8(greet: object, *, module: ModuleArg = None) -> CheckResult:
    """Check step 8 on a fresh local runtime (virtual clock): ``check_step_8(greet)``."""
    return run_check(8, greet, _scenario, module=module)


EXERCISE = Exercise(
    step=8,
    title=N_("forget after 60 s"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_8,
)
