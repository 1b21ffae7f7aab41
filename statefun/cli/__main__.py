"""``python -m statefun.cli``: the same as the ``statefun-lab`` command."""

from __future__ import annotations

import sys

from statefun.cli import main

sys.exit(main())
