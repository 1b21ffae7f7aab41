"""What the gunicorn tests serve: ``a/echo``, which appends each message it runs to a file.

The file is ``$STATEFUN_TEST_RECORD`` and the body limit ``$STATEFUN_TEST_LIMIT``, so that a test
in another process can tell exactly which messages the function ran.
"""

from __future__ import annotations

import os

from sdk_test_pb2 import Hello

from statefun import StatefulFunctions
from statefun.serving import aiohttp_app, flask_app

RECORD = os.environ["STATEFUN_TEST_RECORD"]
LIMIT = int(os.environ["STATEFUN_TEST_LIMIT"])

functions = StatefulFunctions()


@functions.bind("a/echo")
def echo(context, message: Hello) -> None:  # type: ignore[no-untyped-def]
    with open(RECORD, "a") as record:
        record.write(message.world + "\n")
    context.pack_and_send("a/g", "1", message)


flask = flask_app(functions, max_request_bytes=LIMIT)
aiohttp = aiohttp_app(functions, max_request_bytes=LIMIT)
