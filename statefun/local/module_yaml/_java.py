"""How the runtime's Java sees a value: the int and long ranges, ``String.trim()``, ``asText()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from statefun.local.module_yaml._nodes import Node

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
# Java's String.trim() strips every char <= U+0020.
JAVA_WHITESPACE: Final = "".join(chr(c) for c in range(0x21))


def as_java_text(node: Node) -> str:
    """Jackson's ``asText()`` of a scalar."""
    if node.kind == "bool":
        return "true" if node.value else "false"
    if node.kind == "null":
        return "null"
    if node.kind == "int":
        return str(node.value)
    if node.kind == "float":
        return repr(float(node.value))
    return str(node.value)
