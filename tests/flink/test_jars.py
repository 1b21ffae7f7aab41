"""statefun.flink.jars: the lock, and downloads against a local repository that misbehaves."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from fake_maven import FakeRepository

from statefun.errors import (
    JarChecksumError,
    JarDownloadError,
    JarLockError,
    JarNetworkError,
    JarRefusedError,
)
from statefun.flink import jars as jars_module
from statefun.flink.jars import (
    CACHE_ENV,
    DEFAULT_MAVEN_URL,
    JAR_SETS,
    MAVEN_URL_ENV,
    LockedJar,
    cache_dir,
    classpath,
    download_jars,
    fetch_jars,
    jar_dir,
    locked_jars,
    maven_url,
    parse_lock,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCK_FILE = REPO_ROOT / "statefun" / "flink" / "jars.lock.json"


def fetch(repo: FakeRepository, jars: list[LockedJar], cache: Path, **kw: object) -> list[Path]:
    kw.setdefault("progress", False)
    kw.setdefault("retry_delay", 0)
    return download_jars(jars, cache=cache, base_url=repo.url, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The lock
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Where
# ---------------------------------------------------------------------------------------------


def test_cache_dir_precedence(tmp_path: Path) -> None:
    home = Path.home()
    assert cache_dir({}) == (home / ".cache" / "statefun-lab").resolve()
    xdg = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert cache_dir(xdg) == tmp_path / "xdg" / "statefun-lab"
    both = {**xdg, CACHE_ENV: str(tmp_path / "mine")}
    assert cache_dir(both) == tmp_path / "mine"
    assert jar_dir(both) == tmp_path / "mine" / "jars"


def test_maven_url_default_override_and_bad_value() -> None:
    assert maven_url({}) == DEFAULT_MAVEN_URL
    assert maven_url({MAVEN_URL_ENV: "https://mirror.example/m2/"}) == "https://mirror.example/m2"
    with pytest.raises(JarDownloadError, match=r"STATEFUN_LAB_MAVEN_URL='ftp://x'.*unset it"):
        maven_url({MAVEN_URL_ENV: "ftp://x"})


def test_fetch_jars_uses_the_cache_and_mirror_variables(
    repo: FakeRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jar = repo.add("a", 1000)
    lock = {"one": (jar,), "two": (jar,)}
    monkeypatch.setattr(jars_module, "locked_jars", lambda name: lock[name])
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    monkeypatch.setenv(MAVEN_URL_ENV, repo.url)
    got = fetch_jars("one", "two", progress=False, retry_delay=0)
    expected = tmp_path / "c" / "jars" / jar.path
    assert got == {"one": [expected], "two": [expected]}
    assert expected.read_bytes() == repo.files["/" + jar.path]
    assert len(repo.log) == 1  # a jar two sets share is fetched once


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------


def test_download_verifies_and_then_never_fetches_again(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jars = [repo.add(f"j{i}", 5000 + i * 777) for i in range(6)]
    paths = fetch(repo, jars, tmp_path, workers=3)
    assert paths == [tmp_path / j.path for j in jars]
    for jar, path in zip(jars, paths, strict=True):
        assert path.read_bytes() == repo.files["/" + jar.path]
        assert not path.with_name(path.name + ".part").exists()
        assert path.with_name(path.name + ".verified").read_text().startswith(jar.sha256)
    assert len(repo.log) == 6
    assert fetch(repo, jars, tmp_path) == paths
    assert len(repo.log) == 6  # all verified: no request at all


def test_a_progress_hook_is_told_every_byte_instead_of_a_bar(
    repo: FakeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jars = [repo.add(f"h{i}", 70_000 + i * 1000) for i in range(3)]
    total = sum(j.size for j in jars)
    calls: list[tuple[int, int]] = []
    fetch(repo, jars, tmp_path, progress=lambda done, all_: calls.append((done, all_)))
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)  # only grows
    assert len(calls) > 3  # told as chunks arrive, not once per jar
    assert capsys.readouterr().err == ""  # and nothing drawn or printed


def test_a_verified_jar_is_not_hashed_again(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("a", 4096)
    (path,) = fetch(repo, [jar], tmp_path)
    # Other bytes, same size and mtime: only the cheap check runs, and it trusts the record.
    stat = path.stat()
    path.write_bytes(b"\0" * jar.size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fetch(repo, [jar], tmp_path) == [path]
    assert path.read_bytes() == b"\0" * jar.size
    assert len(repo.log) == 1


def test_a_changed_file_is_checked_again_and_removed(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("a", 4096)
    (path,) = fetch(repo, [jar], tmp_path)
    # Same size, other bytes, newer mtime: the record no longer matches, so it is hashed again.
    path.write_bytes(b"\0" * jar.size)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(JarChecksumError) as info:
        fetch(repo, [jar], tmp_path)
    assert not path.exists()
    assert info.value.expected == jar.sha256
    assert info.value.actual == hashlib.sha256(b"\0" * jar.size).hexdigest()
    assert len(repo.log) == 1  # the check needed no request
    fetch(repo, [jar], tmp_path)  # and the next run downloads it again
    assert path.read_bytes() == repo.files["/" + jar.path]


def test_a_hand_placed_file_is_checked_once_without_a_request(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jar = repo.add("a", 3000)
    path = tmp_path / jar.path
    path.parent.mkdir(parents=True)
    path.write_bytes(repo.files["/" + jar.path])
    assert fetch(repo, [jar], tmp_path) == [path]
    assert repo.log == []
    assert path.with_name(path.name + ".verified").exists()


def test_a_wrong_hand_placed_file_is_a_checksum_error(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("a", 3000)
    path = tmp_path / jar.path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not the jar")
    with pytest.raises(JarChecksumError, match="run again to download it again"):
        fetch(repo, [jar], tmp_path)
    assert not path.exists()


def test_resume_with_a_server_that_honours_range(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("big", 100_000)
    data = repo.files["/" + jar.path]
    part = tmp_path / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:30_000])
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == data
    assert repo.requests_for(jar) == [("bytes=30000-", 206)]
    assert not part.exists()


def test_resume_with_a_server_that_ignores_range(repo: FakeRepository, tmp_path: Path) -> None:
    repo.mode = "no-range"
    jar = repo.add("big", 100_000)
    data = repo.files["/" + jar.path]
    part = tmp_path / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:30_000])
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == data  # the 200 body replaced the part, not appended to it
    assert repo.requests_for(jar) == [("bytes=30000-", 200)]


def test_a_part_that_is_not_a_prefix_gives_a_checksum_error(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jar = repo.add("big", 10_000)
    part = tmp_path / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 4000)
    with pytest.raises(JarChecksumError):
        fetch(repo, [jar], tmp_path)
    assert not part.exists() and not (tmp_path / jar.path).exists()
    fetch(repo, [jar], tmp_path)  # the next run starts over
    assert (tmp_path / jar.path).read_bytes() == repo.files["/" + jar.path]


def test_a_part_longer_than_the_jar_is_started_over(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("a", 1000)
    part = tmp_path / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 2000)
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == repo.files["/" + jar.path]
    assert repo.requests_for(jar) == [(None, 200)]


def test_a_server_file_of_another_size_is_a_checksum_error_not_a_retry(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jar = repo.add("a", 10_000)
    short = repo.files["/" + jar.path][:4000]
    repo.files["/" + jar.path] = short
    part = tmp_path / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 5000)
    with pytest.raises(JarChecksumError) as info:
        fetch(repo, [jar], tmp_path)
    assert info.value.actual == hashlib.sha256(short).hexdigest()
    # The resume past the server's end (416) started over once; the whole short body was the
    # answer, so no more attempts.
    assert repo.requests_for(jar) == [("bytes=5000-", 416), (None, 200)]
    assert not part.exists()


def test_a_dropped_connection_is_resumed(repo: FakeRepository, tmp_path: Path) -> None:
    repo.mode = "drop-once"
    jar = repo.add("big", 200_000)
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == repo.files["/" + jar.path]
    assert repo.requests_for(jar) == [(None, 200), ("bytes=100000-", 206)]


def test_a_connection_that_keeps_dropping_is_a_network_error_and_keeps_the_part(
    repo: FakeRepository, tmp_path: Path
) -> None:
    repo.mode = "drop-always"
    jar = repo.add("big", 200_000)
    with pytest.raises(JarNetworkError) as info:
        fetch(repo, [jar], tmp_path, retries=2)
    message = str(info.value)
    assert jar.url(repo.url) in message and MAVEN_URL_ENV in message
    assert "running again resumes" in message
    assert info.value.url == jar.url(repo.url)
    assert len(repo.requests_for(jar)) == 3
    part = tmp_path / (jar.path + ".part")
    assert part.read_bytes() == repo.files["/" + jar.path][:100_000]
    # Once the server behaves, the next run asks only for the rest.
    repo.mode = "range"
    fetch(repo, [jar], tmp_path)
    assert repo.requests_for(jar)[-1] == ("bytes=100000-", 206)
    assert (tmp_path / jar.path).read_bytes() == repo.files["/" + jar.path]


def test_wrong_bytes_are_a_checksum_error_and_removed(repo: FakeRepository, tmp_path: Path) -> None:
    repo.mode = "wrong"
    jar = repo.add("a", 5000)
    with pytest.raises(JarChecksumError) as info:
        fetch(repo, [jar], tmp_path)
    err = info.value
    assert isinstance(err, JarDownloadError) and isinstance(err, OSError)
    assert err.expected == jar.sha256
    assert (
        err.actual
        == hashlib.sha256(bytes(b ^ 0xFF for b in repo.files["/" + jar.path])).hexdigest()
    )
    assert err.expected in str(err) and err.actual in str(err)
    assert "removed" in str(err) and "run again" in str(err)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [".lock"]


def test_refused_jars_are_all_listed_with_where_to_put_them(
    repo: FakeRepository, tmp_path: Path
) -> None:
    good = repo.add("good", 2000)
    missing = [
        LockedJar("org.example", name, "1.0", None, 10, "0" * 64) for name in ("gone", "lost")
    ]
    with pytest.raises(JarRefusedError) as info:
        fetch(repo, [missing[0], good, missing[1]], tmp_path)
    err = info.value
    assert [(c, s) for c, _, _, s in err.refused] == [
        ("org.example:gone:1.0", 404),
        ("org.example:lost:1.0", 404),
    ]
    message = str(err)
    for jar in missing:
        assert jar.url(repo.url) in message
        assert str(tmp_path / jar.path) in message
    assert "by hand" in message and MAVEN_URL_ENV in message
    # The refusals did not stop the jar that was served.
    assert (tmp_path / good.path).read_bytes() == repo.files["/" + good.path]


@pytest.mark.parametrize("status", [401, 403, 410, 451])
def test_other_refusals(repo: FakeRepository, tmp_path: Path, status: int) -> None:
    repo.mode = f"status:{status}"
    jar = repo.add("a", 100)
    with pytest.raises(JarRefusedError, match=f"HTTP {status}"):
        fetch(repo, [jar], tmp_path)
    assert len(repo.log) == 1  # a refusal is not retried


def test_a_server_error_is_retried_then_a_network_error(
    repo: FakeRepository, tmp_path: Path
) -> None:
    repo.mode = "status:503"
    jar = repo.add("a", 100)
    with pytest.raises(JarNetworkError, match="HTTP 503"):
        fetch(repo, [jar], tmp_path, retries=2)
    assert len(repo.log) == 3


def test_offline_is_a_network_error_naming_the_url_and_the_mirror_variable(
    tmp_path: Path,
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jar = LockedJar("org.example", "a", "1.0", None, 100, "0" * 64)
    base = f"http://127.0.0.1:{port}/maven2"
    with pytest.raises(JarNetworkError) as info:
        download_jars([jar], cache=tmp_path, base_url=base, progress=False, retry_delay=0)
    assert jar.url(base) in str(info.value)
    assert MAVEN_URL_ENV in str(info.value)
    assert "refused" in str(info.value).lower()


def test_a_network_error_stops_the_other_downloads(repo: FakeRepository, tmp_path: Path) -> None:
    # One worker, the first jar fails for good: the second is never requested.
    repo.mode = "status:500"
    jars = [repo.add("a", 100), repo.add("b", 100)]
    with pytest.raises(JarNetworkError, match=r"org\.example:a:1\.0"):
        fetch(repo, jars, tmp_path, workers=1, retries=0)
    assert repo.requests_for(jars[1]) == []


def test_a_file_url_repository(tmp_path: Path) -> None:
    mirror = tmp_path / "m2"
    data = os.urandom(3000)
    jar = LockedJar("org.example", "a", "1.0", None, len(data), hashlib.sha256(data).hexdigest())
    (mirror / jar.path).parent.mkdir(parents=True)
    (mirror / jar.path).write_bytes(data)
    cache = tmp_path / "cache"
    (path,) = download_jars([jar], cache=cache, base_url=mirror.as_uri(), progress=False)
    assert path.read_bytes() == data
    absent = LockedJar("org.example", "b", "1.0", None, 1, "0" * 64)
    with pytest.raises(JarRefusedError):
        download_jars([absent], cache=cache, base_url=mirror.as_uri(), progress=False)


def test_two_fetches_at_once_share_the_work(repo: FakeRepository, tmp_path: Path) -> None:
    jars = [repo.add(f"j{i}", 50_000) for i in range(4)]
    errors: list[BaseException] = []

    def one() -> None:
        try:
            fetch(repo, jars, tmp_path, workers=2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    for jar in jars:
        assert (tmp_path / jar.path).read_bytes() == repo.files["/" + jar.path]
        assert len(repo.requests_for(jar)) == 1  # the cache lock made the other one wait


def test_an_unwritable_cache_is_a_typed_error(repo: FakeRepository, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    jar = repo.add("a", 100)
    with pytest.raises(JarDownloadError, match=f"set {CACHE_ENV} to a writable"):
        fetch(repo, [jar], blocker / "cache")


# ---------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------


def test_quiet_prints_nothing(
    repo: FakeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fetch(repo, [repo.add("a", 1000)], tmp_path, progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_counts_the_bytes(
    repo: FakeRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jars = [repo.add("a", 300_000), repo.add("b", 200_000)]
    fetch(repo, jars, tmp_path, progress=True, label="test")
    err = capsys.readouterr().err
    assert "downloading 2 jars (0.5 MB) of test from " + repo.url in err
    assert "statefun-lab jars: 100%" in err
    assert "488k/488k" in err  # 500,000 bytes in KiB units


def test_progress_without_tqdm_prints_a_line_per_jar(
    repo: FakeRepository,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto -> ImportError
    jars = [repo.add("a", 1_500_000), repo.add("b", 1000)]
    fetch(repo, jars, tmp_path, progress=True, workers=1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == [
        "[statefun-lab] 1/2 org.example:a:1.0 (1.5 MB)",
        "[statefun-lab] 2/2 org.example:b:1.0 (0.0 MB)",
    ]
