"""A stand-in for a running ``statefun.flink.FlinkStack``, for the drill's and the widgets'
tests: the walkthrough's greeter over an in-memory "Kafka", with checkpoints and a crash.

What it models: each name sent while the job runs is counted (the greeter's ``seen_count``)
and its greeting is committed at once (as if a checkpoint completed right after); names sent
while the job is down wait in the topic and are processed when it is restored, from the
state of the last checkpoint. ``fault`` makes the restore go wrong the way a broken engine
would:

* ``"gap"``: the first name sent while the job was down is counted but its greeting is lost
  (the counts then skip one);
* ``"lost"``: the first name sent while the job was down is lost (never processed);
* ``"duplicate"``: the last checkpoint is one message older than the committed output, so
  the message after it is processed (and its greeting committed) a second time;
* ``"stuck"``: nothing sent after the crash is processed (the greetings never come).

``greetings(count, timeout)`` behaves as the real one: the next ``count`` committed greetings,
or, when fewer are committed, :class:`~statefun.errors.StackTimeoutError` at once (the fake
never waits) with the ones that came kept for the next call.
"""

from __future__ import annotations

from pathlib import Path

from statefun.errors import StackNotRunningError, StackTimeoutError
from statefun.flink.status import JobStatus, ProcessStatus, StackStatus
from statefun.walkthrough import greeting

CHECKPOINT = Path("/scratch/checkpoints/job/chk-7")


class FakeStack:
    """See the module's docstring."""

    def __init__(self, fault: str | None = None) -> None:
        self.fault = fault
        self.running = True
        self.seen: dict[str, int] = {}
        self.committed: list[tuple[str, str]] = []
        self.cursor = 0
        self.down_queue: list[str] = []
        #: (name, seen before it) of the last message processed before the crash.
        self.last: tuple[str, int] | None = None
        self.calls: list[str] = []
        self.sent_topics: list[str | None] = []
        self.kills = 0
        self.restores = 0
        #: Raised by the next greetings() call, once (a failure of the stack).
        self.fail_next: Exception | None = None

    # -- FlinkStackLike ----------------------------------------------------------------------

    def send(self, *names: str, topic: str | None = None) -> int:
        self.calls.append("send")
        self.sent_topics.append(topic)
        for name in names:
            if self.running:
                self._process(name)
            else:
                self.down_queue.append(name)
        return len(names)

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        self.calls.append("greetings")
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        available = self.committed[self.cursor :]
        if count is None:
            self.cursor = len(self.committed)
            return available
        if len(available) < count:
            raise StackTimeoutError(
                f"timed out after {timeout:g}s waiting for {count} committed record(s); "
                f"{len(available)} arrived (kept for the next call)"
            )
        self.cursor += count
        return available[:count]

    def status(self) -> StackStatus:
        self.calls.append("status")
        job = JobStatus(
            job_id="0123abcd",
            name="StateFun Lab walkthrough",
            state="RUNNING",
            tasks_running=3,
            tasks_total=3,
            checkpoints_completed=12,
            checkpoints_failed=0,
            last_checkpoint_id=7,
            duration_s=75.4,
        )
        processes = (
            (
                ProcessStatus("statefun", 4242, True, 512.4)
                if self.running
                else ProcessStatus("statefun", None, False, None)
            ),
            ProcessStatus("kafka", 4243, True, 301.0),
            ProcessStatus("functions", None, True, None),
        )
        return StackStatus(
            job=job if self.running else None,
            processes=processes,
            uptime_s=3725.0,
            bootstrap="127.0.0.1:29092",
            function_url="http://127.0.0.1:8000/statefun",
            flink_ui_url="http://127.0.0.1:8081",
            scratch="/scratch",
        )

    def kill_task(self) -> None:
        self.calls.append("kill_task")
        if not self.running:
            raise StackNotRunningError("the StateFun job is not running (already killed?)")
        self.running = False
        self.kills += 1

    def restore(self, *, from_checkpoint: bool = True) -> Path | None:
        self.calls.append("restore")
        self.running = True
        self.restores += 1
        queue, self.down_queue = self.down_queue, []
        if not from_checkpoint:
            self.seen = {}
        if self.fault == "gap" and queue:
            self._process(queue.pop(0), commit=False)
        if self.fault == "lost":
            queue = queue[1:]
        if self.fault == "duplicate" and self.last is not None:
            name, before = self.last
            self.seen[name] = before
            queue.insert(0, name)
        if self.fault == "stuck":
            queue = []
        for name in queue:
            self._process(name)
        return CHECKPOINT if from_checkpoint else None

    # -- the greeter -------------------------------------------------------------------------

    def _process(self, name: str, *, commit: bool = True) -> None:
        before = self.seen.get(name, 0)
        self.seen[name] = before + 1
        self.last = (name, before)
        if commit:
            self.committed.append((name, greeting(name, before + 1)))
