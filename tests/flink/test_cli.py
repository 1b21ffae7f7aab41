"""``statefun-lab flink``: usage errors and the commands that need no running engine."""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_stack import FakeStack

from statefun.cli import main as statefun_lab
from statefun.cli.sources import NAMES
from statefun.flink import cli
from statefun.flink.processes import PidFile, StackRecord, kill_group, spawn

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("STATEFUN_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("STATEFUN_LAB_MAVEN_URL", "http://127.0.0.1:9/never")
    return tmp_path / "cache"


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A detached stack on record: one live process and its log in a scratch directory."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / ".statefun-lab-stack").write_text("")
    (scratch / "kafka.log").write_text("".join(f"kafka line {i}\n" for i in range(50)))
    proc = spawn(["sleep", "60"], tmp_path / "sleep.log")
    PidFile().write(
        StackRecord(
            scratch=str(scratch),
            owner_pid=os.getpid(),
            detached=True,
            pids={"kafka": proc.pid},
            ports={"kafka": 1, "rest": 9},  # port 9: nothing answers
        )
    )
    yield proc
    kill_group(proc.pid, grace=1)
    proc.wait(timeout=10)


def test_add_parser_registers_flink_with_a_handler(
    recorded: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["flink", "logs", "kafka", "-n", "3"])
    assert (args.component, args.lines) == ("kafka", 3)
    assert args.handler(args) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [f"kafka line {i}" for i in (47, 48, 49)]


def test_flink_alone_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert statefun_lab(["flink"]) == 2
    assert "statefun-lab flink run module.yaml greeter/greeter.py" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["flink", "logs", "zookeeper"],
        ["flink", "run", "module.yaml"],
        ["flink", "run", "module.yaml", "g.py", "--names", "A", "--count", "3"],
        ["flink", "up", "a", "b", "c"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert statefun_lab(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_run_with_a_missing_functions_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["flink", "run", str(REPO / "module.yaml"), "nope.py", "--names", "A"]) == 2
    assert "nope.py: file not found" in capsys.readouterr().err


def test_up_with_a_missing_module_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["flink", "up", "nope.yaml"]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err


def test_up_while_one_runs_says_how_to_stop_it(
    recorded: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    module, functions = REPO / "module.yaml", REPO / "greeter" / "greeter.py"
    assert cli.main(["flink", "up", str(module), str(functions)]) == 1
    err = capsys.readouterr().err
    assert "a Flink stack is already running" in err
    assert "Stop it with `statefun-lab flink down`" in err


def test_status_logs_down_without_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["flink", "status"]) == 1
    assert cli.main(["flink", "logs", "kafka"]) == 1
    assert cli.main(["flink", "down"]) == 0
    out = capsys.readouterr().out
    assert out.count("no Flink stack is running") == 3


def test_status_logs_and_down_of_a_recorded_stack(
    recorded: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["flink", "status"]) == 0
    out = capsys.readouterr().out
    assert "job: not answering" in out
    assert f"kafka      pid {recorded.pid}" in out and "running" in out
    assert cli.main(["flink", "logs", "kafka", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1:] == ["kafka line 48", "kafka line 49"]
    scratch = Path(PidFile().read().scratch)  # type: ignore[union-attr]
    assert cli.main(["flink", "down"]) == 0
    assert capsys.readouterr().out == f"stopped kafka (pid {recorded.pid})\n"
    recorded.wait(timeout=10)
    assert not scratch.exists()
    assert PidFile().read() is None


class RunStack(FakeStack):
    """The fake stack (tests/support/fake_stack.py) as ``flink run`` makes a ``FlinkStack``:
    from a module and the functions, used as a context manager."""

    def __init__(self, module: str, functions: object = None) -> None:
        super().__init__()
        self.module, self.functions, self.stopped = module, functions, False
        made.append(self)

    def __enter__(self) -> RunStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped = True


made: list[RunStack] = []


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., list[str]]:
    """``statefun-lab flink run module.yaml greeter/greeter.py ARGV`` on a fake stack: the
    lines it printed (it must succeed)."""
    import statefun.flink.stack

    monkeypatch.setattr(statefun.flink.stack, "FlinkStack", RunStack)
    made.clear()

    def run(*argv: str) -> list[str]:
        module, functions = str(REPO / "module.yaml"), str(REPO / "greeter" / "greeter.py")
        assert cli.main(["flink", "run", module, functions, *argv]) == 0
        return capsys.readouterr().out.splitlines()

    return run


def test_run_sends_the_names_and_prints_each_greeting(run: Callable[..., list[str]]) -> None:
    assert run("--names", "Ann", "Bob,Ann") == [
        "Ann:\tWelcome Ann",
        "Bob:\tWelcome Bob",
        "Ann:\tNice to see you again Ann",
    ]
    (stack,) = made
    assert stack.module == str(REPO / "module.yaml")
    assert stack.functions is not None and stack.stopped


def test_random_names_follow_the_seed(run: Callable[..., list[str]]) -> None:
    def names(*argv: str) -> list[str]:
        return [line.split(":\t")[0] for line in run(*argv)]

    assert names("--count", "5", "--seed", "7") == names("--count", "5", "--seed", "7")
    assert len(names("--count", "5")) == 5
    assert len(names()) == 10
    assert set(names("--count", "50", "--seed", "1")) == set(NAMES)
    assert names("--count", "0") == []
