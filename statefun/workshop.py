"""``statefun-lab notebooks``: the notebooks and the walkthrough in a folder of your own, opened
in JupyterLab. One ``pip install 'statefun-lab[notebooks]'`` and one command::

    statefun-lab notebooks my-lab            # copy into my-lab/, start JupyterLab there
    statefun-lab notebooks --lang zh         # only the Chinese editions, into ./statefun-lab
    statefun-lab notebooks my-lab --no-launch

The files come from the installed package (the wheel ships them as ``statefun/_workshop/``,
made from the repository at build time), or from the checkout an editable install runs from.
The folder gets a manifest (``.statefun-lab-notebooks.json``: the version and each file's
sha256 as copied): a later run updates the files nobody changed and keeps the learner's
changes unless ``--force``. The notebooks' environment check reads the version there.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import statefun
from statefun._workshop_files import DATA_DIR, MANIFEST, collect
from statefun.errors import MissingExtraError, NotebooksCopyError
from statefun.exit_status import EXIT_FAILED, EXIT_OK, print_error
from statefun.i18n import LANGUAGES

__all__ = [
    "CopyReport",
    "add_parser",
    "copy_notebooks",
    "jupyterlab_command",
    "notebooks_version",
    "shipped_files",
]

#: The folder ``statefun-lab notebooks`` copies into when none is given.
DEFAULT_DIR = "statefun-lab"
_COMMAND = "statefun-lab notebooks"

#: The package files not copied into the learner's folder (07's Docker build copies the rest).
_PACKAGE_SKIP = {DATA_DIR, "__pycache__"}


def shipped_files() -> tuple[Path, list[str]]:
    """Where the notebooks' files are, and which (POSIX paths from there).

    The installed package's ``_workshop/`` folder (a wheel), else the checkout the package
    runs from (an editable install or ``PYTHONPATH``). Raises :class:`NotebooksCopyError`
    when neither holds them.
    """
    package = Path(statefun.__file__).resolve().parent
    for root in (package / DATA_DIR, package.parent):
        try:
            return root, collect(root)
        except FileNotFoundError:
            continue
    raise NotebooksCopyError(
        f"this installation of statefun-lab ({package}) ships no notebooks: it was built from a "
        "source tree without them. Install the released package "
        "(python -m pip install 'statefun-lab[notebooks]'), or run from a clone of the "
        "repository (make setup)."
    )


def _package_files() -> list[tuple[str, Path]]:
    """The ``statefun/`` package's own files, for 07's Docker images (they install it)."""
    package = Path(statefun.__file__).resolve().parent
    files = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_dir() or _PACKAGE_SKIP & set(relative.parts) or path.suffix == ".pyc":
            continue
        files.append(((Path("statefun") / relative).as_posix(), path))
    return files


def _plan(lang: str | None) -> dict[str, Path]:
    root, files = shipped_files()
    plan = {}
    for relative in files:
        parts = relative.split("/")
        if lang and parts[0] == "notebooks" and parts[1] in LANGUAGES and parts[1] != lang:
            continue
        plan[relative] = root / relative
    plan.update(_package_files())
    return plan


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(target: Path) -> dict[str, object]:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def notebooks_version(folder: Path) -> str | None:
    """The statefun-lab version whose notebooks ``folder`` holds: the version recorded by
    ``statefun-lab notebooks``, else a checkout's ``pyproject.toml``; None if neither says."""
    version = _read_manifest(folder).get("statefun_lab")
    if isinstance(version, str):
        return version
    try:
        import tomllib

        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = project.get("project", {}).get("version")
    return version if isinstance(version, str) else None


@dataclass
class CopyReport:
    """What :func:`copy_notebooks` did, by path from the target folder."""

    target: Path
    copied: list[str] = field(default_factory=list)  # new, or replaced
    unchanged: list[str] = field(default_factory=list)  # already the shipped copy
    kept: list[str] = field(default_factory=list)  # changed by the learner, left as they are

    def summary(self) -> str:
        """One line (and the kept files, if any), as the command prints it."""
        line = (
            f"{len(self.copied)} file(s) copied into {self.target}, "
            f"{len(self.unchanged)} already up to date"
        )
        if not self.kept:
            return line + "."
        shown = self.kept[:10] + ([f"... and {len(self.kept) - 10} more"] * (len(self.kept) > 10))
        return "\n".join(
            [
                f"{line}; {len(self.kept)} file(s) you changed were kept as they are (not "
                "overwritten; --force replaces them with the shipped copies, and your changes "
                "are lost):",
                *(f"  {name}" for name in shown),
            ]
        )


