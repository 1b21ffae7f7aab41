"""Load and validate a StateFun 2.x ``module.yaml`` the way the 2.2.2 runtime does.

The runtime reads module.yaml with Jackson through JSON pointers: unknown keys are ignored, but
typed values are strict (a string must be a YAML string, an int a YAML int, a list a list).
:func:`parse_module` applies the same rules and raises :class:`~statefun.errors.ModuleYamlError`
naming the file, the line, the key path, what is wrong and how to fix it.

Where the real runtime silently drops a value (a non-string state name or target, a map state
under version ``"1.0"``, the second key of a property entry) or keeps only the last of two
duplicates, this loader fails instead: those are always mistakes.

Usage::

    module = load_module("module.yaml")
    module.function("example/greeter").state_names   # ('seen_count',)
    ingress, route = module.ingress_for("names")       # by topic, or by id "example/names"

Keys the runtime does not read are ignored by it, and usually a typo (``Egresses:``): each one is
a :class:`~statefun.errors.ModuleYamlWarning` with a "did you mean", issued with
:func:`warnings.warn` and kept in ``ModuleSpec.warnings``; ``strict=True`` makes it an error.

A hostile or broken file is a ``ModuleYamlError`` with a line too, and quickly: files over
``max_bytes`` (1 MiB) are refused before they are read, nesting deeper than 50 levels and more
than 100,000 values are refused while the YAML is composed, invalid UTF-8 and control characters
are named with their line and column, and PyYAML's syntax errors are said in plain words at the
line to fix (a tab, a missing colon, a key indented too far or not far enough, an unclosed
quote or bracket).

The package, one concept per module (all private; this module is the public surface):

* ``_specs``: the dataclasses a module.yaml becomes, and the types and defaults the runtime knows;
* ``_durations``: Flink's duration strings; ``_java``: Java's int and long, ``trim``, ``asText``;
* ``_source``: the text before YAML reads it (size limit, UTF-8, invisible characters);
* ``_loader``: PyYAML's safe loader with the depth and value limits;
* ``_nodes``: values that keep their line, built from PyYAML's nodes;
* ``_lines``, ``_syntax``, ``_fixes``: syntax errors in plain words at the line to fix;
* ``_keys``: the keys the runtime reads at each place, and warnings for the others;
* ``_reader``: typed selectors over the nodes, as Jackson's;
* ``_document``, ``_functions``, ``_routers``, ``_ingresses``, ``_egresses``, ``_io``: the
  sections of the file;
* ``_parser``: text to ``ModuleSpec``; ``_load``: the entry points below.
"""

from __future__ import annotations

from statefun.local.module_yaml._durations import _DurationError, parse_duration
from statefun.local.module_yaml._load import (
    load_module,
    merge_modules,
    parse_module,
    read_module,
)
from statefun.local.module_yaml._source import DEFAULT_MAX_BYTES
from statefun.local.module_yaml._specs import (
    EgressSpec,
    FunctionSpec,
    IngressSpec,
    ModuleSpec,
    RouterSpec,
    RoutingSpec,
    StateSpec,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EgressSpec",
    "FunctionSpec",
    "IngressSpec",
    "ModuleSpec",
    "RouterSpec",
    "RoutingSpec",
    "StateSpec",
    "load_module",
    "merge_modules",
    "parse_duration",
    "parse_module",
    "read_module",
]

# As before the split (and as httpx does): the public names, and the errors users see, say they
# come from this module, in reprs, tracebacks and pickles.
for _public in (
    EgressSpec,
    FunctionSpec,
    IngressSpec,
    ModuleSpec,
    RouterSpec,
    RoutingSpec,
    StateSpec,
    load_module,
    merge_modules,
    parse_duration,
    parse_module,
    read_module,
    _DurationError,
):
    _public.__module__ = __name__
del _public
