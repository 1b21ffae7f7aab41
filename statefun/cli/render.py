"""What ``statefun-lab run`` prints: egress records decoded and rendered, progress, the summary,
the trace, and a failed function's message."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from google.protobuf import text_format
from google.protobuf.message import DecodeError, Message

import statefun
from statefun.errors import RuntimeFailure
from statefun.local.runtime import LocalRuntime
from statefun.local.trace import (
    DelayFired,
    DelayScheduled,
    Egressed,
    Event,
    Ingressed,
    RequestSent,
    Trace,
)

__all__ = [
    "PROGRESS_MIN",
    "EgressDecoder",
    "NoProgress",
    "Progress",
    "Stats",
    "decoded",
    "failure_text",
    "plural",
    "progress",
    "render",
]

PROGRESS_MIN = 200  # shorter runs are over before a progress bar is worth drawing

_STATEFUN_DIR = Path(statefun.__file__).resolve().parent


# ------------------------------------------------------------------------------------------------
# Egress records
# ------------------------------------------------------------------------------------------------


class EgressDecoder:
    """Turns egress record values into messages: the given type, or an inferred one."""

    def __init__(self, candidates: Sequence[type[Message]]) -> None:
        self.candidates = tuple(candidates)
        self._chosen: dict[str, type[Message]] = {}

    def decode(self, egress_id: str, value: object) -> object:
        """A message when the bytes are one; else the bytes unchanged."""
        if not isinstance(value, bytes):
            return value
        chosen = self._chosen.get(egress_id)
        if chosen is not None:
            message = _exact(chosen, value)
            if message is not None:
                return message
        matches = [(cls, m) for cls in self.candidates if (m := _exact(cls, value)) is not None]
        if len(matches) == 1:
            self._chosen[egress_id] = matches[0][0]
            return matches[0][1]
        return value


def _exact(cls: type[Message], data: bytes) -> Message | None:
    """``data`` parsed as ``cls`` if it parses with no unknown fields and re-serialises to it."""
    try:
        message = cls.FromString(data)
    except DecodeError:
        return None
    copy = cls()
    copy.CopyFrom(message)
    copy.DiscardUnknownFields()
    if copy.SerializeToString(deterministic=True) != data:
        return None
    return message


def render(value: object) -> str:
    """The text after ``<key>:<TAB>``: the greeting, the message in text format, or hex."""
    if isinstance(value, Message):
        if "greeting" in value.DESCRIPTOR.fields_by_name:
            return str(getattr(value, "greeting"))  # noqa: B009 (any message with the field)
        return text_format.MessageToString(value, as_one_line=True) or "(empty message)"
    if isinstance(value, bytes):
        return "0x" + value.hex() if value else "(empty)"
    return str(value)


def decoded(trace: Trace, decoder: EgressDecoder) -> Trace:
    """The trace with egress record values decoded the way the records were printed."""
    result = Trace(
        [
            replace(e, value=decoder.decode(e.egress, e.value)) if isinstance(e, Egressed) else e
            for e in trace
        ],
        limit=trace.limit,
    )
    result.dropped = trace.dropped
    return result


# ------------------------------------------------------------------------------------------------
# Progress and the summary
# ------------------------------------------------------------------------------------------------


class Progress(Protocol):
    """A progress bar: tqdm's, or none."""

    def update(self, n: int = 1) -> object:
        """``n`` more records are in."""

    def close(self) -> None:
        """The run is over."""


class NoProgress:
    """No progress bar."""

    def update(self, n: int = 1) -> None:
        """Nothing to draw."""

    def close(self) -> None:
        """Nothing to close."""


def progress(enabled: bool, total: int | None) -> tuple[Progress, Callable[[str], None]]:
    """A tqdm bar on stderr (if wanted and installed) and how to print a line beside it."""
    if enabled:
        try:
            from tqdm import tqdm  # type: ignore[import-untyped]
        except ImportError:  # tqdm comes with the [notebooks] extra; no bar without it
            pass
        else:
            bar = tqdm(total=total, unit="record", file=sys.stderr, dynamic_ncols=True)
            return bar, lambda line: tqdm.write(line, file=sys.stdout)
    return NoProgress(), print


class Stats:
    """What the summary line counts, from the runtime's events (subscribe it to the runtime)."""

    def __init__(self, on_egress: Callable[[Egressed], None]) -> None:
        self.records_in = 0
        self.egress_out = 0
        self.requests = 0
        self.largest_batch = 0
        self.delayed_pending = 0
        self._on_egress = on_egress

    def __call__(self, event: Event) -> None:
        """Count one event; an egress record also goes to ``on_egress``."""
        if isinstance(event, Ingressed):
            self.records_in += 1
        elif isinstance(event, RequestSent):
            self.requests += 1
            self.largest_batch = max(self.largest_batch, event.batch)
        elif isinstance(event, Egressed):
            self.egress_out += 1
            self._on_egress(event)
        elif isinstance(event, DelayScheduled):
            self.delayed_pending += 1
        elif isinstance(event, DelayFired):
            self.delayed_pending -= 1

    def summary(self, rt: LocalRuntime) -> str:
        """Records in, egress records out, requests, the largest batch, the virtual time."""
        seconds = rt.clock.elapsed / timedelta(seconds=1)
        text = (
            f"{plural(self.records_in, 'record')} in, "
            f"{plural(self.egress_out, 'egress record')} out, "
            f"{plural(self.requests, 'request')} (largest batch {self.largest_batch}), "
            f"virtual time +{seconds:.3f}s"
        )
        if self.delayed_pending:
            text += f", {plural(self.delayed_pending, 'delayed message')} not yet due (see --wait)"
        return text


def plural(count: int, noun: str) -> str:
    """``1 record``, ``2 records``, ``3 ingresses``."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith('s') else 's'}"


# ------------------------------------------------------------------------------------------------
# A failed function
# ------------------------------------------------------------------------------------------------


def failure_text(error: RuntimeFailure) -> str:
    """The function that failed, why, and the line of the user's code that raised."""
    address, reason = error.address, error.reason
    if address is None or reason is None:
        return str(error)
    text = f"function {address} failed: {reason}"
    origin = _user_frame(error.__cause__)
    if origin:
        text += f"\n  at {origin}"
    return text + "\nNothing of the failed batch was applied. Fix the function and run again."


def _user_frame(error: BaseException | None) -> str | None:
    """``fn.py:12 in greet: raise ValueError("boom")``: the deepest frame outside statefun."""
    if error is None:
        return None
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename and _STATEFUN_DIR not in Path(frame.filename).resolve().parents
    ]
    if not frames:
        return None
    frame = frames[-1]
    line = f": {frame.line}" if frame.line else ""
    return f"{_shown_path(frame.filename)}:{frame.lineno} in {frame.name}{line}"


def _shown_path(filename: str) -> str:
    """Relative to the current directory when the file is below it."""
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename
