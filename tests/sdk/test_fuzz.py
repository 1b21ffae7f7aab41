"""Fuzz the request-reply handlers: whatever bytes come in, no crash, no hang, no partial answer.

Two kinds of input, each through ``RequestReplyHandler`` and ``AsyncRequestReplyHandler``, over
the walkthrough's greeter (greeter/greeter.py's ``greet``, unchanged) and functions with and
without type hints:

1. byte-level mutations of the golden request of spec §1.2 (flip, set, insert, delete,
   truncate, duplicate), which break the framing, the strings' UTF-8 and the payloads;
2. structurally valid random ``ToFunction`` requests: random addresses and callers, states
   with random names and payloads (empty, garbage, an ``Any`` of a random type URL), and
   batches of random ``Any`` arguments (known and unknown type URLs, valid and garbage bytes).

Every outcome is a valid ``FromFunction`` response (or ``b""``) or a ``StatefunError``. The one
other outcome allowed is an exception raised by the greeter's own code (its innermost frame is
in greeter.py): it raises on a stored ``SeenCount`` of 2**63 - 1 (``+= 1`` overflows int64) or
below -4 (its template list is indexed with it). That is the function's error, which the HTTP
helpers answer 500, as they should.

In CI (and by default) each test runs a fixed, derandomized set of examples in a few seconds.
To fuzz longer by hand, with fresh random examples on every run, set
``STATEFUN_LAB_FUZZ_EXAMPLES``::

    STATEFUN_LAB_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/sdk/test_fuzz.py
"""

from __future__ import annotations

import asyncio
import os
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any as TypingAny

import pytest
from golden import GOLDEN_REQUEST
from google.protobuf.any_pb2 import Any
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

import greeter
from statefun import AsyncRequestReplyHandler, RequestReplyHandler, StatefulFunctions
from statefun import kafka_egress_record as record
from statefun.errors import StatefunError
from statefun.request_reply_pb2 import FromFunction, ToFunction

_EXAMPLES = os.environ.get("STATEFUN_LAB_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 300,
    derandomize=not _EXAMPLES,
    database=None if not _EXAMPLES else settings.default.database,
    deadline=None,  # a loaded CI machine is no bug; a hang still fails the run
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)

GREET_URL = "type.googleapis.com/example.GreetRequest"
SEEN_URL = "type.googleapis.com/example.SeenCount"


# -- the functions under fuzz ----------------------------------------------------------------

functions = StatefulFunctions()
functions.register("example/greeter", greeter.greet)


@functions.bind("lab/hinted")
def hinted(context, message: GreetRequest | SeenCount):  # type: ignore[no-untyped-def]
    """Reads both states (as an Any and unpacked), writes one, sends, egresses, replies."""
    current = context["seen_count"]
    other = context.state("other").unpack(SeenCount)
    count = SeenCount(seen=(other.seen % 1000 if other else 0) + 1)
    context.state("other").pack(count)
    if isinstance(message, GreetRequest):
        answer = GreetResponse(name=message.name, greeting=f"hi {message.name}")
        context.pack_and_send_egress("lab/out", record("out", answer, key=message.name or None))
    else:
        context.pack_and_send("lab/raw", "raw", message)
    if current is not None:
        context.send("lab/raw", "again", current)
    if context.caller is not None:
        context.pack_and_reply(count)


@functions.bind("lab/raw")
def raw(context, message):  # type: ignore[no-untyped-def]
    """No hint: the raw Any; clears a state, sends the Any on later and to an egress."""
    del context["seen_count"]
    context.send_after(timedelta(milliseconds=5), "lab/hinted", "later", message)
    context.send_egress("lab/out", message)


@functions.bind("lab/async")
async def asynchronous(context, message: GreetRequest):  # type: ignore[no-untyped-def]
    """Awaits, then reads and writes its state (refused by the sync handler)."""
    await asyncio.sleep(0)
    seen = context.state("seen_count").unpack(SeenCount)
    context.state("seen_count").pack(SeenCount(seen=1 if seen is None else seen.seen % 1000 + 1))


SYNC = RequestReplyHandler(functions)
ASYNC = AsyncRequestReplyHandler(functions)


def handle(kind: str, body: bytes) -> bytes:
    if kind == "sync":
        return SYNC(body)
    return asyncio.run(ASYNC(body))


