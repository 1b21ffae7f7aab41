"""What a running stack is doing: the Flink job (through Flink's REST API) and the processes.

:class:`FlinkRest` asks the job's REST endpoint (the one the Flink UI uses) for the job's state
and its checkpoint counts; :class:`StackStatus` is what ``FlinkStack.status()`` and
``statefun-lab flink status`` report.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from typing import Any

__all__ = ["FlinkRest", "JobStatus", "ProcessStatus", "StackStatus"]


@dataclasses.dataclass(frozen=True)
class JobStatus:
    """The StateFun job as Flink reports it."""

    job_id: str
    name: str
    #: ``CREATED``, ``RUNNING``, ``RESTARTING``, ``FAILED``, ``CANCELED``, ...
    state: str
    #: Tasks running / in all.
    tasks_running: int
    tasks_total: int
    #: Checkpoints completed / failed since the job (re)started; the last completed one's id.
    checkpoints_completed: int
    checkpoints_failed: int
    last_checkpoint_id: int | None
    #: Seconds since the job started.
    duration_s: float

    @property
    def running(self) -> bool:
        """RUNNING with every task running."""
        return self.state == "RUNNING" and 0 < self.tasks_total == self.tasks_running


@dataclasses.dataclass(frozen=True)
class ProcessStatus:
    """One process of the stack."""

    name: str
    pid: int | None
    alive: bool
    rss_mb: float | None


@dataclasses.dataclass(frozen=True)
class StackStatus:
    """A snapshot of the stack: its job, its processes, its addresses, its uptime."""

    #: None when Flink's REST endpoint does not answer (the StateFun JVM is down or starting).
    job: JobStatus | None
    processes: tuple[ProcessStatus, ...]
    uptime_s: float
    bootstrap: str
    function_url: str
    flink_ui_url: str
    scratch: str
    #: What the function server recorded the functions raising (the newest last).
    function_errors: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        job = self.job
        if job is None:
            head = "job: not answering (the StateFun JVM is down or starting)"
        else:
            head = (
                f"job {job.name} ({job.job_id}): {job.state}, tasks {job.tasks_running}/"
                f"{job.tasks_total}, checkpoints completed {job.checkpoints_completed}"
                f" (failed {job.checkpoints_failed}), running for {job.duration_s:.0f}s"
            )
        lines = [head, f"up for {self.uptime_s:.0f}s; Kafka {self.bootstrap}"]
        lines.append(f"functions {self.function_url}; Flink UI {self.flink_ui_url}")
        for p in self.processes:
            rss = f"{p.rss_mb:.0f} MiB" if p.rss_mb is not None else "-"
            state = "running" if p.alive else "stopped"
            pid = f"pid {p.pid}" if p.pid is not None else "in this process"
            lines.append(f"  {p.name:<10} {pid:<12} {state:<8} RSS {rss}")
        if self.function_errors:
            lines.append(f"the function raised {len(self.function_errors)} time(s); the last:")
            lines.append("  " + self.function_errors[-1].replace("\n", "\n  "))
        return "\n".join(lines)


class FlinkRest:
    """Flink's REST API at ``http://127.0.0.1:<port>``."""

    def __init__(self, port: int, *, timeout: float = 3.0) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.timeout = timeout

    def get(self, path: str) -> Any:
        """GET ``path`` as JSON (raises ``OSError`` when Flink does not answer)."""
        with urllib.request.urlopen(self.base + path, timeout=self.timeout) as resp:
            return json.loads(resp.read())

    def jobs(self) -> list[dict[str, Any]]:
        """``/jobs/overview``'s jobs."""
        jobs: list[dict[str, Any]] = self.get("/jobs/overview")["jobs"]
        return jobs

    def job(self) -> JobStatus | None:
        """The newest job (None if there is none yet), with its checkpoint counts."""
        jobs = sorted(self.jobs(), key=lambda j: j.get("start-time", 0))
        if not jobs:
            return None
        job = jobs[-1]
        tasks = job.get("tasks", {})
        counts: dict[str, Any] = {}
        last: int | None = None
        try:
            checkpoints = self.get(f"/jobs/{job['jid']}/checkpoints")
            counts = checkpoints.get("counts", {})
            completed = (checkpoints.get("latest") or {}).get("completed") or {}
            last = completed.get("id")
        except (OSError, ValueError):
            pass
        return JobStatus(
            job_id=str(job["jid"]),
            name=str(job.get("name", "")),
            state=str(job.get("state", "")),
            tasks_running=int(tasks.get("running", 0)),
            tasks_total=int(tasks.get("total", 0)),
            checkpoints_completed=int(counts.get("completed", 0)),
            checkpoints_failed=int(counts.get("failed", 0)),
            last_checkpoint_id=None if last is None else int(last),
            duration_s=float(job.get("duration", 0)) / 1000.0,
        )
