"""download_jars and fetch_jars: jar sets by name, options, failures gathered across jars."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_maven import FakeRepository, fetch

from statefun.errors import JarNetworkError, JarRefusedError
from statefun.flink import jars as jars_module
from statefun.flink.jars import CACHE_ENV, MAVEN_URL_ENV, LockedJar, download_jars, fetch_jars


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


def test_a_network_error_stops_the_other_downloads(repo: FakeRepository, tmp_path: Path) -> None:
    # One worker, the first jar fails for good: the second is never requested.
    repo.mode = "status:500"
    jars = [repo.add("a", 100), repo.add("b", 100)]
    with pytest.raises(JarNetworkError, match=r"org\.example:a:1\.0"):
        fetch(repo, jars, tmp_path, workers=1, retries=0)
    assert repo.requests_for(jars[1]) == []


def test_fetch_and_download_take_the_same_options(
    repo: FakeRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jar = repo.add("a", 1000)
    monkeypatch.setattr(jars_module, "locked_jars", lambda name: {"one": (jar,)}[name])
    options = {"cache": tmp_path, "base_url": repo.url, "progress": False, "workers": 1}
    assert fetch_jars("one", **options) == {"one": [tmp_path / jar.path]}  # type: ignore[arg-type]
    assert download_jars([jar], **options) == [tmp_path / jar.path]  # type: ignore[arg-type]
    assert len(repo.log) == 1  # the second call found it verified


def test_an_unknown_option_is_a_type_error_naming_it(
    repo: FakeRepository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jar = repo.add("a", 1000)
    monkeypatch.setattr(jars_module, "locked_jars", lambda name: {"one": (jar,)}[name])
    with pytest.raises(TypeError, match=r"download_jars\(\) got an unknown option 'wokers'; its"):
        download_jars([jar], cache=tmp_path, base_url=repo.url, wokers=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"fetch_jars\(\) got an unknown option 'wokers'; its"):
        fetch_jars("one", cache=tmp_path, base_url=repo.url, wokers=2)  # type: ignore[call-arg]
    assert repo.log == []  # refused before any download
