"""The text of a module.yaml before YAML reads it: its size, its encoding, invisible characters.

Every problem here is a :class:`~statefun.errors.ModuleYamlError` at a line and column counted
as PyYAML counts them, so that they agree with the line numbers of every later error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, NoReturn

import yaml

from statefun.errors import ModuleYamlError

#: The largest module.yaml read by default, in bytes (1 MiB; real ones are a few KB). Pass
#: ``max_bytes=`` to :func:`load_module` or :func:`parse_module` to read a larger one.
DEFAULT_MAX_BYTES: Final = 1 << 20

# PyYAML counts lines with these breaks, so every line number here does too.
LINE_BREAK: Final = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_C0_NAMES: Final = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF"),
    *("CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM"),
    *("SUB", "ESC", "FS", "GS", "RS", "US"),
)
# Line breaks to YAML that editors may not show as such, and the ones they do.
_UNUSUAL_BREAK: Final = re.compile("[\x85\u2028\u2029]")
_EDITOR_BREAK: Final = re.compile("\r\n|[\n\r]")
# Spaces that are not spaces to YAML, at the start of a line (copied from web pages, mostly).
_ODD_INDENT: Final = re.compile("^[ \t]*([\u00a0\u2000-\u200b\u202f\u205f\u3000])", re.MULTILINE)
_SPACE_NAMES: Final = {
    "\u00a0": "a non-breaking space",
    "\u202f": "a narrow non-breaking space",
    "\u200b": "a zero-width space",
    "\u3000": "an ideographic space",
}


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counting lines as PyYAML's marks do."""
    line, start = 1, 0
    for match in LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def _describe_char(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return f"the control character U+{code:04X} ({_C0_NAMES[code]})"
    if 0x7F <= code <= 0x9F:
        return f"the control character U+{code:04X}"
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X}, half of a character (a lone surrogate),"
    name = unicodedata.name(char, "")
    return f"the character U+{code:04X}" + (f" ({name})" if name else "")


def _size_words(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1 << 20:
        return f"{size:,} bytes ({size / 1024:.1f} KiB)"
    return f"{size:,} bytes ({size / (1 << 20):.1f} MiB)"


def _limit_words(size: int) -> str:
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size:,}-byte"


def _fail(path: str | None, line: int, problem: str, hint: str) -> NoReturn:
    raise ModuleYamlError(problem, path=path, line=line, key_path=None, hint=hint)


def too_big(path: str | None, max_bytes: int, size: int, head: bytes) -> NoReturn:
    """Refuse a file of ``size`` bytes whose first ``max_bytes`` are ``head``."""
    start = head[:max_bytes].decode("utf-8", "replace")
    line = _position(start, len(start))[0]
    _fail(
        path,
        line,
        f"the file is {_size_words(size)}, over the {_limit_words(max_bytes)} limit "
        f"for a module.yaml (they are a few KB); the limit is reached on this line.",
        "check that this is your module.yaml. If it is, raise the limit: "
        "`load_module(path, max_bytes=...)` or `parse_module(text, max_bytes=...)`.",
    )


def source_text(source: str | bytes, path: str | None, max_bytes: int) -> str:
    """The text of ``source``, once its size, encoding and invisible characters are fine."""
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            too_big(path, max_bytes, len(source), source[:max_bytes])
        text = _decode(source, path)
    else:
        text = source
        if len(text) * 4 > max_bytes:  # else it cannot be over, whatever it holds
            data = text.encode("utf-8", "surrogatepass")
            if len(data) > max_bytes:
                too_big(path, max_bytes, len(data), data[:max_bytes])
    if text.startswith("\ufeff"):
        text = text[1:]
    _no_stray_byte_order_mark(text, path)
    _no_unusual_line_break(text, path)
    _no_odd_indentation(text, path)
    return text


def _no_stray_byte_order_mark(text: str, path: str | None) -> None:
    stray = text.find("\ufeff")
    if stray >= 0:
        line, column = _position(text, stray)
        _fail(
            path,
            line,
            f"an invisible byte order mark (U+FEFF) at column {column}, usually left by "
            f"pasting from another file or by joining two files.",
            "delete it: it is invisible, so delete the start of the line and retype it.",
        )


def _no_unusual_line_break(text: str, path: str | None) -> None:
    unusual = _UNUSUAL_BREAK.search(text)
    if unusual is not None:
        before = text[: unusual.start()]
        line = len(_EDITOR_BREAK.findall(before)) + 1
        column = len(before) - max(before.rfind("\n"), before.rfind("\r"))
        _fail(
            path,
            line,
            f"{_describe_char(unusual.group(0))} at column {column}: YAML counts it as a line "
            f"break, but most editors do not show one, so lines would not be where you see "
            f"them.",
            "replace it with a plain line break (or delete it); it usually comes with copied text.",
        )


def _no_odd_indentation(text: str, path: str | None) -> None:
    odd = _ODD_INDENT.search(text)
    if odd is not None:
        line, column = _position(text, odd.start(1))
        char = odd.group(1)
        name = _SPACE_NAMES.get(char, "a Unicode space")
        _fail(
            path,
            line,
            f"line {line} is indented with {name} (U+{ord(char):04X}) at column {column}, "
            f"usually copied from a web page; YAML indents with plain spaces only.",
            "retype the indentation of this line with the space bar.",
        )


def _decode(data: bytes, path: str | None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _fail(
            path,
            1,
            "the file is UTF-16 (it starts with a UTF-16 byte order mark); a module.yaml is UTF-8.",
            "save it as UTF-8 (in most editors: Save with Encoding, then UTF-8).",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, column = _position(before, len(before))
        byte = data[exc.start]
        problem = f"byte 0x{byte:02X} at column {column} is not UTF-8 ({exc.reason})."
        hint = "save module.yaml as UTF-8 (in most editors: Save with Encoding, then UTF-8)"
        legacy = bytes([byte]).decode("cp1252", "replace")
        if legacy.isprintable() and legacy != "\ufffd":
            hint += (
                f"; in Windows-1252 or Latin-1 this byte is `{legacy}`, so the file was "
                f"probably saved in one of those"
            )
        _fail(path, line, problem, hint + ".")


def bad_character(text: str, exc: yaml.reader.ReaderError, path: str | None) -> NoReturn:
    """Refuse the character PyYAML's reader stopped at, naming its line and column."""
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    line, column = _position(text, exc.position)
    hint = (
        "delete it: most editors do not show it (it often comes with copied text); if you "
        "cannot see it, retype the line."
    )
    if text.count("\x00") * 4 > len(text):
        hint = "the file looks like UTF-16 (every other byte is 0): save it as UTF-8."
    _fail(path, line, f"{_describe_char(char)} at column {column} is not allowed in YAML.", hint)
