"""The checkers: each solution passes, each starter is "not attempted", each typical mistake
gets its own message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from statefun import StatefulFunctions
from statefun.exercises import (
    EXERCISES,
    CheckResult,
    Status,
    check_step_2,
    hint_step_2,
    localize,
    solution_step_2,
)
from statefun.exercises.attempt import is_placeholder, resolve_function
from statefun.i18n import gettext, set_language
from statefun.local.transport import InProcessTransport

ROOT = Path(__file__).resolve().parents[2]
Define = Callable[[int, str], Callable[..., Any]]
#: The exercises whose answer is a function, ``greet`` (the others are values: 1, 5, 6).
FUNCTION_STEPS = sorted(step for step, e in EXERCISES.items() if e.answers == ("greet",))


def check(step: int, greet: object, **kwargs: Any) -> CheckResult:
    return EXERCISES[step].check(greet, **kwargs)


def assert_wrong(result: CheckResult, *fragments: str) -> None:
    assert result.status is Status.WRONG, str(result)
    for fragment in fragments:
        assert fragment in result.message, str(result)


# -- every exercise -------------------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_the_solution_is_correct(step: int, solution_answers: Callable[[int], Any]) -> None:
    result = EXERCISES[step].check(*solution_answers(step))
    assert result.status is Status.CORRECT, str(result)
    assert result
    assert str(result).startswith(f"✅ Step {step}: correct\n")


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_the_checkers_take_the_in_process_fast_path(
    step: int, solution: Callable[[int], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def wire(*args: object) -> None:
        raise AssertionError("the checker's recorder took the wire path")

    monkeypatch.setattr(InProcessTransport, "send", wire)
    assert check(step, solution(step)).status is Status.CORRECT


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_the_starter_is_not_attempted(step: int, lang: str, starter_answers: Any) -> None:
    result = EXERCISES[step].check(*starter_answers(step, lang))
    assert result.status is Status.NOT_ATTEMPTED, str(result)
    assert not result
    assert str(result).startswith(f"⏳ Step {step}: not attempted yet\n")


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_the_checker_accepts_the_functions_registry(step: int, solution: Any) -> None:
    functions = StatefulFunctions()
    functions.register("example/greeter", solution(step))
    assert check(step, functions).correct


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_a_registry_without_the_greeter_is_wrong(step: int, solution: Any) -> None:
    functions = StatefulFunctions()
    functions.register("example/greeters", solution(step))
    assert_wrong(check(step, functions), "nothing is bound to 'example/greeter'", "greeters")


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_raising_not_implemented_is_not_attempted(step: int, define: Define) -> None:
    greet = define(
        step,
        """
        def greet(context, message):
            name = "x"
            raise NotImplementedError(name)
        """,
    )
    assert check(step, greet).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_a_wrong_signature_is_wrong(step: int, define: Define) -> None:
    greet = define(step, "def greet(message):\n    print(message)\n")
    assert_wrong(check(step, greet), "cannot be bound")


@pytest.mark.parametrize("step", FUNCTION_STEPS)
def test_an_exception_names_the_input_and_the_line(step: int, define: Define) -> None:
    greet = define(
        step,
        """
        def greet(context, message: GreetRequest):
            total = 1 / 0
        """,
    )
    assert_wrong(
        check(step, greet),
        "when Jerry's",
        "`total = 1 / 0` raised ZeroDivisionError: division by zero",
    )


# -- step 2 ---------------------------------------------------------------------------------------


def test_step_2_missing_type_hint(define: Define) -> None:
    greet = define(
        2, 'def greet(context, greet_request):\n    print(f"Welcome {greet_request.name}")\n'
    )
    assert_wrong(
        check_step_2(greet), "received a google.protobuf.Any", "greet_request: GreetRequest"
    )


def test_step_2_missing_type_hint_but_right_output(define: Define) -> None:
    greet = define(
        2, 'def greet(context, message):\n    print(f"Welcome {context.address.identity}")\n'
    )
    assert_wrong(check_step_2(greet), "has no GreetRequest type hint")


def test_step_2_printed_nothing(define: Define) -> None:
    greet = define(2, "def greet(context, greet_request: GreetRequest):\n    x = 1\n")
    assert_wrong(check_step_2(greet), "printed nothing")


def test_step_2_wrong_text(define: Define) -> None:
    greet = define(
        2,
        'def greet(context, greet_request: GreetRequest):\n    print(f"Hi {greet_request.name}")\n',
    )
    assert_wrong(check_step_2(greet), "printed 'Hi Jerry'; expected 'Welcome Jerry'")


def test_step_2_name_written_into_the_code(define: Define) -> None:
    greet = define(
        2, 'def greet(context, greet_request: GreetRequest):\n    print("Welcome Jerry")\n'
    )
    assert_wrong(
        check_step_2(greet), "Jerry's name is written into your code", "greet_request.name"
    )


def test_step_2_wrong_type_hint(define: Define) -> None:
    greet = define(
        2,
        "from messages_pb2 import SeenCount\n"
        "def greet(context, message: SeenCount):\n    print('Welcome')\n",
    )
    assert_wrong(
        check_step_2(greet),
        "did not match the type hint",
        "example.SeenCount",
        "greet_request: GreetRequest",
    )


# -- step 3 ---------------------------------------------------------------------------------------

STEP_3 = """
def greet(context, greet_request: GreetRequest):
    name = greet_request.name
    response = GreetResponse(name={name}, greeting={greeting})
    record = kafka_egress_record(topic={topic}, key={key}, value=response)
    context.pack_and_send_egress({egress}, record)
