"""The real engine, from Python: Apache Flink StateFun 2.2.2 and a Kafka broker on loopback.

::

    from statefun.flink import FlinkStack

    with FlinkStack("module.yaml", functions=functions) as stack:   # served from this process
        stack.send("Ann", "Bob", "Ann")                               # the walkthrough's names
        print(stack.greetings(count=3, timeout=120))                  # committed greetings
        stack.produce("names", key="Ann", value=GreetRequest(name="Ann"))
        records = stack.egress("greetings", GreetResponse, count=1, timeout=120)
        print(stack.status())
        stack.kill_task(); stack.restore()                            # the failure drill

What runs (no Docker, no Maven; see ``shared/docs/real-engine.md``):

* Kafka: a single-node KRaft broker (Kafka 3.7.1), its own JVM;
* the functions: served from this Python process (a thread: :class:`KernelServer`), or by
  gunicorn (a functions file, or a WSGI app), or wherever module.yaml's endpoints point;
* StateFun 2.2.2 on Flink 1.11.3: one JVM (``CliFrontend run`` with ``execution.target:
  local``, an in-process MiniCluster), RocksDB state, a checkpoint every second, exactly-once
  Kafka egress (records are committed when a checkpoint completes).

The jars come from :mod:`statefun.flink.jars` (downloaded once, checked against the lock) and
Java from :mod:`statefun.flink.java`. module.yaml is used as it is, with only the function
endpoints and the Kafka addresses pointed at the stack (in a scratch copy).

No orphans: each process leads its own process group and is recorded in a pid file in the
user cache (:func:`~statefun.flink.processes.stack_file`). :meth:`FlinkStack.down` stops them;
so does the end of this Python process (``atexit``), and the processes of a stack started in
this process die with it even when it is killed (Linux parent-death signal). The next ``up``
after a killed kernel stops anything left and says so; a second ``up`` while a stack runs raises
:class:`~statefun.errors.StackRunningError`, saying how to stop it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from statefun.core import message_name
from statefun.errors import (
    FlinkStackError,
    FunctionFailedError,
    StackNotRunningError,
    StackTimeoutError,
)
from statefun.flink import config
from statefun.flink.function_server import (
    FunctionServer,
    FunctionsSource,
    GunicornServer,
    KernelServer,
)
from statefun.flink.jars import ProgressHook, classpath, fetch_jars
from statefun.flink.java import Java, find_java
from statefun.flink.kafka import CommittedReader, EgressRecord, Producer, create_topics
from statefun.flink.processes import (
    PidFile,
    StackRecord,
    check_port,
    free_port,
    kill_group,
    log_tail,
    pid_alive,
    poll,
    remove_scratch,
    rss_mb,
    spawn,
)
from statefun.flink.status import FlinkRest, JobStatus, ProcessStatus, StackStatus
from statefun.i18n import gettext as _

__all__ = [
    "CLI_FRONTEND",
    "COMPONENTS",
    "DEFAULT_EGRESS_TOPICS",
    "STATEFUN_JOB_CLASS",
    "STATEFUN_VERSION",
    "FlinkStack",
    "message_class",
]

M = TypeVar("M", bound=Message)

STATEFUN_VERSION = "2.2.2"
STATEFUN_JOB_CLASS = "org.apache.flink.statefun.flink.core.StatefulFunctionsJob"
CLI_FRONTEND = "org.apache.flink.client.cli.CliFrontend"
#: The topics the functions write to, created before the job starts: the walkthrough's.
DEFAULT_EGRESS_TOPICS = ("greetings",)
#: The stack's components, as :meth:`FlinkStack.logs` names them.
COMPONENTS = ("statefun", "kafka", "functions")

_MARKER = ".statefun-lab-stack"
_START_TIMEOUT = 180.0


def _say_stderr(text: str) -> None:
    print(f"[statefun-lab] {text}", file=sys.stderr, flush=True)


class FlinkStack:
    """The real StateFun 2.2.2 runtime, a Kafka broker and the functions, on 127.0.0.1.

    ``module``: the module.yaml (remote http functions, Kafka ingresses and egresses).

    What serves the functions (one of):

    * ``functions``: a ``StatefulFunctions``, or a callable returning one, served from this
      process; looked up on every request, so rebinding a function changes what Flink calls
      next. A ``str``/``Path`` naming a ``.py`` file (``path.py[:variable]``) is served by
      gunicorn instead;
    * ``app``: a WSGI app for gunicorn (``"greeter:app"``), run in ``app_dir``;
    * neither: module.yaml's endpoints are used as they are (you serve the functions).

    Options: ``egress_topics`` the topics the functions write to (created up front; others
    are created when first written), ``workers`` gunicorn's workers, ``kafka_port`` /
    ``rest_port`` / ``function_port`` fixed ports (default: free ones; a taken one raises
    :class:`~statefun.errors.PortInUseError`), ``checkpoint_interval`` Flink's (``"1s"``),
    ``parallelism`` Flink's default parallelism (1: one subtask of each operator; more runs
    the function dispatch in that many subtasks, keys split between them), ``python`` the
    interpreter gunicorn runs ``app`` with (default: this one; another one, e.g. a virtual
    environment with upstream's SDK, imports its own packages only),
    ``detached`` the stack outlives this process (``statefun-lab flink up``; needs gunicorn
    or your own server), ``say`` where progress goes (default stderr; None: silent),
    ``progress`` the jar download's bar (True: tqdm, an ipywidgets bar in Jupyter; False:
    none; a ``progress(done, total)`` callable: told the bytes instead), ``start_timeout``
    seconds for each component to get ready.
    """

    def __init__(
        self,
        module: str | os.PathLike[str] = "module.yaml",
        functions: FunctionsSource | str | os.PathLike[str] | None = None,
        *,
        app: str | None = None,
        app_dir: str | os.PathLike[str] | None = None,
        egress_topics: Sequence[str] = DEFAULT_EGRESS_TOPICS,
        workers: int = 4,
        kafka_port: int | None = None,
        rest_port: int | None = None,
        function_port: int | None = None,
        checkpoint_interval: str = config.CHECKPOINT_INTERVAL,
        parallelism: int = 1,
        python: str | os.PathLike[str] | None = None,
        detached: bool = False,
        say: Callable[[str], None] | None = _say_stderr,
        progress: bool | ProgressHook = True,
        start_timeout: float = _START_TIMEOUT,
    ) -> None:
        from statefun.local.module_yaml import load_module

        path = Path(module).expanduser()
        self.module = load_module(path)  # ModuleYamlError: missing, unreadable, invalid
        self.module_path = (path / "module.yaml" if path.is_dir() else path).resolve()
        self._functions_source: FunctionsSource | None = None
        self._functions_file: str | None = None
        if isinstance(functions, (str, os.PathLike)):
            self._functions_file = _functions_file(os.fspath(functions))
        elif functions is not None:
            self._functions_source = functions
        if functions is not None and app is not None:
            raise FlinkStackError(
                "FlinkStack serves either functions= (a StatefulFunctions or a .py file) or "
                "app= (a WSGI app for gunicorn), not both."
            )
        if detached and self._functions_source is not None:
            raise FlinkStackError(
                "a detached stack outlives this Python process, so it cannot serve functions "
                "from it: pass the functions file (functions='greeter/greeter.py') or app=."
            )
        if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 1:
            raise FlinkStackError(
                f"parallelism must be a whole number of subtasks, 1 or more; got "
                f"{parallelism!r}. Pass e.g. FlinkStack(..., parallelism=2)."
            )
        if python is not None and app is None:
            raise FlinkStackError(
                f"python={os.fspath(python)!r} runs gunicorn with another interpreter, which "
                f"serves a WSGI app of its own: pass app='module:variable' (and app_dir=) too."
            )
        self.app = app
        self.app_dir = Path(app_dir).resolve() if app_dir is not None else None
        self.parallelism = parallelism
        self.python = os.fspath(python) if python is not None else None
        self.egress_topics = tuple(egress_topics)
        self.workers = workers
        self.checkpoint_interval = checkpoint_interval
        self.detached = detached
        self.progress = progress
        self.start_timeout = start_timeout
        self._say_fn = say
        self._fixed_ports = {
            "kafka": kafka_port,
            "rest": rest_port,
            "function": function_port,
        }
        self.pid_file = PidFile()
        self.timings: dict[str, float] = {}
        self.java: Java | None = None
        self.record: StackRecord | None = None
        self._server: FunctionServer | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._runtime_jars: list[Path] = []
        self._kafka_jars: list[Path] = []
        self._readers: dict[tuple[str, str | None], CommittedReader[Any]] = {}
        self._pending: dict[tuple[str, str | None], list[EgressRecord[Any]]] = {}
        self._producer: Producer | None = None
        self._atexit_registered = False

    #: The stack up in this process, if any (see :meth:`current`).
    _current: FlinkStack | None = None

    @classmethod
    def current(cls) -> FlinkStack | None:
        """The stack this Python process started and has not stopped (at most one runs):
        ``FlinkStack.current().down()`` stops it when the variable holding it is lost (a
        notebook cell run again)."""
        return cls._current

    # -- context manager --------------------------------------------------------------------

    def __enter__(self) -> FlinkStack:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def __repr__(self) -> str:
        if self.record is None:
            return f"<FlinkStack {self.module_path} (down)>"
        return f"<FlinkStack {self.module_path} Kafka {self.bootstrap}, UI {self.flink_ui_url}>"

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

    # -- lifecycle --------------------------------------------------------------------------

    def up(self) -> FlinkStack:
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
        scratch = Path(tempfile.mkdtemp(prefix="statefun-lab-flink-"))
        (scratch / _MARKER).write_text("a scratch directory of statefun.flink.FlinkStack\n")
        for sub in ("conf", "tmp", "checkpoints", "kafka-data", "module"):
            (scratch / sub).mkdir()
        self.record = StackRecord(
            scratch=str(scratch),
            owner_pid=os.getpid(),
            detached=self.detached,
            started=time.time(),
            info={"module": str(self.module_path), "java": self.java.describe()},
        )
        self.pid_file.write(self.record)
        if not self.detached:
            FlinkStack._current = self
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
        self._write_module_and_conf()
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
        if FlinkStack._current is self:
            FlinkStack._current = None
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

    # -- the pieces -------------------------------------------------------------------------

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
        conf = self.scratch / "conf"
        props = conf / "server.properties"
        props.write_text(
            config.kafka_properties(self.scratch, rec.ports["kafka"], rec.ports["controller"])
        )
        (conf / "kafka-log4j.properties").write_text(config.KAFKA_LOG4J)
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

    def _write_module_and_conf(self) -> None:
        rec = self._rec()
        host_port = None
        if self._server is not None:
            host_port = self._server.url.split("//", 1)[1].split("/", 1)[0]
        text = config.rewrite_module_yaml(
            self.module_path.read_text(), host_port, self.bootstrap, origin=str(self.module_path)
        )
        (self.scratch / "module" / "module.yaml").write_text(text)
        conf = self.scratch / "conf"
        (conf / "flink-conf.yaml").write_text(
            config.flink_conf(
                self.scratch,
                rec.ports["rest"],
                checkpoint_interval=self.checkpoint_interval,
                parallelism=self.parallelism,
            )
        )
        (conf / "log4j-console.properties").write_text(config.FLINK_LOG4J)

    def _start_statefun(self, savepoint: Path | None = None) -> None:
        rec = self._rec()
        job_jar = f"statefun-flink-core-{STATEFUN_VERSION}.jar"
        core = next((p for p in self._runtime_jars if p.name == job_jar), None)
        if core is None:
            raise FlinkStackError(f"the lock's runtime jar set has no {job_jar}")
        conf = self.scratch / "conf"
        env = dict(os.environ)
        env["FLINK_CONF_DIR"] = str(conf)
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
        cmd += ["-c", STATEFUN_JOB_CLASS, str(core)]
        label = f" from {savepoint}" if savepoint else ""
        java = self.java.describe() if self.java else "java"
        if savepoint is None:
            started = _("starting StateFun {version} on Flink 1.11.3 ({java})")
        else:
            started = _("starting StateFun {version} on Flink 1.11.3 from {checkpoint} ({java})")
        self._say(started.format(version=STATEFUN_VERSION, checkpoint=savepoint, java=java))
        t0 = time.monotonic()
        with self.log_path("statefun").open("a") as f:
            f.write(f"\n===== statefun-lab: CliFrontend run{label} =====\n")
        self._spawn("statefun", cmd, env=env)
        rest = FlinkRest(rec.ports["rest"])

        def running() -> JobStatus | None:
            job = rest.job()
            return job if job is not None and job.running else None

        found = poll(
            "the StateFun job to run (all tasks RUNNING)",
            running,
            self.start_timeout,
            interval=0.25,
            log=self.log_path("statefun"),
            alive=self._dead("statefun"),
        )
        assert found is not None  # poll returns a truthy value
        job: JobStatus = found
        prefix = "restore_" if savepoint else "statefun_"
        self.timings[f"{prefix}running_s"] = round(time.monotonic() - t0, 2)
        self._say(
            _("the StateFun job {job} runs; waiting for its first checkpoint").format(
                job=job.job_id
            )
        )

        def checkpointed() -> bool:
            now = rest.job()
            return now is not None and now.job_id == job.job_id and now.checkpoints_completed > 0

        poll(
            "the job's first completed checkpoint (the exactly-once egress is then ready)",
            checkpointed,
            self.start_timeout,
            interval=0.25,
            log=self.log_path("statefun"),
            alive=self._dead("statefun"),
        )
        self.timings[f"{prefix}checkpointed_s"] = round(time.monotonic() - t0, 2)
        rec.info["job_id"] = job.job_id
        self.pid_file.write(rec)
        self._say(
            _("ready: Kafka {address}, Flink UI {url}").format(
                address=self.bootstrap, url=self.flink_ui_url
            )
        )

    # -- the failure drill ------------------------------------------------------------------

    def kill_task(self) -> None:
        """Crash the job: SIGKILL the StateFun JVM (no cancel, no final checkpoint).

        Nothing committed is lost: records are committed with checkpoints. :meth:`restore`
        starts the job again from its latest completed checkpoint.
        """
        rec = self._rec()
        pid = rec.pids.pop("statefun", None)
        if pid is None:
            raise StackNotRunningError("the StateFun job is not running (already killed?)")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        proc = self._procs.pop("statefun", None)
        if proc is not None:
            proc.wait(timeout=30)
        else:
            poll("the StateFun JVM to die", lambda: not pid_alive(pid), 30)
        self.pid_file.write(rec)
        self._say(_("killed the StateFun job (pid {pid})").format(pid=pid))

    def latest_checkpoint(self) -> Path:
        """The newest retained, completed checkpoint (a ``chk-N`` directory with ``_metadata``)."""
        # Checkpoint ids go on across a restore (chk-18 -> the new job's chk-19): the highest
        # id is the newest, whatever job directory it is in.
        found = sorted(
            (int(p.parent.name.removeprefix("chk-")), p.parent)
            for p in (self.scratch / "checkpoints").glob("*/chk-*/_metadata")
        )
        if not found:
            raise StackNotRunningError(
                f"no completed checkpoint under {self.scratch / 'checkpoints'}: the job never "
                f"checkpointed, so there is nothing to restore."
            )
        return found[-1][1]

    def restore(self, *, from_checkpoint: bool = True) -> Path | None:
        """Start the job again after :meth:`kill_task`, from the latest completed checkpoint
        (its path is returned; ``from_checkpoint=False``: from nothing, all state lost)."""
        rec = self._rec()
        if "statefun" in rec.pids:
            raise FlinkStackError("the StateFun job is still running: kill_task() first.")
        checkpoint = self.latest_checkpoint() if from_checkpoint else None
        self._start_statefun(savepoint=checkpoint)
        return checkpoint

    # -- Kafka --------------------------------------------------------------------------------

    def _producer_(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self.bootstrap)
        return self._producer

    def produce(self, topic: str, key: str | None, value: Message | bytes) -> None:
        """Write one record to ``topic`` (keyed by ``key``: the routable ingress's function
        id), ``value`` a message (serialized as itself) or bytes; flushed."""
        producer = self._producer_()
        producer.send(topic, key, value)
        producer.flush()

    def produce_many(
        self, topic: str, records: Iterable[tuple[str | None, Message | bytes]]
    ) -> int:
        """Write ``(key, value)`` records to ``topic``; returns how many."""
        return self._producer_().send_many(topic, records)

    def send(self, *names: str, topic: str | None = None) -> int:
        """The walkthrough's shorthand: for each name, produce ``Request(name=name)`` keyed by
        the name to the ingress topic (the only one module.yaml reads, or ``topic``), where
        ``Request`` is the message type of the topic's ``typeUrl`` (``example.GreetRequest``;
        its module must be imported, e.g. ``from messages_pb2 import GreetRequest``)."""
        route_topic, cls = self._ingress_route(topic)
        if "name" not in cls.DESCRIPTOR.fields_by_name:
            raise FlinkStackError(
                f"send() builds {cls.DESCRIPTOR.full_name}(name=...), which has no `name` field: "
                f"use stack.produce({route_topic!r}, key, message) instead."
            )
        return self.produce_many(route_topic, ((n, cls(name=n)) for n in names))

    def _ingress_route(self, topic: str | None) -> tuple[str, type[Message]]:
        routes = [
            route
            for ingress in self.module.ingresses.values()
            for route in ingress.topics
            if topic is None or route.topic == topic
        ]
        if len(routes) != 1:
            known = sorted({r.topic for i in self.module.ingresses.values() for r in i.topics})
            which = f"topic {topic!r}" if topic else "a single ingress topic"
            raise FlinkStackError(
                f"{self.module_path}: found {len(routes)} routes for {which} (topics: "
                f"{', '.join(known) or 'none'}); pass topic= one of them."
            )
        return routes[0].topic, message_class(routes[0].type_url)

    def _egress_topic(self, egress_or_topic: str | None) -> str:
        if egress_or_topic is None or egress_or_topic in self.module.egresses:
            if len(self.egress_topics) == 1:
                return self.egress_topics[0]
            raise FlinkStackError(
                f"which topic? The egress writes to the topics its functions choose; this "
                f"stack knows {list(self.egress_topics)}: pass one of them."
            )
        return egress_or_topic

    @overload
    def egress(
        self,
        egress_or_topic: str | None = ...,
        message_type: None = ...,
        *,
        count: int | None = ...,
        timeout: float = ...,
        from_start: bool = ...,
    ) -> list[EgressRecord[Message]]: ...

    @overload
    def egress(
        self,
        egress_or_topic: str | None,
        message_type: type[M],
        *,
        count: int | None = ...,
        timeout: float = ...,
        from_start: bool = ...,
    ) -> list[EgressRecord[M]]: ...

    def egress(
        self,
        egress_or_topic: str | None = None,
        message_type: type[Message] | None = None,
        *,
        count: int | None = None,
        timeout: float = 60.0,
        from_start: bool = False,
    ) -> list[EgressRecord[Any]]:
        """Committed records of a topic (or of the egress id's topic), decoded as
        ``message_type`` (None: raw bytes), read ``read_committed``: only what a completed
        checkpoint committed, each once.

        Each call returns the records after those the previous call (for this topic and
        type) returned; the first call starts at the topic's beginning (``from_start=True``:
        start over). ``count``: wait (``timeout`` s at most) for that many; None: what is
        committed now. Raises :class:`~statefun.errors.FunctionFailedError` as soon as the
        function raises while waiting, :class:`~statefun.errors.StackTimeoutError` on timeout.
        """
        topic = self._egress_topic(egress_or_topic)
        key = (topic, message_type.DESCRIPTOR.full_name if message_type else None)
        reader = self._readers.get(key)
        if reader is None or from_start:
            if reader is not None:
                reader.close()
            reader = CommittedReader(self.bootstrap, topic, message_type)
            self._readers[key] = reader
            self._pending[key] = []
        pending = self._pending[key]
        errors_at_start = self._server.error_count() if self._server is not None else 0
        deadline = time.monotonic() + timeout
        while True:
            if count is not None and len(pending) >= count:
                got, pending[:] = pending[:count], pending[count:]
                return got
            pending += reader.poll(timeout_ms=200)
            if count is None and reader.at_end():
                pending += reader.poll(timeout_ms=0)
                got, pending[:] = list(pending), []
                return got
            if count is not None and len(pending) >= count:
                continue
            self._check_function_errors(errors_at_start)
            if time.monotonic() >= deadline:
                if count is None:
                    got, pending[:] = list(pending), []
                    return got
                raise StackTimeoutError(
                    f"timed out after {timeout:g}s waiting for {count} committed record(s) on "
                    f"topic {topic!r}; {len(pending)} arrived (kept for the next call). Records "
                    f"are committed when a checkpoint completes (every "
                    f"{self.checkpoint_interval}); is the job running (stack.status())?\n"
                    f"{self.logs('statefun', 15)}",
                    log_path=str(self.log_path("statefun")),
                )

    def _function_errors(self) -> list[str]:
        return self._server.errors() if self._server is not None else []

    def _check_function_errors(self, seen: int) -> None:
        if self._server is None or self._server.error_count() <= seen:
            return
        errors = self._function_errors()
        if errors:
            raise FunctionFailedError(
                f"the function raised while Flink called it "
                f"({self._server.error_count() - seen} time(s)); Flink retries the batch "
                f"until the function's timeout in module.yaml, then restarts the job. Fix "
                f"the function (rebinding it is enough when it is served from this process) "
                f"and read again. The last "
                f"error:\n{errors[-1]}",
                errors=errors,
                log_path=str(self.log_path("functions")),
            )

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        """The walkthrough's shorthand: ``(name, greeting)`` of the next committed
        ``example.GreetResponse`` records of the egress topic (see :meth:`egress`)."""
        cls = message_class("example.GreetResponse")
        records = self.egress(None, cls, count=count, timeout=timeout)
        return [(getattr(r.value, "name", ""), getattr(r.value, "greeting", "")) for r in records]

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


def _functions_file(spec: str) -> str:
    """``path.py[:variable]`` with the path made absolute (gunicorn runs elsewhere); checked."""
    from statefun._loader import split_spec
    from statefun.errors import FunctionFileError

    text, variable = split_spec(spec)
    path = Path(text).expanduser()
    if not path.is_file() or path.suffix != ".py":
        raise FunctionFileError(
            f"{text}: no such Python file. Pass the .py file that binds your functions, e.g. "
            f"greeter/greeter.py (FILE.py:VARIABLE picks one StatefulFunctions)."
        )
    return str(path.resolve()) + (f":{variable}" if variable else "")


def message_class(type_url_or_name: str) -> type[Message]:
    """The message class of a type URL (``com.googleapis/example.GreetRequest``) or full name,
    from the default descriptor pool: its ``_pb2`` module must have been imported."""
    name = message_name(type_url_or_name)
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
    except KeyError:
        raise FlinkStackError(
            f"the message type {name} is not loaded: import its generated module first "
            f"(e.g. `from messages_pb2 import GreetRequest, GreetResponse`)."
        ) from None
    cls: type[Message] = message_factory.GetMessageClass(descriptor)
    return cls
