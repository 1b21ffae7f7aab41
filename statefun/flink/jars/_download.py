"""Downloading jars into the cache: the options, a few at once, failures gathered and typed."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypedDict, Unpack

from statefun import __version__
from statefun.errors import ArgumentTypeError, JarDownloadError, JarRefusedError
from statefun.flink.jars._cache import is_verified, locked, pending_bytes
from statefun.flink.jars._locations import CACHE_ENV, jar_dir, maven_url
from statefun.flink.jars._lock import LockedJar
from statefun.flink.jars._progress import ProgressHook, make_progress
from statefun.flink.jars._transfer import Fetcher, Refused, Stopped


class DownloadOptions(TypedDict, total=False):
    """How jars are downloaded (the keyword arguments of :func:`download_jars`); all optional.

    ``cache`` (default :func:`jar_dir`) and ``base_url`` (default :func:`maven_url`);
    ``progress`` (default ``True``: a bar; ``False`` prints nothing; a callable
    ``progress(done, total)`` is told the bytes instead); ``workers`` downloads at once
    (default 4, at least one); ``timeout`` seconds per connection or read (default 30);
    ``retries`` per network failure (default 3), ``retry_delay`` seconds times the attempt
    number apart (default 1).
    """

    cache: Path | None
    base_url: str | None
    progress: bool | ProgressHook
    workers: int
    timeout: float
    retries: int
    retry_delay: float


@dataclasses.dataclass(frozen=True)
class _Settings:
    """:class:`DownloadOptions` with their defaults."""

    cache: Path | None = None
    base_url: str | None = None
    progress: bool | ProgressHook = True
    workers: int = 4
    timeout: float = 30.0
    retries: int = 3
    retry_delay: float = 1.0


def download_jars(
    jars: Iterable[LockedJar], *, label: str = "", **options: Unpack[DownloadOptions]
) -> list[Path]:
    """Make sure each of ``jars`` is in the cache, verified; return their paths, in order.

    Jars already in the cache and verified are not downloaded again (a size and mtime check);
    the others are downloaded from ``base_url`` (default :func:`maven_url`) into ``cache``
    (default :func:`jar_dir`), ``workers`` at a time (at least one), each network failure
    retried ``retries`` times (``retry_delay`` seconds times the attempt number apart,
    resuming what arrived; ``timeout`` seconds per connection or read), each file checked
    against its sha256. ``progress=False`` prints nothing; a callable ``progress(done, total)``
    (bytes) is told instead of drawing a bar (a notebook widget); ``label`` names what is fetched in
    the first line printed. The options are :class:`DownloadOptions`.

    Raises :class:`~statefun.errors.JarRefusedError` (listing every refused jar, after the
    others were fetched), :class:`~statefun.errors.JarNetworkError` or
    :class:`~statefun.errors.JarChecksumError` (these two stop the other downloads; what
    arrived is kept for the next run), or :class:`~statefun.errors.JarDownloadError` (the
    cache cannot be written).
    """
    settings = download_settings(options, "download_jars")
    wanted = list(jars)
    base = (settings.base_url or maven_url()).rstrip("/")
    dest = (settings.cache or jar_dir()).expanduser().resolve()
    if _unverified(wanted, dest):
        with _cache_errors(dest):
            dest.mkdir(parents=True, exist_ok=True)
            # One download into a cache at a time: another process (or thread) waits here,
            # then finds what the first one fetched.
            with locked(dest / ".lock", settings.progress is True):
                if todo := _unverified(wanted, dest):
                    _download(todo, base, dest, settings, label)
    return [dest / jar.path for jar in wanted]


def download_settings(options: DownloadOptions, caller: str) -> _Settings:
    """``options`` with their defaults; an unknown one is refused, naming ``caller``."""
    unknown = sorted(set(options) - set(DownloadOptions.__annotations__))
    if unknown:
        known = ", ".join(DownloadOptions.__annotations__)
        raise ArgumentTypeError(
            f"{caller}() got an unknown option {', '.join(map(repr, unknown))}; "
            f"its options are {known}"
        )
    return _Settings(**options)


def _unverified(wanted: list[LockedJar], dest: Path) -> list[LockedJar]:
    """The jars of ``wanted`` not verified in ``dest``, each once."""
    todo: dict[str, LockedJar] = {}
    for jar in wanted:
        if jar.path not in todo and not is_verified(jar, dest / jar.path):
            todo[jar.path] = jar
    return list(todo.values())


@contextlib.contextmanager
def _cache_errors(dest: Path) -> Iterator[None]:
    """An ``OSError`` of the cache (not of a download) becomes a typed error saying what to do."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, JarDownloadError):
            raise
        raise JarDownloadError(
            f"cannot write the jar cache {dest} ({exc}); set {CACHE_ENV} to a writable directory",
            path=str(dest),
        ) from None


