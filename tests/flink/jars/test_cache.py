"""The jar cache: a jar verified once and trusted after, checked again when changed, hand-placed
files, one download into a cache at a time, a cache that cannot be written."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from fake_maven import FakeRepository, fetch

from statefun.errors import JarChecksumError, JarDownloadError
from statefun.flink.jars import CACHE_ENV


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
