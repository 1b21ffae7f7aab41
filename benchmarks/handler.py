"""Invocations per second of the walkthrough greeter through RequestReplyHandler, beside the floor.

Four things are timed in alternation, in the same run, on the same request:

``handler``
    ``greeter.handler(request)``: the walkthrough's greeter.py, unchanged, through the SDK.
``floor``
    The greeter written against protobuf directly, with no SDK: parse the ``ToFunction``; for
    every message do what greeter.py does, field read for field read (parse the
    ``GreetRequest``; parse the ``SeenCount`` state, add one, serialise it; compute the
    greeting; build the Kafka record and the egress message); wrap the last state in an
    ``Any``; serialise the ``FromFunction``. It uses the fastest protobuf calls (fields set
    one by one, no ``Any.Pack``). ``ratio`` = handler / floor.
``textbook``
    The same steps written with protobuf's documented ``Any`` API (``Any.Unpack``/``Any.Pack``
    for the request, the state and the record) and keyword constructors: how the greeter reads
    without an SDK in protobuf's own docs. This is the measure the issue's figure for the
    upstream SDK (0.5 to 0.65) matches; ``textbook ratio`` = handler / textbook.
``strict``
    A lower bound no SDK can reach: the same response, but the count is kept in a Python int
    across the batch and the state is parsed and serialised once per batch. That changes the
    function's own algorithm (greeter.py unpacks and packs its state on every message), so it
    measures the function's choices as much as the SDK. ``strict ratio`` = handler / strict.

``--upstream`` runs the same measure with the upstream SDK, ``apache-flink-statefun`` 2.2.2
(its ``core.py`` and ``request_reply.py``, downloaded from PyPI once), over this repo's generated
protobuf modules, so both SDKs are measured on the same protobuf backend.

    .venv/bin/python benchmarks/handler.py [--seconds 3.0] [--upstream]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = "apache-flink-statefun==2.2.2"
# Set (by --upstream) to a directory holding the upstream SDK as a `statefun` package.
SDK_PATH = os.environ.get("STATEFUN_BENCH_SDK_PATH")
if SDK_PATH:
    sys.path.insert(0, SDK_PATH)
sys.path.insert(0, str(ROOT / "greeter"))

from google.protobuf.any_pb2 import Any  # noqa: E402
from messages_pb2 import GreetRequest, SeenCount  # noqa: E402

import greeter  # noqa: E402  (the walkthrough's greeter.py, unchanged)
import statefun.core  # noqa: E402
from statefun.kafka_egress_pb2 import KafkaProducerRecord  # noqa: E402
from statefun.request_reply_pb2 import FromFunction, ToFunction  # noqa: E402

if SDK_PATH and not Path(statefun.core.__file__).is_relative_to(SDK_PATH):
    raise SystemExit(f"expected the SDK from {SDK_PATH}, imported {statefun.core.__file__}")

MODIFY = FromFunction.PersistedValueMutation.MODIFY
SEEN_URL = "type.googleapis.com/example.SeenCount"
RECORD_URL = "type.googleapis.com/org.apache.flink.statefun.flink.io.KafkaProducerRecord"


def make_request(batch: int, seen: int | None) -> bytes:
    """A request for example/greeter/Jerry with ``batch`` GreetRequests, as the runtime sends."""
    request = ToFunction()
    invocations = request.invocation
    target = invocations.target
    target.namespace, target.type, target.id = "example", "greeter", "Jerry"
    state = invocations.state.add(state_name="seen_count")
    if seen is not None:
        state.state_value = Any(
            type_url=SEEN_URL, value=SeenCount(seen=seen).SerializeToString()
        ).SerializeToString()
    argument = GreetRequest(name="Jerry").SerializeToString()
    for _ in range(batch):
        invocation = invocations.invocations.add()
        invocation.argument.type_url = "com.googleapis/example.GreetRequest"
        invocation.argument.value = argument
    return request.SerializeToString()


def _finish(result: FromFunction, seen_count: bytes) -> bytes:
    mutation = result.invocation_result.state_mutations.add()
    mutation.mutation_type = MODIFY
    mutation.state_name = "seen_count"
    state = Any()
    state.type_url = SEEN_URL
    state.value = seen_count
    mutation.state_value = state.SerializeToString()
    return result.SerializeToString()


def floor(request: bytes) -> bytes:
    """greeter.py's steps, message by message, written against protobuf directly."""
    batch = ToFunction.FromString(request).invocation
    value = batch.state[0].state_value
    payload = Any.FromString(value).value if value else None
    result = FromFunction()
    add_egress = result.invocation_result.outgoing_egresses.add  # inlined: no helper calls
    for invocation in batch.invocations:
        greet_request = GreetRequest.FromString(invocation.argument.value)
        if payload is None:
            state = SeenCount()
            state.seen = 1
        else:
            state = SeenCount.FromString(payload)
            state.seen += 1
        payload = state.SerializeToString()
        greeting = greeter.compute_greeting(greet_request.name, state.seen)
        record = KafkaProducerRecord()  # fields set one by one: faster than keywords on upb
        record.topic = "greetings"
        record.key = greet_request.name
        record.value_bytes = greeting.SerializeToString()
        egress = add_egress()
        egress.egress_namespace = "example"
        egress.egress_type = "greets"
        argument = egress.argument
        argument.type_url = RECORD_URL
        argument.value = record.SerializeToString()
    assert payload is not None
    return _finish(result, payload)


