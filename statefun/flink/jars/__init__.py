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

The package, one concept per module (all private; this module is the public surface):
``_lock`` (the lock and its jar sets), ``_locations`` (the cache and the repository),
``_cache`` (a jar's files in the cache: verified, its part, the cache's lock), ``_progress``
(the progress kinds), ``_transfer`` (one jar over HTTP, resumed and retried) and ``_download``
(:func:`download_jars`: a few at once, failures gathered).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Unpack

from statefun.flink.jars._download import DownloadOptions, download_jars, download_settings
from statefun.flink.jars._locations import (
    CACHE_ENV,
    DEFAULT_MAVEN_URL,
    MAVEN_URL_ENV,
    cache_dir,
    jar_dir,
    maven_url,
)
from statefun.flink.jars._lock import JAR_SETS, LockedJar, locked_jars, parse_lock
from statefun.flink.jars._progress import ProgressHook

__all__ = [
    "CACHE_ENV",
    "DEFAULT_MAVEN_URL",
    "JAR_SETS",
    "MAVEN_URL_ENV",
    "DownloadOptions",
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


def fetch_jars(*sets: str, **options: Unpack[DownloadOptions]) -> dict[str, list[Path]]:
    """Make sure every jar of the lock's ``sets`` (default: all) is in the cache.

    Returns ``{set name: [jar path, ...]}``, each list in the lock's order. A jar two sets
    share is fetched once. The keyword arguments are those of :func:`download_jars`
    (:class:`DownloadOptions`); an unknown set name raises :class:`~statefun.errors.JarLockError`.
    """
    download_settings(options, "fetch_jars")  # an unknown option is refused before any work
    names = sets or JAR_SETS
    chosen = {name: locked_jars(name) for name in names}
    unique: dict[str, LockedJar] = {}
    for jars in chosen.values():
        for jar in jars:
            unique.setdefault(jar.path, jar)
    paths = download_jars(unique.values(), label=", ".join(names), **options)
    where = dict(zip(unique, paths, strict=True))
    return {name: [where[jar.path] for jar in jars] for name, jars in chosen.items()}


def classpath(paths: Iterable[Path]) -> str:
    """A ``java -cp`` value: the paths joined with the platform's path separator."""
    return os.pathsep.join(str(p) for p in paths)


# As before the split (as httpx does): the public names say they come from this module, in
# reprs, tracebacks and pickles.
for _public in (
    DownloadOptions,
    LockedJar,
    cache_dir,
    download_jars,
    jar_dir,
    locked_jars,
    maven_url,
    parse_lock,
):
    _public.__module__ = __name__
del _public
