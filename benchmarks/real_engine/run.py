"""The benchmark's runs: cold and warm start, the ramp (ours, upstream), the knobs."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from real_engine import HELP
from real_engine.load import Step, fmt, ramp, run_step
from real_engine.memory import memory
from statefun.flink import FlinkStack
from statefun.flink.jars import CACHE_ENV

REPO = Path(__file__).resolve().parents[2]
GREETER = REPO / "greeter"


@dataclass(frozen=True)
class Knobs:
    """One configuration of the stack."""

    workers: int = 4
    batch: int = 500  # module.yaml's maxNumBatchRequests (the walkthrough's 500)
    checkpoint: str = "1s"
    parallelism: int = 1

    def label(self, base: Knobs) -> str:
        """What differs from ``base`` (``baseline`` when nothing does)."""
        diff = [
            f"{k}={getattr(self, k)}"
            for k in ("workers", "batch", "checkpoint", "parallelism")
            if getattr(self, k) != getattr(base, k)
        ]
        return ", ".join(diff) or "baseline"


def say(text: str) -> None:
    print(f"[real-engine] {text}", file=sys.stderr, flush=True)


def module_with_batch(batch: int, scratch: Path) -> Path:
    """module.yaml with ``maxNumBatchRequests: batch`` (the walkthrough's file when 500)."""
    text = (REPO / "module.yaml").read_text()
    if f"maxNumBatchRequests: {batch}\n" in text:
        return REPO / "module.yaml"
    path = scratch / f"module-batch{batch}.yaml"
    path.write_text(re.sub(r"maxNumBatchRequests: \d+", f"maxNumBatchRequests: {batch}", text))
    return path


def make_stack(knobs: Knobs, scratch: Path, upstream: tuple[Path, Path] | None) -> FlinkStack:
    """The stack serving the walkthrough's ``greeter:app`` under gunicorn (ours, or upstream's
    SDK in its venv)."""
    python, app_dir = (None, GREETER) if upstream is None else upstream
    return FlinkStack(
        module_with_batch(knobs.batch, scratch),
        app="greeter:app",
        app_dir=app_dir,
        python=python,
        workers=knobs.workers,
        checkpoint_interval=knobs.checkpoint,
        parallelism=knobs.parallelism,
        say=None,
        progress=False,
    )


def start(stack: FlinkStack) -> dict[str, Any]:
    """Start ``stack``; its start-up figures and memory."""
    t0 = time.monotonic()
    stack.up()
    wall = time.monotonic() - t0
    return {"wall_s": round(wall, 2), **stack.timings, "memory": memory(stack)}


def main() -> int:
    p = argparse.ArgumentParser(
        description=HELP.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--rates", default="50,100,200,400,800,1600,3200,6400,12800,25600", help="names/s, rising"
    )
    p.add_argument("--seconds", type=float, default=15.0, help="each step's length (15)")
    p.add_argument("--drain", type=float, default=15.0, help="read this long after a step (15)")
    p.add_argument("--keys", type=int, default=50, help="distinct names per step (50)")
    p.add_argument("--p99-limit", type=float, default=10.0, help="saturated beyond (10 s)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    p.add_argument("--batch", type=int, default=500, help="maxNumBatchRequests (500)")
    p.add_argument("--checkpoint", default="1s", help="checkpoint interval (1s)")
    p.add_argument("--parallelism", type=int, default=1, help="Flink parallelism (1)")
    p.add_argument("--no-cold", action="store_true", help="skip the cold start (no download)")
    p.add_argument("--no-ramp", action="store_true", help="start-up and memory only")
    p.add_argument("--upstream", action="store_true", help="also upstream's SDK (its own venv)")
    p.add_argument(
        "--knobs",
        nargs="?",
        const="workers=1,workers=2,workers=8,batch=10,batch=5000,checkpoint=200ms,"
        "checkpoint=5s,parallelism=2",
        default=None,
        help="vary one knob at a time (default list: %(const)s)",
    )
    p.add_argument("--knob-seconds", type=float, default=10.0, help="each knob step (10)")
    p.add_argument("--json", type=Path, help="write every figure to this file")
    args = p.parse_args()

    base = Knobs(args.workers, args.batch, args.checkpoint, args.parallelism)
    rates = [float(r) for r in args.rates.split(",")]
    report: dict[str, Any] = {"machine": machine(), "baseline": base.__dict__}
    report["args"] = {**vars(args), "json": str(args.json) if args.json else None}
    scratch = Path(tempfile.mkdtemp(prefix="real-engine-bench-"))
    upstream = None
    if args.upstream:
        from real_engine.upstream import upstream_app

        upstream = upstream_app()
    try:
        if not args.no_cold:
            cache = scratch / "cache"
            os.environ[CACHE_ENV] = str(cache)
            say(f"cold start: an empty jar cache ({cache}), the jars come from Maven Central")
            stack = make_stack(base, scratch, None)
            try:
                report["cold"] = start(stack)
            finally:
                stack.down()
        sdks: list[tuple[str, tuple[Path, Path] | None]] = [("ours", None)]
        if upstream is not None:
            sdks.append(("upstream", upstream))
        for sdk, up in sdks:
            say(f"{sdk}: warm start")
            stack = make_stack(base, scratch, up)
            try:
                entry: dict[str, Any] = {"warm": start(stack)}
                if not args.no_ramp:
                    say(f"{sdk}: ramp {args.rates} names/s, {args.seconds:g} s each")
                    steps, why = ramp(
                        stack,
                        rates,
                        args.seconds,
                        keys=args.keys,
                        drain=args.drain,
                        p99_limit=args.p99_limit,
                        say=say,
                    )
                    entry["ramp"] = [s.as_dict() for s in steps]
                    entry["ramp_end"] = why
                    entry["memory_after_ramp"] = memory(stack)
            finally:
                stack.down()
            report[sdk] = entry
        if args.knobs:
            report["knobs"] = knob_runs(args, base, scratch, report)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        os.environ.pop(CACHE_ENV, None)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        say(f"figures written to {args.json}")
    return 0


def knob_runs(
    args: argparse.Namespace, base: Knobs, scratch: Path, report: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each knob changed alone: a light step (latency) and a heavy one (throughput)."""
    best = max((s["delivered_per_s"] for s in report.get("ours", {}).get("ramp", [])), default=0)
    heavy = float(round(2 * best, -1)) if best else 800.0
    light = 100.0
    variants = [base]
    for item in args.knobs.split(","):
        key, _, value = item.partition("=")
        typed: Any = value if key == "checkpoint" else int(value)
        variants.append(replace(base, **{key: typed}))
    variants.append(base)  # again at the end: how far the machine moved meanwhile
    out = []
    for i, knobs in enumerate(variants):
        label = knobs.label(base) + (" (again)" if i and knobs == base else "")
        say(f"knob {label}: {light:g}/s then {heavy:g}/s, {args.knob_seconds:g} s each")
        stack = make_stack(knobs, scratch, None)
        try:
            warm = start(stack)
            from real_engine.load import CommittedReader, GreetResponse

            with CommittedReader(
                stack.bootstrap, "greetings", GreetResponse, from_start=False
            ) as reader:
                steps: list[Step] = []
                for rate in (light, heavy):
                    step = run_step(
                        stack, reader, rate, args.knob_seconds, keys=args.keys, drain=args.drain
                    )
                    say(
                        f"  {rate:g}/s: delivered {step.delivered_per_s}/s, p50 "
                        f"{fmt(step.p50_s)} p99 {fmt(step.p99_s)}, read {step.read}/{step.sent}"
                    )
                    steps.append(step)
            mem = memory(stack)
        finally:
            stack.down()
        out.append(
            {
                "knobs": knobs.__dict__,
                "label": label,
                "start_s": warm["wall_s"],
                "light": steps[0].as_dict(),
                "heavy": steps[1].as_dict(),
                "memory": mem,
            }
        )
    return out


def machine() -> dict[str, Any]:
    """The cores, the load average, the Python."""
    return {
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "python": sys.version.split()[0],
    }


# --- the table ---------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    """The report as readable tables."""
    lines = [
        f"real engine (StateFun 2.2.2, Flink 1.11.3, Kafka 3.7.1), greeter:app under gunicorn; "
        f"{report['machine']['cpus']} cores, load {report['machine']['loadavg_at_start'][0]:.2f}"
        f" at start; baseline {Knobs(**report['baseline']).__dict__}",
        "",
        "Start-up (s): jars = fetch/verify; functions = gunicorn answers; Kafka = broker + "
        "topics; RUNNING and checkpoint from the StateFun JVM's start",
    ]
    cols = ["jars_s", "functions_ready_s", "kafka_ready_s", "statefun_running_s"]
    cols += ["statefun_checkpointed_s", "wall_s"]
    head = ["jars", "functions", "Kafka", "job RUNNING", "1st checkpoint", "total"]
    rows = []
    if "cold" in report:
        rows.append(["ours, cold", *[report["cold"].get(c) for c in cols]])
    for sdk in ("ours", "upstream"):
        if sdk in report:
            rows.append([f"{sdk}, warm", *[report[sdk]["warm"].get(c) for c in cols]])
    lines += table(["run", *head], rows)

    lines += ["", "Memory (MiB RSS after start / peak after the ramp)"]
    procs: list[str] = []
    for sdk in ("ours", "upstream"):
        for name in report.get(sdk, {}).get("warm", {}).get("memory", {}):
            if name not in procs:
                procs.append(name)
    mrows = []
    sdks = [s for s in ("ours", "upstream") if s in report]
    for name in procs:
        row: list[Any] = [name]
        for sdk in sdks:
            now = report[sdk]["warm"]["memory"].get(name, {})
            after = report[sdk].get("memory_after_ramp", {}).get(name, {})
            count = f" ({int(now['count'])})" if "count" in now else ""
            row.append(f"{now.get('rss_mib')} / {after.get('peak_mib', '-')}{count}")
        mrows.append(row)
    lines += table(["process", *sdks], mrows)

    if any("ramp" in report.get(s, {}) for s in sdks):
        lines += ["", "Ramp: delivered greetings/s and produce -> committed read latency"]
        by_rate: dict[float, dict[str, Step]] = {}
        for sdk in sdks:
            for s in report[sdk].get("ramp", []):
                by_rate.setdefault(s["rate"], {})[sdk] = Step(**s)
        rrows = []
        for rate in sorted(by_rate):
            row = [f"{rate:g}"]
            for sdk in sdks:
                s = by_rate[rate].get(sdk)
                row += [s.delivered_per_s, fmt(s.p50_s), fmt(s.p99_s)] if s else ["-", "-", "-"]
            rrows.append(row)
        head = ["offered/s"]
        for sdk in sdks:
            head += [f"{sdk} /s", "p50", "p99"]
        lines += table(head, rrows)
        for sdk in sdks:
            lines.append(f"{sdk}: {report[sdk].get('ramp_end')}")
        lines += [
            "",
            "CPU (cores, over send + drain) at each rate: StateFun JVM / Kafka JVM / "
            "gunicorn / load generator",
        ]
        crows = []
        for rate in sorted(by_rate):
            row = [f"{rate:g}"]
            for sdk in sdks:
                s = by_rate[rate].get(sdk)
                row.append(cores(s.cores) if s else "-")
            crows.append(row)
        lines += table(["offered/s", *sdks], crows)

    if "knobs" in report:
        k = report["knobs"]
        lines += [
            "",
            f"One knob at a time (ours; light {k[0]['light']['rate']:g}/s, heavy "
            f"{k[0]['heavy']['rate']:g}/s offered)",
        ]
        krows = [
            [
                e["label"],
                e["start_s"],
                fmt(e["light"]["p50_s"]),
                fmt(e["light"]["p99_s"]),
                e["heavy"]["delivered_per_s"],
                fmt(e["heavy"]["p50_s"]),
                fmt(e["heavy"]["p99_s"]),
                cores(e["heavy"].get("cores", {})),
            ]
            for e in k
        ]
        lines += table(
            [
                "knob",
                "start s",
                "light p50",
                "light p99",
                "heavy /s",
                "heavy p50",
                "heavy p99",
                "heavy CPU (JVM/Kafka/gunicorn/gen)",
            ],
            krows,
        )
    return "\n".join(lines)


def cores(used: dict[str, float]) -> str:
    """StateFun JVM / Kafka JVM / gunicorn / load generator, in cores."""
    names = ("StateFun JVM", "Kafka JVM", "gunicorn", "load generator")
    return " / ".join(f"{used[n]:.2f}" if n in used else "-" for n in names)


def table(head: list[str], rows: list[list[Any]]) -> list[str]:
    """A plain text table."""
    text = [[str(c) if c is not None else "-" for c in r] for r in [head, *rows]]
    widths = [max(len(r[i]) for r in text) for i in range(len(head))]
    out = [
        "  ".join(
            c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in text
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out
