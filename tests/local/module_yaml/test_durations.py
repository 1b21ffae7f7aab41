"""Durations as Flink 1.11 parses them: parse_duration, and the timeouts and TTLs of module.yaml."""

from __future__ import annotations

import datetime

import pytest
from module_yaml_texts import (
    FN,
    MODULE,
    WALKTHROUGH,
    edit,
    fails,
    line_of,
)

from statefun.local.module_yaml import (
    parse_duration,
    parse_module,
)

UNITS = {
    datetime.timedelta(days=3): ["d", "day", "days"],
    datetime.timedelta(hours=3): ["h", "hour", "hours"],
    datetime.timedelta(minutes=3): ["min", "minute", "minutes"],
    datetime.timedelta(seconds=3): ["s", "sec", "secs", "second", "seconds"],
    datetime.timedelta(milliseconds=3): ["ms", "milli", "millis", "millisecond", "milliseconds"],
    datetime.timedelta(microseconds=3): ["µs", "micro", "micros", "microsecond", "microseconds"],
}


@pytest.mark.parametrize(
    ("label", "expected"),
    [(label, expected) for expected, labels in UNITS.items() for label in labels],
)
def test_parse_duration_every_unit(label: str, expected: datetime.timedelta) -> None:
    assert parse_duration(f"3{label}") == expected
    # Spaces and case do not matter. (Only ASCII is upper-cased: "µ".upper() is a Greek Mu.)
    shouted = "".join(c.upper() if c.isascii() else c for c in label)
    assert parse_duration(f"  3 {shouted}  ") == expected


@pytest.mark.parametrize("label", ["ns", "nano", "nanos", "nanosecond", "nanoseconds"])
def test_parse_duration_nanoseconds_truncate_to_microseconds(label: str) -> None:
    assert parse_duration(f"3500{label}") == datetime.timedelta(microseconds=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60000", datetime.timedelta(minutes=1)),  # no unit means milliseconds
        ("2min", datetime.timedelta(minutes=2)),
        ("1minutes", datetime.timedelta(minutes=1)),
        ("10seconds", datetime.timedelta(seconds=10)),
        ("10second", datetime.timedelta(seconds=10)),
        ("60000millisecond", datetime.timedelta(minutes=1)),
        ("0", datetime.timedelta(0)),
    ],
)
def test_parse_duration_upstream_examples(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "hint"),
    [
        ("5mins", "Time interval unit label 'mins' does not match", "`5min`"),
        ("5m", "unit label 'm' does not match", "`5min`"),
        ("1.5s", "unit label '.5s' does not match", "1500ms"),
        ("", "argument is an empty- or whitespace-only string", "60s"),
        ("-5s", "text does not start with a number", "negative"),
        ("PT1M", "text does not start with a number", "ISO-8601"),
        ("5 fortnights", "unit label 'fortnights'", "d, h, min, s, ms"),
        ("99999999999999999999s", "cannot be re represented as 64bit number", "smaller"),
        ("9999999999d", "cannot be represented as a duration", "smaller"),
    ],
)
def test_parse_duration_rejects_like_flink_with_a_fix(text: str, problem: str, hint: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    message = str(info.value)
    assert problem in message
    assert hint in message.split("Fix:", 1)[1]


def test_unknown_unit_lists_flinks_recognized_units() -> None:
    with pytest.raises(ValueError, match=r"MINUTES: \(min \| minute \| minutes\)"):
        parse_duration("5mins")


def test_unquoted_number_timeout_fails_not_a_string_with_unit_hint() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", "timeout: 60000")
    error = fails(text)
    assert (error.line, error.key_path) == (16, f"{FN}.spec.timeout")
    assert "not a string" in error.problem
    assert '"60s"' in (error.hint or "")
    assert '"60000ms"' in (error.hint or "")


def test_quoted_unitless_timeout_is_milliseconds() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", 'timeout: "60000"')
    assert parse_module(text).function("example/greeter").timeout == datetime.timedelta(minutes=1)


def test_mins_is_not_a_unit_and_the_hint_says_min() -> None:
    error = fails(edit(WALKTHROUGH, "timeout: 2min", "timeout: 2mins"))
    assert (error.line, error.key_path) == (16, f"{FN}.spec.timeout")
    assert "Time interval unit label 'mins' does not match any of the recognized units" in (
        error.problem
    )
    assert "`2min`" in (error.hint or "")


def test_a_duration_with_too_many_digits_is_a_module_error() -> None:
    text = edit(MODULE, "timeout: 2min", f"timeout: {'1' * 5000}ms")
    error = fails(text)
    assert error.line == line_of(text, "timeout: 111")
    assert "numeric overflow" in error.problem
