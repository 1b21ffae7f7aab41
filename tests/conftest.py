"""Shared fixtures. Puts the walkthrough's greeter and the test protos on the import path."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for extra in (ROOT / "greeter", ROOT / "tests" / "protos"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
