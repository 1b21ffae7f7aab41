"""The real engine's jars: downloaded from Maven Central over HTTPS, checked against a lock.

Two jar sets run the real engine (see ``shared/docs/real-engine.md``):

* ``"runtime"``: Apache Flink StateFun 2.2.2 on Flink 1.11.3 (Scala 2.12), RocksDB, logging;
* ``"kafka"``: a single-node Apache Kafka 3.7.1 broker (``kafka_2.13``) and its logging.

Every jar of both is listed in ``jars.lock.json`` beside this module (group, artifact, version,
classifier, size and sha256), written once by the maintainer command
``scripts/lock_jars.py`` from the POMs in ``scripts/jars/``. At run time no Maven and no JDK
tools are needed: :func:`fetch_jars` downloads the files the lock names with plain HTTPS
requests, checks each against its sha256 and keeps it in the user cache::

    from statefun.flink.jars import classpath, fetch_jars

    jars = fetch_jars("runtime", "kafka")     # {"runtime": [Path, ...], "kafka": [...]}
    cp = classpath(jars["kafka"])             # for `java -cp`

How it behaves:

* Source: ``https://repo1.maven.org/maven2``, or the Maven repository in
  ``STATEFUN_LAB_MAVEN_URL`` (a company mirror, or ``file:///path/to/.m2/repository``).
* Cache: ``$STATEFUN_LAB_CACHE/jars``, else ``$XDG_CACHE_HOME/statefun-lab/jars``, else
  ``~/.cache/statefun-lab/jars``, laid out like a Maven repository
  (``org/apache/flink/flink-core/1.11.3/flink-core-1.11.3.jar``). A jar in place is never
  fetched again: its sha256 is computed once and recorded (``<jar>.verified``); later runs
  only compare its size and modification time with that record.
* Downloads go to ``<jar>.part``, are resumed with an HTTP ``Range`` request after a dropped
  connection (a server or proxy that answers the range with the whole file is fine too: the
  part is then started over), are checked against the lock, and are renamed into place. A
  few run at once, with one progress bar over the bytes (``tqdm.auto``: a terminal bar, or a
  widget in Jupyter; a line per jar when tqdm is not installed), or told to a
  ``progress(done, total)`` hook instead (a widget of your own).
* Failures are typed and say what to do: :class:`~statefun.errors.JarRefusedError` (the
  repository answered 401/403/404/410/451: the URL, and where to put the file by hand),
  :class:`~statefun.errors.JarNetworkError` (offline, DNS, timeout, dropped connection,
  server errors; after retries), :class:`~statefun.errors.JarChecksumError` (the file was
  removed; run again). All three are kinds of :class:`~statefun.errors.JarDownloadError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import http.client
import importlib.resources
import json
import os
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from statefun import __version__
from statefun.errors import (
    JarChecksumError,
    JarDownloadError,
    JarLockError,
    JarNetworkError,
    JarRefusedError,
)

__all__ = [
    "CACHE_ENV",
    "DEFAULT_MAVEN_URL",
    "JAR_SETS",
    "MAVEN_URL_ENV",
    "LockedJar",
    "ProgressHook",
    "cache_dir",
    "classpath",
    "download_jars",
    "fetch_jars",
    "jar_dir",
    "locked_jars",
    "maven_url",
    "parse_lock",
]

#: Environment variable: the root of StateFun Lab's user cache (jars go in its ``jars/``).
CACHE_ENV = "STATEFUN_LAB_CACHE"
#: Environment variable: a Maven repository to download from instead of Maven Central.
MAVEN_URL_ENV = "STATEFUN_LAB_MAVEN_URL"
#: Maven Central.
DEFAULT_MAVEN_URL = "https://repo1.maven.org/maven2"
#: The jar sets the lock holds.
JAR_SETS = ("runtime", "kafka")

_LOCK_RESOURCE = "jars.lock.json"
_LOCK_FORMAT = 1
# What a Maven repository says when it will not serve a file (as opposed to a network failure).
_REFUSED_STATUSES = frozenset({401, 403, 404, 410, 451})
_CHUNK = 1 << 16
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


# ---------------------------------------------------------------------------------------------
# Where: the cache and the repository
# ---------------------------------------------------------------------------------------------


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """StateFun Lab's user cache: ``$STATEFUN_LAB_CACHE``, else ``$XDG_CACHE_HOME/statefun-lab``,
    else ``~/.cache/statefun-lab``."""
    env = os.environ if env is None else env
    if explicit := env.get(CACHE_ENV):
        return Path(explicit).expanduser().resolve()
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return (base / "statefun-lab").resolve()


def jar_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where downloaded jars live: ``cache_dir() / "jars"``, in Maven's repository layout."""
    return cache_dir(env) / "jars"


