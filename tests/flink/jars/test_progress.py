"""Download progress: a hook, quiet, a tqdm bar, or a line per jar without tqdm."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_maven import FakeRepository, fetch


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
