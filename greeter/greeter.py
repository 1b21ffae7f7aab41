"""The greeter of the StateFun 2.x Python walkthrough, served over HTTP by Flask.

This is the walkthrough's application as the walkthrough writes it: one stateful
function, ``example/greeter``, that counts how often it has seen each name and sends a
personalised greeting to the ``greetings`` Kafka topic through the ``example/greets``
egress. Flink StateFun calls it with POST requests on ``/statefun``.

Run it with ``gunicorn --chdir greeter greeter:app`` (as the Docker image does) or with
``python greeter/greeter.py`` (the Flask development server on port 5000).

The type hint of ``greet_request`` tells the SDK which message type to unpack the
incoming ``google.protobuf.Any`` into (StateFun Lab's SDK also resolves string hints and
``from __future__ import annotations``; the upstream 2.x SDK silently did not, so this file
uses real annotations and runs unchanged on both).
"""

from flask import Flask, Response, make_response, request
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun import RequestReplyHandler, StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()


@functions.bind("example/greeter")
def greet(context, greet_request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
    """Greet a name, remembering how many times it was seen before."""
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


def compute_greeting(name: str, seen: int) -> GreetResponse:
    """Compute a personalised greeting, based on how many times ``name`` was seen."""
    templates = ["", "Welcome %s", "Nice to see you again %s", "Third time is a charm %s"]
    if seen < len(templates):
        greeting = templates[seen] % name
    else:
        # The walkthrough's %-templates, kept so the code matches the tutorial text.
        greeting = "Nice to see you at the %d-nth time %s!" % (seen, name)  # noqa: UP031

    response = GreetResponse()
    response.name = name
    response.greeting = greeting
    return response


handler = RequestReplyHandler(functions)

#
# Serve the endpoint
#

app = Flask(__name__)


@app.route("/statefun", methods=["POST"])
def handle() -> Response:
    """Answer one request-reply call from the StateFun runtime."""
    response_data = handler(request.data)
    response = make_response(response_data)
    # The runtime accepts exactly this content type, with no parameters.
    response.headers.set("Content-Type", "application/octet-stream")
    return response


if __name__ == "__main__":
    app.run()
