"""The scratch directory of one stack run, and the configuration files written into it.

A run keeps everything in a fresh directory (:func:`make_scratch`): its configuration
(``conf/``), the module.yaml Flink reads (``module/``), the logs, Kafka's data and the
checkpoints. What is written there is rendered by :mod:`statefun.flink.config`:

* :func:`write_kafka_conf`: the broker's ``server.properties`` and its log4j configuration;
* :func:`write_job_conf`: the user's module.yaml pointed at the stack, ``flink-conf.yaml`` (the
  parallelism, the checkpoint interval, the UI's port) and the job's log4j configuration.

::

    scratch = make_scratch()
    write_job_conf(scratch, Path("module.yaml"), function_host_port="127.0.0.1:8000",
                   bootstrap="127.0.0.1:9092", rest_port=8081, parallelism=2)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from statefun.flink import config

__all__ = ["MARKER", "SUBDIRECTORIES", "make_scratch", "write_job_conf", "write_kafka_conf"]

#: The file that marks a directory as a stack's scratch (only such a directory is removed).
MARKER = ".statefun-lab-stack"
#: The directories of a run: configuration, Flink's temporary files, checkpoints, Kafka's data,
#: the module.yaml Flink reads.
SUBDIRECTORIES = ("conf", "tmp", "checkpoints", "kafka-data", "module")


def make_scratch() -> Path:
    """A new, marked scratch directory with the run's :data:`SUBDIRECTORIES`."""
    scratch = Path(tempfile.mkdtemp(prefix="statefun-lab-flink-"))
    (scratch / MARKER).write_text("a scratch directory of statefun.flink.FlinkStack\n")
    for sub in SUBDIRECTORIES:
        (scratch / sub).mkdir()
    return scratch


def write_kafka_conf(scratch: Path, port: int, controller_port: int) -> Path:
    """Write the broker's ``conf/server.properties`` (broker on ``port``, controller on
    ``controller_port``) and ``conf/kafka-log4j.properties``; returns the properties' path."""
    conf = scratch / "conf"
    props = conf / "server.properties"
    props.write_text(config.kafka_properties(scratch, port, controller_port))
    (conf / "kafka-log4j.properties").write_text(config.KAFKA_LOG4J)
    return props


def write_job_conf(
    scratch: Path,
    module_path: Path,
    *,
    function_host_port: str | None,
    bootstrap: str,
    rest_port: int,
    checkpoint_interval: str = config.CHECKPOINT_INTERVAL,
    parallelism: int = 1,
) -> None:
    """Write what the StateFun job reads: ``module/module.yaml`` (``module_path`` with its
    function endpoints at ``function_host_port``, None: kept, and its Kafka addresses at
    ``bootstrap``), ``conf/flink-conf.yaml`` (the UI on ``rest_port``, ``parallelism`` and
    ``checkpoint_interval``) and ``conf/log4j-console.properties``.

    Raises :class:`~statefun.errors.FlinkStackError` when module.yaml has no http endpoint or
    no Kafka address to point at the stack (see :func:`~statefun.flink.config.rewrite_module_yaml`).
    """
    text = config.rewrite_module_yaml(
        module_path.read_text(), function_host_port, bootstrap, origin=str(module_path)
    )
    (scratch / "module" / "module.yaml").write_text(text)
    conf = scratch / "conf"
    (conf / "flink-conf.yaml").write_text(
        config.flink_conf(
            scratch, rest_port, checkpoint_interval=checkpoint_interval, parallelism=parallelism
        )
    )
    (conf / "log4j-console.properties").write_text(config.FLINK_LOG4J)
