"""Starting each component of a stack: :class:`StackComponents`.

* the functions: served from this process (:class:`~statefun.flink.KernelServer`), by gunicorn
  (:class:`~statefun.flink.GunicornServer`), or left to module.yaml's endpoints;
* Kafka: its storage formatted, then a single KRaft node in its own JVM;
* the StateFun job: ``CliFrontend run`` (one JVM, an in-process MiniCluster), started fresh or
  from a checkpoint, ready once it runs and has completed a checkpoint.

Each process is spawned in its own process group and recorded in the pid file at once;
:mod:`statefun.flink.lifecycle` starts them in order and stops them,
:mod:`statefun.flink.recovery` starts the job again after a crash.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from statefun.errors import FlinkStackError
from statefun.flink import config
from statefun.flink.base import StackBase
from statefun.flink.function_server import GunicornServer, KernelServer
from statefun.flink.jars import classpath
from statefun.flink.processes import poll, spawn
from statefun.flink.scratch import write_job_conf, write_kafka_conf
from statefun.flink.status import FlinkRest, JobStatus
from statefun.i18n import gettext as _

__all__ = ["CLI_FRONTEND", "STATEFUN_JOB_CLASS", "STATEFUN_VERSION", "StackComponents"]

STATEFUN_VERSION = "2.2.2"
STATEFUN_JOB_CLASS = "org.apache.flink.statefun.flink.core.StatefulFunctionsJob"
CLI_FRONTEND = "org.apache.flink.client.cli.CliFrontend"

_T = TypeVar("_T")


class StackComponents(StackBase):
    """The part of :class:`~statefun.flink.FlinkStack` that starts its processes."""

    def _topics(self) -> list[str]:
        topics: list[str] = []
        for ingress in self.module.ingresses.values():
            if ingress.kind == "kafka":
                topics += [route.topic for route in ingress.topics]
        topics += self.egress_topics
        return list(dict.fromkeys(topics))

    def _start_functions(self) -> None:
        rec = self._rec()
        port = self._fixed_ports["function"] or 0
        if self._functions_source is not None:
            server = KernelServer(self._functions_source, port=port)
            server.start()
            self._server = server
            self._say(_("serving the functions from this process at {url}").format(url=server.url))
        elif self._functions_file is not None or self.app is not None:
            self._server = GunicornServer(
                scratch=self.scratch,
                log=self.log_path("functions"),
                functions_file=self._functions_file,
                app=self.app,
                app_dir=self.app_dir,
                workers=self.workers,
                port=port,
                die_with_parent=not self.detached,
                python=self.python,
            )
            what = self._functions_file or self.app
            self._say(
                _("starting gunicorn ({workers} workers) for {what}").format(
                    workers=self.workers, what=what
                )
            )
        else:
            urls = [f.endpoint for f in self.module.functions.values() if f.endpoint]
            rec.info["function_url"] = urls[0] if urls else ""
            return
        rec.info["function_url"] = self._server.url

    def _java_cmd(self, heap: str, cp: str, log4j_opt: str) -> list[str]:
        assert self.java is not None
        return [
            self.java.binary,
            f"-Xmx{heap}",
            "-XX:-UsePerfData",  # no /tmp/hsperfdata_<user> left behind
            *self.java.flags,
            f"-Djava.io.tmpdir={self.scratch / 'tmp'}",
            log4j_opt,
            "-cp",
            cp,
        ]

    def _kafka_java(self) -> list[str]:
        log4j = (self.scratch / "conf" / "kafka-log4j.properties").as_uri()
        return self._java_cmd("512m", classpath(self._kafka_jars), f"-Dlog4j.configuration={log4j}")

    def _format_kafka(self) -> None:
        rec = self._rec()
        props = write_kafka_conf(self.scratch, rec.ports["kafka"], rec.ports["controller"])
        cmd = [*self._kafka_java(), "kafka.tools.StorageTool", "format"]
        cmd += ["-t", config.kraft_cluster_id(), "-c", str(props)]
        fmt = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if fmt.returncode != 0:
            raise FlinkStackError(
                f"formatting Kafka's storage failed (exit {fmt.returncode}):\n{fmt.stdout}\n"
                f"{fmt.stderr}"
            )

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        rec = self._rec()
        proc = spawn(cmd, self.log_path(name), env=env, die_with_parent=not self.detached)
        self._procs[name] = proc
        rec.pids[name] = proc.pid
        self.pid_file.write(rec)

    def _dead(self, name: str) -> Callable[[], str | None]:
        def check() -> str | None:
            proc = self._procs.get(name)
            if proc is not None and proc.poll() is not None:
                text = f"{name} exited with code {proc.returncode}"
                with contextlib.suppress(OSError):
                    if "Address already in use" in self.log_path(name).read_text(errors="replace"):
                        text += " (a port it needs is in use)"
                return text
            return None

        return check

    def _start_kafka(self) -> None:
        self._say(_("starting Kafka on {address}").format(address=self.bootstrap))
        props = self.scratch / "conf" / "server.properties"
        self._spawn("kafka", [*self._kafka_java(), "-Xms256m", "kafka.Kafka", str(props)])

    def _write_job_conf(self) -> None:
        host_port = None
        if self._server is not None:
            host_port = self._server.url.split("//", 1)[1].split("/", 1)[0]
        write_job_conf(
            self.scratch,
            self.module_path,
            function_host_port=host_port,
            bootstrap=self.bootstrap,
            rest_port=self._rec().ports["rest"],
            checkpoint_interval=self.checkpoint_interval,
            parallelism=self.parallelism,
        )

    def _start_statefun(self, savepoint: Path | None = None) -> None:
        """Start the job (fresh, or from ``savepoint``); return once it has a checkpoint."""
        rec = self._rec()
        cmd = self._statefun_cmd(savepoint)
        java = self.java.describe() if self.java else "java"
        if savepoint is None:
            started = _("starting StateFun {version} on Flink 1.11.3 ({java})")
        else:
            started = _("starting StateFun {version} on Flink 1.11.3 from {checkpoint} ({java})")
        self._say(started.format(version=STATEFUN_VERSION, checkpoint=savepoint, java=java))
        t0 = time.monotonic()
        label = f" from {savepoint}" if savepoint else ""
        with self.log_path("statefun").open("a") as f:
            f.write(f"\n===== statefun-lab: CliFrontend run{label} =====\n")
        env = {**os.environ, "FLINK_CONF_DIR": str(self.scratch / "conf")}
        self._spawn("statefun", cmd, env=env)
        rest = FlinkRest(rec.ports["rest"])
        prefix = "restore_" if savepoint else "statefun_"
        job = self._await_running(rest)
        self.timings[f"{prefix}running_s"] = round(time.monotonic() - t0, 2)
        self._say(
            _("the StateFun job {job} runs; waiting for its first checkpoint").format(
                job=job.job_id
            )
        )
        self._await_checkpoint(rest, job.job_id)
        self.timings[f"{prefix}checkpointed_s"] = round(time.monotonic() - t0, 2)
        rec.info["job_id"] = job.job_id
        self.pid_file.write(rec)
        self._say(
            _("ready: Kafka {address}, Flink UI {url}").format(
                address=self.bootstrap, url=self.flink_ui_url
            )
        )

    def _statefun_cmd(self, savepoint: Path | None) -> list[str]:
        """``java ... CliFrontend run [-s savepoint] -c StatefulFunctionsJob statefun-core.jar``."""
        job_jar = f"statefun-flink-core-{STATEFUN_VERSION}.jar"
        core = next((p for p in self._runtime_jars if p.name == job_jar), None)
        if core is None:
            raise FlinkStackError(f"the lock's runtime jar set has no {job_jar}")
        conf = self.scratch / "conf"
        # The module directory first (module.yaml found once, on the JVM classpath), then the
        # runtime jars in the lock's order.
        module_dir = str(self.scratch / "module") + "/"
        cmd = self._java_cmd(
            "1g",
            os.pathsep.join([module_dir, classpath(self._runtime_jars)]),
            f"-Dlog4j.configurationFile={(conf / 'log4j-console.properties').as_uri()}",
        )
        cmd += [CLI_FRONTEND, "run"]
        if savepoint is not None:
            cmd += ["-s", str(savepoint)]
        return [*cmd, "-c", STATEFUN_JOB_CLASS, str(core)]

    def _await_running(self, rest: FlinkRest) -> JobStatus:
        """The job, once all its tasks are RUNNING."""

        def running() -> JobStatus | None:
            job = rest.job()
            return job if job is not None and job.running else None

        found = self._poll_job("the StateFun job to run (all tasks RUNNING)", running)
        assert found is not None  # poll returns a truthy value
        return found

    def _await_checkpoint(self, rest: FlinkRest, job_id: str) -> None:
        """Wait for the job's first completed checkpoint."""

        def checkpointed() -> bool:
            now = rest.job()
            return now is not None and now.job_id == job_id and now.checkpoints_completed > 0

        self._poll_job(
            "the job's first completed checkpoint (the exactly-once egress is then ready)",
            checkpointed,
        )

    def _poll_job(self, what: str, check: Callable[[], _T]) -> _T:
        """:func:`~statefun.flink.processes.poll` the job, failing at once if its JVM exits."""
        return poll(
            what,
            check,
            self.start_timeout,
            interval=0.25,
            log=self.log_path("statefun"),
            alive=self._dead("statefun"),
        )