def _download(
    todo: list[LockedJar], base: str, dest: Path, settings: _Settings, label: str
) -> None:
    """Download ``todo`` (none of them verified yet) into ``dest``, under the cache lock."""
    total = sum(pending_bytes(jar, dest / jar.path) for jar in todo)
    if settings.progress is True:
        what = f" of {label}" if label else ""
        print(
            f"[statefun-lab] downloading {len(todo)} jars ({total / 1e6:.1f} MB){what} from "
            f"{base} into {dest} (once; resumable)",
            file=sys.stderr,
            flush=True,
        )
    bar = make_progress(settings.progress, len(todo), total)
    fetcher = Fetcher(
        base_url=base,
        dest=dest,
        progress=bar,
        stop=threading.Event(),
        timeout=settings.timeout,
        retries=max(0, settings.retries),
        retry_delay=settings.retry_delay,
        user_agent=f"statefun-lab/{__version__} (Python urllib)",
    )
    outcomes = _Outcomes(fetcher)
    try:
        _run_all(outcomes.fetch, todo, settings.workers, fetcher.stop)
    finally:
        bar.close()
    outcomes.raise_failures(todo)


def _run_all(
    run: Callable[[LockedJar], None], todo: list[LockedJar], workers: int, stop: threading.Event
) -> None:
    """``run`` each jar of ``todo``, ``workers`` at once; an interrupt stops them (via ``stop``)."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))))
    try:
        for future in [pool.submit(run, jar) for jar in todo]:
            future.result()
    except BaseException:  # e.g. KeyboardInterrupt: stop the others, keep their parts
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclasses.dataclass
class _Outcomes:
    """Each jar fetched, its failure kept: the refused ones all, the first other one stopping the
    rest (a network or checksum failure would repeat; a full disk stays full)."""

    fetcher: Fetcher
    refused: list[tuple[str, str, str, int]] = dataclasses.field(default_factory=list)
    failures: list[BaseException] = dataclasses.field(default_factory=list)

    def fetch(self, jar: LockedJar) -> None:
        """Fetch ``jar``, keeping what went wrong (run in a worker thread)."""
        url, path = jar.url(self.fetcher.base_url), self.fetcher.dest / jar.path
        try:
            self.fetcher.fetch(jar)
        except Refused as exc:
            self.refused.append((jar.coordinate, url, str(path), exc.status))
        except Stopped:
            pass
        except JarDownloadError as exc:
            self._fail(exc)
        except OSError as exc:  # the cache, not the network (those are JarNetworkError)
            self._fail(
                JarDownloadError(
                    f"{jar.coordinate}: cannot write {path} ({exc}). Free some disk "
                    f"space, or set {CACHE_ENV} to a writable directory with room for it.",
                    url=url,
                    path=str(path),
                )
            )
        except BaseException as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.fetcher.stop.set()
        self.failures.append(exc)

    def raise_failures(self, todo: list[LockedJar]) -> None:
        """Raise the first failure, else every refusal in ``todo``'s order, else nothing."""
        if self.failures:
            raise self.failures[0]
        if self.refused:
            order = {jar.coordinate: i for i, jar in enumerate(todo)}
            raise JarRefusedError(sorted(self.refused, key=lambda r: order[r[0]]))