def textbook(request: bytes) -> bytes:
    """greeter.py's steps with protobuf's documented Any API (Pack/Unpack)."""
    batch = ToFunction.FromString(request).invocation
    value = batch.state[0].state_value
    stored = Any.FromString(value) if value else None
    result = FromFunction()
    response = result.invocation_result
    for invocation in batch.invocations:
        greet_request = GreetRequest()
        invocation.argument.Unpack(greet_request)
        state = SeenCount()
        if stored is None:
            state.seen = 1
        else:
            stored.Unpack(state)
            state.seen += 1
        stored = Any()
        stored.Pack(state)
        greeting = greeter.compute_greeting(greet_request.name, state.seen)
        record = KafkaProducerRecord(
            topic="greetings", key=greet_request.name, value_bytes=greeting.SerializeToString()
        )
        egress = response.outgoing_egresses.add()
        egress.egress_namespace = "example"
        egress.egress_type = "greets"
        egress.argument.Pack(record)
    assert stored is not None
    mutation = response.state_mutations.add()
    mutation.mutation_type = MODIFY
    mutation.state_name = "seen_count"
    mutation.state_value = stored.SerializeToString()
    return result.SerializeToString()


def strict(request: bytes) -> bytes:
    """The same response with the count in a Python int: state parsed and written once."""
    batch = ToFunction.FromString(request).invocation
    value = batch.state[0].state_value
    seen = SeenCount.FromString(Any.FromString(value).value).seen if value else 0
    result = FromFunction()
    add_egress = result.invocation_result.outgoing_egresses.add  # inlined: no helper calls
    for invocation in batch.invocations:
        name = GreetRequest.FromString(invocation.argument.value).name
        seen += 1
        greeting = greeter.compute_greeting(name, seen)
        record = KafkaProducerRecord()
        record.topic = "greetings"
        record.key = name
        record.value_bytes = greeting.SerializeToString()
        egress = add_egress()
        egress.egress_namespace = "example"
        egress.egress_type = "greets"
        argument = egress.argument
        argument.type_url = RECORD_URL
        argument.value = record.SerializeToString()
    return _finish(result, SeenCount(seen=seen).SerializeToString())


