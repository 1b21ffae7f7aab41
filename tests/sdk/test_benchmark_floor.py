"""The handler benchmark compares like with like: its floors build the handler's very response."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from statefun.request_reply_pb2 import FromFunction

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_handler", ROOT / "benchmarks/handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("batch", [1, 3, 7])
@pytest.mark.parametrize("seen", [None, 0, 3])
def test_floors_build_the_handler_response_byte_for_byte(
    bench: ModuleType, batch: int, seen: int | None
) -> None:
    request = bench.make_request(batch, seen)
    ours = bench.greeter.handler(request)
    assert bench.floor(request) == ours
    assert bench.textbook(request) == ours
    assert bench.strict(request) == ours
    assert len(FromFunction.FromString(ours).invocation_result.outgoing_egresses) == batch