def copy_notebooks(target: Path, *, lang: str | None = None, force: bool = False) -> CopyReport:
    """Copy the notebooks (both languages, or ``lang``'s) and the walkthrough into ``target``.

    A file already there is replaced only if it is the copy an earlier run wrote (its sha256 is
    in the manifest) or ``force``; one the learner changed is kept and listed in the report.
    """
    if target.exists() and not target.is_dir():
        raise NotebooksCopyError(f"{target} is a file, not a folder: give a folder to copy into")
    plan = _plan(lang)
    manifest = _read_manifest(target)
    previous = manifest.get("files")
    written: dict[str, str] = dict(previous) if isinstance(previous, dict) else {}
    report = CopyReport(target)
    for relative, source in plan.items():
        out = target / relative
        digest = _sha256(source)
        if out.is_dir():
            raise NotebooksCopyError(
                f"{out} is a folder, where the notebooks' file {relative} goes: move it away"
            )
        if out.exists():
            current = _sha256(out)
            if current == digest:
                report.unchanged.append(relative)
                written[relative] = digest
                continue
            if current != written.get(relative) and not force:
                report.kept.append(relative)
                continue
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out)
        written[relative] = digest
        report.copied.append(relative)
    (target / MANIFEST).write_text(
        json.dumps({"statefun_lab": statefun.__version__, "files": written}, indent=1) + "\n",
        encoding="utf-8",
    )
    return report


def jupyterlab_command(target: Path, lang: str) -> list[str]:
    """The command that starts JupyterLab in ``target`` on the first notebook of ``lang``.

    Raises :class:`~statefun.errors.MissingExtraError` if JupyterLab is not installed.
    """
    if importlib.util.find_spec("jupyterlab") is None:
        raise MissingExtraError("statefun-lab notebooks (JupyterLab)", "jupyterlab", "notebooks")
    first = Path("notebooks", lang, "00-start-here.ipynb")
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={target}", str(first)]


def _launch(command: list[str], cwd: Path) -> int:
    """Become JupyterLab (Ctrl-C then stops it as if it had been started directly)."""
    os.chdir(cwd)
    if os.name == "posix":
        os.execv(command[0], command)
    return subprocess.call(command)  # pragma: no cover - Windows has no exec


def _notebooks(args: argparse.Namespace) -> int:
    target = Path(args.dir).expanduser().resolve()
    lang = args.lang
    try:
        command = None if args.no_launch else jupyterlab_command(target, lang or "en")
        report = copy_notebooks(target, lang=lang, force=args.force)
    except (NotebooksCopyError, MissingExtraError) as e:
        print_error(_COMMAND, str(e))
        return EXIT_FAILED
    except OSError as e:  # a folder that cannot be written, a full disk
        print_error(_COMMAND, f"cannot copy into {target}: {e}")
        return EXIT_FAILED
    print(report.summary())
    first = Path("notebooks", lang or "en", "00-start-here.ipynb")
    if command is None:
        print(f"Start with {first}: cd {target} && {sys.executable} -m jupyterlab {first}")
        return EXIT_OK
    print(f"Starting JupyterLab in {target} on {first} (Ctrl-C stops it).", flush=True)
    return _launch(command, target)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``notebooks`` subcommand (sets ``handler`` via ``set_defaults``)."""
    parser = subparsers.add_parser(
        "notebooks",
        help="copy the notebooks and the walkthrough into a folder and start JupyterLab there",
        description=(
            "Copy the notebooks (English and Chinese, solution and practice editions) and the "
            "walkthrough files they use (greeter/, generator/, module.yaml, docker/, ...) into "
            "DIR, then start JupyterLab there on 00-start-here. Running it again updates the "
            "files you did not change and keeps the ones you did (--force replaces those too). "
            "JupyterLab comes with the notebooks extra: "
            "python -m pip install 'statefun-lab[notebooks]'."
        ),
    )
    parser.add_argument(
        "dir",
        nargs="?",
        default=DEFAULT_DIR,
        metavar="DIR",
        help=f"the folder to copy into (created if missing; default: ./{DEFAULT_DIR})",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="only this language's notebooks, and open its first one (default: both; open en)",
    )
    parser.add_argument(
        "--no-launch", action="store_true", help="only copy; do not start JupyterLab"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="also replace the files you changed with the shipped copies (your changes are lost)",
    )
    parser.set_defaults(handler=_notebooks)
