"""``statefun-lab new NAME``: a StateFun 2.x project skeleton that passes its own tests.

The skeleton is the walkthrough's shape: one function (``functions/functions.py``), its
messages (``functions/messages.proto`` and the generated ``messages_pb2.py``, ``make protos``
regenerates them), ``module.yaml``, the real stack (``functions/Dockerfile``, ``docker/``) and
tests with statefun-lab's pytest plugin (``pytest.ini`` says what they run). The templates are
package data (``statefun/project/templates``); ``{{name}}``, ``{{namespace}}`` and ``{{version}}``
(statefun-lab's, pinned in the function image) are filled in.
"""

from __future__ import annotations

import argparse
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import statefun
from statefun.errors import ProjectExistsError
from statefun.exit_status import EXIT_USAGE, print_error

__all__ = ["ProjectExistsError", "add_parser", "create_project", "namespace_of", "run"]

_TEMPLATES = "templates"


def namespace_of(name: str) -> str:
    """The function-type namespace of project ``name``: its folder name in lower case, with
    anything but letters, digits, ``-`` and ``_`` as ``-`` (``My Shop`` -> ``my-shop``)."""
    text = re.sub(r"[^a-z0-9_-]+", "-", Path(name).name.lower()).strip("-")
    return text or "app"


def create_project(path: str | Path) -> list[Path]:
    """Write the skeleton into ``path`` (created; it may exist only if empty); the files written.

    :raises ProjectExistsError: ``path`` exists and is not an empty folder.
    """
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectExistsError(
            f"{target}: exists and is not an empty folder; statefun-lab new writes only into a "
            f"new or empty folder. Pick another name, or remove it first."
        )
    values = {
        "{{name}}": target.name,
        "{{namespace}}": namespace_of(str(target)),
        "{{version}}": statefun.__version__,
    }
    written: list[Path] = []
    root = resources.files("statefun.project").joinpath(_TEMPLATES)
    for source, relative in _files(root, Path()):
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if not relative.name.endswith(("_pb2.py", "_pb2.pyi")):  # generated: left as protoc wrote
            text = data.decode("utf-8")
            for key, value in values.items():
                text = text.replace(key, value)
            data = text.encode("utf-8")
        out.write_bytes(data)
        written.append(out)
    return written


def _files(folder: Traversable, relative: Path) -> list[tuple[Traversable, Path]]:
    found: list[tuple[Traversable, Path]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_files(entry, relative / entry.name))
        else:
            found.append((entry, relative / entry.name))
    return found


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``new`` subcommand (sets ``handler=run`` via set_defaults)."""
    parser = subparsers.add_parser(
        "new",
        help="start a StateFun 2.x project: functions, messages, module.yaml, tests, Docker",
        description=(
            "Write a project skeleton into the new folder NAME: a function with state and an\n"
            "egress (functions/functions.py), its messages (functions/messages.proto and the\n"
            "generated code; `make protos` regenerates it), module.yaml, a Dockerfile and a\n"
            "docker-compose file for real Flink StateFun, and tests with statefun-lab's\n"
            "pytest plugin. It passes `pytest` and `statefun-lab check` as it is."
        ),
        epilog="exit status: 0 written, 2 NAME exists and is not an empty folder.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="the project folder to create")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """The ``new`` command."""
    try:
        written = create_project(args.name)
    except ProjectExistsError as e:
        print_error("statefun-lab new", str(e))
        return EXIT_USAGE
    print(f"created {args.name} ({len(written)} files). Next:")
    print(f"  cd {args.name} && python -m pytest")
    print("  statefun-lab check module.yaml functions/functions.py")
    return 0