"""


def step_3(define: Define, **changes: str) -> CheckResult:
    parts = {
        "name": "name",
        "greeting": 'f"Welcome {name}"',
        "topic": '"greetings"',
        "key": "name",
        "egress": '"example/greets"',
    }
    parts.update(changes)
    return check(3, define(3, STEP_3.format(**parts)))


def test_step_3_the_template_is_right(define: Define) -> None:
    assert step_3(define).correct


def test_step_3_wrong_egress_id(define: Define) -> None:
    assert_wrong(
        step_3(define, egress='"example/greetings"'),
        "sent to the egress 'example/greetings', but module.yaml declares 'example/greets'",
        "The egress id is not the Kafka topic",
    )


def test_step_3_topic_as_egress_id(define: Define) -> None:
    assert_wrong(
        step_3(define, egress='"greetings"'),
        "sent to an egress with a bad id",
        "'example/greets'",
        "The Kafka topic ('greetings') goes into the record",
    )


def test_step_3_wrong_greeting_text(define: Define) -> None:
    assert_wrong(
        step_3(define, greeting='f"Hello {name}"'),
        "the greeting for Jerry's GreetRequest is 'Hello Jerry'; expected 'Welcome Jerry'",
    )


def test_step_3_name_written_into_the_code(define: Define) -> None:
    assert_wrong(
        step_3(define, greeting='"Welcome Jerry"'),
        "for Elaine's GreetRequest is 'Welcome Jerry': Jerry's name is written into your code",
    )


def test_step_3_greeting_without_the_name(define: Define) -> None:
    assert_wrong(step_3(define, greeting='"Welcome"'), "without the name")


def test_step_3_greeting_with_the_whole_address(define: Define) -> None:
    assert_wrong(
        step_3(define, greeting='f"Welcome {context.address}"'),
        "that is the whole address",
        "context.address.identity",
    )


def test_step_3_wrong_topic(define: Define) -> None:
    assert_wrong(step_3(define, topic='"greeting"'), "goes to topic 'greeting'")


def test_step_3_no_key(define: Define) -> None:
    assert_wrong(step_3(define, key="None"), "has no key", "key=greet_request.name")


def test_step_3_wrong_key(define: Define) -> None:
    assert_wrong(step_3(define, key='"greeter"'), "has the key 'greeter'; use the name as key")


def test_step_3_response_without_name(define: Define) -> None:
    assert_wrong(step_3(define, name='""'), "its name is empty")


def test_step_3_greet_request_instead_of_response(define: Define) -> None:
    greet = define(
        3,
        """
        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            record = kafka_egress_record(topic="greetings", key=name, value=greet_request)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(3, greet), "has no greeting")


