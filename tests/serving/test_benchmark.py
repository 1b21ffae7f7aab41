"""benchmarks/serving.py measures what it says: the image's own command, the runtime's request,
answers told apart from errors, and a messages_pb2 for upstream that describes the same messages."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from golden import GOLDEN_REQUEST

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_serving", ROOT / "benchmarks/serving.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_request_is_the_runtimes_first_jerry(bench: ModuleType) -> None:
    assert bench.greeter_request() == GOLDEN_REQUEST


def test_the_image_server_runs_the_dockerfiles_command(bench: ModuleType, tmp_path: Path) -> None:
    text = re.sub(r"\\\n", " ", (ROOT / "greeter" / "Dockerfile").read_text())
    (*_, cmd) = [line for line in text.splitlines() if line.startswith("CMD ")]
    assert bench.image_command() == json.loads(cmd.removeprefix("CMD "))
    image = next(s for s in bench.servers(tmp_path, None) if s.name == "image")
    assert image.argv[2:] == bench.loopback(json.loads(cmd.removeprefix("CMD ")))
    assert "127.0.0.1:0" in image.argv and "0.0.0.0:8000" not in image.argv


def test_the_upstream_messages_module_describes_the_same_messages(bench: ModuleType) -> None:
    from google.protobuf import descriptor_pb2
    from messages_pb2 import DESCRIPTOR

    text = bench.PB2_FOR_PROTOBUF_3_20.format(serialized=DESCRIPTOR.serialized_pb)
    (literal,) = re.findall(r"AddSerializedFile\((b'.*'|b\".*\")\)", text)
    described = descriptor_pb2.FileDescriptorProto.FromString(eval(literal))
    assert [m.name for m in described.message_type] == [
        "GreetRequest",
        "GreetResponse",
        "SeenCount",
        "Reset",  # notebook 08's, in the walkthrough's proto
    ]
    assert described.package == "example"
    compile(text, "messages_pb2.py", "exec")


def test_load_counts_answers_and_errors_apart(bench: ModuleType) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    import greeter
    from statefun.serving import aiohttp_app

    async def failing(_: web.Request) -> web.Response:
        return web.Response(status=500, text="no")

    async def measure(app: web.Application) -> Any:
        async with TestServer(app) as server:
            return await bench.load(
                str(server.make_url("/statefun")),
                concurrency=2,
                seconds=0.3,
                timeout=5,
                max_requests=50,
            )

    good = asyncio.run(measure(aiohttp_app(greeter.functions)))
    assert 0 < len(good.latencies) <= 50 and not good.errors
    bad_app = web.Application()
    bad_app.router.add_post("/statefun", failing)
    bad = asyncio.run(measure(bad_app))
    assert not bad.latencies and 0 < bad.errors["HTTP 500"] <= 50
    assert bench.summary([bad]).endswith(
        f"{bad.errors['HTTP 500']} HTTP 500 of {bad.errors.total()}"
    )
