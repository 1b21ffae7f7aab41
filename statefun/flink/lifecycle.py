"""Starting and stopping a whole stack: :class:`StackLifecycle`.

:meth:`StackLifecycle.up` reserves the pid file (one stack at a time), fetches the jars, finds
Java, makes the scratch directory and starts the functions, Kafka and the StateFun job in
order; whatever was started is stopped again on failure. :meth:`StackLifecycle.down` stops
every process and removes the scratch directory, and so does the end of this Python process
(``atexit``) for a stack it started; :meth:`StackLifecycle.detach` leaves a detached stack
running instead. :meth:`StackLifecycle.current` is the stack this process started.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import time
from typing import TYPE_CHECKING, Self, cast

from statefun.errors import FlinkStackError
from statefun.flink.components import StackComponents
from statefun.flink.function_server import GunicornServer
from statefun.flink.jars import fetch_jars
from statefun.flink.java import find_java
from statefun.flink.kafka import create_topics
from statefun.flink.processes import (
    StackRecord,
    check_port,
    free_port,
    kill_group,
    remove_scratch,
)
from statefun.flink.scratch import make_scratch
from statefun.i18n import gettext as _

if TYPE_CHECKING:
    from statefun.flink.stack import FlinkStack

__all__ = ["StackLifecycle"]


class StackLifecycle(StackComponents):
    """The part of :class:`~statefun.flink.FlinkStack` that starts and stops the whole stack."""

    #: The stack up in this process, if any (see :meth:`current`).
    _current: StackLifecycle | None = None

    @classmethod
    def current(cls) -> FlinkStack | None:
        """The stack this Python process started and has not stopped (at most one runs):
        ``FlinkStack.current().down()`` stops it when the variable holding it is lost (a
        notebook cell run again)."""
        return cast("FlinkStack | None", cls._current)

    def up(self) -> Self:
        """Start everything and return once the job runs and has completed a checkpoint.

        Raises :class:`~statefun.errors.StackRunningError` when a stack already runs, the
        jar and Java errors of :mod:`statefun.flink.jars` / :mod:`statefun.flink.java`,
        :class:`~statefun.errors.PortInUseError`, and
        :class:`~statefun.errors.StackTimeoutError` when a component does not start (with
        its log's last lines). Whatever was started is stopped again on failure.
        """
        if self.record is not None:
            return self
        for name, port in self._fixed_ports.items():
            if port is not None:
                check_port(port, {"kafka": "Kafka", "rest": "Flink's UI"}.get(name, name))
        self.pid_file.reserve(self._say)
        try:
            t0 = time.monotonic()
            jars = fetch_jars("runtime", "kafka", progress=self.progress)
            self._runtime_jars, self._kafka_jars = jars["runtime"], jars["kafka"]
            self.timings["jars_s"] = round(time.monotonic() - t0, 2)
            self.java = find_java()
        except BaseException:
            self.pid_file.clear(scratch="")  # give the reservation up
            raise
        scratch = make_scratch()
        self.record = StackRecord(
            scratch=str(scratch),
            owner_pid=os.getpid(),
            detached=self.detached,
            started=time.time(),
            info={"module": str(self.module_path), "java": self.java.describe()},
        )
        self.pid_file.write(self.record)
        if not self.detached:
            StackLifecycle._current = self
        if not self.detached and not self._atexit_registered:
            atexit.register(self._at_exit)
            self._atexit_registered = True
        try:
            self._start_all()
        except BaseException:
            self.down()
            raise
        return self

    def _start_all(self) -> None:
        rec = self._rec()
        t0 = time.monotonic()
        self._start_functions()
        rec.ports["kafka"] = self._fixed_ports["kafka"] or free_port()
        rec.ports["controller"] = free_port()
        rec.ports["rest"] = self._fixed_ports["rest"] or free_port()
        self._format_kafka()
        self.timings["kafka_format_s"] = round(time.monotonic() - t0, 2)
        t1 = time.monotonic()
        self._start_kafka()
        if isinstance(self._server, GunicornServer):
            self._server.start()
            rec.pids["functions"] = self._server.pid or 0
            self.pid_file.write(rec)
        self.timings["functions_ready_s"] = round(time.monotonic() - t0, 2)
        from statefun.flink.kafka import wait_for_broker

        wait_for_broker(
            rec.ports["kafka"],
            timeout=self.start_timeout,
            log=self.log_path("kafka"),
            alive=self._dead("kafka"),
        )
        create_topics(self.bootstrap, self._topics(), log=self.log_path("kafka"))
        self.timings["kafka_ready_s"] = round(time.monotonic() - t1, 2)
        self._say(_("Kafka is ready on {address}").format(address=self.bootstrap))
        self._write_job_conf()
        self._start_statefun()

    def down(self) -> None:
        """Stop every process of the stack and the function server; remove the scratch dir."""
        for reader in self._readers.values():
            with contextlib.suppress(Exception):
                reader.close()
        self._readers.clear()
        if self._producer is not None:
            with contextlib.suppress(Exception):
                self._producer.close()
            self._producer = None
        if self.record is None:
            return
        for name in ("statefun", "functions", "kafka"):
            pid = self.record.pids.pop(name, None)
            if pid:
                kill_group(pid)
            proc = self._procs.pop(name, None)
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.wait(timeout=5)
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.pid_file.clear(self.record.scratch)
        remove_scratch(self.record.scratch)
        self.record = None
        if StackLifecycle._current is self:
            StackLifecycle._current = None
        if self._atexit_registered:
            atexit.unregister(self._at_exit)
            self._atexit_registered = False

    def detach(self) -> None:
        """Leave a detached stack running when this process ends (``statefun-lab flink up``):
        forget its processes here; ``statefun-lab flink down`` stops them."""
        if not self.detached:
            raise FlinkStackError(
                "only a stack made with FlinkStack(..., detached=True) can be left running: "
                "its functions must not be served from this process."
            )
        for proc in self._procs.values():
            proc.returncode = 0  # no "still running" warning when the Popen is collected
        self._procs.clear()
        if isinstance(self._server, GunicornServer) and self._server.process is not None:
            self._server.process.returncode = 0
        self._server = None
        self.record = None

    def _at_exit(self) -> None:
        with contextlib.suppress(Exception):
            self.down()
