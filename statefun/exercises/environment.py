"""The environment self-check of the first notebook: versions that matter, and how to fix them."""

from __future__ import annotations

import importlib
import sys
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from statefun.exercises._repo import messages, repo_root
from statefun.i18n import N_
from statefun.i18n import gettext as _
from statefun.platform import IN_BROWSER
from statefun.workshop import notebooks_version

__all__ = ["EnvironmentReport", "Finding", "check_environment"]

#: The fix for a missing dependency in a clone (what ``make setup`` installs).
INSTALL = ".venv/bin/python -m pip install -e '.[notebooks]'"
#: The fix for a missing dependency where statefun-lab is installed (a wheel, not a clone): into
#: the kernel's own environment, from a notebook cell.
INSTALL_PACKAGE = "%pip install 'statefun-lab[notebooks]'"


@dataclass(frozen=True)
class Finding:
    """One line of the report: what, which version, and the fix when something is off.

    ``what`` is an English key (shown translated); ``found`` and ``fix`` are in the language
    that was current when the check ran.
    """

    what: str
    found: str
    ok: bool
    fix: str = ""


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospace font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass
class EnvironmentReport:
    """Every finding of :func:`check_environment`; prints one line per finding."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    @property
    def summary(self) -> str:
        """One stable line: what the notebooks' committed output shows when all is well."""
        if self.ok:
            return _("all good: the environment is ready for the StateFun Lab notebooks.")
        names = ", ".join(_(f.what) for f in self.problems)
        return _(
            "{count} problem(s): {names}. Apply the fixes above, restart the kernel, and run "
            "the check again."
        ).format(count=len(self.problems), names=names)

    def __str__(self) -> str:
        labels = [_(f.what) for f in self.findings]
        width = max((_width(label) for label in labels), default=0)
        lines = []
        for f, label in zip(self.findings, labels, strict=True):
            pad = " " * (width - _width(label))
            lines.append(f"{'✅' if f.ok else '❌'} {label}{pad}  {f.found}")
            if not f.ok and f.fix:
                lines.append(" " * (width + 5) + _("fix it like this: {fix}").format(fix=f.fix))
        return "\n".join(lines)

    __repr__ = __str__


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _major(version: str | None) -> int:
    try:
        return int((version or "0").split(".")[0])
    except ValueError:
        return 0


def _pyodide_version() -> str:
    try:
        import pyodide  # type: ignore[import-not-found]  # only in the browser edition
    except ImportError:
        return _("not found")
    return str(pyodide.__version__)


def check_environment() -> EnvironmentReport:
    """Check Python, statefun-lab, protobuf (and its backend), ipywidgets, JupyterLab,
    the kernel, and that the walkthrough's files can be imported.

    In the browser edition (Pyodide) the package is the site's wheel, protobuf runs its
    pure-Python backend (the only one there), the widgets' front end and JupyterLite come with
    the site: those are what is expected there, not problems.
    """
    report = EnvironmentReport([_python()])
    try:
        root = repo_root()
    except RuntimeError as e:
        report.findings.append(Finding("statefun-lab", _("not found"), False, str(e)))
        return report
    import statefun

    package = Path(statefun.__file__)
    here = package.resolve().is_relative_to(root)
    install = INSTALL if here else INSTALL_PACKAGE
    report.findings += [
        _statefun_lab(root, package, here),
        _protobuf(install),
        _ipywidgets(install),
        _jupyterlab(install, here),
        _kernel(root, here),
        _walkthrough(install),
    ]
    return report


def _python() -> Finding:
    py = ".".join(map(str, sys.version_info[:3]))
    return Finding(
        "Python",
        py,
        sys.version_info >= (3, 11),
        _("install Python 3.11 or newer, then `make setup` (it creates .venv)."),
    )


def _statefun_lab(root: Path, package: Path, here: bool) -> Finding:
    """The installed statefun-lab; ``here`` when ``package`` (its ``__init__.py``) is in
    the checkout ``root``."""
    lab = _version("statefun-lab")
    # Installed (a wheel, not this checkout): right when it is the version of these notebooks,
    # the one `statefun-lab notebooks` copied them from or a checkout's pyproject.toml names.
    wanted = None if here or IN_BROWSER else notebooks_version(root)
    found = _("{version} ({where})").format(
        version=lab or _("not installed"),
        where=_("this repository")
        if here
        else _("the browser edition's wheel")
        if IN_BROWSER
        else str(package.parent),
    )
    mismatch = wanted is not None and lab is not None and lab != wanted
    if mismatch:
        found += "; " + _("these notebooks are for {version}").format(version=wanted)
    return Finding(
        "statefun-lab",
        found,
        lab is not None and not mismatch,
        _(
            "{command}, or copy the installed version's notebooks with `statefun-lab notebooks DIR`"
        ).format(command=f"%pip install 'statefun-lab[notebooks]=={wanted}'")
        if mismatch
        else _("from {root}: {command}").format(root=root, command=INSTALL),
    )


def _protobuf(install: str) -> Finding:
    import google.protobuf
    from google.protobuf.internal import api_implementation

    backend = api_implementation.Type()
    pb = google.protobuf.__version__
    return Finding(
        "protobuf",
        _("{version}, backend {backend}").format(version=pb, backend=backend),
        _major(pb) >= 5 and (backend != "python" or IN_BROWSER),
        (
            _("{command} (it pins protobuf 7)").format(command=install)
            if _major(pb) < 5
            else _(
                "unset PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION (the pure-Python backend is "
                "slow), then restart the kernel"
            )
        ),
    )


def _ipywidgets(install: str) -> Finding:
    widgets = _version("ipywidgets")
    frontend = _version("jupyterlab_widgets") or (_("the site's") if IN_BROWSER else None)
    return Finding(
        "ipywidgets",
        "{} (jupyterlab_widgets {})".format(
            widgets or _("not installed"), frontend or _("not installed")
        ),
        _major(widgets) >= 8 and frontend is not None,
        install,
    )


def _jupyterlab(install: str, here: bool) -> Finding:
    lab_version = _version("jupyterlab")
    return Finding(
        "JupyterLab",
        _("JupyterLite, in the browser") if IN_BROWSER else lab_version or _("not installed"),
        IN_BROWSER or _major(lab_version) >= 4,
        _("{command}, then start it with `.venv/bin/jupyter lab notebooks/`").format(
            command=install
        )
        if here
        else _("{command}, then start it with `statefun-lab notebooks`").format(command=install),
    )


def _kernel(root: Path, here: bool) -> Finding:
    venv = root / ".venv"
    # The repository's kernel matters when statefun comes from the repository; an installed
    # statefun-lab is in the kernel's own environment, whichever that is.
    in_venv = Path(sys.prefix).resolve() == venv.resolve() if here and venv.exists() else True
    return Finding(
        N_("kernel"),
        f"Pyodide {_pyodide_version()}" if IN_BROWSER else sys.executable,
        in_venv,
        _(
            "pick the repository's kernel: `.venv/bin/python -m ipykernel install "
            "--sys-prefix`, start `.venv/bin/jupyter lab notebooks/`, and choose "
            "'Python 3 (ipykernel)'"
        ),
    )


def _walkthrough(install: str) -> Finding:
    try:
        messages()  # puts greeter/ on sys.path, as the notebooks' first cell does
        importlib.import_module("greeter")
        found, ok = _("greeter/greeter.py and messages_pb2 import"), True
    except Exception as e:  # an import error, or greeter.py failing at import time
        found = _("cannot import: {error}").format(error=f"{type(e).__name__}: {e}")
        ok = False
    return Finding(N_("walkthrough"), found, ok, install)