def rates(
    contenders: list[Callable[[bytes], bytes]],
    request: bytes,
    batch: int,
    seconds: float,
    rounds: int = 11,
) -> tuple[list[float], list[float]]:
    """Median invocations per second of each contender, and the median of each one's ratio
    to the first (the handler).

    All are timed in alternation, round after round, in CPU time of this process, so other
    load on the machine affects them alike and the ratios stay meaningful.
    """
    calls = 1
    while True:  # calibrate: how many calls of the floor take about one slice
        start = time.process_time()
        for _ in range(calls):
            floor(request)
        elapsed = time.process_time() - start
        if elapsed > 0.02:
            break
        calls *= 2
    per_slice = max(1, int(calls * (seconds / rounds / len(contenders)) / elapsed))
    samples: list[list[float]] = [[] for _ in contenders]
    ratios: list[list[float]] = [[] for _ in contenders]
    for _ in range(rounds):
        this_round = []
        for fn in contenders:
            start = time.process_time()
            for _ in range(per_slice):
                fn(request)
            this_round.append(per_slice * batch / (time.process_time() - start))
        for i, rate in enumerate(this_round):
            samples[i].append(rate)
            ratios[i].append(this_round[0] / rate)
    return [statistics.median(s) for s in samples], [statistics.median(r) for r in ratios]


def upstream_sdk() -> Path:
    """A directory with upstream's SDK over this repo's generated protobuf modules.

    The wheel is downloaded from PyPI once (into ~/.cache/statefun-lab); upstream's own
    ``_pb2`` modules need protobuf < 4, so this repo's (same .proto files) replace them.
    """
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "statefun-lab"
    wheels = cache / "wheels"
    found = sorted(wheels.glob("apache_flink_statefun-2.2.2-*.whl"))
    if not found:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheels)]
        subprocess.run([*pip, UPSTREAM], check=True)
        found = sorted(wheels.glob("apache_flink_statefun-2.2.2-*.whl"))
    package = cache / "upstream-2.2.2" / "statefun"
    shutil.rmtree(package.parent, ignore_errors=True)
    package.mkdir(parents=True)
    with zipfile.ZipFile(found[0]) as wheel:
        for module in ("__init__.py", "core.py", "request_reply.py"):
            (package / module).write_bytes(wheel.read(f"statefun/{module}"))
    for generated in (ROOT / "statefun").glob("*_pb2.py"):
        shutil.copy(generated, package / generated.name)
    return package.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per measurement")
    parser.add_argument(
        "--upstream", action="store_true", help=f"measure the upstream SDK ({UPSTREAM}) instead"
    )
    args = parser.parse_args()
    if args.upstream:
        env = {**os.environ, "STATEFUN_BENCH_SDK_PATH": str(upstream_sdk())}
        command = [sys.executable, __file__, "--seconds", str(args.seconds)]
        raise SystemExit(subprocess.run(command, env=env).returncode)
    print(f"SDK: {Path(statefun.core.__file__).parent}")
    print(
        f"{'batch':>5} {'seen_count':>10} {'handler inv/s':>14} {'floor inv/s':>12} "
        f"{'ratio':>6} {'textbook ratio':>15} {'strict ratio':>13}"
    )
    handler = greeter.handler
    for batch in (1, 10, 100, 500):
        for seen in (None, 3):
            request = make_request(batch, seen)
            want = FromFunction.FromString(strict(request))
            for fn in (handler, floor, textbook):
                assert FromFunction.FromString(fn(request)) == want, f"{fn} built another response"
            (h, f, _, _), (_, ratio, textbook_ratio, strict_ratio) = rates(
                [handler, floor, textbook, strict], request, batch, args.seconds
            )
            state = "absent" if seen is None else "present"
            print(
                f"{batch:>5} {state:>10} {h:>14,.0f} {f:>12,.0f} {ratio:>6.2f} "
                f"{textbook_ratio:>15.2f} {strict_ratio:>13.2f}"
            )


if __name__ == "__main__":
    main()
