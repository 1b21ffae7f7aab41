"""Run the real-engine benchmark: see the package's docstring (benchmarks/real_engine)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
for extra in (REPO, REPO / "greeter", HERE.parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from real_engine.run import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
