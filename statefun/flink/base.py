"""What every part of :class:`~statefun.flink.FlinkStack` shares: :class:`StackBase`.

The stack's settings and state (declared here, set by ``FlinkStack.__init__``), the record of
its run, and what is read from it: the addresses, the logs and :meth:`StackBase.status`. The
other parts build on it: :mod:`statefun.flink.lifecycle` (up and down),
:mod:`statefun.flink.recovery` (the failure drill's operations), :mod:`statefun.flink.ingress`
(producing) and :mod:`statefun.flink.egress` (reading committed records).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from statefun.errors import FlinkStackError, StackNotRunningError
from statefun.flink.function_server import FunctionServer, FunctionsSource, KernelServer
from statefun.flink.jars import ProgressHook
from statefun.flink.java import Java
from statefun.flink.kafka import CommittedReader, EgressRecord, Producer
from statefun.flink.processes import PidFile, StackRecord, log_tail, pid_alive, rss_mb
from statefun.flink.status import FlinkRest, JobStatus, ProcessStatus, StackStatus

if TYPE_CHECKING:
    from statefun.local.module_yaml import ModuleSpec

__all__ = ["COMPONENTS", "StackBase"]

#: The stack's components, as :meth:`StackBase.logs` names them.
COMPONENTS = ("statefun", "kafka", "functions")


class StackBase:
    """The settings, state and addresses of a stack; see :class:`~statefun.flink.FlinkStack`.

    A base of the stack's parts, not a stack by itself: ``FlinkStack.__init__`` sets every
    attribute declared here.
    """

    module: ModuleSpec
    module_path: Path
    app: str | None
    app_dir: Path | None
    parallelism: int
    python: str | None
    egress_topics: tuple[str, ...]
    workers: int
    checkpoint_interval: str
    detached: bool
    progress: bool | ProgressHook
    start_timeout: float
    pid_file: PidFile
    timings: dict[str, float]
    java: Java | None
    record: StackRecord | None
    _functions_source: FunctionsSource | None
    _functions_file: str | None
    _say_fn: Callable[[str], None] | None
    _fixed_ports: dict[str, int | None]
    _server: FunctionServer | None
    _procs: dict[str, subprocess.Popen[bytes]]
    _runtime_jars: list[Path]
    _kafka_jars: list[Path]
    _readers: dict[tuple[str, str | None], CommittedReader[Any]]
    _pending: dict[tuple[str, str | None], list[EgressRecord[Any]]]
    _producer: Producer | None
    _atexit_registered: bool

    # -- addresses --------------------------------------------------------------------------

    def _rec(self) -> StackRecord:
        if self.record is None:
            raise StackNotRunningError(
                "the stack is not running: start it with stack.up() (or `with FlinkStack(...) "
                "as stack:`)."
            )
        return self.record

    @property
    def running(self) -> bool:
        """Whether :meth:`up` has run and :meth:`down` has not."""
        return self.record is not None

    @property
    def scratch(self) -> Path:
        """The run's directory: configuration, logs, Kafka's data, checkpoints."""
        return Path(self._rec().scratch)

    @property
    def bootstrap(self) -> str:
        """The Kafka broker, ``127.0.0.1:<port>``."""
        return f"127.0.0.1:{self._rec().ports['kafka']}"

    @property
    def flink_ui_url(self) -> str:
        """The Flink web UI (and REST API) of the job."""
        return f"http://127.0.0.1:{self._rec().ports['rest']}"

    @property
    def function_url(self) -> str:
        """Where Flink calls the functions (module.yaml's endpoint when the stack serves none)."""
        if self._server is not None:
            return self._server.url
        return str(self._rec().info.get("function_url", ""))

    @property
    def functions(self) -> FunctionsSource | None:
        """What the stack serves from this process (None when it does not); assignable."""
        return self._functions_source

    @functions.setter
    def functions(self, value: FunctionsSource) -> None:
        if not isinstance(self._server, KernelServer):
            raise FlinkStackError(
                "this stack does not serve functions from this process (it was given a file, "
                "an app, or none): restart it with FlinkStack(..., functions=functions)."
            )
        self._server.functions = value
        self._functions_source = value

    def log_path(self, component: str) -> Path:
        """The log file of ``component`` (``statefun``, ``kafka`` or ``functions``)."""
        name = {"flink": "statefun", "gunicorn": "functions"}.get(component, component)
        if name not in COMPONENTS:
            raise FlinkStackError(
                f"no component {component!r}: the stack's logs are {', '.join(COMPONENTS)}."
            )
        return self.scratch / f"{name}.log"

    def logs(self, component: str = "statefun", lines: int = 40) -> str:
        """The last ``lines`` lines of a component's log (``statefun``, ``kafka``,
        ``functions``); for functions served from this process, what they raised."""
        path = self.log_path(component)
        if path.name == "functions.log" and isinstance(self._server, KernelServer):
            errors = self._server.errors()
            if not errors:
                return "(the functions are served from this process; they raised nothing)"
            return "\n".join("\n".join(errors).splitlines()[-lines:])
        return log_tail(path, lines)

    def _say(self, text: str) -> None:
        if self._say_fn is not None:
            self._say_fn(text)

    def _function_errors(self) -> list[str]:
        return self._server.errors() if self._server is not None else []

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> StackStatus:
        """The job's state and checkpoints, each process's RSS, the uptime, the addresses."""
        rec = self._rec()
        job: JobStatus | None = None
        with contextlib.suppress(OSError, ValueError, KeyError):
            job = FlinkRest(rec.ports["rest"]).job()
        processes = [
            ProcessStatus(name, pid, pid_alive(pid), rss_mb(pid)) for name, pid in rec.pids.items()
        ]
        if "statefun" not in rec.pids:
            processes.insert(0, ProcessStatus("statefun", None, False, None))
        if isinstance(self._server, KernelServer):
            processes.append(ProcessStatus("functions", None, True, None))
        return StackStatus(
            job=job,
            processes=tuple(processes),
            uptime_s=round(time.time() - rec.started, 1),
            bootstrap=self.bootstrap,
            function_url=self.function_url,
            flink_ui_url=self.flink_ui_url,
            scratch=rec.scratch,
            function_errors=tuple(self._function_errors()),
        )
