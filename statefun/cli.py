"""The ``statefun-lab`` command line: run a module's functions on the local runtime, or check them.

    statefun-lab run module.yaml greeter/greeter.py --count 12 --seed 7
    statefun-lab check module.yaml greeter/greeter.py

Exit status: 0 done, 1 a function failed (``run``) or problems found (``check``), 2 the input
cannot be used (options, module.yaml, the Python file, a JSON line on stdin).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import NoReturn, Protocol

from google.protobuf import json_format, text_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

import statefun
from statefun._loader import FunctionFileError, LoadedFile, load_function_file
from statefun.errors import ModuleYamlError, ModuleYamlWarning, RuntimeFailure, UnknownFunctionError
from statefun.local.check import check_module
from statefun.local.module_yaml import IngressSpec, ModuleSpec, RoutingSpec, load_module
from statefun.local.runtime import DEFAULT_MAX_HOPS, LocalRuntime
from statefun.local.trace import DEFAULT_LIMIT as DEFAULT_TRACE_LIMIT
from statefun.local.trace import (
    DelayFired,
    DelayScheduled,
    Egressed,
    Event,
    Ingressed,
    RequestSent,
    Trace,
)
from statefun.local.values import message_class
from statefun.project import doctor as project_doctor
from statefun.project import scaffold as project_scaffold

__all__ = [
    "build_parser",
    "main",
]

#: The walkthrough event generator's names (generator/event-generator.py).
NAMES: tuple[str, ...] = ("Jerry", "George", "Elaine", "Kramer", "Newman", "Frank")
DEFAULT_COUNT = 10
DEFAULT_RATE = 1.0
PROGRESS_MIN = 200  # shorter runs are over before a progress bar is worth drawing

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# The virtual clock starts in 2020 (statefun.local.clock.EPOCH) and Python's dates end in the
# year 9999. A run covers at most 1000 years of it, which leaves room for the delayed messages
# and state TTLs set near its end.
MAX_SPAN = timedelta(days=365_250)
_MAX_SECONDS = MAX_SPAN.total_seconds()
_YEAR_SECONDS = _MAX_SECONDS / 1000
MIN_RATE = 1 / _MAX_SECONDS  # one record per 1000 years
_WHY_SPAN = "the virtual clock starts in 2020 and Python's dates end in the year 9999"
#: Records queued at once with --rate 0 (all of them are in memory before the first one runs).
MAX_BURST = 1_000_000

_PROG = "statefun-lab"
_STATEFUN_DIR = Path(statefun.__file__).resolve().parent


_STRICT_HELP = (
    "make a key of module.yaml that the runtime ignores (most often a typo, e.g. `Egresses:`) "
    "an error instead of a warning"
)


class _UsageError(Exception):
    """The input cannot be used: exit 2 with this message, no traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a two-line usage error instead of the whole usage block before it."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {message}\nRun `{self.prog} --help` for the options.\n",
        )


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``statefun-lab`` argument parser, with its ``run`` and ``check`` commands."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=_PROG,
        description=(
            "StateFun Lab: learn and prototype Apache Flink Stateful Functions 2.x in Python.\n"
            "Run the functions of a module.yaml on a local runtime that behaves like Flink's\n"
            "(one request at a time per address, batching, delayed messages, state TTL), with\n"
            "no Flink, no Kafka and no Docker."
        ),
        epilog=(
            "examples:\n"
            "  statefun-lab run module.yaml greeter/greeter.py\n"
            "  statefun-lab check module.yaml greeter/greeter.py\n"
            "\n"
            "Run `statefun-lab run --help` for the options of a command."
        ),
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {statefun.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run a module's functions locally and print what they send to the egress",
        description=(
            "Run the functions of MODULE_YAML, written in FUNCTIONS_PY, on the local runtime:\n"
            "Flink StateFun 2.x semantics inside this Python process, on a virtual clock.\n"
            "\n"
            "Records go to the ingress from a built-in generator of names (like the\n"
            "walkthrough's event generator) or from JSON lines on stdin. Each record that a\n"
            "function sends to an egress is printed as the event generator prints greetings:\n"
            "\n"
            "  <key>:<TAB><greeting>\n"
            "\n"
            "(or the whole message, when it has no `greeting` field). A summary line follows\n"
            "on stderr: records in, egress records out, requests, the largest batch, and the\n"
            "virtual time the run covered."
        ),
        epilog=(
            "examples:\n"
            "  statefun-lab run module.yaml greeter/greeter.py --count 12 --seed 7\n"
            "  statefun-lab run module.yaml greeter/greeter.py --names Jerry,Jerry,George --trace\n"
            "  statefun-lab run module.yaml greeter/greeter.py --count 100000 --rate 0 --quiet\n"
            '  echo \'{"key": "Jerry", "value": {"name": "Jerry"}}\' |\n'
            "      statefun-lab run module.yaml greeter/greeter.py --stdin\n"
            "  statefun-lab run module.yaml greeter/greeter.py --http \\\n"
            "      --endpoint example/greeter=http://localhost:8000/statefun\n"
            "\n"
            "exit status: 0 done, 1 a function failed, 2 unusable input (options, module.yaml,\n"
            "the Python file, a line on stdin)."
        ),
        formatter_class=formatter,
    )
    run.add_argument("module", metavar="MODULE_YAML", help="the module.yaml to run")
    run.add_argument(
        "functions",
        metavar="FUNCTIONS_PY",
        nargs="?",
        help="the Python file that binds the functions, e.g. greeter/greeter.py (its directory "
        "goes on the import path, so `import messages_pb2` next to it works); "
        "FILE.py:VARIABLE picks one StatefulFunctions if the file has several. Optional with "
        "--http, where it is only read for its message types",
    )
    run.add_argument("--strict", action="store_true", help=_STRICT_HELP)
    source = run.add_argument_group("what goes in (default: random walkthrough names)")
    source.add_argument(
        "--count",
        type=_non_negative_int,
        metavar="N",
        help=f"how many names to send (default {DEFAULT_COUNT}; with --names: the list once)",
    )
    source.add_argument(
        "--names",
        type=_name_list,
        metavar="A,B,C",
        help="send these names, in this order, instead of random ones (e.g. Jerry,Jerry,George)",
    )
    source.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="seed for the random names: the same seed gives the same output (default: random)",
    )
    source.add_argument(
        "--stdin",
        action="store_true",
        help='read the records from stdin instead, one JSON object a line: {"key": "Jerry", '
        '"value": {"name": "Jerry"}}. "value" is the ingress message (the typeUrl of the '
        'topic) as JSON; add "topic": "names" when module.yaml reads several topics',
    )
    source.add_argument(
        "--rate",
        type=_rate,
        metavar="R",
        help=f"records per second of virtual time (default {DEFAULT_RATE:g}, like the "
        "walkthrough's generator). The virtual clock moves 1/R seconds between records, so "
        "delayed messages and state TTLs behave as in real time, without the waiting. 0 sends "
        "every record at the same instant: they queue up and the runtime batches them",
    )
    source.add_argument(
        "--ingress",
        metavar="ID_OR_TOPIC",
        help="the ingress id or topic to feed (default: the only topic module.yaml reads)",
    )
    source.add_argument(
        "--wait",
        type=_wait,
        metavar="SECONDS",
        default=0.0,
        help="after the last record, let this much more virtual time pass, so later delayed "
        "messages fire and TTLs expire (default 0)",
    )
    out = run.add_argument_group("what comes out")
    out.add_argument(
        "--egress-type",
        action="append",
        metavar="[EGRESS_ID=]MESSAGE_TYPE",
        help="decode egress record values as this message type, e.g. example.GreetResponse "
        "(repeat with EGRESS_ID= for several egresses). Default: the one message type of the "
        "Python file that reads the bytes exactly; else they are printed in hex",
    )
    out.add_argument(
        "--trace",
        action="store_true",
        help="print the runtime's trace at the end: every request, message, state change and "
        "egress record, on the virtual clock",
    )
    out.add_argument(
        "-q", "--quiet", action="store_true", help="print only the summary, not each record"
    )
    out.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is only drawn on a terminal, for runs of "
        f"{PROGRESS_MIN} records or more)",
    )
    guards = run.add_argument_group("guards")
    guards.add_argument(
        "--max-hops",
        type=_positive_int,
        default=DEFAULT_MAX_HOPS,
        metavar="N",
        help="stop with an error naming the cycle when a chain of messages between functions "
        "grows past N with no new input and no virtual time passing: a function that keeps "
        f"sending to itself (default {DEFAULT_MAX_HOPS:,})",
    )
    guards.add_argument(
        "--trace-limit",
        type=_non_negative_int,
        default=DEFAULT_TRACE_LIMIT,
        metavar="N",
        help=f"with --trace, keep the last N events (default {DEFAULT_TRACE_LIMIT:,}; 0 keeps all)",
    )
    http = run.add_argument_group("calling functions over HTTP")
    http.add_argument(
        "--http",
        action="store_true",
        help="call the functions at the endpoints of module.yaml over HTTP (e.g. the "
        "walkthrough's gunicorn greeter) instead of in this process",
    )
    http.add_argument(
        "--endpoint",
        action="append",
        type=_endpoint,
        metavar="TYPE=URL",
        help="call function type TYPE over HTTP at URL (instead of in this process, or, with "
        "--http, instead of its module.yaml endpoint), e.g. "
        "example/greeter=http://localhost:8000/statefun (repeatable)",
    )
    run.set_defaults(handler=_run)

    check = commands.add_parser(
        "check",
        help="check that module.yaml and your Python functions fit together",
        description=(
            "Check MODULE_YAML against the functions bound in FUNCTIONS_PY, before anything\n"
            "runs: a function type declared but not bound (or bound but not declared), an\n"
            "ingress typeUrl naming a message type that is not loaded, a target or router\n"
            "that points nowhere. These would otherwise only fail the job on Flink.\n"
            "\n"
            "Prints OK with a summary, or each problem with its fix. A key of MODULE_YAML\n"
            "that the runtime ignores (a typo such as `Egresses:`) is a warning, an error\n"
            "with --strict."
        ),
        epilog=(
            "example:\n"
            "  statefun-lab check module.yaml greeter/greeter.py\n"
            "\n"
            "exit status: 0 they match, 1 problems found, 2 unusable input (module.yaml or the\n"
            "Python file cannot be read)."
        ),
        formatter_class=formatter,
    )
    check.add_argument("module", metavar="MODULE_YAML", help="the module.yaml to check")
    check.add_argument(
        "functions",
        metavar="FUNCTIONS_PY",
        help="the Python file that binds the functions, e.g. greeter/greeter.py "
        "(FILE.py:VARIABLE picks one StatefulFunctions if the file has several)",
    )
    check.add_argument("--strict", action="store_true", help=_STRICT_HELP)
    check.set_defaults(handler=_check)
    for command in (project_doctor, project_scaffold):  # the lead rewires these after the split
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``statefun-lab`` command line; returns the exit status."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
    except BrokenPipeError:  # `statefun-lab run ... | head -1`: the reader has gone
        _stdout_to_devnull()
        return EXIT_FAILED
    except KeyboardInterrupt:  # (during a run, _run prints the summary first)
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again.

    The Python docs' way (signal module, "Note on SIGPIPE").
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error already printed
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        status: int = args.handler(args)
    except (_UsageError, ModuleYamlError, FunctionFileError) as e:
        _error(str(e))
        return EXIT_USAGE
    return status


