"""What every ``statefun-lab`` command exits with, and how it says that it failed.

The statuses are the shell's and argparse's: 0 done; 1 the command ran and failed, or found
problems; 2 a usage error (argparse exits with 2 as well); 130 interrupted (128 + SIGINT).
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "print_error"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def print_error(command: str, text: str) -> None:
    """Print ``COMMAND: error: TEXT`` on stderr, worded as argparse words a usage error
    (``command`` is what the learner typed, e.g. ``statefun-lab doctor``)."""
    print(f"{command}: error: {text}", file=sys.stderr)
