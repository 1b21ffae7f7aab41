"""The stack's processes: started in their own group, recorded in a pid file, never orphaned.

* :func:`spawn` starts a component (a JVM, gunicorn) as the leader of a new session, so that
  :func:`kill_group` reaches it and every child it forked, with its output in a log file;
* :class:`PidFile` records the running stack in the user cache (``$STATEFUN_LAB_CACHE/flink/
  stack.json``): which processes, which ports, which scratch directory, and which Python
  process owns it. The next ``up`` reads it: live processes of a stack whose owner is gone (a
  killed Jupyter kernel) are killed, and said so; a stack whose owner is alive, or that was
  started detached by ``statefun-lab flink up``, is reported as running
  (:class:`~statefun.errors.StackRunningError`);
* :func:`poll` waits for a condition with a deadline (never a blind sleep), failing fast when
  the process waited on dies, with the last lines of its log;
* :func:`free_port`, :func:`check_port`, :func:`rss_mb`, :func:`pid_alive`, :func:`log_tail`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from statefun.errors import PortInUseError, StackRunningError, StackTimeoutError
from statefun.flink.jars import cache_dir
from statefun.flink.scratch import MARKER

__all__ = [
    "PidFile",
    "StackRecord",
    "check_port",
    "free_port",
    "kill_group",
    "log_tail",
    "pid_alive",
    "poll",
    "remove_scratch",
    "rss_mb",
    "spawn",
    "stack_file",
]

_T = TypeVar("_T")


def stack_file(env: Mapping[str, str] | None = None) -> Path:
    """Where the running stack is recorded: ``cache_dir() / "flink" / "stack.json"``."""
    return cache_dir(env) / "flink" / "stack.json"


# ---------------------------------------------------------------------------------------------
# Ports, logs, polling
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_port(port: int, component: str) -> int:
    """``port`` if it can be bound on 127.0.0.1; :class:`PortInUseError` if it is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUseError(port, component) from None
    return port


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log, headed by its path (or a note that it is missing)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {path} ---\n" + "\n".join(tail)


def poll(
    what: str,
    check: Callable[[], _T],
    timeout: float,
    *,
    interval: float = 0.2,
    log: Path | None = None,
    alive: Callable[[], str | None] | None = None,
) -> _T:
    """Call ``check`` until it returns something truthy, and return that; at most ``timeout`` s.

    An exception from ``check`` counts as "not yet" (the thing polled is still starting).
    ``alive`` returns a text when the process waited on has died: the wait then fails at once.
    Failures raise :class:`~statefun.errors.StackTimeoutError` ending with the last lines of
    ``log``.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    where = str(log) if log else None
    while True:
        if alive is not None and (dead := alive()):
            raise StackTimeoutError(
                f"{what}: {dead}\n{log_tail(log) if log else ''}".rstrip(), log_path=where
            )
        try:
            result = check()
            if result:
                return result
        except Exception as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            hint = f"\nThe whole log: {log}" if log else ""
            raise StackTimeoutError(
                f"timed out after {timeout:.0f}s waiting for {what}{detail}{hint}\n"
                + (log_tail(log) if log else ""),
                log_path=where,
            )
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """The resident memory of process ``pid`` in MiB (Linux ``/proc``); None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return sys.platform != "linux"