def _error(text: str) -> None:
    print(f"{_PROG}: error: {text}", file=sys.stderr)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _rate(text: str) -> float:
    value = _non_negative_float(text)
    if 0 < value < MIN_RATE:
        raise argparse.ArgumentTypeError(
            f"must be 0, or at least {MIN_RATE:.3g} records per second (one per 1000 years, the "
            f"most virtual time a run covers: {_WHY_SPAN}), got {text}"
        )
    return value


def _wait(text: str) -> float:
    value = _non_negative_float(text)
    if value > _MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be at most {_MAX_SECONDS:.0f} seconds (1000 years, the most virtual time a run "
            f"covers: {_WHY_SPAN}), got {text}"
        )
    return value


def _name_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(","))
    if any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected comma-separated non-empty names, got {text!r}")
    return names


def _endpoint(text: str) -> tuple[str, str]:
    typename, sep, url = text.partition("=")
    if not sep or "/" not in typename or not url:
        raise argparse.ArgumentTypeError(
            f"expected TYPE=URL, e.g. example/greeter=http://localhost:8000/statefun, got {text!r}"
        )
    return typename.strip(), url.strip()


# ------------------------------------------------------------------------------------------------
# check
# ------------------------------------------------------------------------------------------------


def _load_module(args: argparse.Namespace) -> ModuleSpec:
    """MODULE_YAML, read with ``--strict`` or not; its warnings are left on ``module.warnings``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModuleYamlWarning)
        return load_module(args.module, strict=args.strict)


def _check(args: argparse.Namespace) -> int:
    _check_order(args)
    module = _load_module(args)
    for warning in module.warnings:
        print(f"warning: {warning}")
    loaded = load_function_file(args.functions)
    assert loaded.functions is not None
    problems = check_module(module, loaded.functions)
    shown_module, shown_file = module.path or args.module, args.functions
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        print(f"{shown_module} and {shown_file} do not fit together ({count}):")
        for number, problem in enumerate(problems, 1):
            print(f"{number}. {problem}")
        return EXIT_FAILED
    print(f"OK: {shown_module} and {shown_file} fit together: {_module_summary(module)}")
    return EXIT_OK


def _module_summary(module: ModuleSpec) -> str:
    def some(items: Sequence[str], noun: str) -> str:
        listed = f" ({', '.join(items)})" if items else ""
        return f"{_plural(len(items), noun)}{listed}"

    ingresses = []
    for ingress in module.ingresses.values():
        if ingress.routable:
            routes = ", ".join(f"{r.topic} -> {' + '.join(r.targets)}" for r in ingress.topics)
            ingresses.append(f"{ingress.id}: {routes}")
        else:
            ingresses.append(ingress.id)
    return "; ".join(
        [
            some(list(module.functions), "function"),
            some(ingresses, "ingress"),
            some(list(module.egresses), "egress"),
        ]
    )


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith('s') else 's'}"


# ------------------------------------------------------------------------------------------------
# run
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Record:
    feed: str  # what LocalRuntime.ingest takes: the ingress id, or the topic
    key: str
    value: Message
    where: str  # "record 3", "stdin line 3"


class _Routes:
    """Which ingress and message class a record goes to, from --ingress or its "topic"."""

    def __init__(self, module: ModuleSpec, default: str | None) -> None:
        self.module = module
        self.default = default
        self._cache: dict[str | None, tuple[str, type[Message], RoutingSpec]] = {}

    def resolve(self, name: str | None) -> tuple[str, type[Message], RoutingSpec]:
        """(what to pass to ``ingest``, the message class of the topic, the topic's routing)."""
        name = name if name is not None else self.default
        if name not in self._cache:
            ingress, route = self._route(name)
            self._cache[name] = (_feed_name(ingress, route), _topic_class(route), route)
        return self._cache[name]

    def _route(self, name: str | None) -> tuple[IngressSpec, RoutingSpec]:
        module, shown = self.module, self.module.path or "module.yaml"
        if name is None:
            routes = [(i, r) for i in module.ingresses.values() if i.routable for r in i.topics]
            if len(routes) == 1:
                return routes[0]
            if not routes:
                raise _UsageError(
                    f"{shown} declares no routable ingress, so there is nothing to feed. "
                    f"Declare a statefun.kafka.io/routable-protobuf-ingress with `topics`, "
                    f"each with a `typeUrl` and `targets`."
                )
            topics = ", ".join(r.topic for _, r in routes)
            raise _UsageError(
                f"{shown} reads several topics ({topics}): pick one with --ingress TOPIC "
                f'(with --stdin, or give "topic" in each JSON line).'
            )
        try:
            ingress, route = module.ingress_for(name)
        except ValueError as e:
            raise _UsageError(str(e)) from None
        if not ingress.routable:
            raise _UsageError(
                f"ingress {ingress.id} is a {ingress.type}, which needs a router: the local "
                f"runtime feeds only the routable ingress "
                f"(statefun.kafka.io/routable-protobuf-ingress)."
            )
        if route is None:
            topics = ", ".join(r.topic for r in ingress.topics)
            raise _UsageError(
                f"ingress {ingress.id} reads several topics ({topics}): name the topic "
                f"instead, e.g. --ingress {ingress.topics[0].topic}."
            )
        return ingress, route


def _feed_name(ingress: IngressSpec, route: RoutingSpec) -> str:
    return ingress.id if len(ingress.topics) == 1 else route.topic


def _topic_class(route: RoutingSpec) -> type[Message]:
    full_name = route.type_url.rsplit("/", 1)[-1]
    cls = message_class(full_name)
    if cls is None:
        raise _UsageError(
            f"topic {route.topic!r} carries {full_name} (typeUrl {route.type_url!r}), a message "
            f"type that is not loaded. Give the Python file that imports it (its _pb2 module), "
            f"also with --http (e.g. greeter/messages_pb2.py)."
        )
    return cls


def _generated_records(args: argparse.Namespace, routes: _Routes) -> Iterator[_Record]:
    """The built-in generator: names as the walkthrough's event generator sends them.

    Checks the ingress right away, so a wrong one fails before anything runs.
    """
    feed, cls, route = routes.resolve(None)
    field = cls.DESCRIPTOR.fields_by_name.get("name")
    if field is None or field.type != FieldDescriptor.TYPE_STRING or _repeated(field):
        raise _UsageError(
            f"the built-in generator sends names, but topic {route.topic!r} carries "
            f"{cls.DESCRIPTOR.full_name}, which has no string field `name`. Feed your own "
            f"records with --stdin (one JSON object a line)."
        )
    return (
        _Record(feed, name, cls(name=name), f"record {number}")
        for number, name in enumerate(_names(args.names, args.count, args.seed), 1)
    )


def _repeated(field: object) -> bool:
    return bool(getattr(field, "is_repeated", False))


def _names(names: Sequence[str] | None, count: int | None, seed: int | None) -> Iterator[str]:
    """Exactly the walkthrough event generator's ``name_sequence`` (same seed, same names)."""
    if names is not None:
        total = len(names) if count is None else count
        for i in range(total):
            yield names[i % len(names)]
        return
    rng = random.Random(seed)
    for _ in range(DEFAULT_COUNT if count is None else count):
        yield rng.choice(NAMES)


_STDIN_KEYS = ("key", "value", "topic")


def _stdin_records(stream: Iterable[str], routes: _Routes) -> Iterator[_Record]:
    """Records from JSON lines; blank lines are skipped. Errors name the line."""
    for number, line in _stdin_lines(stream):
        if not line.strip():
            continue
        where = f"stdin line {number}"
        try:
            yield _stdin_record(line, routes, where)
        except _UsageError as e:
            raise _UsageError(f"{where}: {e}") from None


def _stdin_lines(stream: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Numbered lines, decoded as UTF-8 here (the bytes below the text stream when it has them)
    so that a line that is not UTF-8 is named, whatever the locale; a BOM on line 1 is skipped.
    """
    binary: Iterable[bytes | str] = getattr(stream, "buffer", None) or stream
    for number, raw in enumerate(binary, 1):
        try:
            # text from a stream with no bytes below: undo Python's surrogateescape
            data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
            line = data.decode("utf-8-sig" if number == 1 else "utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError) as e:
            bad = e.object[e.start]
            what = f"byte 0x{bad:02x}" if isinstance(bad, int) else f"character {bad!r}"
            raise _UsageError(
                f"stdin line {number}: not UTF-8 text ({what} at column {e.start + 1}). JSON "
                f"lines are UTF-8: convert the input first, e.g. with `iconv -f latin1 -t utf-8`."
            ) from None
        yield number, line


def _stdin_record(line: str, routes: _Routes, where: str) -> _Record:
    example = '{"key": "Jerry", "value": {"name": "Jerry"}}'
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise _UsageError(
            f"not valid JSON ({e}). Each line is one object, e.g. {example}"
        ) from None
    except RecursionError:
        raise _UsageError(
            f"not valid JSON (nested too deeply). Each line is one object, e.g. {example}"
        ) from None
    if not isinstance(data, dict):
        raise _UsageError(f"expected a JSON object like {example}, got {_json_kind(data)}")
    unknown = sorted(set(data) - set(_STDIN_KEYS))
    if unknown:
        raise _UsageError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; a line has "
            f'"key", "value" and optionally "topic", e.g. {example}'
        )
    key, value, topic = data.get("key"), data.get("value"), data.get("topic")
    if not isinstance(key, str) or not key:
        raise _UsageError(
            f'"key" must be a non-empty string (it becomes the function id), got {key!r}'
        )
    if topic is not None and not isinstance(topic, str):
        raise _UsageError(f'"topic" must be a string, got {_json_kind(topic)}')
    feed, cls, _ = routes.resolve(topic)
    if not isinstance(value, dict):
        raise _UsageError(
            f'"value" must be a JSON object: the {cls.DESCRIPTOR.full_name} message as JSON, '
            f"got {_json_kind(value)}"
        )
    try:
        message = json_format.ParseDict(value, cls())
    except json_format.ParseError as e:
        detail = " ".join(str(e).split())
        raise _UsageError(f'"value" is not a valid {cls.DESCRIPTOR.full_name}: {detail}') from None
    except RecursionError:
        raise _UsageError(
            f'"value" is nested too deeply for a {cls.DESCRIPTOR.full_name}'
        ) from None
    return _Record(feed, key, message, where)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), f"the number {value}"
    )


class _EgressDecoder:
    """Turns egress record values into messages: the given type, or an inferred one."""

    def __init__(self, candidates: Sequence[type[Message]]) -> None:
        self.candidates = tuple(candidates)
        self._chosen: dict[str, type[Message]] = {}

    def decode(self, egress_id: str, value: object) -> object:
        """A message when the bytes are one; else the bytes unchanged."""
        if not isinstance(value, bytes):
            return value
        chosen = self._chosen.get(egress_id)
        if chosen is not None:
            message = _exact(chosen, value)
            if message is not None:
                return message
        matches = [(cls, m) for cls in self.candidates if (m := _exact(cls, value)) is not None]
        if len(matches) == 1:
            self._chosen[egress_id] = matches[0][0]
            return matches[0][1]
        return value


def _exact(cls: type[Message], data: bytes) -> Message | None:
    """``data`` parsed as ``cls`` if it parses with no unknown fields and re-serialises to it."""
    try:
        message = cls.FromString(data)
    except DecodeError:
        return None
    copy = cls()
    copy.CopyFrom(message)
    copy.DiscardUnknownFields()
    if copy.SerializeToString(deterministic=True) != data:
        return None
    return message


def _render(value: object) -> str:
    """The text after ``<key>:<TAB>``: the greeting, the message in text format, or hex."""
    if isinstance(value, Message):
        if "greeting" in value.DESCRIPTOR.fields_by_name:
            return str(getattr(value, "greeting"))  # noqa: B009 (any message with the field)
        return text_format.MessageToString(value, as_one_line=True) or "(empty message)"
    if isinstance(value, bytes):
        return "0x" + value.hex() if value else "(empty)"
    return str(value)


class _Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int | None) -> tuple[_Progress, Callable[[str], None]]:
    """A tqdm bar on stderr (if wanted and installed) and how to print a line beside it."""
    if enabled:
        try:
            from tqdm import tqdm  # type: ignore[import-untyped]
        except ImportError:  # tqdm comes with the [notebooks] extra; no bar without it
            pass
        else:
            bar = tqdm(total=total, unit="record", file=sys.stderr, dynamic_ncols=True)
            return bar, lambda line: tqdm.write(line, file=sys.stdout)
    return _NoProgress(), print


class _Stats:
    """What the summary line counts, from the runtime's events."""

    def __init__(self, on_egress: Callable[[Egressed], None]) -> None:
        self.records_in = 0
        self.egress_out = 0
        self.requests = 0
        self.largest_batch = 0
        self.delayed_pending = 0
        self._on_egress = on_egress

    def __call__(self, event: Event) -> None:
        if isinstance(event, Ingressed):
            self.records_in += 1
        elif isinstance(event, RequestSent):
            self.requests += 1
            self.largest_batch = max(self.largest_batch, event.batch)
        elif isinstance(event, Egressed):
            self.egress_out += 1
            self._on_egress(event)
        elif isinstance(event, DelayScheduled):
            self.delayed_pending += 1
        elif isinstance(event, DelayFired):
            self.delayed_pending -= 1

    def summary(self, rt: LocalRuntime) -> str:
        seconds = rt.clock.elapsed / timedelta(seconds=1)
        text = (
            f"{_plural(self.records_in, 'record')} in, "
            f"{_plural(self.egress_out, 'egress record')} out, "
            f"{_plural(self.requests, 'request')} (largest batch {self.largest_batch}), "
            f"virtual time +{seconds:.3f}s"
        )
        if self.delayed_pending:
            text += f", {_plural(self.delayed_pending, 'delayed message')} not yet due (see --wait)"
        return text


def _check_order(args: argparse.Namespace) -> None:
    """A common slip: the Python file first. Say so instead of a YAML error about Python code."""
    first, second = str(args.module), str(args.functions or "")
    if first.split(":")[0].endswith(".py") and second.endswith((".yaml", ".yml")):
        raise _UsageError(
            f"module.yaml comes first, then the Python file: "
            f"statefun-lab {args.command} {second} {first}"
        )


def _run(args: argparse.Namespace) -> int:
    _check_order(args)
    _check_run_options(args)
    module = _load_module(args)
    for warning in module.warnings:
        print(f"{_PROG}: warning: {warning}", file=sys.stderr)
    loaded: LoadedFile | None = None
    if args.functions is not None:
        loaded = load_function_file(args.functions, require_functions=not args.http)
    elif not args.http:
        raise _UsageError(
            "give the Python file that binds the functions, e.g. "
            "`statefun-lab run module.yaml greeter/greeter.py` (or call them over --http)."
        )
    functions = None if args.http or loaded is None else loaded.functions
    if functions is not None:
        _require_bound(module, functions, args.functions, dict(args.endpoint or []))
    egress_types = _egress_types(args.egress_type or [], module)
    try:
        rt = LocalRuntime.from_module(
            module,
            functions,
            endpoints=dict(args.endpoint or []) or None,
            egress_types=egress_types,
            # Subscribers see every event either way; the trace keeps them, for --trace only.
            record_trace=bool(args.trace),
            max_hops=args.max_hops,
            trace_limit=args.trace_limit or None,
        )
    except ValueError as e:
        raise _UsageError(str(e)) from None
    if functions is not None:
        for problem in check_module(module, functions):
            print(f"{_PROG}: warning: {problem}", file=sys.stderr)

    routes = _Routes(module, args.ingress)
    if args.stdin:
        records: Iterator[_Record] = _stdin_records(sys.stdin, routes)
        total = None
    else:
        records = _generated_records(args, routes)
        total = _total(args)
    decoder = _EgressDecoder(loaded.message_classes if loaded else ())
    show_bar = (
        not args.no_progress
        and sys.stderr.isatty()
        and ((total is None and not sys.stdin.isatty()) or (total or 0) >= PROGRESS_MIN)
    )
    bar, say = _progress(show_bar, total)
    several = len(module.egresses) > 1

    def on_egress(event: Egressed) -> None:
        if args.quiet:
            return
        value = _render(decoder.decode(event.egress, event.value))
        key = event.key if event.key is not None else "(no key)"
        say(f"[{event.topic}] {key}:\t{value}" if several else f"{key}:\t{value}")

    stats = _Stats(on_egress)
    rt.subscribe(stats)
    failure: RuntimeFailure | None = None
    interrupted = False
    try:
        _feed(rt, records, args, stats, bar)
    except RuntimeFailure as e:
        failure = e
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    if args.trace:
        print(_decoded(rt.trace, decoder).table())
    if failure is not None:
        _error(_failure_text(failure))
    if interrupted:
        print(f"{_PROG}: interrupted", file=sys.stderr)
    print(stats.summary(rt), file=sys.stderr)
    if failure is not None:
        return EXIT_FAILED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _require_bound(
    module: ModuleSpec,
    functions: statefun.StatefulFunctions,
    shown: str,
    endpoints: Mapping[str, str],
) -> None:
    """Before anything runs: each function type called in this process is bound in the file.

    Asks the registry as the SDK does on each request (``for_type``), which would otherwise fail
    the first request to the type, as if a function had raised.
    """
    for typename, spec in module.functions.items():
        if typename in endpoints:
            continue
        try:
            functions.for_type(spec.namespace, spec.name)
        except UnknownFunctionError as e:
            where = spec.path or module.path or "module.yaml"
            where += f":{spec.line}" if spec.line else ""
            raise _UsageError(
                f"{where}: module.yaml declares function type {typename!r}, but {shown} binds no "
                f"function to it (it binds: {', '.join(e.bound) or 'nothing'}), so nothing would "
                f"answer its messages. Bind one with @functions.bind({typename!r}), call it over "
                f"HTTP with --endpoint {typename}=URL, or remove it from module.yaml."
            ) from None


def _check_run_options(args: argparse.Namespace) -> None:
    if args.stdin:
        given = [
            option
            for option, value in (
                ("--count", args.count),
                ("--names", args.names),
                ("--seed", args.seed),
            )
            if value is not None
        ]
        if given:
            raise _UsageError(
                f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} to the "
                f"built-in generator, and --stdin replaces it: give one or the other."
            )
    if args.names is not None and args.seed is not None:
        raise _UsageError("--seed picks random names, --names gives them: use one or the other.")
    if not args.stdin:  # the generator's records are known: check they fit before any runs
        _check_span(args, _total(args))


def _check_span(args: argparse.Namespace, total: int) -> None:
    """``total`` records at --rate, then --wait, must fit on the virtual clock (and in memory)."""
    rate = DEFAULT_RATE if args.rate is None else float(args.rate)
    if rate == 0:
        if total > MAX_BURST:
            raise _UsageError(
                f"at --rate 0 all {total} records queue in memory at once; at most {MAX_BURST:,} "
                f"can. Give a rate (e.g. --rate 1000): the virtual clock then moves and the "
                f"records stream through."
            )
        return
    seconds = total / rate + float(args.wait)
    if seconds > _MAX_SECONDS:
        what = f"--count {args.count}" if args.count is not None else f"{total} records"
        plus = f" (plus --wait {float(args.wait):g})" if args.wait else ""
        raise _UsageError(
            f"{what} at --rate {rate:g}{plus} covers {_years(seconds)} years of "
            f"virtual time; a run covers at most 1000 years ({_WHY_SPAN}). Raise --rate or lower "
            f"--count."
        )


def _years(seconds: float) -> str:
    years = seconds / _YEAR_SECONDS
    return f"{years:,.0f}" if years >= 10_000 else f"{years:,.1f}"


def _total(args: argparse.Namespace) -> int:
    if args.count is not None:
        return int(args.count)
    return len(args.names) if args.names is not None else DEFAULT_COUNT


def _feed(
    rt: LocalRuntime,
    records: Iterator[_Record],
    args: argparse.Namespace,
    stats: _Stats,
    bar: _Progress,
) -> None:
    """Ingest every record on the virtual clock, then let the clock reach the end of the run."""
    rate = DEFAULT_RATE if args.rate is None else float(args.rate)
    start = rt.now
    # stdin's records are counted as they come (the generator's were checked before the run)
    last = _MAX_SECONDS - float(args.wait)
    for index, record in enumerate(records):
        if rate:
            if (index + 1) / rate > last:
                raise _UsageError(
                    f"{record.where}: at --rate {rate:g}, the run would cover more than 1000 "
                    f"years of virtual time ({_WHY_SPAN}). Raise --rate or send fewer records."
                )
            rt.advance_to(start + timedelta(seconds=index / rate))
        elif index == MAX_BURST:
            raise _UsageError(
                f"{record.where}: at --rate 0 every record queues in memory before the first one "
                f"runs; at most {MAX_BURST:,} can. Give a rate (e.g. --rate 1000): the virtual "
                f"clock then moves and the records stream through."
            )
        try:
            rt.ingest(record.feed, record.key, record.value, run=bool(rate))
        except (ValueError, TypeError) as e:
            raise _UsageError(f"{record.where}: {e}") from None
        bar.update(1)
    if rate:
        rt.advance_to(start + timedelta(seconds=stats.records_in / rate))
    else:
        rt.run()
    if args.wait:
        rt.advance(timedelta(seconds=float(args.wait)))


def _egress_types(specs: Sequence[str], module: ModuleSpec) -> dict[str, type[Message]]:
    out: dict[str, type[Message]] = {}
    for spec in specs:
        egress_id, sep, full_name = spec.rpartition("=")
        targets = [egress_id] if sep else list(module.egresses)
        if sep and egress_id not in module.egresses:
            raise _UsageError(
                f"--egress-type {spec}: module.yaml declares no egress {egress_id!r} "
                f"(declared: {', '.join(module.egresses) or 'none'})."
            )
        cls = message_class(full_name)
        if cls is None:
            raise _UsageError(
                f"--egress-type {spec}: no message type {full_name!r} is loaded. Give its full "
                f"name (package.Message, e.g. example.GreetResponse) and a Python file that "
                f"imports its _pb2 module."
            )
        for target in targets:
            out[target] = cls
    return out


def _decoded(trace: Trace, decoder: _EgressDecoder) -> Trace:
    """The trace with egress record values decoded the way the records were printed."""
    decoded = Trace(
        [
            replace(e, value=decoder.decode(e.egress, e.value)) if isinstance(e, Egressed) else e
            for e in trace
        ],
        limit=trace.limit,
    )
    decoded.dropped = trace.dropped
    return decoded


def _failure_text(error: RuntimeFailure) -> str:
    address, reason = error.address, error.reason
    if address is None or reason is None:
        return str(error)
    text = f"function {address} failed: {reason}"
    origin = _user_frame(error.__cause__)
    if origin:
        text += f"\n  at {origin}"
    return text + "\nNothing of the failed batch was applied. Fix the function and run again."


def _user_frame(error: BaseException | None) -> str | None:
    """``fn.py:12 in greet: raise ValueError("boom")``: the deepest frame outside statefun."""
    if error is None:
        return None
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename and _STATEFUN_DIR not in Path(frame.filename).resolve().parents
    ]
    if not frames:
        return None
    frame = frames[-1]
    line = f": {frame.line}" if frame.line else ""
    return f"{_shown_path(frame.filename)}:{frame.lineno} in {frame.name}{line}"


def _shown_path(filename: str) -> str:
    """Relative to the current directory when the file is below it."""
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename


if __name__ == "__main__":
    sys.exit(main())
