"""statefun.flink.function_server: serving from this process over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from messages_pb2 import GreetRequest, GreetResponse

import greeter
from statefun import StatefulFunctions, kafka_egress_record
from statefun.errors import FlinkStackError, PortInUseError
from statefun.flink.function_server import FunctionServer, KernelServer
from statefun.flink.processes import poll
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.testing import InvocationBuilder, decode_response

REPO = Path(__file__).resolve().parents[2]


def request(name: str) -> bytes:
    builder = InvocationBuilder().with_target("example", "greeter", name)
    builder.with_state("seen_count").with_invocation(
        GreetRequest(name=name), type_url="com.googleapis/example.GreetRequest"
    )
    return builder.SerializeToString()


def call(server: FunctionServer, name: str) -> tuple[int, bytes]:
    req = urllib.request.Request(server.url, data=request(name), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def greeting(body: bytes) -> str:
    (egress,) = decode_response(body).egresses
    record = KafkaProducerRecord()
    egress.argument.Unpack(record)
    return GreetResponse.FromString(record.value_bytes).greeting


@pytest.fixture
def current() -> dict[str, StatefulFunctions]:
    return {"functions": greeter.functions}


@pytest.fixture
def server(current: dict[str, StatefulFunctions]) -> Iterator[KernelServer]:
    served = KernelServer(lambda: current["functions"])
    served.start()
    yield served
    served.stop()


def test_it_answers_flink_requests_from_a_thread(server: KernelServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/statefun"
    assert server.pid is None
    status, body = call(server, "Ann")
    assert status == 200
    assert greeting(body) == "Welcome Ann"


def test_the_functions_are_looked_up_per_request(
    server: KernelServer, current: dict[str, StatefulFunctions]
) -> None:
    shouting = StatefulFunctions()

    @shouting.bind("example/greeter")
    def shout(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        response = GreetResponse(name=request.name, greeting=f"HELLO {request.name}")
        context.pack_and_send_egress(
            "example/greets", kafka_egress_record(topic="greetings", key="k", value=response)
        )

    current["functions"] = shouting  # the notebook cell binding it again
    assert greeting(call(server, "Ann")[1]) == "HELLO Ann"
    current["functions"] = greeter.functions
    assert greeting(call(server, "Ann")[1]) == "Welcome Ann"


def test_what_the_function_raises_is_answered_500_and_recorded(
    server: KernelServer, current: dict[str, StatefulFunctions], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = StatefulFunctions()

    @broken.bind("example/greeter")
    def fail(context, request: GreetRequest) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError(f"cannot greet {request.name}")

    current["functions"] = broken
    assert server.error_count() == 0
    for _ in range(3):
        status, body = call(server, "Bob")
        assert status == 500
        assert b"RuntimeError: cannot greet Bob" in body  # Flink logs the body
    assert server.error_count() == 3
    assert "RuntimeError: cannot greet Bob" in server.errors()[-1]
    assert "Traceback" in server.errors()[-1]
    # Shown once on stderr, not on every retry of Flink's.
    assert capsys.readouterr().err.count("the function raised an error") == 1


def test_not_a_statefulfunctions_is_refused_at_once() -> None:
    with pytest.raises(FlinkStackError, match=r"must be a StatefulFunctions.*got dict"):
        KernelServer(lambda: {})  # type: ignore[arg-type,return-value]


def test_a_taken_port_is_a_typed_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = KernelServer(greeter.functions, port=port)
        with pytest.raises(PortInUseError, match=rf"port {port} .* the function server"):
            server.start()


@pytest.mark.gunicorn
def test_gunicorn_serves_a_functions_file_and_dies_whole(tmp_path: Path) -> None:
    from statefun.flink.function_server import GunicornServer
    from statefun.flink.processes import pid_alive

    broken = tmp_path / "broken.py"
    broken.write_text(
        "from statefun import StatefulFunctions\n"
        "functions = StatefulFunctions()\n"
        "@functions.bind('example/greeter')\n"
        "def greet(context, request):\n"
        "    raise RuntimeError('no greeting today')\n"
    )
    for spec, expect in ((str(REPO / "greeter" / "greeter.py"), 200), (str(broken), 500)):
        log = tmp_path / f"{expect}.log"
        server = GunicornServer(
            scratch=tmp_path / str(expect), log=log, functions_file=spec, workers=2
        )
        server.start()
        try:
            status, body = call(server, "Ann")
            assert status == expect
            if expect == 200:
                assert greeting(body) == "Welcome Ann"
                assert server.errors() == []
            else:
                poll("the error in gunicorn's log", server.error_count, 10)
                assert "raised an error" in server.errors()[-1]
            pid = server.pid
            assert pid is not None
        finally:
            server.stop()
        assert not pid_alive(pid)


def test_another_python_runs_gunicorn_without_this_package_or_pythonpath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statefun.flink.function_server import GunicornServer

    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    ours = GunicornServer(scratch=tmp_path, log=tmp_path / "a.log", app="greeter:app")
    theirs = GunicornServer(
        scratch=tmp_path, log=tmp_path / "b.log", app="greeter:app", python="/venv/bin/python"
    )
    assert ours.command()[0][0] == sys.executable
    assert ours.environment()["PYTHONPATH"].split(os.pathsep) == [str(REPO), "/somewhere/else"]
    assert theirs.command()[0][:3] == ["/venv/bin/python", "-m", "gunicorn"]
    assert "PYTHONPATH" not in theirs.environment()


def test_another_python_cannot_serve_a_functions_file(tmp_path: Path) -> None:
    from statefun.flink.function_server import GunicornServer

    with pytest.raises(FlinkStackError, match="pass app='module:variable'"):
        GunicornServer(
            scratch=tmp_path,
            log=tmp_path / "a.log",
            functions_file=str(REPO / "greeter" / "greeter.py"),
            python="/venv/bin/python",
        )
