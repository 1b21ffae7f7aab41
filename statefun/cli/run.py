"""``statefun-lab run``: run a module's functions on the local runtime, on a virtual clock."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta

from google.protobuf.message import Message

import statefun
from statefun._loader import LoadedFile
from statefun.cli.inputs import add_inputs, load_inputs
from statefun.cli.parser import (
    MAX_SECONDS,
    PROG,
    WHY_SPAN,
    YEAR_SECONDS,
    Subparsers,
    UsageError,
    add_command,
    check_order,
    endpoint,
    error,
    name_list,
    non_negative_int,
    positive_int,
    rate,
    wait,
    warn,
)
from statefun.cli.render import (
    PROGRESS_MIN,
    EgressDecoder,
    Progress,
    Stats,
    decoded,
    failure_text,
    progress,
    render,
)
from statefun.cli.sources import (
    DEFAULT_COUNT,
    Record,
    Routes,
    generated_records,
    stdin_records,
)
from statefun.errors import RuntimeFailure, UnknownFunctionError
from statefun.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from statefun.local.check import check_module
from statefun.local.module_yaml import ModuleSpec
from statefun.local.runtime import DEFAULT_MAX_HOPS, DEFAULT_MAX_MESSAGES, LocalRuntime
from statefun.local.trace import DEFAULT_LIMIT as DEFAULT_TRACE_LIMIT
from statefun.local.trace import Egressed
from statefun.local.values import message_class

__all__ = ["DEFAULT_RATE", "MAX_BURST", "add_parser", "run"]

DEFAULT_RATE = 1.0
#: Records queued at once with --rate 0 (all of them are in memory before the first one runs).
MAX_BURST = 1_000_000

_DESCRIPTION = (
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
)
_EPILOG = (
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
)


# ------------------------------------------------------------------------------------------------
# Options
# ------------------------------------------------------------------------------------------------


def add_parser(subparsers: Subparsers) -> None:
    """Add the ``run`` subcommand (handler: :func:`run`)."""
    parser = add_command(
        subparsers,
        "run",
        help="run a module's functions locally and print what they send to the egress",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    add_inputs(
        parser,
        module_help="the module.yaml to run",
        functions_help="the Python file that binds the functions, e.g. greeter/greeter.py (its "
        "directory goes on the import path, so `import messages_pb2` next to it works); "
        "FILE.py:VARIABLE picks one StatefulFunctions if the file has several. Optional with "
        "--http, where it is only read for its message types",
        functions_optional=True,
    )
    source = parser.add_argument_group("what goes in (default: random walkthrough names)")
    _add_generator_options(source)
    _add_feed_options(source)
    _add_output_options(parser.add_argument_group("what comes out"))
    _add_guard_options(parser.add_argument_group("guards"))
    _add_http_options(parser.add_argument_group("calling functions over HTTP"))
    parser.set_defaults(handler=run)


def _add_generator_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--count",
        type=non_negative_int,
        metavar="N",
        help=f"how many names to send (default {DEFAULT_COUNT}; with --names: the list once)",
    )
    group.add_argument(
        "--names",
        type=name_list,
        metavar="A,B,C",
        help="send these names, in this order, instead of random ones (e.g. Jerry,Jerry,George)",
    )
    group.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="seed for the random names: the same seed gives the same output (default: random)",
    )
    group.add_argument(
        "--stdin",
        action="store_true",
        help='read the records from stdin instead, one JSON object a line: {"key": "Jerry", '
        '"value": {"name": "Jerry"}}. "value" is the ingress message (the typeUrl of the '
        'topic) as JSON; add "topic": "names" when module.yaml reads several topics',
    )


def _add_feed_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--rate",
        type=rate,
        metavar="R",
        help=f"records per second of virtual time (default {DEFAULT_RATE:g}, like the "
        "walkthrough's generator). The virtual clock moves 1/R seconds between records, so "
        "delayed messages and state TTLs behave as in real time, without the waiting. 0 sends "
        "every record at the same instant: they queue up and the runtime batches them",
    )
    group.add_argument(
        "--ingress",
        metavar="ID_OR_TOPIC",
        help="the ingress id or topic to feed (default: the only topic module.yaml reads)",
    )
    group.add_argument(
        "--wait",
        type=wait,
        metavar="SECONDS",
        default=0.0,
        help="after the last record, let this much more virtual time pass, so later delayed "
        "messages fire and TTLs expire (default 0)",
    )


def _add_output_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--egress-type",
        action="append",
        metavar="[EGRESS_ID=]MESSAGE_TYPE",
        help="decode egress record values as this message type, e.g. example.GreetResponse "
        "(repeat with EGRESS_ID= for several egresses). Default: the one message type of the "
        "Python file that reads the bytes exactly; else they are printed in hex",
    )
    group.add_argument(
        "--trace",
        action="store_true",
        help="print the runtime's trace at the end: every request, message, state change and "
        "egress record, on the virtual clock",
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="print only the summary, not each record"
    )
    group.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is only drawn on a terminal, for runs of "
        f"{PROGRESS_MIN} records or more)",
    )


def _add_guard_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--max-hops",
        type=positive_int,
        default=DEFAULT_MAX_HOPS,
        metavar="N",
        help="stop with an error naming the cycle when a chain of messages between functions "
        "grows past N with no new input and no virtual time passing: a function that keeps "
        f"sending to itself (default {DEFAULT_MAX_HOPS:,})",
    )
    group.add_argument(
        "--max-messages",
        type=positive_int,
        default=DEFAULT_MAX_MESSAGES,
        metavar="N",
        help="stop with an error when one run delivers more than N messages between functions "
        "with no virtual time passing, or more than N delayed messages wait at once: a "
        f"function that sends two for each it receives (default {DEFAULT_MAX_MESSAGES:,})",
    )
    group.add_argument(
        "--trace-limit",
        type=non_negative_int,
        default=DEFAULT_TRACE_LIMIT,
        metavar="N",
        help=f"with --trace, keep the last N events (default {DEFAULT_TRACE_LIMIT:,}; 0 keeps all)",
    )


def _add_http_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--http",
        action="store_true",
        help="call the functions at the endpoints of module.yaml over HTTP (e.g. the "
        "walkthrough's gunicorn greeter) instead of in this process",
    )
    group.add_argument(
        "--endpoint",
        action="append",
        type=endpoint,
        metavar="TYPE=URL",
        help="call function type TYPE over HTTP at URL (instead of in this process, or, with "
        "--http, instead of its module.yaml endpoint), e.g. "
        "example/greeter=http://localhost:8000/statefun (repeatable)",
    )


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
            raise UsageError(
                f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} to the "
                f"built-in generator, and --stdin replaces it: give one or the other."
            )
    if args.names is not None and args.seed is not None:
        raise UsageError("--seed picks random names, --names gives them: use one or the other.")
    if not args.stdin:  # the generator's records are known: check they fit before any runs
        _check_span(args, _total(args))


def _check_span(args: argparse.Namespace, total: int) -> None:
    """``total`` records at --rate, then --wait, must fit on the virtual clock (and in memory)."""
    rate = DEFAULT_RATE if args.rate is None else float(args.rate)
    if rate == 0:
        if total > MAX_BURST:
            raise UsageError(
                f"at --rate 0 all {total} records queue in memory at once; at most {MAX_BURST:,} "
                f"can. Give a rate (e.g. --rate 1000): the virtual clock then moves and the "
                f"records stream through."
            )
        return
    seconds = total / rate + float(args.wait)
    if seconds > MAX_SECONDS:
        what = f"--count {args.count}" if args.count is not None else f"{total} records"
        plus = f" (plus --wait {float(args.wait):g})" if args.wait else ""
        raise UsageError(
            f"{what} at --rate {rate:g}{plus} covers {_years(seconds)} years of "
            f"virtual time; a run covers at most 1000 years ({WHY_SPAN}). Raise --rate or lower "
            f"--count."
        )


def _years(seconds: float) -> str:
    years = seconds / YEAR_SECONDS
    return f"{years:,.0f}" if years >= 10_000 else f"{years:,.1f}"


def _total(args: argparse.Namespace) -> int:
    if args.count is not None:
        return int(args.count)
    return len(args.names) if args.names is not None else DEFAULT_COUNT


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Feed the records, print each egress record and a summary; exit 1 if a function failed."""
    check_order(args)
    _check_run_options(args)
    module, loaded = _load(args)
    rt = _runtime(args, module, None if args.http or loaded is None else loaded.functions)
    records, total = _records(args, Routes(module, args.ingress))
    decoder = EgressDecoder(loaded.message_classes if loaded else ())
    bar, say = progress(_show_bar(args, total), total)
    stats = Stats(_egress_printer(args, len(module.egresses) > 1, decoder, say))
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
        print(decoded(rt.trace, decoder).table())
    if failure is not None:
        error(failure_text(failure))
    if interrupted:
        print(f"{PROG}: interrupted", file=sys.stderr)
    print(stats.summary(rt), file=sys.stderr)
    if failure is not None:
        return EXIT_FAILED
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _load(args: argparse.Namespace) -> tuple[ModuleSpec, LoadedFile | None]:
    """MODULE_YAML (its warnings printed) and FUNCTIONS_PY (``None`` if not given, with --http)."""
    module, loaded = load_inputs(args, warn, require_functions=not args.http)
    if loaded is not None:
        return module, loaded
    if not args.http:
        raise UsageError(
            "give the Python file that binds the functions, e.g. "
            "`statefun-lab run module.yaml greeter/greeter.py` (or call them over --http)."
        )
    return module, None