def test_step_3_response_not_wrapped_in_a_kafka_record(define: Define) -> None:
    greet = define(
        3,
        """
        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            response = GreetResponse(name=name, greeting=f"Welcome {name}")
            context.pack_and_send_egress("example/greets", response)
        """,
    )
    assert_wrong(
        check(3, greet), "sent a message of type example.GreetResponse straight to the Kafka egress"
    )


def test_step_3_send_egress_without_packing(define: Define) -> None:
    greet = define(
        3,
        """
        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            response = GreetResponse(name=name)
            record = kafka_egress_record(topic="greetings", key=name, value=response)
            context.send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(3, greet), "pack_and_send_egress")


def test_step_3_reply_on_an_ingress_message(define: Define) -> None:
    greet = define(
        3,
        """
        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            context.pack_and_reply(GreetResponse(name=name, greeting=f"Welcome {name}"))
        """,
    )
    assert_wrong(check(3, greet), "called reply()", "has no caller", "pack_and_send_egress")


def test_step_3_two_records(define: Define) -> None:
    greet = define(
        3,
        STEP_3.format(
            name="name",
            greeting='f"Welcome {name}"',
            topic='"greetings"',
            key="name",
            egress='"example/greets"',
        )
        + '    context.pack_and_send_egress("example/greets", record)\n',
    )
    assert_wrong(check(3, greet), "2 records were sent")


def test_step_3_only_prints(solution: Any) -> None:
    assert_wrong(check(3, solution(2)), "nothing was sent to the egress 'example/greets'")


def test_step_3_sends_to_a_function(define: Define) -> None:
    greet = define(
        3,
        """
        def greet(context, greet_request: GreetRequest):
            context.pack_and_send("example/greets", greet_request.name, greet_request)
        """,
    )
    assert_wrong(check(3, greet), "sent a message to 'example/greets'", "not declare as a function")


# -- step 4 ---------------------------------------------------------------------------------------


def test_step_4_forgot_to_pack(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount) or SeenCount()
            state.seen += 1
            response = compute_greeting(greet_request.name, state.seen)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "seen_count is still empty", ".pack(state)")


def test_step_4_packed_only_the_first_time(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount)
            if not state:
                state = SeenCount(seen=1)
                context.state("seen_count").pack(state)
            else:
                state.seen += 1  # the unpacked copy changes, the state does not
            response = compute_greeting(greet_request.name, state.seen)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(
        check(4, greet), "after Jerry's 2nd GreetRequest, seen_count is still 1", "not saved"
    )


def test_step_4_counting_from_zero_with_compute_greeting(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount) or SeenCount()
            response = compute_greeting(greet_request.name, state.seen)
            state.seen += 1
            context.state("seen_count").pack(state)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "compute_greeting was called with seen=0", "starts at 1")


def test_step_4_counting_from_zero_in_the_state(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount)
            if state is None:
                state = SeenCount(seen=0)
            else:
                state.seen += 1
            context.state("seen_count").pack(state)
            response = compute_greeting(greet_request.name, state.seen + 1)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "seen_count is SeenCount(seen=0): counting starts at 1")


def test_step_4_count_in_a_python_variable(define: Define) -> None:
    greet = define(
        4,
        """
        counts = {}

        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            counts[name] = counts.get(name, 0) + 1
            response = compute_greeting(name, counts[name])
            record = kafka_egress_record(topic="greetings", key=name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "seen_count stays empty", "Python variable")


def test_step_4_count_in_a_python_variable_and_in_the_state(define: Define) -> None:
    greet = define(
        4,
        """
        counts = {}

        def greet(context, greet_request: GreetRequest):
            name = greet_request.name
            counts[name] = counts.get(name, 0) + 1
            context.state("seen_count").pack(SeenCount(seen=counts[name]))
            response = compute_greeting(name, counts[name])
            record = kafka_egress_record(topic="greetings", key=name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "in a fresh runtime", "Python variable")


def test_step_4_wrong_state_name(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen").unpack(SeenCount)
        """,
    )
    assert_wrong(check(4, greet), "used the state 'seen'", "declared: 'seen_count'")


def test_step_4_storing_a_message_without_pack(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            context["seen_count"] = SeenCount(seen=1)
        """,
    )
    assert_wrong(check(4, greet), "must be set to a google.protobuf.Any", "pack(message)")


def test_step_4_state_of_the_wrong_type(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            context.state("seen_count").pack(greet_request)
            response = compute_greeting(greet_request.name, 1)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "seen_count holds GreetRequest(name='Jerry')", "SeenCount")


def test_step_4_wrong_greeting(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount) or SeenCount()
            state.seen += 1
            context.state("seen_count").pack(state)
            name = greet_request.name
            response = GreetResponse(name=name, greeting=f"Hello {name}")
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(4, greet), "is 'Hello Jerry'; expected 'Welcome Jerry'")


def test_step_4_step_3_solution_is_wrong(solution: Any) -> None:
    assert_wrong(check(4, solution(3)), "seen_count is still empty")


def test_step_4_with_a_module_that_declares_another_state(define: Define) -> None:
    greet = define(
        4,
        """
        def greet(context, greet_request: GreetRequest):
            state = context.state("visits").unpack(SeenCount) or SeenCount()
        """,
    )
    module = (ROOT / "module.yaml").read_text().replace("- seen_count\n", "- visits\n")
    result = check(4, greet, module=module)
    assert_wrong(result, "nothing was sent to the egress")


# -- step 8 ---------------------------------------------------------------------------------------

STEP_8 = """
def greet(context, message: Union[GreetRequest, Reset]):
    if isinstance(message, Reset):
        state = context.state("seen_count").unpack(SeenCount)
        if {forget}:
            {delete}
        return
    state = context.state("seen_count").unpack(SeenCount) or SeenCount()
    state.seen += 1
    context.state("seen_count").pack(state)
    response = compute_greeting(message.name, state.seen)
    record = kafka_egress_record(topic="greetings", key=message.name, value=response)
    context.pack_and_send_egress("example/greets", record)
    {timer}
"""

TIMER = 'context.pack_and_send_after({delay}, "example/greeter", {id}, Reset(seen=state.seen))'


def step_8(define: Define, **changes: str) -> CheckResult:
    parts = {
        "forget": "state and state.seen == message.seen",
        "delete": 'del context["seen_count"]',
        "delay": "timedelta(seconds=60)",
        "id": "context.address.identity",
    }
    parts.update(changes)
    timer = parts.pop("timer", TIMER.format(delay=parts.pop("delay"), id=parts.pop("id")))
    return check(8, define(8, STEP_8.format(timer=timer, **parts)))


def test_step_8_the_template_is_right(define: Define) -> None:
    assert step_8(define).correct


def test_step_8_no_timer(define: Define) -> None:
    assert_wrong(
        step_8(define, timer="pass"),
        "scheduled no delayed message",
        "pack_and_send_after(timedelta(seconds=60)",
    )


def test_step_8_an_older_timer_erases_the_count(define: Define) -> None:
    assert_wrong(
        step_8(define, forget="True"),
        "Jerry came back at +30 s, but at +61 s his count is gone",
        "Reset(seen=state.seen)",
    )


def test_step_8_sixty_days(define: Define) -> None:
    assert_wrong(
        step_8(define, delay="timedelta(60)"),
        "due 60 days after the visit",
        "timedelta(60) means 60 days",
    )


def test_step_8_sixty_milliseconds(define: Define) -> None:
    assert_wrong(step_8(define, delay="timedelta(milliseconds=60)"), "due 60 ms after the visit")


def test_step_8_timer_to_another_address(define: Define) -> None:
    assert_wrong(
        step_8(define, id='"timers"'),
        "the Reset goes to example/greeter/timers",
        "context.address.identity",
    )


def test_step_8_the_reset_does_not_delete(define: Define) -> None:
    assert_wrong(
        step_8(define, delete="pass"),
        "60 s after George's last visit (at +0 s), seen_count is still 1",
        "del context['seen_count']",
    )


def test_step_8_the_reset_stores_zero(define: Define) -> None:
    assert_wrong(
        step_8(define, delete='context.state("seen_count").pack(SeenCount())'),
        "holds SeenCount(seen=0)",
        "a stored zero stays forever",
    )


def test_step_8_greeting_on_reset(define: Define) -> None:
    greet = define(
        8,
        """
        def greet(context, message: Union[GreetRequest, Reset]):
            state = context.state("seen_count").unpack(SeenCount) or SeenCount()
            if isinstance(message, Reset):
                if state.seen == message.seen:
                    del context["seen_count"]
                name = context.address.identity
            else:
                state.seen += 1
                context.state("seen_count").pack(state)
                name = message.name
                context.pack_and_send_after(
                    timedelta(seconds=60), "example/greeter", name, Reset(seen=state.seen)
                )
            response = compute_greeting(name, max(state.seen, 1))
            record = kafka_egress_record(topic="greetings", key=name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    assert_wrong(check(8, greet), "a greeting went out when a Reset arrived")


def test_step_8_without_union_type_hint(define: Define) -> None:
    source = STEP_8.replace("Union[GreetRequest, Reset]", "GreetRequest").format(
        forget="True",
        delete="pass",
        timer=TIMER.format(delay="timedelta(seconds=60)", id="context.address.identity"),
    )
    assert_wrong(
        check(8, define(8, source)),
        "when the delayed messages due by +61 s arrived",
        "example.Reset is not among example.GreetRequest",
        "message: Union[GreetRequest, Reset]",
    )


def test_step_8_step_4_solution_is_wrong(solution: Any) -> None:
    assert_wrong(check(8, solution(4)), "scheduled no delayed message")


def test_step_8_an_extra_state_needs_its_module(define: Define) -> None:
    greet = define(
        8,
        """
        def greet(context, message: Union[GreetRequest, Reset]):
            context.state("last_visit").pack(SeenCount(seen=1))
        """,
    )
    assert_wrong(check(8, greet), "used the state 'last_visit'", "module=")


# -- hints, solutions, detection ------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_hints_are_progressive_in_each_language(
    step: int, capsys: pytest.CaptureFixture[str]
) -> None:
    exercise = EXERCISES[step]
    total = len(exercise.hints)
    assert total >= 3
    for n, english in enumerate(exercise.hints, start=1):
        exercise.hint(n)
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {n} of {total}\n{english}\n")
        set_language("zh")
        exercise.hint(n)
        translated = gettext(english)
        set_language("en")
        chinese = capsys.readouterr().out
        assert translated != english
        assert chinese.startswith(f"提示 {n}/{total}\n{translated}\n")
        assert ("下一条" if n < total else "最后一条") in chinese
    exercise.hint(total + 1)
    assert f"solution_step_{step}()" in capsys.readouterr().out
    exercise.hint(0)
    assert "numbered from 1" in capsys.readouterr().out


def test_the_module_level_helpers(capsys: pytest.CaptureFixture[str]) -> None:
    hint_step_2(1)
    assert "Hint 1 of 3" in capsys.readouterr().out
    solution_step_2()
    out = capsys.readouterr().out
    assert localize(EXERCISES[2].solution, "en").strip() in out


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_solutions_print_what_the_solution_notebooks_hold(
    step: int, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    set_language(lang)
    EXERCISES[step].show_solution()
    out = capsys.readouterr().out
    assert out.endswith(localize(EXERCISES[step].solution, lang))
    assert "# zh:" not in out and "# en:" not in out
    assert ("参考答案" in out) == (lang == "zh")


@pytest.mark.parametrize("code", ["starter", "solution"])
@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_every_comment_of_an_exercise_comes_in_both_languages(step: int, code: str) -> None:
    """A comment left untagged would show English in the Chinese notebooks."""
    source = getattr(EXERCISES[step], code)
    tagged = {"en": 0, "zh": 0}
    for line in source.splitlines():
        comment = line.strip()
        if comment.startswith("#"):
            assert comment[:6] in ("# en: ", "# zh: "), f"untagged comment: {line!r}"
            tagged[comment[2:4]] += 1
    assert tagged["en"] <= tagged["zh"] + 1 and tagged["zh"] >= (tagged["en"] > 0)


@pytest.mark.parametrize("step", sorted(EXERCISES))
def test_starters_have_guidance_in_both_languages(step: int) -> None:
    starter = EXERCISES[step].starter
    en, zh = localize(starter, "en"), localize(starter, "zh")
    assert en != zh
    assert "# en:" not in en and "# zh:" not in en and "# zh:" not in zh
    code = [line for line in en.splitlines() if not line.strip().startswith("#")]
    assert code == [line for line in zh.splitlines() if not line.strip().startswith("#")]


def test_localize() -> None:
    code = "x = 1\n    # en: one\n    # zh: 一\n# en:\ny = 2  # en: stays\n"
    assert localize(code, "en") == "x = 1\n    # one\n#\ny = 2  # en: stays\n"
    assert localize(code, "zh") == "x = 1\n    # 一\ny = 2  # en: stays\n"
    set_language("zh")
    assert localize(code) == localize(code, "zh")  # the current language by default
    with pytest.raises(ValueError, match="unknown language"):
        localize(code, "fr")


def test_a_verdict_is_in_the_language_of_its_check(solution: Callable[[int], Any]) -> None:
    set_language("zh")
    result = check(4, solution(4))
    assert str(result).startswith("✅ 第 4 步：正确\nJerry 依次收到了欢迎")
    set_language("en")
    assert str(result).startswith("✅ Step 4: correct\nJerry 依次收到了欢迎")  # the message stays


def test_a_wrong_verdict_explains_in_chinese(define: Define) -> None:
    set_language("zh")
    greet = define(
        3,
        """
        @functions.bind("example/greeter")
        def greet(context, greet_request: GreetRequest):
            response = GreetResponse(name=greet_request.name, greeting="Welcome Jerry")
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    result = check(3, greet)
    assert str(result).splitlines() == [
        "❌ 第 3 步：还不对",
        "处理 Elaine 的 GreetRequest 时发出的问候是 'Welcome Jerry'：Jerry 的名字被写死在了代码里。"
        "从消息（greet_request.name）或键（context.address.identity）里取名字。",
    ]


def test_the_nth_request_is_said_in_chinese(define: Define) -> None:
    set_language("zh")
    greet = define(
        4,
        """
        @functions.bind("example/greeter")
        def greet(context, greet_request: GreetRequest):
            state = context.state("seen_count").unpack(SeenCount) or SeenCount(seen=1)
            context.state("seen_count").pack(state)
            response = compute_greeting(greet_request.name, state.seen)
            record = kafka_egress_record(topic="greetings", key=greet_request.name, value=response)
            context.pack_and_send_egress("example/greets", record)
        """,
    )
    message = check(4, greet).message
    assert message.startswith("Jerry 的第 2 条 GreetRequest 之后，seen_count 仍然是 1"), message


PLACEHOLDERS = [
    "pass",
    "...",
    '"""A docstring only."""',
    '"""Doc."""\n    ...',
    "# only a comment\n    pass",
    "raise NotImplementedError",
    'raise NotImplementedError("step 2")',
]


@pytest.mark.parametrize("body", PLACEHOLDERS)
def test_placeholders_are_recognised(body: str, cell: Any) -> None:
    namespace = cell(
        f"@decorate\ndef greet(context, message):\n    {body}\n", {"decorate": lambda f: f}
    )
    assert is_placeholder(namespace["greet"])


@pytest.mark.parametrize("body", ["print(message)", "pass\n    return 1", "x = ..."])
def test_code_is_not_a_placeholder(body: str, cell: Any) -> None:
    namespace = cell(f"def greet(context, message):\n    {body}\n", {})
    assert not is_placeholder(namespace["greet"])


def test_without_source_the_bytecode_decides() -> None:
    namespace: dict[str, Any] = {}
    exec("def empty(c, m):\n    ...\ndef busy(c, m):\n    print(m)\n", namespace)
    assert is_placeholder(namespace["empty"])
    assert not is_placeholder(namespace["busy"])


def test_resolve_function() -> None:
    assert resolve_function(print) == (print, "")
    assert resolve_function(None)[1].startswith("pass your function")
    assert "got a int" in resolve_function(3)[1]
    assert "nothing is bound" in resolve_function(StatefulFunctions())[1]
    assert not check_step_2(None)
    assert check_step_2(None).status is Status.WRONG
