"""Shared setup: puts the walkthrough's greeter, the test protos and tests/support on the path."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

for extra in (ROOT / "greeter", ROOT / "tests" / "protos", ROOT / "tests" / "support"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