def _raised_by_the_greeter(error: BaseException) -> bool:
    """The innermost frame is greeter.py's (this file's functions raise only typed errors)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve() == Path(greeter.__file__).resolve()


def assert_valid_outcome(kind: str, body: bytes) -> None:
    """The response parses as a FromFunction with only decodable states, or the error is typed."""
    try:
        out = handle(kind, body)
    except StatefunError:
        return
    except Exception as e:
        if _raised_by_the_greeter(e):
            return
        raise AssertionError(f"untyped {type(e).__name__} from the SDK: {e}") from e
    assert isinstance(out, bytes)
    if not out:
        return  # no effects
    response = FromFunction.FromString(out)
    assert response.HasField("invocation_result")
    result = response.invocation_result
    for mutation in result.state_mutations:
        if mutation.mutation_type == FromFunction.PersistedValueMutation.MODIFY:
            Any.FromString(mutation.state_value)
    # A target is one the function named (send checks it is complete) or a caller the
    # request named (a reply goes where the request said, even to an incomplete address).
    callers = {
        (i.caller.namespace, i.caller.type, i.caller.id)
        for i in ToFunction.FromString(body).invocation.invocations
        if i.HasField("caller")
    }
    for message in [*result.outgoing_messages, *result.delayed_invocations]:
        t = message.target
        assert (t.namespace and t.type and t.id) or (t.namespace, t.type, t.id) in callers
    assert all(d.delay_in_ms >= 0 for d in result.delayed_invocations)
    effects = [
        result.state_mutations,
        result.outgoing_messages,
        result.delayed_invocations,
        result.outgoing_egresses,
    ]
    assert any(effects), "a response with no effects is b''"


# -- 1. mutations of the golden request ------------------------------------------------------

_position = st.integers(0, 2 * len(GOLDEN_REQUEST))  # taken modulo the length edited
_edit = st.one_of(
    st.tuples(st.just("flip"), _position, st.integers(0, 7).map(lambda bit: 1 << bit)),
    st.tuples(st.just("set"), _position, st.integers(0, 255)),
    st.tuples(st.just("insert"), _position, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), _position, st.integers(1, 8)),
    st.tuples(st.just("truncate"), _position),
    st.tuples(st.just("duplicate"), _position, st.integers(1, 16)),
)


def mutate(data: bytes, edits: list[tuple[TypingAny, ...]]) -> bytes:
    out = bytearray(data)
    for kind, at, *rest in edits:
        i = at % (len(out) + 1)
        if kind == "insert":
            out[i:i] = rest[0]
        elif kind == "truncate":
            del out[i:]
        elif i == len(out):
            continue
        elif kind == "flip":
            out[i] ^= rest[0]
        elif kind == "set":
            out[i] = rest[0]
        elif kind == "delete":
            del out[i : i + rest[0]]
        else:  # duplicate
            out[i:i] = out[i : i + rest[0]]
    return bytes(out)


def mutated_golden(where: str, edits: list[tuple[TypingAny, ...]]) -> bytes:
    """The golden request with ``edits`` applied to its bytes (which mostly breaks the framing),
    or to its argument's value or to a stored ``seen_count`` state, framed again."""
    if where == "request":
        return mutate(GOLDEN_REQUEST, edits)
    request = ToFunction.FromString(GOLDEN_REQUEST)
    batch = request.invocation
    if where == "argument":
        argument = batch.invocations[0].argument
        argument.value = mutate(argument.value, edits)
    else:
        stored = Any(type_url=SEEN_URL, value=SeenCount(seen=1).SerializeToString())
        batch.state[0].state_value = mutate(stored.SerializeToString(), edits)
    return request.SerializeToString()


@pytest.mark.parametrize("kind", ["sync", "async"])
@FUZZ
@given(
    where=st.sampled_from(["request", "argument", "state"]),
    edits=st.lists(_edit, min_size=1, max_size=3),
)
def test_mutations_of_the_golden_request(
    kind: str, where: str, edits: list[tuple[TypingAny, ...]]
) -> None:
    assert_valid_outcome(kind, mutated_golden(where, edits))


def test_the_golden_request_itself_is_answered() -> None:
    # the fuzz starts from a request that works
    for kind in ("sync", "async"):
        assert handle(kind, GOLDEN_REQUEST) == greeter.handler(GOLDEN_REQUEST)


# -- 2. structurally valid random requests -----------------------------------------------------

_KNOWN_URLS = [
    GREET_URL,
    "com.googleapis/example.GreetRequest",  # the ingress's typeUrl, verbatim
    SEEN_URL,
    "type.googleapis.com/example.GreetResponse",
    "type.googleapis.com/google.protobuf.Any",
    "example.GreetRequest",  # no slash
    "",
]
_type_urls = st.one_of(
    st.sampled_from(_KNOWN_URLS[:3]),  # what the hinted functions accept
    st.sampled_from(_KNOWN_URLS),
    st.text(max_size=24),
)
_payloads = st.one_of(
    st.text(max_size=12).map(lambda name: GreetRequest(name=name).SerializeToString()),
    st.integers(-(2**63), 2**63 - 1).map(lambda n: SeenCount(seen=n).SerializeToString()),
    st.binary(min_size=1, max_size=24),  # mostly not a message
)
_anys = st.builds(lambda url, value: Any(type_url=url, value=value), _type_urls, _payloads)
_state_values = st.one_of(
    st.none(),
    _anys.map(lambda any: any.SerializeToString()),
    st.binary(min_size=1, max_size=24),  # mostly not an Any
)
_BOUND = [("example", "greeter"), ("lab", "hinted"), ("lab", "raw"), ("lab", "async")]
_UNBOUND = [("example", "nope"), ("lab", ""), ("", "")]
_function_types = st.sampled_from(_BOUND * 3 + _UNBOUND)
_addresses = st.builds(lambda t, id: (*t, id), _function_types, st.text(max_size=8))
_state_names = st.one_of(st.sampled_from(["seen_count", "other"]), st.text(max_size=6))


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    to_function = ToFunction()
    batch = to_function.invocation
    target = draw(_addresses)
    batch.target.namespace, batch.target.type, batch.target.id = target
    names = ["seen_count", "other"] if draw(st.booleans()) else []  # what the functions use
    for name in names + draw(st.lists(_state_names, max_size=2)):
        state = batch.state.add()
        state.state_name = name
        value = draw(_state_values)
        if value is not None:
            state.state_value = value
    # mostly a batch of 1 to 4; an empty one now and then (the handler refuses it)
    for _ in range(draw(st.integers(1, 4) | st.integers(1, 4) | st.integers(0, 4))):
        invocation = batch.invocations.add()
        caller = draw(st.none() | _addresses)
        if caller is not None:
            c = invocation.caller
            c.namespace, c.type, c.id = caller
        invocation.argument.CopyFrom(draw(_anys))
    return to_function.SerializeToString()


@pytest.mark.parametrize("kind", ["sync", "async"])
@FUZZ
@given(body=requests())
def test_structurally_valid_random_requests(kind: str, body: bytes) -> None:
    assert_valid_outcome(kind, body)
