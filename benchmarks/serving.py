"""Requests per second and latency of the greeter served over HTTP, and what slow clients do to it.

Each server runs the walkthrough's ``example/greeter`` (greeter.py's functions) under gunicorn on
``127.0.0.1`` (a free port), and is started afresh for each phase:

``image``
    Exactly what the greeter image runs: greeter/Dockerfile's ``CMD`` (``serve:app``, that is
    ``statefun.serving.aiohttp_app`` under gunicorn's aiohttp worker), bind moved to loopback.
``flask-gthread``
    ``statefun.serving.flask_app`` under gthread workers (4 workers, 8 threads each): the
    README's choice for a Flask app.
``flask-sync``
    ``flask_app`` under gunicorn's default sync workers, 4 of them.
``walkthrough``
    The walkthrough's own ``greeter:app`` under 4 sync workers: what the image ran before.
``upstream`` (with ``--upstream``)
    The same ``greeter:app`` on the upstream SDK, ``apache-flink-statefun`` 2.2.2 with its
    protobuf 3.20 from PyPI (pure Python on this interpreter), in a virtual environment of its
    own (created once under ~/.cache/statefun-lab, reused), under the same 4 sync workers, as
    upstream's walkthrough runs it.

Phases, each ``--seconds`` long, while ``--concurrency`` clients POST the request the runtime
sends for a first "Jerry" (keep-alive where the server allows it) and time each answer:

``normal``     nothing else;
``slow-body``  ``--slow-bodies`` (3) more connections send their headers, then their body at 2
               bytes a second;
``idle``       ``--idle-connections`` (300) more connections are opened and send nothing;
``keep-alive`` as many make one request each, then stay open and silent (even when the server
               answered ``Connection: close``).

``--rounds`` (3) rounds go through every server and phase in turn, so that a slow spell of the
machine hits them all.

Reported per server and phase: answers per second (HTTP 200 with a ``FromFunction``), p50, p99
and the slowest answer, and errors (another status, a dropped connection or no answer within
``--timeout`` seconds). Load goes to 127.0.0.1 only, is bounded by ``--seconds`` and
``--max-requests`` per phase, and stops by itself. The client (asyncio, aiohttp) shares the
machine's cores with the server: figures compare servers with each other on one machine.

    .venv/bin/python benchmarks/serving.py [--seconds 5] [--concurrency 16] [--rounds 3]
        [--upstream] [--servers image,flask-gthread] [--phases normal,slow-body]
        [--slow-bodies 3] [--idle-connections 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
GREETER = ROOT / "greeter"
sys.path.insert(0, str(GREETER))

from messages_pb2 import DESCRIPTOR as MESSAGES_DESCRIPTOR  # noqa: E402
from messages_pb2 import GreetRequest  # noqa: E402

from statefun.serving import CONTENT_TYPE  # noqa: E402
from statefun.testing import InvocationBuilder  # noqa: E402

UPSTREAM_PINS = [
    "apache-flink-statefun==2.2.2",
    "protobuf==3.20.3",  # what apache-flink-statefun 2.2.2 resolves to (protobuf<4)
    "flask==3.1.3",
    "gunicorn==27.0.1",
]
# Every serialized FromFunction with a result starts with field 100, wire type 2.
FROM_FUNCTION_PREFIX = b"\xa2\x06"
WORKERS = "4"
GTHREAD = ["--threads", "8"]
PHASES = ("normal", "slow-body", "idle", "keep-alive")
SLOW_BYTES_PER_SECOND = 2


def greeter_request() -> bytes:
    """The request the runtime sends for a first "Jerry": no state yet, one message."""
    return (
        InvocationBuilder()
        .with_target("example", "greeter", "Jerry")
        .with_state("seen_count")
        .with_invocation(GreetRequest(name="Jerry"), type_url="com.googleapis/example.GreetRequest")
        .SerializeToString()
    )


@dataclass(frozen=True)
class Server:
    """A gunicorn command line to start from ``cwd``; ``--bind`` is added by ``serving``."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


def image_command() -> list[str]:
    """greeter/Dockerfile's CMD (its last, exec form), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (GREETER / "Dockerfile").read_text())
    cmd = [line for line in text.splitlines() if line.startswith("CMD ")]
    argv: list[str] = json.loads(cmd[-1][4:])
    return argv


def loopback(argv: list[str]) -> list[str]:
    """The image's command with its bind on a free loopback port instead of 0.0.0.0:8000."""
    out = list(argv)
    at = out.index("--bind")
    out[at + 1] = "127.0.0.1:0"
    return out