def kill_group(pid: int, *, grace: float = 10.0) -> bool:
    """Stop the process group led by ``pid`` (SIGTERM, then SIGKILL after ``grace`` s).

    Only for processes started by :func:`spawn` (session leaders: their group id is their pid).
    Returns whether something was running.
    """
    ran = pid_alive(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return ran
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                return ran
            time.sleep(0.05)
    return ran


def spawn(
    argv: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` as a session leader (its own process group), output appended to ``log``.

    ``die_with_parent``: the process gets SIGKILL when this Python process dies, even by
    SIGKILL (Linux's parent-death signal, through ``setpriv --pdeathsig``, which execs, so the
    pid is the program's); for stacks that must not outlive their owner.
    """
    cmd = list(argv)
    setpriv = shutil.which("setpriv") if die_with_parent else None
    if setpriv:
        cmd = [setpriv, "--pdeathsig", "KILL", "--", *cmd]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    if setpriv:
        _await_exec(proc, cmd[: len(cmd) - len(argv)])
    return proc


def _await_exec(proc: subprocess.Popen[bytes], wrapper: Sequence[str]) -> None:
    """Wait (30 s at most: a busy machine) until the ``wrapper`` command (setpriv and its
    options) has exec'd the program: only then is its parent-death signal armed, so an owner
    killed right after :func:`spawn` still takes the process with it. Returns at once on most
    machines (a few milliseconds).

    Read from ``/proc/<pid>/cmdline``, which names the running program exactly: first this
    process's own command line (Popen can return before the child's exec has switched it), then
    the wrapper's, then the program's. (``comm`` is not enough: it still shows the old name for
    a moment after Popen returns.)
    """
    deadline = time.monotonic() + 30.0
    own = Path("/proc/self/cmdline").read_bytes()
    wrapped = b"\0".join(os.fsencode(part) for part in wrapper) + b"\0"
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            now = cmdline.read_bytes()
        except OSError:
            return
        if now and now != own and not now.startswith(wrapped):
            return
        time.sleep(0.001)


# ---------------------------------------------------------------------------------------------
# The pid file
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StackRecord:
    """What the pid file holds about a running stack (JSON)."""

    #: The scratch directory: configuration, logs, Kafka data, checkpoints.
    scratch: str
    #: The Python process that started the stack.
    owner_pid: int
    #: True when the stack is meant to outlive its owner (``statefun-lab flink up``).
    detached: bool = False
    #: Component name -> process id (each the leader of its own process group).
    pids: dict[str, int] = dataclasses.field(default_factory=dict)
    #: Component name -> port on 127.0.0.1 (``kafka``, ``controller``, ``function``, ``rest``).
    ports: dict[str, int] = dataclasses.field(default_factory=dict)
    #: Wall-clock start time (seconds since the epoch).
    started: float = 0.0
    #: Free-form facts for ``status`` (the Java used, the module.yaml, the function server).
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def live_pids(self) -> dict[str, int]:
        """The recorded processes that are still running."""
        return {name: pid for name, pid in self.pids.items() if pid_alive(pid)}

    def owner_alive(self) -> bool:
        """Whether the Python process that started the stack is still running."""
        return self.owner_pid == os.getpid() or pid_alive(self.owner_pid)


class PidFile:
    """The pid file of the running stack (:func:`stack_file` by default)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else stack_file()

    def read(self) -> StackRecord | None:
        """The recorded stack, or None (no file, or a file that is not a record: ignored)."""
        try:
            data = json.loads(self.path.read_text())
            return StackRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    def write(self, record: StackRecord) -> None:
        """Record ``record`` (atomically: a reader never sees half a file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(record), indent=2))
        os.replace(tmp, self.path)

    def clear(self, scratch: str | None = None) -> None:
        """Remove the file (only if it records ``scratch``, when given)."""
        if scratch is not None:
            current = self.read()
            if current is not None and current.scratch != scratch:
                return
        self.path.unlink(missing_ok=True)

    def claim(self, say: Callable[[str], None]) -> None:
        """Make way for a new stack, or raise :class:`StackRunningError` if one runs.

        A recorded stack with live processes runs when its owner is alive or it was started
        detached. Otherwise (its owner was killed: a Jupyter kernel restarted) what is left is
        killed, and ``say`` tells so. Its scratch directory is removed either way.
        """
        record = self.read()
        if record is None:
            self.path.unlink(missing_ok=True)
            return
        live = record.live_pids()
        starting = not record.pids and record.owner_pid != os.getpid() and record.owner_alive()
        if starting:
            raise StackRunningError(
                f"a Flink stack is being started by the Python process {record.owner_pid} "
                "(another notebook or script); wait for it and stop it there (stack.down()) or "
                "with `statefun-lab flink down`, then start again.",
                pids={},
            )
        if live and (record.detached or record.owner_alive()):
            if record.detached:
                who = "started by `statefun-lab flink up`"
            elif record.owner_pid == os.getpid():
                who = (
                    "started by this Python process, e.g. by a notebook cell run before: "
                    "FlinkStack.current().down() stops it"
                )
            else:
                who = f"owned by the Python process {record.owner_pid}"
            listed = ", ".join(f"{name} (pid {pid})" for name, pid in live.items())
            raise StackRunningError(
                f"a Flink stack is already running ({who}): {listed}; its files are in "
                f"{record.scratch}. Stop it with `statefun-lab flink down` (or stack.down() in "
                f"the Python process that started it), then start again.",
                pids=live,
            )
        if live:
            for name, pid in live.items():
                kill_group(pid, grace=5.0)
                say(f"stopped {name} (pid {pid}), left running by a Python process that is gone")
        if record.scratch:
            remove_scratch(record.scratch)
        self.path.unlink(missing_ok=True)

    def reserve(self, say: Callable[[str], None]) -> None:
        """:meth:`claim`, then record this process as starting a stack, atomically: of two
        processes starting at once, one gets :class:`StackRunningError` (until :meth:`write`
        records the stack, or :meth:`clear` with ``scratch=""`` gives the reservation up)."""
        for _attempt in range(2):
            self.claim(say)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue  # another process got there first: claim says who, or cleans up
            with os.fdopen(fd, "w") as out:
                record = StackRecord(scratch="", owner_pid=os.getpid(), started=time.time())
                out.write(json.dumps(dataclasses.asdict(record), indent=2))
            return
        self.claim(say)  # a third process in between: claim raises, naming it

    def stop(self, say: Callable[[str], None]) -> bool:
        """Stop the recorded stack whoever owns it; returns whether there was one."""
        record = self.read()
        if record is None:
            self.path.unlink(missing_ok=True)
            return False
        for name in ("statefun", "functions", "kafka", *record.pids):
            pid = record.pids.pop(name, None)
            if pid is not None and kill_group(pid):
                say(f"stopped {name} (pid {pid})")
        remove_scratch(record.scratch)
        self.path.unlink(missing_ok=True)
        return True


def remove_scratch(scratch: str) -> None:
    """Delete a stack's scratch directory (only one StateFun Lab made: it holds the
    :data:`~statefun.flink.scratch.MARKER`)."""
    path = Path(scratch)
    if (path / MARKER).exists():
        shutil.rmtree(path, ignore_errors=True)
