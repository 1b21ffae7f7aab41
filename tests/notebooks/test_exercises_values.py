"""The checkers whose answers are values (steps 1, 5, 6): each typical mistake gets its own
message, a partial answer is "not attempted yet", and the verdicts come in Chinese too."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.any_pb2 import Any as AnyMessage
from messages_pb2 import GreetRequest, SeenCount

import greeter
from statefun.exercises import (
    EXERCISES,
    CheckResult,
    Status,
    check_step_1,
    check_step_5,
    check_step_6,
)
from statefun.exercises.flask_route import GOLDEN_REQUEST, GOLDEN_RESPONSE
from statefun.exercises.module_files import BROKEN, FIXED
from statefun.i18n import set_language
from statefun.local import ModuleYamlError, check_module, parse_module

ROOT = Path(__file__).resolve().parents[2]
Answers = Callable[[int, str], tuple[Any, ...]]
URL = "com.googleapis/example.GreetRequest"
JERRY = GreetRequest(name="Jerry")


def wrong(result: CheckResult, *fragments: str) -> None:
    assert result.status is Status.WRONG, str(result)
    for fragment in fragments:
        assert fragment in result.message, str(result)


def not_attempted(result: CheckResult, *fragments: str) -> None:
    assert result.status is Status.NOT_ATTEMPTED, str(result)
    for fragment in fragments:
        assert fragment in result.message, str(result)


# -- step 1 ---------------------------------------------------------------------------------------


def envelope(type_url: str = URL, value: bytes | None = None) -> AnyMessage:
    return AnyMessage(
        type_url=type_url, value=JERRY.SerializeToString() if value is None else value
    )


def step_1(**changes: Any) -> CheckResult:
    answers: dict[str, Any] = {
        "request": JERRY,
        "envelope": envelope(),
        "type_url": URL,
        "value": JERRY.SerializeToString(),
    }
    answers.update(changes)
    return check_step_1(**answers)


def test_step_1_right_answers_are_checked_against_the_real_encoding() -> None:
    result = step_1()
    assert result.correct, str(result)
    assert "7 bytes, 0a 05 4a 65 72 72 79" in result.message
    # any name, any length: the bytes are compared with the message encoded afresh
    long = GreetRequest(name="Zoë" * 50)
    data = long.SerializeToString()
    assert data[1:3] == bytes([0xC8, 0x01])  # 200 bytes: a two-byte length
    assert check_step_1(long, envelope(value=data), URL, data).correct


def test_step_1_any_pack_with_the_module_prefix_is_right() -> None:
    packed = AnyMessage()
    packed.Pack(JERRY, type_url_prefix="com.googleapis/")
    assert step_1(envelope=packed, type_url=packed.type_url, value=packed.value).correct
    default = AnyMessage()
    default.Pack(JERRY)  # type.googleapis.com/
    wrong(step_1(envelope=default), "verbatim")


def test_step_1_values_typed_by_hand_count_when_they_are_right() -> None:
    assert step_1(value=b"\n\x05Jerry", type_url="com.googleapis/example.GreetRequest").correct
    wrong(step_1(value=b"\n\x05Jery"), "`value` is 0a 05 4a 65 72 79", "0a 05 4a 65 72 72 79")


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"request": "Jerry"}, ["`request` is the text 'Jerry'", "GreetRequest(name='Jerry')"]),
        ({"request": GreetRequest}, ["the class GreetRequest itself"]),
        ({"request": SeenCount(seen=1)}, ["`request` is a SeenCount"]),
        ({"request": GreetRequest()}, ["`request` has no name", "zero bytes"]),
        ({"envelope": JERRY.SerializeToString()}, ["the request's bytes alone", "type URL"]),
        ({"envelope": b"x"}, ["`envelope` is bytes"]),
        ({"envelope": JERRY}, ["`envelope` is the GreetRequest itself"]),
        ({"envelope": {"type_url": URL}}, ["`envelope` is a dict"]),
        ({"envelope": envelope(type_url="")}, ["`envelope` has no type URL", URL]),
        ({"envelope": envelope(type_url="example.GreetRequest")}, ["has no '/'", URL]),
        (
            {"envelope": envelope(type_url="com.googleapis/example.GreetResponse")},
            ["names 'example.GreetResponse'", "'example.GreetRequest'"],
        ),
        (
            {"envelope": envelope(type_url="com.googleapis/GreetRequest")},
            ["names 'GreetRequest'", "package + message"],
        ),
        (
            {"envelope": envelope(type_url="type.googleapis.com/example.GreetRequest")},
            ["writes module.yaml's typeUrl verbatim", "Any.Pack"],
        ),
        ({"envelope": envelope(value=b"")}, ["`envelope` holds no bytes"]),
        (
            {"envelope": envelope(value=GreetRequest(name="Elaine").SerializeToString())},
            ["the GreetRequest of 'Elaine', but request is 'Jerry'"],
        ),
        ({"envelope": envelope(value=b"Jerry")}, ["`envelope`'s value is 4a 65 72 72 79"]),
        ({"type_url": "example.GreetRequest"}, ["the full name alone", "envelope.type_url"]),
        ({"type_url": "type.googleapis.com/x"}, ["but the envelope's type URL is"]),
        ({"type_url": 3}, ["`type_url` is a int"]),
        ({"value": JERRY.SerializeToString().hex(" ")}, ["the hex text", "envelope.value"]),
        ({"value": "Jerry"}, ["`value` is the text 'Jerry'"]),
        ({"value": JERRY}, ["`value` is a GreetRequest message", "envelope.value"]),
        ({"value": 7}, ["`value` is a int"]),
        (
            {"value": envelope().SerializeToString()},
            ["the bytes of the whole envelope (46 bytes", "only the message's 7 bytes"],
        ),
    ],
)
def test_step_1_each_mistake_is_explained(change: dict[str, Any], fragments: list[str]) -> None:
    wrong(step_1(**change), *fragments)


def test_step_1_not_attempted_names_what_is_missing(starter_answers: Answers) -> None:
    not_attempted(check_step_1(), "request, envelope, type_url, value")
    not_attempted(step_1(type_url=..., value=...), "type_url, value")
    # a wrong answer is reported before the missing ones
    wrong(step_1(request="Jerry", value=...), "`request` is the text")


def test_step_1_solution_prints_the_bytes(
    solution_answers: Callable[[int], tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    answers = solution_answers(1)
    assert capsys.readouterr().out == f"{URL}\nb'\\n\\x05Jerry' 0a 05 4a 65 72 72 79\n"
    assert check_step_1(*answers).correct


# -- step 5 ---------------------------------------------------------------------------------------

ROUTE = """
app = Flask(__name__)


