"""The likely fixes of a syntax error: re-indent one line, or give it its colon, and keep the best.

A fix is scored with ``trial`` (which re-parses the fixed text, see ``Parser.trial``) when the
file is small enough, else by how well it keeps the file's usual indentation step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, TypeAlias

from statefun.local.module_yaml._lines import (
    _DASHES,
    _colon_fix,
    _deviations,
    _indent,
    _lead,
    _split_key,
    _steps,
    _structural,
)

_TRIALS: Final = 12  # re-parses at most, per syntax error
#: Scores a candidate text fixing a syntax error at a 0-based line (see ``Parser.trial``).
Trial: TypeAlias = Callable[[str, int], int]


def best_fix(
    lines: list[str], trial: Trial | None, flagged: int, suspects: Iterable[int | None]
) -> tuple[int, int] | None:
    """Try likely fixes at the suspect lines: ``(row, column)`` of the one that reads best
    (column -1: give that line its colon).

    A fix re-indents one line (so that it, or the key after its dash, lines up with a
    column in use near it or above it) or gives a line without a colon its colon.
    """
    steps = _steps(lines)
    options: set[tuple[int, bool, int, int, int]] = set()  # column -1: add the colon
    for row in dict.fromkeys([flagged, *suspects]):
        if row is None or not _structural(lines[row]):
            continue
        if _colon_fix(lines[row]) is not None and _split_key(lines[row])[1] is None:
            options.add((_deviations(_fixed(lines, row, -1), steps), row != flagged, 0, row, -1))
        lead = _lead(lines[row])
        dashes = _DASHES.match(lines[row], len(lead))
        shift = dashes.end() - len(lead) if dashes else 0
        for column in _columns(lines, row):
            for start in {column, column - shift}:
                if start >= 0 and ("\t" in lead or start != len(lead)):
                    deviations = _deviations(_fixed(lines, row, start), steps)
                    change = abs(start - len(lead))
                    options.add((deviations, row != flagged, change, row, start))
    ranked = sorted(options)
    best: tuple[int, bool, int, int, int] | None = None
    if trial is None:
        if ranked and ranked[0][0] < _deviations(lines, steps):
            best = ranked[0]
    else:
        best_score = 0
        for option in ranked[:_TRIALS]:
            score = trial("\n".join(_fixed(lines, option[3], option[4])), flagged)
            if score > best_score:
                best, best_score = option, score
            if score == 4:
                break
    return None if best is None else (best[3], best[4])


def _columns(lines: list[str], row: int) -> set[int]:
    """Columns a line could belong at: those of the lines near it and of the blocks above."""
    columns = {0}
    for other in range(max(0, row - 12), min(len(lines), row + 13)):
        if other != row and _structural(lines[other]):
            indent = _indent(lines[other])
            dashes = _DASHES.match(lines[other], indent)
            columns |= {indent, dashes.end() if dashes else indent}
    lowest = _indent(lines[row])
    for other in range(row - 1, -1, -1):
        if _structural(lines[other]) and _indent(lines[other]) < lowest:
            lowest = _indent(lines[other])
            columns.add(lowest)
    return columns


def _fixed(lines: list[str], row: int, column: int) -> list[str]:
    """The lines with line ``row`` re-indented to ``column``, or given its colon (-1)."""
    lines = list(lines)
    if column >= 0:
        lines[row] = " " * column + lines[row].lstrip(" \t")
    else:
        colon = _colon_fix(lines[row])
        lines[row] = colon[2] if colon is not None else lines[row]
    return lines
