"""The functions of {{name}}: bound to their function types, as module.yaml declares them."""

from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()


@functions.bind("{{namespace}}/greeter")
def greet(context, request: GreetRequest):
    """Count the visits of each name, and greet it on the `greetings` topic."""
    seen = context.state("seen_count").unpack(SeenCount) or SeenCount()
    seen.seen += 1
    context.state("seen_count").pack(seen)
    greeting = f"Hello {request.name}" if seen.seen == 1 else f"Hello again {request.name}"
    response = GreetResponse(name=request.name, greeting=greeting)
    context.pack_and_send_egress(
        "{{namespace}}/greets",
        kafka_egress_record(topic="greetings", key=request.name, value=response),
    )
