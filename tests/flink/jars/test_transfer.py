"""One jar over HTTP (or file://) from a repository that misbehaves: resumed, retried, refused."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest
from fake_maven import FakeRepository, fetch

from statefun.errors import JarChecksumError, JarNetworkError, JarRefusedError
from statefun.flink.jars import MAVEN_URL_ENV, LockedJar, download_jars


def put_part(cache: Path, jar: LockedJar, data: bytes) -> Path:
    """A part of ``jar`` in ``cache`` holding ``data``, as an earlier run left it."""
    part = cache / (jar.path + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data)
    return part


def test_resume_with_a_server_that_honours_range(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("big", 100_000)
    data = repo.files["/" + jar.path]
    part = put_part(tmp_path, jar, data[:30_000])
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == data
    assert repo.requests_for(jar) == [("bytes=30000-", 206)]
    assert not part.exists()


def test_resume_with_a_server_that_ignores_range(repo: FakeRepository, tmp_path: Path) -> None:
    repo.mode = "no-range"
    jar = repo.add("big", 100_000)
    data = repo.files["/" + jar.path]
    part = put_part(tmp_path, jar, data[:30_000])
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == data  # the 200 body replaced the part, not appended to it
    assert repo.requests_for(jar) == [("bytes=30000-", 200)]
    assert not part.exists()


def test_a_part_that_is_not_a_prefix_gives_a_checksum_error(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jar = repo.add("big", 10_000)
    part = put_part(tmp_path, jar, b"x" * 4000)
    with pytest.raises(JarChecksumError):
        fetch(repo, [jar], tmp_path)
    assert not part.exists() and not (tmp_path / jar.path).exists()
    fetch(repo, [jar], tmp_path)  # the next run starts over
    assert (tmp_path / jar.path).read_bytes() == repo.files["/" + jar.path]


def test_a_part_longer_than_the_jar_is_started_over(repo: FakeRepository, tmp_path: Path) -> None:
    jar = repo.add("a", 1000)
    part = put_part(tmp_path, jar, b"x" * 2000)
    (path,) = fetch(repo, [jar], tmp_path)
    assert path.read_bytes() == repo.files["/" + jar.path]
    assert repo.requests_for(jar) == [(None, 200)]
    assert not part.exists()


def test_a_server_file_of_another_size_is_a_checksum_error_not_a_retry(
    repo: FakeRepository, tmp_path: Path
) -> None:
    jar = repo.add("a", 10_000)
    short = repo.files["/" + jar.path][:4000]
    repo.files["/" + jar.path] = short
    part = put_part(tmp_path, jar, b"x" * 5000)
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