def _runtime(
    args: argparse.Namespace,
    module: ModuleSpec,
    functions: statefun.StatefulFunctions | None,
) -> LocalRuntime:
    """The runtime, after checking that what runs in this process is bound."""
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
            max_messages=args.max_messages,
            trace_limit=args.trace_limit or None,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    if functions is not None:
        for problem in check_module(module, functions):
            warn(problem)
    return rt


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
            raise UsageError(
                f"{where}: module.yaml declares function type {typename!r}, but {shown} binds no "
                f"function to it (it binds: {', '.join(e.bound) or 'nothing'}), so nothing would "
                f"answer its messages. Bind one with @functions.bind({typename!r}), call it over "
                f"HTTP with --endpoint {typename}=URL, or remove it from module.yaml."
            ) from None


def _egress_types(specs: Sequence[str], module: ModuleSpec) -> dict[str, type[Message]]:
    out: dict[str, type[Message]] = {}
    for spec in specs:
        egress_id, sep, full_name = spec.rpartition("=")
        targets = [egress_id] if sep else list(module.egresses)
        if sep and egress_id not in module.egresses:
            raise UsageError(
                f"--egress-type {spec}: module.yaml declares no egress {egress_id!r} "
                f"(declared: {', '.join(module.egresses) or 'none'})."
            )
        cls = message_class(full_name)
        if cls is None:
            raise UsageError(
                f"--egress-type {spec}: no message type {full_name!r} is loaded. Give its full "
                f"name (package.Message, e.g. example.GreetResponse) and a Python file that "
                f"imports its _pb2 module."
            )
        for target in targets:
            out[target] = cls
    return out


