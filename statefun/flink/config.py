"""The configuration files of one stack run, rendered as text.

* :func:`flink_conf`: Flink 1.11's ``flink-conf.yaml`` for recipe A of
  ``shared/docs/real-engine.md`` (``CliFrontend run`` with ``execution.target: local``: one JVM,
  an in-process MiniCluster), with what StateFun 2.2 checks (parent-first class loading,
  RocksDB timers) and checkpoints every :data:`CHECKPOINT_INTERVAL` (exactly-once egress
  commits on each);
* :func:`kafka_properties`: one KRaft node (broker and controller) on loopback, with the
  transaction log on one replica (without it exactly-once producers hang);
* :func:`rewrite_module_yaml`: the user's module.yaml with only the function endpoints and the
  Kafka addresses pointed at the stack (comments and everything else kept);
* the log4j configurations and gunicorn's (workers die with their master).
"""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

from statefun.errors import FlinkStackError

__all__ = [
    "CHECKPOINT_INTERVAL",
    "FLINK_LOG4J",
    "GUNICORN_CONF",
    "JOB_NAME",
    "KAFKA_LOG4J",
    "PARENT_FIRST",
    "flink_conf",
    "gunicorn_app",
    "kafka_properties",
    "kraft_cluster_id",
    "rewrite_module_yaml",
]

#: How often Flink checkpoints; the exactly-once egress commits its records on each.
CHECKPOINT_INTERVAL = "1s"
#: Classes StateFun 2.2 requires to be loaded parent-first (its job checks this).
PARENT_FIRST = "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf"
#: The Flink job's name (shown in the Flink UI).
JOB_NAME = "statefun-lab"


def flink_conf(
    scratch: Path,
    rest_port: int,
    *,
    checkpoint_interval: str = CHECKPOINT_INTERVAL,
    parallelism: int = 1,
    job_name: str = JOB_NAME,
) -> str:
    """``flink-conf.yaml`` for one run, everything under ``scratch``, the UI on ``rest_port``."""
    checkpoints = (scratch / "checkpoints").as_uri()
    return f"""\
# Written by statefun.flink for one run (see shared/docs/real-engine.md section 2.3).
execution.target: local
parallelism.default: {parallelism}
classloader.parent-first-patterns.additional: {PARENT_FIRST}
state.backend: rocksdb
state.backend.rocksdb.timer-service.factory: ROCKSDB
state.backend.incremental: true
state.checkpoints.dir: {checkpoints}
state.checkpoints.num-retained: 2
execution.checkpointing.interval: {checkpoint_interval}
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
statefun.flink-job-name: {job_name}
"""


#: log4j2 for the StateFun JVM: the console only (its output goes to ``statefun.log``).
FLINK_LOG4J = """\
# log4j2, console only (stdout is redirected to statefun.log).
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
    """``server.properties`` of a single KRaft node: broker on ``port``, controller beside it."""
    return f"""\
# Written by statefun.flink: one KRaft node on loopback (shared/docs/real-engine.md section 4).
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
auto.create.topics.enable=true
"""


#: reload4j for the Kafka JVM: the console only (its output goes to ``kafka.log``).
KAFKA_LOG4J = """\
# reload4j, console only (stdout is redirected to kafka.log).
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


#: gunicorn's configuration: a worker dies with its master (Linux PR_SET_PDEATHSIG), at once.
GUNICORN_CONF = """\
# Written by statefun.flink: a worker dies with its master (PR_SET_PDEATHSIG), at once.
import ctypes
import signal


def post_fork(server, worker):
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
"""


def gunicorn_app(functions_spec: str) -> str:
    """A WSGI module for gunicorn serving the functions file ``functions_spec`` (``a.py[:var]``)
    through :func:`statefun.serving.flask_app`."""
    return f"""\
# Written by statefun.flink: serves {functions_spec} with statefun.serving.flask_app.
from statefun._loader import load_function_file
from statefun.serving import flask_app

_loaded = load_function_file({functions_spec!r})
app = flask_app(_loaded.functions, name="statefun-lab")
"""


def kraft_cluster_id() -> str:
    """What ``kafka-storage random-uuid`` prints: a random UUID in unpadded base64url."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")


_ENDPOINT = re.compile(r"(?m)^(\s*endpoint:\s*[\"']?)(https?)://[^/\s\"']+")
_ADDRESS = re.compile(r"(?m)^(\s*address:\s*[\"']?)[^\s\"'#]+")


def rewrite_module_yaml(
    text: str, function_host_port: str | None, broker: str, *, origin: str
) -> str:
    """``text`` with every http endpoint's host:port set to ``function_host_port`` (None: the
    endpoints are kept) and every Kafka ``address`` to ``broker``; nothing else changes (the
    path of an endpoint is kept).

    Raises :class:`~statefun.errors.FlinkStackError` when there is no endpoint or no address
    to rewrite (``origin`` names the file in the message).
    """
    if function_host_port is None:
        n_endpoints = len(_ENDPOINT.findall(text))
    else:
        text, n_endpoints = _ENDPOINT.subn(
            lambda m: f"{m.group(1)}{m.group(2)}://{function_host_port}", text
        )
    text, n_addresses = _ADDRESS.subn(lambda m: f"{m.group(1)}{broker}", text)
    if n_endpoints == 0 or n_addresses == 0:
        raise FlinkStackError(
            f"{origin}: the stack runs remote http functions with Kafka ingresses and egresses, "
            f"but found {n_endpoints} function endpoint(s) and {n_addresses} Kafka address(es) "
            f"to point at it. Declare the functions with `kind: http` and an `endpoint:`, and "
            f"the Kafka ingress/egress with an `address:` (any host: the stack rewrites it)."
        )
    return text
