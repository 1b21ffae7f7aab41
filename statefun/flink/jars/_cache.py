"""The jar cache's files: a jar checked once against the lock, its record, its part, its lock.

A jar in place beside a ``<jar>.verified`` record (its sha256, size and modification time) is
not hashed again while its size and modification time stay those of the record. A download in
progress is ``<jar>.part``. One process at a time downloads into a cache: ``.lock`` in its root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from statefun.errors import JarChecksumError
from statefun.flink.jars._lock import LockedJar


def part_path(final: Path) -> Path:
    """Where the download of the jar that belongs at ``final`` goes until it is checked."""
    return final.with_name(final.name + ".part")


def pending_bytes(jar: LockedJar, final: Path) -> int:
    """Bytes still to download for ``jar`` (none for a file in place, only to check)."""
    if final.exists():
        return 0
    with contextlib.suppress(OSError):
        return max(jar.size - part_path(final).stat().st_size, 0)
    return jar.size


def is_verified(jar: LockedJar, final: Path) -> bool:
    """The cheap check: the jar is there, with the size and mtime its sha256 was checked at."""
    try:
        if final.stat().st_size != jar.size:
            return False
        return _record_path(final).read_text() == _record_text(jar, final)
    except OSError:
        return False


def accept(jar: LockedJar, source: Path, final: Path, url: str) -> None:
    """Check ``source`` against the lock; move it to ``final`` and record it, or remove it."""
    actual = _sha256(source)
    if actual != jar.sha256:
        source.unlink()
        raise JarChecksumError(
            jar.coordinate, url=url, path=str(final), expected=jar.sha256, actual=actual
        )
    if source != final:
        os.replace(source, final)
    _record_path(final).write_text(_record_text(jar, final))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _record_path(final: Path) -> Path:
    return final.with_name(final.name + ".verified")


def _record_text(jar: LockedJar, final: Path) -> str:
    st = final.stat()
    return f"{jar.sha256} {st.st_size} {st.st_mtime_ns}\n"


if sys.platform == "win32":  # pragma: no cover - no flock; concurrent fetches are not guarded

    def locked(path: Path, say: bool) -> contextlib.AbstractContextManager[None]:
        """No lock on Windows (no ``flock``): concurrent fetches are not guarded."""
        return contextlib.nullcontext()

else:
    import fcntl

    @contextlib.contextmanager
    def locked(path: Path, say: bool) -> Iterator[None]:
        """Hold an exclusive lock on ``path``; say so (if ``say``) when waiting for it."""
        with path.open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if say:
                    print(
                        f"[statefun-lab] waiting for another download into {path.parent}",
                        file=sys.stderr,
                        flush=True,
                    )
                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
