"""statefun.flink.FlinkStack misused, and what it refuses before starting anything (no Java:
every case here fails before a jar is fetched or a process started)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import greeter
from statefun.errors import (
    FlinkStackError,
    FunctionFileError,
    ModuleYamlError,
    PortInUseError,
    StackNotRunningError,
    StackRunningError,
    StackTimeoutError,
)
from statefun.flink import FlinkStack, message_class
from statefun.flink.processes import (
    PidFile,
    StackRecord,
    kill_group,
    pid_alive,
    poll,
    remove_scratch,
    spawn,
)
from statefun.flink.scratch import make_scratch, write_job_conf

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "module.yaml"


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A cache of the test's own, so the pid file is too (no jars: nothing may be fetched)."""
    monkeypatch.setenv("STATEFUN_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("STATEFUN_LAB_MAVEN_URL", "http://127.0.0.1:9/never")
    return tmp_path / "cache"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[int]:
    """A recorded stack owned by this (live) process, with a live `kafka` process."""
    proc = spawn(["sleep", "60"], tmp_path / "kafka.log")
    PidFile().write(
        StackRecord(scratch=str(tmp_path), owner_pid=os.getpid(), pids={"kafka": proc.pid})
    )
    yield proc.pid
    kill_group(proc.pid, grace=1)
    proc.wait(timeout=10)


def test_a_missing_module_is_a_module_yaml_error(tmp_path: Path) -> None:
    with pytest.raises(ModuleYamlError, match="file not found"):
        FlinkStack(tmp_path / "nope.yaml", functions=greeter.functions)


def test_functions_and_app_together_are_refused() -> None:
    with pytest.raises(FlinkStackError, match=r"either functions= .* or app="):
        FlinkStack(MODULE, functions=greeter.functions, app="greeter:app")


def test_a_detached_stack_cannot_serve_from_this_process() -> None:
    with pytest.raises(FlinkStackError, match="cannot serve functions from it"):
        FlinkStack(MODULE, functions=greeter.functions, detached=True)


def test_a_detached_stack_serves_a_functions_file_with_gunicorn() -> None:
    stack = FlinkStack(MODULE, functions=str(REPO / "greeter" / "greeter.py"), detached=True)
    assert stack.detached and stack.functions is None  # nothing served from this process
    assert not stack.running


def test_a_missing_functions_file_is_a_function_file_error(tmp_path: Path) -> None:
    with pytest.raises(FunctionFileError, match="no such Python file"):
        FlinkStack(MODULE, functions=str(tmp_path / "nope.py"))


def test_a_second_up_while_one_runs_says_how_to_stop_it(running: int, cache: Path) -> None:
    stack = FlinkStack(MODULE, functions=greeter.functions, say=None)
    with pytest.raises(StackRunningError, match="statefun-lab flink down") as caught:
        stack.up()
    assert caught.value.pids == {"kafka": running}
    assert "started by this Python process" in str(caught.value)
    assert "FlinkStack.current().down() stops it" in str(caught.value)
    assert not stack.running
    assert FlinkStack.current() is None
    assert not (cache / "jars").exists()  # refused before any download


def test_a_fixed_port_in_use_is_refused_before_anything_starts(cache: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        stack = FlinkStack(MODULE, functions=greeter.functions, kafka_port=port, say=None)
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1, asked for Kafka"):
            stack.up()
    assert not (cache / "flink" / "stack.json").exists()


def test_a_stack_that_is_down_says_so() -> None:
    stack = FlinkStack(MODULE, functions=greeter.functions)
    assert repr(stack).endswith("(down)>")
    for use in (
        lambda: stack.bootstrap,
        lambda: stack.status(),
        lambda: stack.send("Ann"),
        lambda: stack.kill_task(),
        lambda: stack.logs("kafka"),
    ):
        with pytest.raises(StackNotRunningError, match=r"stack\.up\(\)"):
            use()
    stack.down()  # harmless


def test_message_class_needs_the_module_imported() -> None:
    import messages_pb2  # noqa: F401  (registers example.*)

    assert message_class("com.googleapis/example.GreetRequest").DESCRIPTOR.full_name == (
        "example.GreetRequest"
    )
    with pytest.raises(FlinkStackError, match=r"nope\.Missing is not loaded: import"):
        message_class("nope.Missing")


def test_an_exiting_owner_leaves_nothing_behind(tmp_path: Path) -> None:
    """The pid file's other half: a Python process that made a record and spawned a child
    with die_with_parent is killed; the child dies with it and the next claim cleans up."""
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from statefun.flink.processes import PidFile, StackRecord, spawn\n"
        f"p = spawn(['sleep', '60'], Path({str(tmp_path / 'c.log')!r}), die_with_parent=True)\n"
        f"record = StackRecord(scratch='/x', owner_pid=os.getpid(), pids={{'kafka': p.pid}})\n"
        f"PidFile(Path({str(tmp_path / 'stack.json')!r})).write(record)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert owner.stdout is not None
    child = int(owner.stdout.readline())
    owner.kill()  # a kernel killed: no atexit
    owner.wait(timeout=10)
    try:
        poll("the child to die with its owner", lambda: not pid_alive(child), 30)
    except StackTimeoutError:
        status = Path(f"/proc/{child}/status").read_text()
        raise AssertionError(f"the child outlived its owner:\n{status}") from None
    pid_file = PidFile(tmp_path / "stack.json")
    pid_file.claim(print)
    assert not pid_file.path.exists()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_a_parallelism_below_one_or_not_whole_is_refused(bad: object) -> None:
    with pytest.raises(FlinkStackError, match="parallelism must be a whole number"):
        FlinkStack(MODULE, app="greeter:app", parallelism=bad)  # type: ignore[arg-type]


def test_another_python_serves_an_app_only() -> None:
    with pytest.raises(FlinkStackError, match=r"another interpreter.*pass app="):
        FlinkStack(MODULE, functions=str(REPO / "greeter" / "greeter.py"), python="/x/python")


def test_the_parallelism_reaches_flink_conf() -> None:
    import yaml

    stack = FlinkStack(MODULE, app="greeter:app", parallelism=3, checkpoint_interval="250ms")
    # The configuration step alone, with the settings of a stack that started nothing.
    scratch = make_scratch()
    try:
        write_job_conf(
            scratch,
            stack.module_path,
            function_host_port="127.0.0.1:3",
            bootstrap="127.0.0.1:2",
            rest_port=1,
            checkpoint_interval=stack.checkpoint_interval,
            parallelism=stack.parallelism,
        )
        conf = yaml.safe_load((scratch / "conf" / "flink-conf.yaml").read_text())
        module = (scratch / "module" / "module.yaml").read_text()
    finally:
        remove_scratch(str(scratch))
    assert not scratch.exists()
    assert conf["parallelism.default"] == 3
    assert conf["execution.checkpointing.interval"] == "250ms"
    assert conf["rest.port"] == 1
    assert "http://127.0.0.1:3/" in module
    assert "address: 127.0.0.1:2" in module