def _records(args: argparse.Namespace, routes: Routes) -> tuple[Iterator[Record], int | None]:
    """The records to feed, and how many (``None``: stdin's, unknown until they are read)."""
    if args.stdin:
        return stdin_records(sys.stdin, routes), None
    return generated_records(routes, args.names, args.count, args.seed), _total(args)


def _show_bar(args: argparse.Namespace, total: int | None) -> bool:
    """A progress bar on a terminal, for long or piped-in runs."""
    return (
        not args.no_progress
        and sys.stderr.isatty()
        and ((total is None and not sys.stdin.isatty()) or (total or 0) >= PROGRESS_MIN)
    )


def _egress_printer(
    args: argparse.Namespace, several: bool, decoder: EgressDecoder, say: Callable[[str], None]
) -> Callable[[Egressed], None]:
    """Print each egress record as ``<key>:<TAB><value>`` (``[topic] `` first if ``several``)."""

    def on_egress(event: Egressed) -> None:
        if args.quiet:
            return
        value = render(decoder.decode(event.egress, event.value))
        key = event.key if event.key is not None else "(no key)"
        say(f"[{event.topic}] {key}:\t{value}" if several else f"{key}:\t{value}")

    return on_egress


def _feed(
    rt: LocalRuntime,
    records: Iterator[Record],
    args: argparse.Namespace,
    stats: Stats,
    bar: Progress,
) -> None:
    """Ingest every record on the virtual clock, then let the clock reach the end of the run."""
    rate = DEFAULT_RATE if args.rate is None else float(args.rate)
    start = rt.now
    # stdin's records are counted as they come (the generator's were checked before the run)
    last = MAX_SECONDS - float(args.wait)
    for index, record in enumerate(records):
        if rate:
            if (index + 1) / rate > last:
                raise UsageError(
                    f"{record.where}: at --rate {rate:g}, the run would cover more than 1000 "
                    f"years of virtual time ({WHY_SPAN}). Raise --rate or send fewer records."
                )
            rt.advance_to(start + timedelta(seconds=index / rate))
        elif index == MAX_BURST:
            raise UsageError(
                f"{record.where}: at --rate 0 every record queues in memory before the first one "
                f"runs; at most {MAX_BURST:,} can. Give a rate (e.g. --rate 1000): the virtual "
                f"clock then moves and the records stream through."
            )
        try:
            rt.ingest(record.feed, record.key, record.value, run=bool(rate))
        except (ValueError, TypeError) as e:
            raise UsageError(f"{record.where}: {e}") from None
        bar.update(1)
    if rate:
        rt.advance_to(start + timedelta(seconds=stats.records_in / rate))
    else:
        rt.run()
    if args.wait:
        rt.advance(timedelta(seconds=float(args.wait)))
