"""The jar lock: the jars of each set, with their Maven coordinates, size and sha256."""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
import re

from statefun.errors import JarLockError

#: The jar sets the lock holds.
JAR_SETS = ("runtime", "kafka")

_LOCK_RESOURCE = "jars.lock.json"
_LOCK_FORMAT = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


@dataclasses.dataclass(frozen=True)
class LockedJar:
    """One jar of the lock: its Maven coordinates, size in bytes and sha256 (hex)."""

    group: str
    artifact: str
    version: str
    classifier: str | None
    size: int
    sha256: str

    @property
    def coordinate(self) -> str:
        """``group:artifact:version`` (``:classifier`` appended when there is one)."""
        base = f"{self.group}:{self.artifact}:{self.version}"
        return f"{base}:{self.classifier}" if self.classifier else base

    @property
    def filename(self) -> str:
        """The file name in a Maven repository, e.g. ``flink-core-1.11.3.jar``."""
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{suffix}.jar"

    @property
    def path(self) -> str:
        """The path in a Maven repository (``/``-separated), e.g. ``org/apache/.../x.jar``."""
        return "/".join([*self.group.split("."), self.artifact, self.version, self.filename])

    def url(self, base: str) -> str:
        """Where the jar is in the Maven repository at ``base``."""
        return f"{base.rstrip('/')}/{self.path}"


def parse_lock(text: str, origin: str = _LOCK_RESOURCE) -> dict[str, tuple[LockedJar, ...]]:
    """Read a jar lock's text: ``{set name: (LockedJar, ...)}``, each set in the lock's order.

    Every entry is checked (coordinates, size, sha256) as :func:`locked_jars` reads the lock
    installed with the package; ``scripts/lock_jars.py`` checks what it writes with it too.
    Raises :class:`~statefun.errors.JarLockError` naming ``origin`` and what is wrong.
    """

    def bad(problem: str) -> JarLockError:
        return JarLockError(
            f"{origin}: {problem}. The lock is written by scripts/lock_jars.py; reinstall "
            f"statefun-lab, or run that script again if you edited the POMs."
        )

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != _LOCK_FORMAT:
        raise bad(f"not a format-{_LOCK_FORMAT} jar lock")
    sets = data.get("sets")
    if not isinstance(sets, dict):
        raise bad("no 'sets' object")
    out: dict[str, tuple[LockedJar, ...]] = {}
    for name, body in sets.items():
        jars = body.get("jars") if isinstance(body, dict) else None
        if not isinstance(jars, list) or not jars:
            raise bad(f"jar set {name!r} has no 'jars' list")
        parsed = []
        for i, entry in enumerate(jars):
            where = f"jar set {name!r}, entry {i}"
            if not isinstance(entry, dict):
                raise bad(f"{where} is not an object")
            names = [entry.get(k) for k in ("group", "artifact", "version")]
            classifier = entry.get("classifier")
            for value in [*names, *([classifier] if classifier is not None else [])]:
                if not isinstance(value, str) or not _NAME_PART.fullmatch(value):
                    raise bad(f"{where}: bad coordinate part {value!r}")
            size, sha256 = entry.get("size"), entry.get("sha256")
            if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                raise bad(f"{where}: bad size {size!r}")
            if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
                raise bad(f"{where}: bad sha256 {sha256!r}")
            group, artifact, version = (str(v) for v in names)
            parsed.append(LockedJar(group, artifact, version, classifier, size, sha256))
        out[name] = tuple(parsed)
    return out


@functools.cache
def _lock() -> dict[str, tuple[LockedJar, ...]]:
    resource = importlib.resources.files("statefun.flink").joinpath(_LOCK_RESOURCE)
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JarLockError(
            f"the jar lock {resource} is missing from the installed package; reinstall statefun-lab"
        ) from None
    return parse_lock(text, str(resource))


def locked_jars(name: str) -> tuple[LockedJar, ...]:
    """The jars of one set of the lock (``"runtime"`` or ``"kafka"``), in the lock's order."""
    lock = _lock()
    if name not in lock:
        raise JarLockError(
            f"no jar set named {name!r} in the jar lock; the sets are: {', '.join(sorted(lock))}"
        )
    return lock[name]
