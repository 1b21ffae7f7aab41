"""Where the jars go and come from: the user cache and the Maven repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from statefun.errors import JarDownloadError
from statefun.flink import jars


def test_cache_dir_precedence(tmp_path: Path) -> None:
    home = Path.home()
    assert jars.cache_dir({}) == (home / ".cache" / "statefun-lab").resolve()
    xdg = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert jars.cache_dir(xdg) == tmp_path / "xdg" / "statefun-lab"
    both = {**xdg, jars.CACHE_ENV: str(tmp_path / "mine")}
    assert jars.cache_dir(both) == tmp_path / "mine"
    assert jars.jar_dir(both) == tmp_path / "mine" / "jars"


def test_maven_url_default_override_and_bad_value() -> None:
    assert jars.maven_url({}) == jars.DEFAULT_MAVEN_URL
    assert (
        jars.maven_url({jars.MAVEN_URL_ENV: "https://mirror.example/m2/"})
        == "https://mirror.example/m2"
    )
    with pytest.raises(JarDownloadError, match=r"STATEFUN_LAB_MAVEN_URL='ftp://x'.*unset it"):
        jars.maven_url({jars.MAVEN_URL_ENV: "ftp://x"})