def maven_url(env: Mapping[str, str] | None = None) -> str:
    """The Maven repository to download from: ``$STATEFUN_LAB_MAVEN_URL`` or Maven Central."""
    env = os.environ if env is None else env
    url = (env.get(MAVEN_URL_ENV) or DEFAULT_MAVEN_URL).strip().rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("https", "http", "file"):
        raise JarDownloadError(
            f"{MAVEN_URL_ENV}={url!r} is not an https://, http:// or file:// URL. Set it to the "
            f"root of a Maven repository, e.g. {DEFAULT_MAVEN_URL} or "
            f"file:///home/me/.m2/repository, or unset it to use Maven Central.",
            url=url,
        )
    return url


# ---------------------------------------------------------------------------------------------
# What: the lock
# ---------------------------------------------------------------------------------------------


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


def classpath(paths: Iterable[Path]) -> str:
    """A ``java -cp`` value: the paths joined with the platform's path separator."""
    return os.pathsep.join(str(p) for p in paths)


# ---------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------


class _Progress:
    """Quiet progress: the base of the reporting kinds below (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        """``n`` more bytes arrived."""

    def grow(self, n: int) -> None:
        """``n`` bytes received earlier were thrown away and must come again."""

    def done(self, jar: LockedJar) -> None:
        """One jar is in place."""

    def close(self) -> None:
        """The downloads are over."""


class _TqdmProgress(_Progress):
    def __init__(self, tqdm: Any, total: int) -> None:
        super().__init__()
        self._bar = tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="statefun-lab jars"
        )

    def add(self, n: int) -> None:
        with self._lock:
            self._bar.update(n)

    def grow(self, n: int) -> None:
        with self._lock:
            self._bar.total += n
            self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            self._bar.close()


class _LineProgress(_Progress):
    def __init__(self, count: int) -> None:
        super().__init__()
        self._count = count
        self._done = 0

    def done(self, jar: LockedJar) -> None:
        with self._lock:
            self._done += 1
            print(
                f"[statefun-lab] {self._done}/{self._count} {jar.coordinate}"
                f" ({jar.size / 1e6:.1f} MB)",
                file=sys.stderr,
                flush=True,
            )


#: A download progress hook: called with (bytes done, bytes in all) as bytes arrive, and once
#: more when the downloads are over.
ProgressHook = Callable[[int, int], None]


class _HookProgress(_Progress):
    """Reports to a :data:`ProgressHook` (a notebook widget, a test)."""

    def __init__(self, hook: ProgressHook, total: int) -> None:
        super().__init__()
        self._hook = hook
        self._done = 0
        self._total = total
        hook(0, total)

    def add(self, n: int) -> None:
        with self._lock:
            self._done += n
            self._hook(self._done, self._total)

    def grow(self, n: int) -> None:
        with self._lock:
            self._total += n
            self._hook(self._done, self._total)

    def close(self) -> None:
        with self._lock:
            self._hook(self._done, self._total)


def _make_progress(show: bool | ProgressHook, count: int, total: int) -> _Progress:
    """The progress kind: quiet, a hook, tqdm (an ipywidgets bar in Jupyter, a terminal bar
    elsewhere: ``tqdm.auto``), or a line per jar without tqdm."""
    if callable(show):
        return _HookProgress(show, total)
    if not show:
        return _Progress()
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        return _LineProgress(count)
    try:
        return _TqdmProgress(tqdm, total)
    except ImportError:  # Jupyter without ipywidgets: tqdm.notebook cannot draw; a text bar
        return _TqdmProgress(importlib.import_module("tqdm.std").tqdm, total)


# ---------------------------------------------------------------------------------------------
# One jar
# ---------------------------------------------------------------------------------------------


class _Retry(Exception):
    """A failure worth another attempt (network, server error); the text says what."""


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Stopped(Exception):
    """Another download failed (or the user interrupted): stop, keep the part for later."""


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


def _is_verified(jar: LockedJar, final: Path) -> bool:
    """The cheap check: the jar is there, with the size and mtime its sha256 was checked at."""
    try:
        if final.stat().st_size != jar.size:
            return False
        return _record_path(final).read_text() == _record_text(jar, final)
    except OSError:
        return False


if sys.platform == "win32":  # pragma: no cover - no flock; concurrent fetches are not guarded

    def _locked(path: Path, say: bool) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

else:
    import fcntl

    @contextlib.contextmanager
    def _locked(path: Path, say: bool) -> Iterator[None]:
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


@dataclasses.dataclass
class _Fetcher:
    base_url: str
    dest: Path
    progress: _Progress
    stop: threading.Event
    timeout: float
    retries: int
    retry_delay: float
    user_agent: str

    def fetch(self, jar: LockedJar) -> None:
        """Make sure ``jar`` is in the cache, verified; download (or resume) it if not."""
        final = self.dest / jar.path
        url = jar.url(self.base_url)
        if _is_verified(jar, final):
            return
        if final.exists():  # put there by hand, or its record is gone: check it once
            self._accept(jar, final, final, url)
            self.progress.done(jar)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        part = final.with_name(final.name + ".part")
        attempt = 0
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                self._transfer(jar, url, part)
                break
            except _Retry as exc:
                attempt += 1
                if attempt > self.retries:
                    have = part.stat().st_size if part.exists() else 0
                    raise JarNetworkError(
                        f"{jar.coordinate}: could not download {url} ({exc}; {attempt} "
                        f"attempts). Check the network connection (a proxy needs https_proxy "
                        f"set), or set {MAVEN_URL_ENV} to a Maven repository you can reach. "
                        f"{have} of {jar.size} bytes are kept in {part}; running again "
                        f"resumes from there.",
                        url=url,
                        path=str(final),
                    ) from None
                if self.stop.wait(self.retry_delay * attempt):
                    raise _Stopped from None
        self._accept(jar, part, final, url)
        self.progress.done(jar)

    def _accept(self, jar: LockedJar, source: Path, final: Path, url: str) -> None:
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

    def _transfer(self, jar: LockedJar, url: str, part: Path) -> None:
        """One attempt: append to (or start) ``part`` until it holds ``jar.size`` bytes."""
        have = part.stat().st_size if part.exists() else 0
        if have > jar.size:  # cannot be the right file: start over
            self._discard(part, have)
            have = 0
        if have == jar.size:
            return
        headers = {"User-Agent": self.user_agent}
        if have:
            headers["Range"] = f"bytes={have}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and have:  # the part is not a prefix the server knows
                self._discard(part, have)
                raise _Retry(f"HTTP 416 for a resume at byte {have}") from None
            if exc.code in _REFUSED_STATUSES:
                raise _Refused(exc.code) from None
            raise _Retry(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, FileNotFoundError):  # a file:// repository without it
                raise _Refused(404) from None
            raise _Retry(str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None
        with response:
            status = getattr(response, "status", None)
            if have and status == 206:
                content_range = response.headers.get("Content-Range", "")
                match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", content_range.strip())
                if match is None or int(match.group(1)) != have:
                    self._discard(part, have)
                    raise _Retry(f"the server resumed with {content_range!r}, not at {have}")
                mode = "ab"
            else:  # 200, or a file:// answer: the whole file (a proxy may ignore Range)
                if have:
                    self._discard(part, have)
                    have = 0
                mode = "wb"
            got = 0
            with part.open(mode) as f:
                while True:
                    if self.stop.is_set():
                        raise _Stopped
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Retry(
                            f"connection lost after {have} of {jar.size} bytes "
                            f"({type(exc).__name__}: {exc})"
                        ) from None
                    if not chunk:
                        break
                    f.write(chunk)
                    have += len(chunk)
                    got += len(chunk)
                    self.progress.add(len(chunk))
            announced = response.headers.get("Content-Length")
            chunked = "chunked" in (response.headers.get("Transfer-Encoding") or "")
        # read(n) returns b"" when the connection drops, even before Content-Length bytes.
        if announced is not None and announced.isdigit() and got < int(announced):
            raise _Retry(f"connection lost after {have} of {jar.size} bytes")
        if have < jar.size and announced is None and not chunked:
            raise _Retry(f"connection closed after {have} of {jar.size} bytes")
        # Otherwise the body is whole, even if it is not the size the lock says: the checksum
        # then tells (a retry would get the same bytes).

    def _discard(self, part: Path, n: int) -> None:
        part.unlink(missing_ok=True)
        self.progress.grow(n)


# ---------------------------------------------------------------------------------------------
# The jar sets
# ---------------------------------------------------------------------------------------------


def fetch_jars(
    *sets: str,
    cache: Path | None = None,
    base_url: str | None = None,
    progress: bool | ProgressHook = True,
    workers: int = 4,
    timeout: float = 30.0,
    retries: int = 3,
    retry_delay: float = 1.0,
) -> dict[str, list[Path]]:
    """Make sure every jar of the lock's ``sets`` (default: all) is in the cache.

    Returns ``{set name: [jar path, ...]}``, each list in the lock's order. A jar two sets
    share is fetched once. The keyword arguments are those of :func:`download_jars`; an
    unknown set name raises :class:`~statefun.errors.JarLockError`.
    """
    names = sets or JAR_SETS
    chosen = {name: locked_jars(name) for name in names}
    unique: dict[str, LockedJar] = {}
    for jars in chosen.values():
        for jar in jars:
            unique.setdefault(jar.path, jar)
    paths = download_jars(
        unique.values(),
        cache=cache,
        base_url=base_url,
        progress=progress,
        workers=workers,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        label=", ".join(names),
    )
    where = dict(zip(unique, paths, strict=True))
    return {name: [where[jar.path] for jar in jars] for name, jars in chosen.items()}


def download_jars(
    jars: Iterable[LockedJar],
    *,
    cache: Path | None = None,
    base_url: str | None = None,
    progress: bool | ProgressHook = True,
    workers: int = 4,
    timeout: float = 30.0,
    retries: int = 3,
    retry_delay: float = 1.0,
    label: str = "",
) -> list[Path]:
    """Make sure each of ``jars`` is in the cache, verified; return their paths, in order.

    Jars already in the cache and verified are not downloaded again (a size and mtime check);
    the others are downloaded from ``base_url`` (default :func:`maven_url`) into ``cache``
    (default :func:`jar_dir`), ``workers`` at a time (at least one), each network failure
    retried ``retries`` times (``retry_delay`` seconds times the attempt number apart,
    resuming what arrived; ``timeout`` seconds per connection or read), each file checked
    against its sha256. ``progress=False`` prints nothing; a callable ``progress(done, total)``
    (bytes) is told instead of drawing a bar (a notebook widget); ``label`` names what is fetched in
    the first line printed.

    Raises :class:`~statefun.errors.JarRefusedError` (listing every refused jar, after the
    others were fetched), :class:`~statefun.errors.JarNetworkError` or
    :class:`~statefun.errors.JarChecksumError` (these two stop the other downloads; what
    arrived is kept for the next run), or :class:`~statefun.errors.JarDownloadError` (the
    cache cannot be written).
    """
    wanted = list(jars)
    base = (base_url or maven_url()).rstrip("/")
    dest = (cache or jar_dir()).expanduser().resolve()
    result = [dest / jar.path for jar in wanted]

    def unverified() -> list[LockedJar]:
        todo: dict[str, LockedJar] = {}
        for jar in wanted:
            if jar.path not in todo and not _is_verified(jar, dest / jar.path):
                todo[jar.path] = jar
        return list(todo.values())

    if not unverified():
        return result
    try:
        dest.mkdir(parents=True, exist_ok=True)
        # One download into a cache at a time: another process (or thread) waits here, then
        # finds what the first one fetched.
        with _locked(dest / ".lock", progress is True):
            todo = unverified()
            if todo:
                _download(
                    todo,
                    base,
                    dest,
                    progress,
                    label,
                    workers=workers,
                    timeout=timeout,
                    retries=retries,
                    retry_delay=retry_delay,
                )
    except OSError as exc:
        if isinstance(exc, JarDownloadError):
            raise
        raise JarDownloadError(
            f"cannot write the jar cache {dest} ({exc}); set {CACHE_ENV} to a writable directory",
            path=str(dest),
        ) from None
    return result


def _download(
    todo: list[LockedJar],
    base: str,
    dest: Path,
    progress: bool | ProgressHook,
    label: str,
    *,
    workers: int,
    timeout: float,
    retries: int,
    retry_delay: float,
) -> None:
    """Download ``todo`` (none of them verified yet) into ``dest``, under the cache lock."""

    def pending(jar: LockedJar) -> int:
        """Bytes still to download for ``jar`` (none for a file in place, only to check)."""
        if (dest / jar.path).exists():
            return 0
        with contextlib.suppress(OSError):
            return max(jar.size - (dest / (jar.path + ".part")).stat().st_size, 0)
        return jar.size

    total = sum(pending(jar) for jar in todo)
    if progress is True:
        what = f" of {label}" if label else ""
        print(
            f"[statefun-lab] downloading {len(todo)} jars ({total / 1e6:.1f} MB){what} from "
            f"{base} into {dest} (once; resumable)",
            file=sys.stderr,
            flush=True,
        )
    bar = _make_progress(progress, len(todo), total)
    fetcher = _Fetcher(
        base_url=base,
        dest=dest,
        progress=bar,
        stop=threading.Event(),
        timeout=timeout,
        retries=max(0, retries),
        retry_delay=retry_delay,
        user_agent=f"statefun-lab/{__version__} (Python urllib)",
    )
    refused: list[tuple[str, str, str, int]] = []
    failures: list[BaseException] = []

    def run(jar: LockedJar) -> None:
        try:
            fetcher.fetch(jar)
        except _Refused as exc:
            refused.append((jar.coordinate, jar.url(base), str(dest / jar.path), exc.status))
        except _Stopped:
            pass
        except JarDownloadError as exc:
            fetcher.stop.set()
            failures.append(exc)
        except OSError as exc:  # the cache, not the network (those are JarNetworkError)
            fetcher.stop.set()
            failures.append(
                JarDownloadError(
                    f"{jar.coordinate}: cannot write {dest / jar.path} ({exc}). Free some disk "
                    f"space, or set {CACHE_ENV} to a writable directory with room for it.",
                    url=jar.url(base),
                    path=str(dest / jar.path),
                )
            )
        except BaseException as exc:
            fetcher.stop.set()
            failures.append(exc)

    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))))
    try:
        for future in [pool.submit(run, jar) for jar in todo]:
            future.result()
    except BaseException:  # e.g. KeyboardInterrupt: stop the others, keep their parts
        fetcher.stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    if failures:
        raise failures[0]
    if refused:
        order = {jar.coordinate: i for i, jar in enumerate(todo)}
        raise JarRefusedError(sorted(refused, key=lambda r: order[r[0]]))
