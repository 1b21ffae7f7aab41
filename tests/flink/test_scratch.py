"""statefun.flink.scratch: a run's directory and the configuration files written into it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from statefun.errors import FlinkStackError
from statefun.flink.processes import remove_scratch
from statefun.flink.scratch import (
    MARKER,
    SUBDIRECTORIES,
    make_scratch,
    write_job_conf,
    write_kafka_conf,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = make_scratch()
    yield path
    remove_scratch(str(path))


def test_a_scratch_dir_is_marked_and_laid_out_and_removable(scratch: Path) -> None:
    assert scratch.name.startswith("statefun-lab-flink-")
    assert (scratch / MARKER).is_file()
    assert sorted(p.name for p in scratch.iterdir() if p.is_dir()) == sorted(SUBDIRECTORIES)
    other = make_scratch()
    try:
        assert other != scratch  # each run its own
    finally:
        remove_scratch(str(other))
    remove_scratch(str(scratch))
    assert not scratch.exists()


def test_only_a_marked_directory_is_removed(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("not a stack's")
    remove_scratch(str(tmp_path))
    assert (tmp_path / "keep.txt").read_text() == "not a stack's"
    (tmp_path / MARKER).write_text("")
    remove_scratch(str(tmp_path))
    assert not tmp_path.exists()


def test_the_kafka_conf_puts_broker_and_controller_on_their_ports(scratch: Path) -> None:
    props = write_kafka_conf(scratch, 9001, 9002)
    assert props == scratch / "conf" / "server.properties"
    text = props.read_text()
    assert "listeners=PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9002" in text
    assert f"log.dirs={scratch / 'kafka-data'}" in text
    assert (scratch / "conf" / "kafka-log4j.properties").read_text().startswith("# reload4j")


def test_the_job_conf_keeps_the_endpoints_when_the_stack_serves_none(scratch: Path) -> None:
    write_job_conf(
        scratch, REPO / "module.yaml", function_host_port=None, bootstrap="b:1", rest_port=5
    )
    module = (scratch / "module" / "module.yaml").read_text()
    assert "endpoint: http://python-worker:8000/statefun" in module
    assert "address: b:1" in module and "kafka-broker" not in module
    conf = (scratch / "conf" / "flink-conf.yaml").read_text()
    assert "parallelism.default: 1\n" in conf
    assert "execution.checkpointing.interval: 1s\n" in conf
    assert (scratch / "conf" / "log4j-console.properties").read_text().startswith("# log4j2")


def test_a_module_without_an_endpoint_writes_nothing(scratch: Path, tmp_path: Path) -> None:
    module = tmp_path / "module.yaml"
    module.write_text("version: '3.0'\nmodule:\n  meta:\n    type: remote\n")
    with pytest.raises(FlinkStackError, match=r"module\.yaml: .* 0 function endpoint"):
        write_job_conf(scratch, module, function_host_port=None, bootstrap="b:1", rest_port=5)
    assert not (scratch / "module" / "module.yaml").exists()
    assert not (scratch / "conf" / "flink-conf.yaml").exists()
