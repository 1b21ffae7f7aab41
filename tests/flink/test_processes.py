"""statefun.flink.processes: process groups, the pid file and its stale-owner cleanup, polling,
ports; with real child processes (``sleep``), no Java."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from statefun.errors import PortInUseError, StackRunningError, StackTimeoutError
from statefun.flink.processes import (
    PidFile,
    StackRecord,
    check_port,
    free_port,
    kill_group,
    log_tail,
    pid_alive,
    poll,
    spawn,
    stack_file,
)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; whatever is left is killed after it."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            kill_group(proc.pid, grace=1)
        proc.wait(timeout=10)


def sleeper(procs: list[subprocess.Popen[bytes]], log: Path, script: str = "sleep 60") -> int:
    proc = spawn(["sh", "-c", script], log)
    procs.append(proc)
    return proc.pid


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def scratch_dir(tmp_path: Path, name: str = "scratch") -> Path:
    path = tmp_path / name
    path.mkdir()
    (path / ".statefun-lab-stack").write_text("")
    return path


def test_stack_file_lives_in_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATEFUN_LAB_CACHE", str(tmp_path))
    assert stack_file() == tmp_path / "flink" / "stack.json"


def test_spawn_makes_a_group_and_kill_group_reaches_its_children(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    log = tmp_path / "x.log"
    pid = sleeper(procs, log, "sleep 60 & echo child $!; wait")
    assert os.getpgid(pid) == pid  # a session leader: its own group
    child = int(poll("the child's pid", lambda: log.read_text().split()[-1], 10))
    assert pid_alive(child)
    assert kill_group(pid, grace=2) is True
    procs[0].wait(timeout=10)
    poll("the child to die", lambda: not pid_alive(child), 10)
    assert kill_group(pid) is False  # nothing left


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) only")
def test_spawn_with_die_with_parent_returns_once_the_program_runs(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    """Its parent-death signal is armed only when setpriv has exec'd the program; Popen can
    return while the child still shows this process's name (an owner killed then left the
    program running: 9 in 200 on a busy machine). Many spawns make that window show."""
    for _ in range(40):
        proc = spawn(["sleep", "60"], tmp_path / "s.log", die_with_parent=True)
        procs.append(proc)
        assert Path(f"/proc/{proc.pid}/cmdline").read_bytes() == b"sleep\x0060\x00"
        kill_group(proc.pid, grace=1)
        proc.wait(timeout=10)


def test_a_zombie_is_not_alive() -> None:
    proc = subprocess.Popen(["true"])
    poll(
        "the child to exit",
        lambda: Path(f"/proc/{proc.pid}/stat").read_text().split()[2] == "Z",
        10,
    )
    assert not pid_alive(proc.pid)
    proc.wait()


def test_pid_file_round_trip_and_garbage(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "flink" / "stack.json")
    assert pid_file.read() is None
    record = StackRecord(scratch="/s", owner_pid=os.getpid(), pids={"kafka": 1}, ports={"kafka": 2})
    pid_file.write(record)
    assert pid_file.read() == record
    pid_file.path.write_text("{not json")
    assert pid_file.read() is None
    pid_file.path.write_text('{"unexpected": 1}')
    assert pid_file.read() is None


def test_claim_removes_a_record_whose_processes_are_gone(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    scratch = scratch_dir(tmp_path)
    pid_file.write(StackRecord(scratch=str(scratch), owner_pid=dead_pid(), pids={"k": dead_pid()}))
    said: list[str] = []
    pid_file.claim(said.append)
    assert not pid_file.path.exists()
    assert not scratch.exists()
    assert said == []


def test_claim_refuses_while_the_owner_lives(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    kafka = sleeper(procs, tmp_path / "k.log")
    owner = sleeper(procs, tmp_path / "o.log")  # another live Python process, say a kernel
    scratch = scratch_dir(tmp_path)
    pid_file.write(StackRecord(scratch=str(scratch), owner_pid=owner, pids={"kafka": kafka}))
    with pytest.raises(StackRunningError, match="statefun-lab flink down") as caught:
        pid_file.claim(print)
    assert caught.value.pids == {"kafka": kafka}
    assert f"owned by the Python process {owner}" in str(caught.value)
    assert pid_alive(kafka) and scratch.exists() and pid_file.path.exists()


def test_reserve_records_this_process_and_a_second_starter_is_refused(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    """Two kernels starting a stack at once: the second is told, not both started."""
    pid_file = PidFile(tmp_path / "stack.json")
    pid_file.reserve(print)
    record = pid_file.read()
    assert record is not None and record.owner_pid == os.getpid() and record.pids == {}
    pid_file.reserve(print)  # this process again (a failed start retried): allowed
    other = sleeper(procs, tmp_path / "o.log")  # another live process reserved it
    pid_file.write(StackRecord(scratch="", owner_pid=other))
    with pytest.raises(StackRunningError, match=f"being started by the Python process {other}"):
        pid_file.reserve(print)
    procs[-1].kill()
    procs[-1].wait()
    pid_file.reserve(print)  # its owner is gone: the reservation is taken over
    assert pid_file.read().owner_pid == os.getpid()  # type: ignore[union-attr]
    pid_file.clear(scratch="")  # given up (a start that failed before recording its stack)
    assert not pid_file.path.exists()


def test_claim_refuses_a_detached_stack_whatever_its_owner(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    kafka = sleeper(procs, tmp_path / "k.log")
    pid_file.write(
        StackRecord(
            scratch=str(tmp_path), owner_pid=dead_pid(), detached=True, pids={"kafka": kafka}
        )
    )
    with pytest.raises(StackRunningError, match="started by `statefun-lab flink up`"):
        pid_file.claim(print)
    assert pid_alive(kafka)


def test_claim_kills_what_a_killed_owner_left_and_says_so(
    tmp_path: Path, procs: list[subprocess.Popen[bytes]]
) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    kafka = sleeper(procs, tmp_path / "k.log")
    statefun = sleeper(procs, tmp_path / "s.log")
    scratch = scratch_dir(tmp_path)
    pid_file.write(
        StackRecord(
            scratch=str(scratch),
            owner_pid=dead_pid(),
            pids={"kafka": kafka, "statefun": statefun},
        )
    )
    said: list[str] = []
    pid_file.claim(said.append)
    for proc in procs:
        proc.wait(timeout=10)
    assert not pid_alive(kafka) and not pid_alive(statefun)
    assert sorted(said) == sorted(
        [
            f"stopped kafka (pid {kafka}), left running by a Python process that is gone",
            f"stopped statefun (pid {statefun}), left running by a Python process that is gone",
        ]
    )
    assert not scratch.exists() and not pid_file.path.exists()


def test_a_scratch_dir_without_the_marker_is_never_removed(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    precious = tmp_path / "precious"
    precious.mkdir()
    pid_file.write(StackRecord(scratch=str(precious), owner_pid=dead_pid()))
    pid_file.claim(print)
    assert precious.exists()


def test_stop_stops_whoever_owns_it(tmp_path: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    assert pid_file.stop(print) is False
    kafka = sleeper(procs, tmp_path / "k.log")
    pid_file.write(
        StackRecord(scratch=str(tmp_path / "gone"), owner_pid=os.getpid(), pids={"kafka": kafka})
    )
    said: list[str] = []
    assert pid_file.stop(said.append) is True
    procs[0].wait(timeout=10)
    assert said == [f"stopped kafka (pid {kafka})"]
    assert not pid_file.path.exists()


def test_clear_only_removes_its_own_record(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "stack.json")
    pid_file.write(StackRecord(scratch="/mine", owner_pid=1))
    pid_file.clear("/other")
    assert pid_file.read() is not None
    pid_file.clear("/mine")
    assert pid_file.read() is None


def test_poll_returns_the_first_truthy_value() -> None:
    calls = iter([None, 0, ValueError("starting"), "ready"])

    def check() -> object:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert poll("x", check, 10, interval=0) == "ready"


def test_poll_times_out_with_the_log_tail_and_path(tmp_path: Path) -> None:
    log = tmp_path / "kafka.log"
    log.write_text("\n".join(f"line {i}" for i in range(100)))
    with pytest.raises(StackTimeoutError) as caught:
        poll("the Kafka broker", lambda: False, 0.2, interval=0.05, log=log)
    text = str(caught.value)
    assert "timed out after 0s waiting for the Kafka broker" in text
    assert "--- last 40 lines of" in text
    assert "\nline 60\n" in text and "line 99" in text and "\nline 59\n" not in text
    assert caught.value.log_path == str(log)


def test_poll_fails_fast_when_the_process_died(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(StackTimeoutError, match="kafka exited with code 1"):
        poll(
            "Kafka",
            lambda: False,
            60,
            alive=lambda: "kafka exited with code 1",
            log=tmp_path / "none",
        )
    assert time.monotonic() - started < 5


def test_log_tail_of_a_missing_log(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "nope.log") == f"(no log at {tmp_path / 'nope.log'})"


def test_ports() -> None:
    port = free_port()
    assert check_port(port, "Kafka") == port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        with pytest.raises(
            PortInUseError, match=f"port {taken} on 127.0.0.1, asked for Kafka"
        ) as caught:
            check_port(taken, "Kafka")
    assert (caught.value.port, caught.value.component) == (taken, "Kafka")
