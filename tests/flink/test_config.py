"""statefun.flink.config: the files one stack run writes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from statefun.errors import FlinkStackError
from statefun.flink.config import (
    PARENT_FIRST,
    flink_conf,
    gunicorn_app,
    kafka_properties,
    kraft_cluster_id,
    rewrite_module_yaml,
)
from statefun.local.module_yaml import parse_module

REPO = Path(__file__).resolve().parents[2]


def test_flink_conf_is_recipe_a_with_everything_under_the_scratch_dir(tmp_path: Path) -> None:
    conf = yaml.safe_load(flink_conf(tmp_path, 12345, checkpoint_interval="3s"))
    assert conf["execution.target"] == "local"
    assert conf["classloader.parent-first-patterns.additional"] == PARENT_FIRST
    assert conf["state.backend"] == "rocksdb"
    assert conf["state.backend.rocksdb.timer-service.factory"] == "ROCKSDB"
    assert conf["state.checkpoints.dir"] == (tmp_path / "checkpoints").as_uri()
    assert conf["execution.checkpointing.interval"] == "3s"
    assert conf["execution.checkpointing.externalized-checkpoint-retention"] == (
        "RETAIN_ON_CANCELLATION"
    )
    assert conf["rest.port"] == conf["rest.bind-port"] == 12345
    assert conf["rest.bind-address"] == "127.0.0.1"
    assert conf["io.tmp.dirs"] == str(tmp_path / "tmp")


def test_kafka_properties_one_kraft_node_with_a_one_replica_transaction_log(
    tmp_path: Path,
) -> None:
    lines = kafka_properties(tmp_path, 19092, 19093).splitlines()
    props = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["log.dirs"] == str(tmp_path / "kafka-data")


def test_kraft_cluster_id_is_16_random_bytes_in_base64url() -> None:
    one, two = kraft_cluster_id(), kraft_cluster_id()
    assert one != two and len(one) == 22
    assert len(base64.urlsafe_b64decode(one + "==")) == 16


def test_rewrite_points_the_walkthrough_module_at_loopback_and_keeps_the_rest() -> None:
    original = (REPO / "module.yaml").read_text()
    text = rewrite_module_yaml(original, "127.0.0.1:5000", "127.0.0.1:9999", origin="module.yaml")
    module = parse_module(text)
    assert module.functions["example/greeter"].endpoint == "http://127.0.0.1:5000/statefun"
    assert module.ingresses["example/names"].address == "127.0.0.1:9999"
    assert module.egresses["example/greets"].address == "127.0.0.1:9999"
    assert module == parse_module(
        original.replace("python-worker:8000", "127.0.0.1:5000").replace(
            "kafka-broker:9092", "127.0.0.1:9999"
        )
    )
    # Comments and layout are kept: only the two kinds of value changed.
    changed = [
        (a, b) for a, b in zip(original.splitlines(), text.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 3


def test_rewrite_without_a_function_server_keeps_the_endpoints() -> None:
    original = (REPO / "module.yaml").read_text()
    text = rewrite_module_yaml(original, None, "127.0.0.1:9999", origin="module.yaml")
    assert parse_module(text).functions["example/greeter"].endpoint == (
        "http://python-worker:8000/statefun"
    )


def test_rewrite_needs_an_endpoint_and_an_address() -> None:
    with pytest.raises(FlinkStackError, match=r"m\.yaml: .* found 0 function endpoint\(s\)"):
        rewrite_module_yaml("module: {}\n", "h:1", "b:2", origin="m.yaml")


def test_the_gunicorn_app_serves_the_file_through_flask_app(tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(gunicorn_app(str(REPO / "greeter" / "greeter.py")), "app.py", "exec"), namespace)
    app = namespace["app"]
    client = app.test_client()  # type: ignore[attr-defined]
    assert client.post("/statefun", data=b"\x00garbage").status_code == 400
