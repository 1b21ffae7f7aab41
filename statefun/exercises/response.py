"""Step 3, sending a response: a GreetResponse in a Kafka record on the egress."""

from __future__ import annotations

from statefun.exercises._harness import Harness, ModuleArg, run_check
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult
from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["EXERCISE", "check_step_3"]

STARTER = """\
@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest):
    # en: 1. Build a GreetResponse: name = the name in the request, greeting = "Welcome <name>".
    # en: 2. Wrap it in a Kafka record with kafka_egress_record: topic "greetings", key = the name.
    # en: 3. Send the record to the egress "example/greets" with context.pack_and_send_egress.
    # zh: 1. 构造一个 GreetResponse：name 是请求里的名字，greeting 是 "Welcome <名字>"。
    # zh: 2. 用 kafka_egress_record 把它包成 Kafka 记录：topic 为 "greetings"，key 为名字。
    # zh: 3. 用 context.pack_and_send_egress 把记录发到 egress "example/greets"。
    ...
"""

SOLUTION = """\
@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest):
    name = greet_request.name
    response = GreetResponse(name=name, greeting=f"Welcome {name}")
    record = kafka_egress_record(topic="greetings", key=name, value=response)
    context.pack_and_send_egress("example/greets", record)
"""

PREAMBLE = """\
from messages_pb2 import GreetRequest, GreetResponse
from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()
"""

HINTS = (
    N_(
        "A function never talks to Kafka itself: it hands a record to an egress, named by its "
        "id in module.yaml (example/greets). The Kafka topic goes inside the record."
    ),
    N_(
        "kafka_egress_record(topic=..., key=..., value=...) builds the record from your "
        "GreetResponse; context.pack_and_send_egress(egress_id, record) packs it into an Any "
        "and sends it."
    ),
    N_(
        'response = GreetResponse(name=greet_request.name, greeting=f"Welcome '
        '{greet_request.name}"); record = kafka_egress_record(topic="greetings", '
        "key=greet_request.name, value=response); context.pack_and_send_egress("
        '"example/greets", record)'
    ),
)


def _scenario(h: Harness) -> str:
    greeted: list[str] = []
    for name in ("Jerry", "Elaine", "Jerry"):
        h.ingest(name)
        h.expect_greeting(h.new_egress(), name, f"Welcome {name}", tuple(greeted))
        greeted.append(name)
    return _(
        "each GreetRequest got one Kafka record on example/greets: topic 'greetings', key = "
        "the name, value GreetResponse(name, 'Welcome <name>')."
    )


def check_step_3(greet: object, *, module: ModuleArg = None) -> CheckResult:
    """Check step 3 on a fresh local runtime: ``check_step_3(greet)``."""
    return run_check(3, greet, _scenario, module=module)


EXERCISE = Exercise(
    step=3,
    title=N_("sending a response"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_3,
)
