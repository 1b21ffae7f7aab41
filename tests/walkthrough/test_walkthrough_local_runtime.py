"""The walkthrough's module files on the local runtime, in-process and over real HTTP."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from messages_pb2 import GreetRequest, GreetResponse

import greeter
from statefun.local import LocalRuntime, load_module

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["Jerry", "George", "Jerry", "Elaine", "Jerry", "Kramer", "Jerry", "George"]


def run(rt: LocalRuntime) -> tuple[list[tuple[str | None, str]], dict[str, object]]:
    rt.ingest_many("names", [(n, GreetRequest(name=n)) for n in NAMES[:4]])
    for name in NAMES[4:]:
        rt.ingest("names", key=name, value=GreetRequest(name=name))
    greetings = [(r.key, r.value.greeting) for r in rt.egress("example/greets", GreetResponse)]  # type: ignore[attr-defined]
    states = {n: dict(rt.state("example/greeter", n)) for n in sorted(set(NAMES))}
    return greetings, states


def wait_until_serving(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.post(url, data=b"", timeout=5)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # poll interval while gunicorn boots, not a synchronisation


def test_both_module_files_load() -> None:
    v1, v2 = load_module(ROOT / "module.yaml"), load_module(ROOT / "module-2.0.yaml")
    assert (v1.version, v2.version) == ("1.0", "2.0")
    assert v1.functions["example/greeter"].state_names == ("seen_count",)
    (state,) = v2.functions["example/greeter"].states
    assert (state.expire_after, state.expire_mode) == (timedelta(seconds=60), "after-invoke")


@pytest.mark.gunicorn
def test_http_transport_to_gunicorn_gives_the_same_greetings_and_state(gunicorn_url: str) -> None:
    wait_until_serving(gunicorn_url)
    in_process = run(LocalRuntime.from_module(ROOT / "module.yaml", greeter.functions))
    over_http = LocalRuntime.from_module(
        ROOT / "module.yaml", endpoints={"example/greeter": gunicorn_url}
    )
    assert run(over_http) == in_process
    # the first four arrive together: Jerry's second request waits for its first to complete
    assert in_process[0][:4] == [
        ("Jerry", "Welcome Jerry"),
        ("George", "Welcome George"),
        ("Elaine", "Welcome Elaine"),
        ("Jerry", "Nice to see you again Jerry"),
    ]
    assert "HTTP http://127.0.0.1:" in over_http.trace.table()


@pytest.mark.gunicorn
def test_the_ttl_module_over_http_forgets_after_60_seconds(gunicorn_url: str) -> None:
    wait_until_serving(gunicorn_url)
    rt = LocalRuntime.from_module(
        ROOT / "module-2.0.yaml", endpoints={"example/greeter": gunicorn_url}
    )
    for step in (timedelta(0), timedelta(seconds=59), timedelta(seconds=61)):
        rt.advance(step)
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
    greetings = [r.value.greeting for r in rt.egress("example/greets", GreetResponse)]  # type: ignore[attr-defined]
    assert greetings == ["Welcome Jerry", "Nice to see you again Jerry", "Welcome Jerry"]


def test_http_transport_to_nothing_fails_clearly_after_retries() -> None:
    import socket

    from statefun.errors import RuntimeFailure

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    rt = LocalRuntime.from_module(
        ROOT / "module.yaml", endpoints={"example/greeter": f"http://127.0.0.1:{port}/statefun"}
    )
    with pytest.raises(
        RuntimeFailure, match=r"Maximal request time has elapsed .*ConnectionRefused"
    ):
        rt.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
