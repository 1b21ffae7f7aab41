"""Where the jars go and come from: the user cache and the Maven repository."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from statefun.errors import JarDownloadError

#: Environment variable: the root of StateFun Lab's user cache (jars go in its ``jars/``).
CACHE_ENV = "STATEFUN_LAB_CACHE"
#: Environment variable: a Maven repository to download from instead of Maven Central.
MAVEN_URL_ENV = "STATEFUN_LAB_MAVEN_URL"
#: Maven Central.
DEFAULT_MAVEN_URL = "https://repo1.maven.org/maven2"


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
