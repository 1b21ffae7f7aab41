"""Your own StateFun project: diagnose and fix it (``doctor``), or start one (``new``).

``statefun-lab doctor DIR`` reads a project as it is checked in (its module.yaml files,
``.proto`` files, generated ``_pb2.py`` files and the Python files that bind functions) and says
what will not work here and why; ``--fix`` regenerates outdated generated code.
``statefun-lab new NAME`` writes a project skeleton that passes its own tests.
"""

from __future__ import annotations

from statefun.project.doctor import Diagnosis, Finding, diagnose, fix
from statefun.project.scaffold import create_project

__all__ = ["Diagnosis", "Finding", "create_project", "diagnose", "fix"]
