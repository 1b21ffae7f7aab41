"""Step 2, the first function: receive a GreetRequest (type hint) and print a welcome."""

from __future__ import annotations

from statefun.core import deduce_protobuf_types
from statefun.exercises._harness import Harness, ModuleArg, run_check
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult
from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["EXERCISE", "check_step_2"]

STARTER = """\
@functions.bind("example/greeter")
def greet(context, greet_request):
    # en: 1. Give greet_request its type hint, GreetRequest, so the SDK unpacks the message.
    # en: 2. Print "Welcome <name>" with the name from the request, e.g. "Welcome Jerry".
    # zh: 1. 给 greet_request 加上类型注解 GreetRequest，SDK 就会替你解包消息。
    # zh: 2. 用请求里的名字打印 "Welcome <名字>"，例如 "Welcome Jerry"。
    ...
"""

SOLUTION = """\
@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest):
    print(f"Welcome {greet_request.name}")
"""

PREAMBLE = """\
from messages_pb2 import GreetRequest
from statefun import StatefulFunctions

functions = StatefulFunctions()
"""

HINTS = (
    N_(
        "The runtime calls greet(context, message) once per GreetRequest. Without a type hint "
        "the message is the packed google.protobuf.Any; with `greet_request: GreetRequest` the "
        "SDK unpacks it."
    ),
    N_(
        "The name is a field of the message: greet_request.name. (It is also the function's "
        "id, context.address.identity, because the Kafka key is the name.)"
    ),
    N_(
        "Change the signature to `def greet(context, greet_request: GreetRequest):` and make "
        'the body `print(f"Welcome {greet_request.name}")`.'
    ),
)


def _scenario(h: Harness) -> str:
    greeted: list[str] = []
    for name in ("Jerry", "Elaine"):
        printed = h.ingest(name)
        lines = [line.strip() for line in printed.splitlines() if line.strip()]
        expected = f"Welcome {name}"
        fmt = {"when": _("for {name}'s GreetRequest").format(name=name), "expected": expected}
        if not lines:
            h.wrong(
                _(
                    "your function ran {when} but printed nothing; print(...) the welcome, "
                    "e.g. {expected!r}."
                ).format(**fmt)
            )
        if expected not in lines:
            got = lines[-1] if len(lines) == 1 else " / ".join(lines)
            for other in greeted:
                if got == f"Welcome {other}":
                    h.wrong(
                        _(
                            "{when} your function printed {got!r}: {other}'s name is written "
                            "into your code. Take it from the message: greet_request.name."
                        ).format(got=got, other=other, **fmt)
                    )
            h.wrong(
                _("{when} your function printed {got!r}; expected {expected!r}.").format(
                    got=got, **fmt
                )
            )
        greeted.append(name)
    hinted = deduce_protobuf_types(h.fn) or []
    if h.GreetRequest not in hinted:
        h.wrong(
            _(
                "it prints the right welcome, but the message parameter has no GreetRequest "
                "type hint: write `def greet(context, greet_request: GreetRequest):` so the SDK "
                "unpacks the message (and tells you when a wrong type arrives)."
            )
        )
    return _(
        "your function received each GreetRequest unpacked (thanks to the type hint) and "
        "printed 'Welcome Jerry', then 'Welcome Elaine'."
    )


def check_step_2(greet: object, *, module: ModuleArg = None) -> CheckResult:
    """Check step 2 on a fresh local runtime: ``check_step_2(greet)`` (or your ``functions``)."""
    return run_check(2, greet, _scenario, module=module)


EXERCISE = Exercise(
    step=2,
    title=N_("the first function"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_2,
)