@app.route({path}, methods={methods})
def handle():
    response_data = handler({body})
    response = make_response({answer})
    {header}
    return response
"""


def step_5(answers: Answers, **changes: str) -> CheckResult:
    parts = {
        "path": '"/statefun"',
        "methods": '["POST"]',
        "body": "request.data",
        "answer": "response_data",
        "header": 'response.headers.set("Content-Type", "application/octet-stream")',
    }
    parts.update(changes)
    return check_step_5(*answers(5, ROUTE.format(**parts)))


def test_step_5_the_golden_constants_are_the_tests_golden_vector() -> None:
    from golden import GOLDEN_REQUEST as REQUEST
    from golden import GOLDEN_RESPONSE as RESPONSE

    assert (GOLDEN_REQUEST, GOLDEN_RESPONSE) == (REQUEST, RESPONSE)


def test_step_5_the_template_is_right(answers: Answers) -> None:
    result = step_5(answers)
    assert result.correct, str(result)
    assert "golden response's 207 bytes" in result.message


def test_step_5_other_right_routes(answers: Answers) -> None:
    short = """
    app = Flask(__name__)

    @app.post("/statefun")
    def serve():
        return handler(request.get_data()), 200, {"Content-Type": "application/octet-stream"}
    """
    assert check_step_5(*answers(5, short)).correct


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"path": '"/"'}, ["answered 404 NOT FOUND", "your app serves /", "/statefun"]),
        ({"path": '"/greeter"'}, ["your app serves /greeter"]),
        ({"methods": '["GET"]'}, ["answered 405", "does not accept POST", 'methods=["POST"]']),
        (
            {"body": "request.get_data(as_text=True)"},
            ["handler got text, not bytes", "request.data"],
        ),
        ({"body": "request.json"}, ["answered 415", "request.data"]),
        ({"body": "request.form"}, ["handler got", "request.data"]),
        ({"answer": "response_data.hex()"}, ["the hex text of the response"]),
        ({"answer": "str(response_data)"}, ["str() of the", "make_response(response_data)"]),
        ({"answer": 'b""'}, ["an empty body"]),
        ({"answer": "GOLDEN"}, ["with Jerry's second visit", "the golden response"]),
        ({"answer": "response_data[:-1]"}, ["answered 206 bytes, not the 207 bytes"]),
        ({"header": "pass"}, ["the Content-Type 'text/html; charset=utf-8'", "headers.set"]),
        (
            {
                "header": 'response.headers.set("Content-Type", '
                '"application/octet-stream; charset=utf-8")'
            },
            ["exactly 'application/octet-stream'", "charset"],
        ),
        ({"header": "response.status_code = 202"}, ["answered 202 ACCEPTED", "anything but 200"]),
        ({"header": "1 / 0"}, ["`1 / 0` raised ZeroDivisionError"]),
    ],
)
def test_step_5_each_mistake_is_explained(
    answers: Answers, change: dict[str, str], fragments: list[str]
) -> None:
    changed = {k: v for k, v in change.items()}
    if changed.get("answer") == "GOLDEN":
        changed["answer"] = f"bytes.fromhex({GOLDEN_RESPONSE.hex()!r})"
    wrong(step_5(answers, **changed), *fragments)


def test_step_5_not_attempted(answers: Answers, starter_answers: Answers) -> None:
    not_attempted(check_step_5(*starter_answers(5, "en")), "no route yet")
    empty = 'app = Flask(__name__)\n\n@app.post("/statefun")\ndef handle():\n    ...\n'
    not_attempted(check_step_5(*answers(5, empty)), "still empty")
    not_attempted(check_step_5(), "check_step_5(app)")
    wrong(check_step_5("app"), "got a str")


def test_step_5_leaves_the_app_as_it_found_it(answers: Answers) -> None:
    (app,) = answers(5, localize_solution(5))
    app.config["PROPAGATE_EXCEPTIONS"] = None
    assert check_step_5(app).correct
    assert app.config["PROPAGATE_EXCEPTIONS"] is None


def localize_solution(step: int) -> str:
    from statefun.exercises import localize

    return localize(EXERCISES[step].solution, "en")


# -- step 6 ---------------------------------------------------------------------------------------

TTL = (
    FIXED[0]
    .replace('"1.0"', '"2.0"')
    .replace(
        "              - seen_count",
        "              - name: seen_count\n                expireAfter: 60s",
    )
)


def step_6(fixes: list[Any] | None = None, ttl: Any = TTL) -> CheckResult:
    return check_step_6(list(FIXED) if fixes is None else fixes, ttl)


def with_fix(number: int, text: str) -> list[Any]:
    fixes: list[Any] = list(FIXED)
    fixes[number - 1] = text
    return fixes


def test_step_6_the_fixed_files_declare_the_function_of_the_repos_module_yaml() -> None:
    # The exercise keeps its own text (an installed package has no module.yaml); this pins it
    # to the walkthrough's real file, read from the repository, not to a third copy.
    from module_yaml_texts import MODULE

    def walkthrough_function(text: str) -> object:
        spec = parse_module(text).function("example/greeter")
        return dataclasses.replace(spec, line=None, path=None)

    assert {walkthrough_function(text) for text in FIXED} == {walkthrough_function(MODULE)}


def test_step_6_each_broken_file_is_broken_in_its_own_way() -> None:
    assert len(set(BROKEN)) == len(BROKEN) == 4
    verdicts = []
    for text in BROKEN:
        try:
            module = parse_module(text, path="module.yaml")
        except ModuleYamlError as error:
            verdicts.append(str(error))
        else:
            problems = check_module(module, greeter.functions)  # type: ignore[attr-defined]
            assert problems, text
            verdicts.append(problems[0])
    expected = [
        "module.yaml:14: line 14 starts with a tab",
        "module.yaml:14: module.spec.functions[0].function.spec.states: not a list",
        "module.yaml:10: module.spec.functions[0].function.meta.kind: unknown function kind",
        "function type 'example/greet' is declared in module.yaml:8 but no Python function",
    ]
    assert [v[: len(e)] for v, e in zip(verdicts, expected, strict=True)] == expected
    # left as given, a file is "not attempted"; its fix is checked like the others
    for number, text in enumerate(BROKEN, start=1):
        result = step_6(with_fix(number, text))
        not_attempted(result, f"still as given: file {number}.")


@pytest.mark.parametrize(
    ("number", "text", "fragments"),
    [
        (
            1,
            BROKEN[0].replace("\tstates:", "    states:"),
            ["file 1 does not load", "module.yaml:14", "indented less than `endpoint:`"],
        ),
        (
            2,
            BROKEN[1].replace("seen_count", "-seen_count"),
            ["file 2 does not load", "a space after the dash"],
        ),
        (
            2,
            BROKEN[1].replace("              seen_count", "              - visits"),
            ["states is ('visits',)"],
        ),
        (
            3,
            BROKEN[2].replace("io.statefun.endpoints.v2/http", "https"),
            ["unknown function kind 'https'"],
        ),
        (
            4,
            BROKEN[3].replace("example/greet\n", "example/greeters\n"),
            ["does not fit greeter.py's functions", "'example/greeters'"],
        ),
        (
            4,
            FIXED[3].replace("8000", "8001"),
            ["its endpoint is http://python-worker:8001/statefun"],
        ),
        (4, FIXED[3].replace("2min", "3min"), ["its timeout is 0:03:00"]),
        (1, TTL, ['file 1 loads as version "2.0"']),
        (2, FIXED[1].replace("timeout:", "timeuot:"), ["with a warning", "timeuot"]),
        (3, 42, ["file 3 is a int"]),
    ],
)
def test_step_6_each_wrong_fix_is_explained(number: int, text: Any, fragments: list[str]) -> None:
    wrong(step_6(with_fix(number, text)), *fragments)


@pytest.mark.parametrize(
    ("ttl", "fragments"),
    [
        (FIXED[0], ['`ttl_module` is version "1.0"', 'format "2.0"']),
        (TTL.replace('"2.0"', '"1.0"'), ["`ttl_module` does not load", 'under version "1.0"']),
        (TTL.replace("expireAfter", "expiresAfter"), ["with a warning", "expireAfter"]),
        (TTL.replace("expireAfter: 60s", "expireAfter: 60"), ["not a string", "unit"]),
        (TTL.replace("60s", "1h"), ["expires after 1:00:00", "60 s"]),
        (
            TTL.replace("                expireAfter: 60s\n", ""),
            ["seen_count never expires", "expireAfter: 60s"],
        ),
        (TTL.replace("type: example/greeter", "type: example/greet"), ["does not fit greeter.py"]),
        (TTL.replace("seen_count", "visits"), ["states is ('visits',)"]),
        (None, ["`ttl_module` is a NoneType"]),
    ],
)
def test_step_6_each_wrong_ttl_module_is_explained(ttl: Any, fragments: list[str]) -> None:
    wrong(step_6(ttl=ttl), *fragments)


def test_step_6_other_right_answers() -> None:
    assert step_6(ttl=TTL.replace("60s", "1min")).correct
    after_write = TTL.replace("60s", "60s\n                expireMode: after-write")
    assert step_6(ttl=after_write).correct
    assert step_6(ttl=(ROOT / "module-2.0.yaml").read_text().replace("60s", "60 s")).correct


def test_step_6_not_attempted(starter_answers: Answers) -> None:
    not_attempted(
        check_step_6(*starter_answers(6, "zh")), "file 1, file 2, file 3, file 4, ttl_module"
    )
    not_attempted(step_6(ttl=...), "still as given: ttl_module")
    not_attempted(step_6(with_fix(2, BROKEN[1])), "still as given: file 2")
    wrong(check_step_6("text", ...), "list of the 4 module.yaml texts")


# -- Chinese --------------------------------------------------------------------------------------


def test_the_value_checkers_speak_chinese(answers: Answers) -> None:
    set_language("zh")
    assert str(step_1()).startswith("✅ 第 1 步：正确\n")
    assert "信封" in step_1(envelope=JERRY).message
    assert "类型 URL" in step_1(type_url="example.GreetRequest").message
    assert "还没填" in check_step_1().message or "仍是" in check_step_1().message
    assert "Content-Type" in step_5(answers, header="pass").message
    assert "路由" in check_step_5(*answers(5, "app = Flask(__name__)\n")).message
    assert "第 2 个文件" in step_6(with_fix(2, BROKEN[1].replace("seen_count", "-x"))).message
    assert "永不过期" in step_6(ttl=TTL.replace("                expireAfter: 60s\n", "")).message
    for step in (1, 5, 6):
        solution = localize_solution(step)
        assert EXERCISES[step].check(*answers(step, solution)).message.isascii() is False
