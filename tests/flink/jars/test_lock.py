"""The jar lock: the sets it holds, its checks, and the Maven layout of a locked jar."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from statefun.errors import JarLockError
from statefun.flink.jars import JAR_SETS, LockedJar, classpath, fetch_jars, locked_jars, parse_lock

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCK_FILE = REPO_ROOT / "statefun" / "flink" / "jars.lock.json"


def test_the_lock_holds_both_sets_made_from_the_committed_poms() -> None:
    data = json.loads(LOCK_FILE.read_text())
    assert sorted(data["sets"]) == sorted(JAR_SETS)
    for name, body in data["sets"].items():
        pom = REPO_ROOT / body["pom"]
        # A POM edited without running scripts/lock_jars.py again fails here.
        assert hashlib.sha256(pom.read_bytes()).hexdigest() == body["pom_sha256"], (
            f"{pom} changed since the lock was written: run scripts/lock_jars.py"
        )
        jars = locked_jars(name)
        keys = [(j.group, j.artifact, j.version, j.classifier or "") for j in jars]
        assert keys == sorted(keys), f"{name} is not sorted"
        assert len({j.path for j in jars}) == len(jars), f"{name} has a jar twice"


def test_the_lock_names_the_engine_jars() -> None:
    runtime = {j.coordinate for j in locked_jars("runtime")}
    assert "org.apache.flink:statefun-flink-distribution:2.2.2" in runtime
    assert "org.apache.flink:statefun-flink-core:2.2.2" in runtime
    assert "org.apache.flink:flink-clients_2.12:1.11.3" in runtime
    assert "org.apache.flink:flink-statebackend-rocksdb_2.12:1.11.3" in runtime
    kafka = {j.coordinate for j in locked_jars("kafka")}
    assert "org.apache.kafka:kafka_2.13:3.7.1" in kafka
    assert "org.slf4j:slf4j-reload4j:1.7.36" in kafka
    # The StateFun distribution bundles its own kafka-clients; the broker's must not leak in.
    assert not any(c.startswith("org.apache.kafka:") for c in runtime)


def test_an_unknown_set_is_a_typed_error_naming_the_known_ones() -> None:
    with pytest.raises(JarLockError, match=r"no jar set named 'flink'.*kafka, runtime"):
        locked_jars("flink")
    with pytest.raises(JarLockError):
        fetch_jars("nope")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ('{"format": 2, "sets": {}}', "not a format-1 jar lock"),
        ('{"format": 1, "sets": {"a": {"jars": []}}}', "has no 'jars' list"),
        (
            '{"format": 1, "sets": {"a": {"jars": [{"group": "../x", "artifact": "y", '
            '"version": "1", "size": 1, "sha256": "' + "0" * 64 + '"}]}}}',
            "bad coordinate part '../x'",
        ),
        (
            '{"format": 1, "sets": {"a": {"jars": [{"group": "x", "artifact": "y", '
            '"version": "1", "size": 0, "sha256": "' + "0" * 64 + '"}]}}}',
            "bad size 0",
        ),
        (
            '{"format": 1, "sets": {"a": {"jars": [{"group": "x", "artifact": "y", '
            '"version": "1", "size": 1, "sha256": "abc"}]}}}',
            "bad sha256 'abc'",
        ),
    ],
)
def test_a_broken_lock_is_a_typed_error(text: str, problem: str) -> None:
    with pytest.raises(JarLockError, match=problem) as info:
        parse_lock(text)
    assert str(info.value).startswith("jars.lock.json: ")
    assert "scripts/lock_jars.py" in str(info.value)


def test_the_lock_script_renders_exactly_the_committed_lock() -> None:
    """scripts/lock_jars.py writes what the package reads: its rendering of the committed sets
    is the committed file, and parse_lock reads that back to the jars locked_jars gives."""
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import lock_jars
    finally:
        sys.path.remove(str(REPO_ROOT / "scripts"))
    text = LOCK_FILE.read_text()
    assert lock_jars.render_lock(json.loads(text)["sets"]) == text
    assert parse_lock(text) == {name: locked_jars(name) for name in JAR_SETS}


def test_locked_jar_paths_follow_maven_layout() -> None:
    jar = LockedJar("io.netty", "netty-transport-native-epoll", "4.1", "linux-x86_64", 1, "0" * 64)
    assert jar.coordinate == "io.netty:netty-transport-native-epoll:4.1:linux-x86_64"
    assert jar.path == (
        "io/netty/netty-transport-native-epoll/4.1/netty-transport-native-epoll-4.1-linux-x86_64.jar"
    )
    assert jar.url("https://m.example/maven2/") == "https://m.example/maven2/" + jar.path
    plain = LockedJar("org.apache.flink", "flink-core", "1.11.3", None, 1, "0" * 64)
    assert plain.path == "org/apache/flink/flink-core/1.11.3/flink-core-1.11.3.jar"
    assert classpath([Path("/a.jar"), Path("/b.jar")]) == f"/a.jar{os.pathsep}/b.jar"
