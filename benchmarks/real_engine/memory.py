"""The resident memory of the stack's processes (Linux /proc): now and the peak."""

from __future__ import annotations

import os
from pathlib import Path

from statefun.flink import FlinkStack


def proc_status(pid: int, field: str) -> float | None:
    """A /proc/<pid>/status memory field (VmRSS, VmHWM) in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return sorted(out)


def memory(stack: FlinkStack) -> dict[str, dict[str, float | None]]:
    """Per process (``kafka``, ``statefun``, ``gunicorn master``, ``gunicorn workers``: their
    sum, and how many): RSS and peak RSS in MiB."""
    assert stack.record is not None
    out: dict[str, dict[str, float | None]] = {}
    for name, pid in stack.record.pids.items():
        label = {"kafka": "Kafka JVM", "statefun": "StateFun JVM"}.get(name, name)
        if name == "functions":
            label = "gunicorn master"
        out[label] = {"rss_mib": proc_status(pid, "VmRSS"), "peak_mib": proc_status(pid, "VmHWM")}
        if name == "functions":
            workers = children(pid)
            rss = [proc_status(w, "VmRSS") or 0.0 for w in workers]
            peak = [proc_status(w, "VmHWM") or 0.0 for w in workers]
            out["gunicorn workers"] = {
                "count": float(len(workers)),
                "rss_mib": round(sum(rss), 1),
                "peak_mib": round(sum(peak), 1),
                "rss_mib_each": round(max(rss, default=0.0), 1),
            }
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu(stack: FlinkStack) -> dict[str, float]:
    """CPU seconds used so far per process: the JVMs, gunicorn (master and workers), and this
    process (the load generator: producer and reader)."""
    assert stack.record is not None
    out: dict[str, float] = {}
    for name, pid in stack.record.pids.items():
        label = {"kafka": "Kafka JVM", "statefun": "StateFun JVM", "functions": "gunicorn"}
        used = cpu_seconds(pid)
        if name == "functions":
            used += sum(cpu_seconds(w) for w in children(pid))
        out[label.get(name, name)] = used
    times = os.times()
    out["load generator"] = times.user + times.system
    return out
