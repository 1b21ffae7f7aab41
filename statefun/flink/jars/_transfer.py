"""One jar over HTTP (or ``file://``): into its part, resumed and retried, then checked.

A dropped connection is resumed with a ``Range`` request (a server or proxy that answers with
the whole file is fine too: the part is then started over); network failures and server
errors are retried; a refusal (401/403/404/410/451) is not.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import threading
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

from statefun.errors import JarNetworkError
from statefun.flink.jars._cache import accept, is_verified, part_path
from statefun.flink.jars._locations import MAVEN_URL_ENV
from statefun.flink.jars._lock import LockedJar
from statefun.flink.jars._progress import Progress

# What a Maven repository says when it will not serve a file (as opposed to a network failure).
_REFUSED_STATUSES = frozenset({401, 403, 404, 410, 451})
_CHUNK = 1 << 16


class Refused(Exception):
    """The repository will not serve the jar (``status``): no retry."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Stopped(Exception):
    """Another download failed (or the user interrupted): stop, keep the part for later."""


class _Retry(Exception):
    """A failure worth another attempt (network, server error); the text says what."""


@dataclasses.dataclass
class Fetcher:
    """Fetches jars from the repository at ``base_url`` into the cache ``dest``."""

    base_url: str
    dest: Path
    progress: Progress
    stop: threading.Event
    timeout: float
    retries: int
    retry_delay: float
    user_agent: str

    def fetch(self, jar: LockedJar) -> None:
        """Make sure ``jar`` is in the cache, verified; download (or resume) it if not."""
        final = self.dest / jar.path
        url = jar.url(self.base_url)
        if is_verified(jar, final):
            return
        if final.exists():  # put there by hand, or its record is gone: check it once
            accept(jar, final, final, url)
            self.progress.done(jar)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        part = part_path(final)
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Stopped
            try:
                self._transfer(jar, url, part)
                break
            except _Retry as exc:
                attempt += 1
                if attempt > self.retries:
                    raise _gave_up(jar, url, part, final, attempt, exc) from None
                if self.stop.wait(self.retry_delay * attempt):
                    raise Stopped from None
        accept(jar, part, final, url)
        self.progress.done(jar)

    def _transfer(self, jar: LockedJar, url: str, part: Path) -> None:
        """One attempt: append to (or start) ``part`` until it holds ``jar.size`` bytes."""
        have = part.stat().st_size if part.exists() else 0
        if have > jar.size:  # cannot be the right file: start over
            self._discard(part, have)
            have = 0
        if have == jar.size:
            return
        with self._open(url, part, have) as response:
            start = self._resume_at(response, part, have)
            got = self._copy(response, part, start, jar.size)
            headers = response.headers
        _check_complete(headers, got, start + got, jar.size)

    def _open(self, url: str, part: Path, have: int) -> Any:
        """The answer to a request for ``url`` from byte ``have``; a failure, classified."""
        headers = {"User-Agent": self.user_agent}
        if have:
            headers["Range"] = f"bytes={have}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and have:  # the part is not a prefix the server knows
                self._discard(part, have)
                raise _Retry(f"HTTP 416 for a resume at byte {have}") from None
            if exc.code in _REFUSED_STATUSES:
                raise Refused(exc.code) from None
            raise _Retry(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, FileNotFoundError):  # a file:// repository without it
                raise Refused(404) from None
            raise _Retry(str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from None

    def _resume_at(self, response: Any, part: Path, have: int) -> int:
        """Where the answer's body goes in ``part``: at ``have`` (a 206 that resumes there), or
        at 0 (the whole file: a 200, a ``file://`` answer, a proxy that ignored the range)."""
        if have and getattr(response, "status", None) == 206:
            content_range = response.headers.get("Content-Range", "")
            match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", content_range.strip())
            if match is None or int(match.group(1)) != have:
                self._discard(part, have)
                raise _Retry(f"the server resumed with {content_range!r}, not at {have}")
            return have
        if have:
            self._discard(part, have)
        return 0

    def _copy(self, response: Any, part: Path, start: int, size: int) -> int:
        """Write the answer's body into ``part`` from byte ``start``; return how many came."""
        got = 0
        with part.open("ab" if start else "wb") as f:
            while True:
                if self.stop.is_set():
                    raise Stopped
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Retry(
                        f"connection lost after {start + got} of {size} bytes "
                        f"({type(exc).__name__}: {exc})"
                    ) from None
                if not chunk:
                    return got
                f.write(chunk)
                got += len(chunk)
                self.progress.add(len(chunk))

    def _discard(self, part: Path, n: int) -> None:
        part.unlink(missing_ok=True)
        self.progress.grow(n)


def _check_complete(headers: Message, got: int, have: int, size: int) -> None:
    """Retry a body cut short: ``got`` bytes came, so ``part`` holds ``have`` of ``size``."""
    announced = headers.get("Content-Length")
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "")
    # read(n) returns b"" when the connection drops, even before Content-Length bytes.
    if announced is not None and announced.isdigit() and got < int(announced):
        raise _Retry(f"connection lost after {have} of {size} bytes")
    if have < size and announced is None and not chunked:
        raise _Retry(f"connection closed after {have} of {size} bytes")
    # Otherwise the body is whole, even if it is not the size the lock says: the checksum
    # then tells (a retry would get the same bytes).


def _gave_up(
    jar: LockedJar, url: str, part: Path, final: Path, attempts: int, last: _Retry
) -> JarNetworkError:
    have = part.stat().st_size if part.exists() else 0
    return JarNetworkError(
        f"{jar.coordinate}: could not download {url} ({last}; {attempts} "
        f"attempts). Check the network connection (a proxy needs https_proxy "
        f"set), or set {MAVEN_URL_ENV} to a Maven repository you can reach. "
        f"{have} of {jar.size} bytes are kept in {part}; running again "
        f"resumes from there.",
        url=url,
        path=str(final),
    )
