"""Durations as Flink 1.11's ``TimeUtils.parseDuration`` reads them (``"2min"``, ``"10 s"``)."""

from __future__ import annotations

import datetime
from typing import Final

from statefun.errors import ArgumentTypeError
from statefun.local.module_yaml._java import JAVA_WHITESPACE, LONG_MAX

_NANOS: Final = {
    "DAYS": 86_400_000_000_000,
    "HOURS": 3_600_000_000_000,
    "MINUTES": 60_000_000_000,
    "SECONDS": 1_000_000_000,
    "MILLISECONDS": 1_000_000,
    "MICROSECONDS": 1_000,
    "NANOSECONDS": 1,
}
_LABELS: Final = {
    "DAYS": ("d", "day", "days"),
    "HOURS": ("h", "hour", "hours"),
    "MINUTES": ("min", "minute", "minutes"),
    "SECONDS": ("s", "sec", "secs", "second", "seconds"),
    "MILLISECONDS": ("ms", "milli", "millis", "millisecond", "milliseconds"),
    "MICROSECONDS": ("\u00b5s", "micro", "micros", "microsecond", "microseconds"),
    "NANOSECONDS": ("ns", "nano", "nanos", "nanosecond", "nanoseconds"),
}
_UNIT_NANOS: Final = {label: _NANOS[unit] for unit, labels in _LABELS.items() for label in labels}
_ALL_UNITS: Final = ", ".join(f"{unit}: ({' | '.join(ls)})" for unit, ls in _LABELS.items())
_UNIT_SUGGESTIONS: Final = {
    "mins": "min",
    "m": "min",
    "mn": "min",
    "hr": "h",
    "hrs": "h",
    "sek": "s",
    "msec": "ms",
    "msecs": "ms",
    "us": "\u00b5s` (the micro sign) or `micros",
    "\u03bcs": "\u00b5s` (U+00B5, the micro sign, not the Greek mu) or `micros",
}


class _DurationError(ValueError):
    """A duration string Flink would reject; ``problem`` is Flink's message."""

    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem} Fix: {hint}")


def parse_duration_nanos(text: str) -> int:
    """``text`` as a whole number of nanoseconds, or a ``_DurationError`` with Flink's message."""
    trimmed = text.strip(JAVA_WHITESPACE)
    if not trimmed:
        raise _DurationError(
            "argument is an empty- or whitespace-only string",
            'give a whole number and a unit, e.g. "60s".',
        )
    pos = 0
    while pos < len(trimmed) and "0" <= trimmed[pos] <= "9":
        pos += 1
    number = trimmed[:pos]
    unit = trimmed[pos:].strip(JAVA_WHITESPACE).lower()
    if not number:
        if trimmed.startswith("-"):
            hint = 'durations cannot be negative; use a positive whole number, e.g. "60s".'
        elif trimmed[:2].upper() == "PT" or trimmed[:1].upper() == "P":
            hint = 'ISO-8601 durations are not accepted by Flink 1.11; write e.g. "1min".'
        else:
            hint = 'start with a whole number, then a unit, e.g. "60s" or "2min".'
        raise _DurationError("text does not start with a number", hint)
    value = int(number) if len(number.lstrip("0")) <= 19 else LONG_MAX + 1
    if value > LONG_MAX:
        raise _DurationError(
            f"The value '{number if len(number) <= 30 else number[:27] + '...'}' cannot be re "
            f"represented as 64bit number (numeric overflow).",
            "use a smaller number or a larger unit.",
        )
    if not unit:
        return value * _UNIT_NANOS["ms"]
    nanos_per_unit = _UNIT_NANOS.get(unit)
    if nanos_per_unit is None:
        problem = (
            f"Time interval unit label '{unit}' does not match any of the recognized units: "
            f"{_ALL_UNITS}"
        )
        if unit in _UNIT_SUGGESTIONS:
            hint = f"write `{number}{_UNIT_SUGGESTIONS[unit]}`; `{unit}` is not a Flink unit."
        elif unit[:1] in ".,":
            hint = "durations are whole numbers: use a smaller unit, e.g. 1500ms instead of 1.5s."
        else:
            hint = 'use one of d, h, min, s, ms, \u00b5s, ns (or their long forms), e.g. "60s".'
        raise _DurationError(problem, hint)
    return value * nanos_per_unit


def to_timedelta(nanos: int, text: str) -> datetime.timedelta:
    """``nanos`` (read from ``text``) as a ``timedelta``, truncated to microseconds."""
    try:
        return datetime.timedelta(microseconds=nanos // 1000)
    except OverflowError:
        raise _DurationError(
            f"The value '{text.strip()}' cannot be represented as a duration (numeric overflow).",
            "use a smaller number.",
        ) from None


def parse_duration(text: str) -> datetime.timedelta:
    """Parse a duration like Flink's ``TimeUtils.parseDuration`` (``"2min"``, ``"10 s"``).

    ``<whole number><optional spaces><unit>``, case-insensitive units (note ``mins`` is not
    one); no unit means milliseconds. Raises ``ValueError`` with Flink's message and a fix.
    ``timedelta`` has microsecond resolution, so nanoseconds are truncated.
    """
    if not isinstance(text, str):
        raise ArgumentTypeError(f'a duration must be a string such as "60s", not {text!r}')
    return to_timedelta(parse_duration_nanos(text), text)


def format_timedelta(value: datetime.timedelta) -> str:
    """``value`` as the shortest Flink duration that says it, e.g. ``"10s"`` or ``"1min"``."""
    micros = value // datetime.timedelta(microseconds=1)
    for unit, size in (("min", 60_000_000), ("s", 1_000_000), ("ms", 1_000)):
        if micros % size == 0 and micros >= size:
            return f"{micros // size}{unit}"
    return f"{micros}\u00b5s"