def servers(scratch: Path, upstream: Path | None) -> list[Server]:
    """Every server compared; ``upstream`` is the walkthrough's directory in its own venv."""
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(GREETER)])}
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--no-control-socket"]
    (scratch / "flask_greeter.py").write_text(
        "from greeter import functions\n"
        "from statefun.serving import flask_app\n\n"
        "app = flask_app(functions)\n"
    )
    image = loopback(image_command())
    assert image[0] == "gunicorn", image
    workers = ["--workers", WORKERS]
    found = [
        Server("image", [sys.executable, "-m", *image], GREETER, env),
        Server("flask-gthread", [*gunicorn, *workers, *GTHREAD, "flask_greeter:app"], scratch, env),
        Server("flask-sync", [*gunicorn, *workers, "flask_greeter:app"], scratch, env),
        Server("walkthrough", [*gunicorn, *workers, "greeter:app"], GREETER, env),
    ]
    if upstream is not None:
        python = str(upstream.parent / "venv" / "bin" / "python")
        argv = [python, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--no-control-socket"]
        found.append(Server("upstream", [*argv, *workers, "greeter:app"], upstream))
    return found


# --- the upstream SDK in a virtual environment of its own -------------------------------------

PB2_FOR_PROTOBUF_3_20 = """\
# Generated by benchmarks/serving.py from greeter/messages.proto, in the form protoc 3.20 writes,
# for the upstream SDK's protobuf 3.20. Do not edit.
from google.protobuf import descriptor_pool as _descriptor_pool
from google.protobuf import symbol_database as _symbol_database
from google.protobuf.internal import builder as _builder

_sym_db = _symbol_database.Default()

DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile({serialized!r})

_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, globals())
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, "messages_pb2", globals())
"""


def upstream_greeter() -> Path:
    """A directory with the walkthrough's greeter.py and its messages_pb2 for protobuf 3.20,
    beside a venv (``../venv``) with upstream's SDK, created once and reused."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "statefun-lab"
    home = cache / "upstream-serving"
    venv = home / "venv"
    stamp = venv / "statefun-lab-pins.txt"
    pins = "\n".join(UPSTREAM_PINS) + "\n"
    if not stamp.exists() or stamp.read_text() != pins:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", *UPSTREAM_PINS], check=True)
        stamp.write_text(pins)
    app = home / "greeter"
    app.mkdir(parents=True, exist_ok=True)
    shutil.copy(GREETER / "greeter.py", app / "greeter.py")
    (app / "messages_pb2.py").write_text(
        PB2_FOR_PROTOBUF_3_20.format(serialized=MESSAGES_DESCRIPTOR.serialized_pb)
    )
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import statefun, google.protobuf as p; from google.protobuf.internal import "
            "api_implementation as a; print(statefun.__file__, p.__version__, a.Type())",
        ],
        cwd=app,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"upstream: {probe.stdout.strip()}")
    return app


# --- starting and stopping a server ------------------------------------------------------------


@contextmanager
def serving(server: Server, scratch: Path) -> Iterator[str]:
    """Start ``server``, wait until it answers a request, yield its URL; stop it afterwards."""
    log_path = scratch / f"{server.name}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            server.argv,
            cwd=server.cwd,
            env={**os.environ, **server.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _wait_listening(proc, log_path) + "/statefun"
        asyncio.run(_wait_answering(url))
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_listening(proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if "Listening at: http://" in line:
                return line.split("Listening at: ", 1)[1].split()[0]
        if proc.poll() is not None:
            break
        time.sleep(0.1)  # polls the log file while gunicorn starts
    raise SystemExit(f"the server did not start:\n{log_path.read_text()}")


async def _wait_answering(url: str, timeout: float = 30) -> None:
    """Until the server answers; it must answer what greeter.py answers in-process."""
    import greeter  # the walkthrough's greeter.py, on this SDK

    request = greeter_request()
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with suppress(TimeoutError, aiohttp.ClientError):
                async with session.post(url, data=request) as response:
                    if response.status == 200:
                        body = await response.read()
                        if body != greeter.handler(request):
                            raise SystemExit(f"{url} answered another response: {body.hex()}")
                        return
            await asyncio.sleep(0.1)  # polls while the workers boot
    raise SystemExit(f"{url} did not answer within {timeout} s")


# --- load and attackers ------------------------------------------------------------------------


@dataclass
class Result:
    """What one phase measured."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def summary(results: list[Result]) -> str:
    """One row for the rounds of a server and phase: the median round's answers per second;
    p50, p99 and the slowest over every answer of every round; errors of every round."""
    rates = [len(r.latencies) / r.seconds for r in results]
    ms = sorted(x * 1000 for r in results for x in r.latencies)
    if ms:
        p50 = statistics.median(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        timing = f"{statistics.median(rates):>9,.0f} {p50:>8.1f} {p99:>8.1f} {ms[-1]:>8.1f}"
    else:
        timing = f"{0:>9} {'-':>8} {'-':>8} {'-':>8}"
    errors: Counter[str] = sum((r.errors for r in results), Counter())
    tried = sum(len(r.latencies) for r in results) + errors.total()
    listed = ", ".join(f"{n} {kind}" for kind, n in errors.most_common()) or "0"
    return f"{timing}  {listed} of {tried:,}"


async def load(
    url: str, concurrency: int, seconds: float, timeout: float, max_requests: int
) -> Result:
    """``concurrency`` clients POST the greeter request back to back for ``seconds``."""
    body = greeter_request()
    result = Result(seconds)
    budget = [max_requests]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    limits = aiohttp.ClientTimeout(total=timeout)
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Content-Type": CONTENT_TYPE}
    async with aiohttp.ClientSession(connector=connector, timeout=limits) as session:

        async def client() -> None:
            while loop.time() < deadline and budget[0] > 0:
                budget[0] -= 1
                start = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        payload = await response.read()
                        good = (
                            response.status == 200
                            and response.headers.get("Content-Type") == CONTENT_TYPE
                            and payload.startswith(FROM_FUNCTION_PREFIX)
                        )
                        if not good:
                            result.errors[f"HTTP {response.status}"] += 1
                            continue
                except (TimeoutError, aiohttp.ClientError) as e:
                    result.errors[type(e).__name__] += 1
                    continue
                result.latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return result


async def slow_body(host: str, port: int, stop: asyncio.Event) -> None:
    """Send the headers of a 1 MiB POST, then its body at SLOW_BYTES_PER_SECOND until ``stop``."""
    with suppress(OSError):
        _, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(
                f"POST /statefun HTTP/1.1\r\nHost: {host}\r\nContent-Type: {CONTENT_TYPE}\r\n"
                f"Content-Length: {1 << 20}\r\n\r\n".encode()
            )
            while not stop.is_set():
                writer.write(b"\x00")
                await writer.drain()
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1 / SLOW_BYTES_PER_SECOND)
        finally:
            writer.close()


async def idle(host: str, port: int, stop: asyncio.Event, request_first: bool) -> None:
    """Open a connection (make one keep-alive request first if asked) and stay silent."""
    with suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            if request_first:
                body = greeter_request()
                writer.write(
                    f"POST /statefun HTTP/1.1\r\nHost: {host}\r\nContent-Type: {CONTENT_TYPE}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await asyncio.wait_for(reader.readexactly(length), 30)
            await stop.wait()
        finally:
            writer.close()


async def phase(url: str, name: str, args: argparse.Namespace) -> Result:
    """Run the load of one phase, with that phase's extra connections open around it."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    stop = asyncio.Event()
    extra: list[asyncio.Task[None]] = []
    if name == "slow-body":
        extra = [
            asyncio.create_task(slow_body(host, int(port), stop)) for _ in range(args.slow_bodies)
        ]
    elif name in ("idle", "keep-alive"):
        extra = [
            asyncio.create_task(idle(host, int(port), stop, request_first=name == "keep-alive"))
            for _ in range(args.idle_connections)
        ]
    await asyncio.sleep(0.5 if extra else 0)  # the extra connections are open before the load
    try:
        return await load(url, args.concurrency, args.seconds, args.timeout, args.max_requests)
    finally:
        stop.set()
        await asyncio.gather(*extra, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="load per phase (5)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at once (16)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds (10)")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="at most this many per phase"
    )
    parser.add_argument("--rounds", type=int, default=3, help="of every server and phase (3)")
    parser.add_argument("--slow-bodies", type=int, default=3, help="in the slow-body phase (3)")
    parser.add_argument(
        "--idle-connections", type=int, default=300, help="in the idle phases (300)"
    )
    parser.add_argument("--servers", help="comma-separated subset of the servers")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated phases")
    parser.add_argument(
        "--upstream", action="store_true", help="also the walkthrough app on the upstream SDK"
    )
    args = parser.parse_args()
    phases = args.phases.split(",")
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
    with tempfile.TemporaryDirectory(prefix="statefun-serving-bench-") as tmp:
        scratch = Path(tmp)
        chosen = servers(scratch, upstream_greeter() if args.upstream else None)
        if args.servers:
            wanted = args.servers.split(",")
            if unknown := set(wanted) - {s.name for s in chosen}:
                parser.error(f"unknown servers {sorted(unknown)} (upstream needs --upstream)")
            chosen = [s for s in chosen if s.name in wanted]
        print(f"image: {' '.join(image_command())}")
        print(
            f"{args.concurrency} clients, {args.seconds:g} s per phase, {args.timeout:g} s "
            f"timeout, {args.rounds} rounds; slow-body: {args.slow_bodies} connections, idle "
            f"and keep-alive: {args.idle_connections}; {os.cpu_count()} cores shared by the "
            f"client and the server"
        )
        results: dict[tuple[str, str], list[Result]] = {}
        for _ in range(args.rounds):  # rounds in alternation: a slow spell hits every server
            for server in chosen:
                for name in phases:
                    with serving(server, scratch) as url:
                        result = asyncio.run(phase(url, name, args))
                    results.setdefault((server.name, name), []).append(result)
                    print(f"  {server.name} {name}: done", file=sys.stderr, flush=True)
        print(
            f"{'server':<14} {'phase':<11} {'answers/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8}  errors"
        )
        for (server_name, name), rounds in results.items():
            print(f"{server_name:<14} {name:<11} {summary(rounds)}")


if __name__ == "__main__":
    main()
