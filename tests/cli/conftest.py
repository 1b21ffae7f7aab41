"""Fixtures for the ``statefun-lab`` command line: run it in-process, write small projects."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from statefun.cli import main

ROOT = Path(__file__).resolve().parents[2]
MODULE_YAML = ROOT / "module.yaml"
GREETER_PY = ROOT / "greeter" / "greeter.py"


@dataclass(frozen=True)
class Result:
    """What one ``statefun-lab`` call did."""

    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture(autouse=True)
def _restore_sys_path() -> Iterator[None]:
    """The CLI puts each functions file's directory on sys.path; tests leave it as it was."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``cli("run", ...)``: call ``statefun.cli.main`` in this process and capture its output."""

    def call(*argv: str | Path) -> Result:
        capsys.readouterr()
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return call


def module_yaml(*function_types: str, states: tuple[str, ...] = ("seen_count",)) -> str:
    """A module.yaml with these function types; topic `names` (GreetRequest) feeds the first."""
    functions = "".join(
        f"""
      - function:
          meta:
            kind: http
            type: {typename}
          spec:
            endpoint: http://localhost:8000/statefun
            states: [{", ".join(states)}]
"""
        for typename in function_types
    )
    return f"""\
version: "1.0"
module:
  meta:
    type: remote
  spec:
    functions:{functions}
    ingresses:
      - ingress:
          meta:
            type: statefun.kafka.io/routable-protobuf-ingress
            id: lab/names
          spec:
            address: kafka-broker:9092
            consumerGroupId: lab
            topics:
              - topic: names
                typeUrl: com.googleapis/example.GreetRequest
                targets: [{function_types[0]}]
    egresses:
      - egress:
          meta:
            type: statefun.kafka.io/generic-egress
            id: lab/out
          spec:
            address: kafka-broker:9092
"""


@dataclass(frozen=True)
class Project:
    """A module.yaml and a functions file in a temporary directory."""

    module: Path
    functions: Path


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Project]:
    """``project(functions_source, "lab/type", ...)``: write module.yaml and the .py file.

    The functions file gets a name unique to the test (the CLI imports it as a module), and
    greeter/messages_pb2.py is copied beside it: the files reuse the walkthrough's protobuf
    types, since the default descriptor pool is process-wide.
    """

    def write(source: str, *function_types: str, name: str | None = None) -> Project:
        module = tmp_path / "module.yaml"
        module.write_text(module_yaml(*function_types), encoding="utf-8")
        functions = tmp_path / (name or f"fns_{tmp_path.name.replace('-', '_')}.py")
        functions.write_text(textwrap.dedent(source), encoding="utf-8")
        shutil.copy(ROOT / "greeter" / "messages_pb2.py", tmp_path / "messages_pb2.py")
        return Project(module, functions)

    return write


ECHO = """\
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

from statefun import StatefulFunctions, kafka_egress_record

functions = StatefulFunctions()


@functions.bind("lab/echo")
def echo(context, message: GreetRequest):
    context.pack_and_send_egress("lab/out", kafka_egress_record("out", VALUE, key=message.name))
"""


@pytest.fixture
def echo_project(project: Callable[..., Project]) -> Callable[..., Project]:
    """``echo_project(value, *more_types)``: function lab/echo sends ``value`` to egress lab/out.

    ``value`` is a Python expression over ``message`` (a GreetRequest); ``more_types`` are more
    function types declared in module.yaml (bound to nothing).
    """

    def write(value: str, *more_types: str) -> Project:
        return project(ECHO.replace("VALUE", value), "lab/echo", *more_types)

    return write
