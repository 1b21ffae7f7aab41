"""The keys the runtime reads at each place of module.yaml, and warnings for every other key.

The runtime ignores a key it does not read; that is usually a typo (``Egresses:``) or a key
indented into the wrong map. Each one is a :class:`~statefun.errors.ModuleYamlWarning` saying
which key was meant, or where the key belongs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Final

from statefun.errors import ModuleYamlWarning
from statefun.local.module_yaml._nodes import Node
from statefun.local.module_yaml._specs import (
    KAFKA_EGRESS,
    KAFKA_PROTOBUF_INGRESS,
    KAFKA_ROUTABLE_INGRESS,
    KINESIS_EGRESS,
    KINESIS_ROUTABLE_INGRESS,
)

_KAFKA_INGRESS_KEYS: Final = (
    "address",
    "consumerGroupId",
    "topics",
    "autoOffsetResetPosition",
    "startupPosition",
    "properties",
)
# The keys the StateFun 2.2.2 runtime reads (its JSON pointers), at each place of module.yaml,
# for both format versions; "<place>:<type>" where the keys depend on a kind or a type.
# Everything else is ignored by the runtime, so it is warned about here.
KEYS: Final[dict[str, tuple[str, ...]]] = {
    "the top level": ("version", "module"),
    "module": ("meta", "spec"),
    "module.meta": ("type",),
    "module.spec": ("functions", "routers", "ingresses", "egresses"),
    "functions[]": ("function",),
    "routers[]": ("router",),
    "ingresses[]": ("ingress",),
    "egresses[]": ("egress",),
    "function": ("meta", "spec"),
    "function.meta": ("kind", "type"),
    "function.spec:http": (
        "endpoint",
        "states",
        "maxNumBatchRequests",
        "timeout",
        "connectTimeout",
        "readTimeout",
        "writeTimeout",
    ),
    "function.spec:grpc": ("host", "port"),
    "state": ("name", "expireAfter", "expireMode"),
    "router": ("meta", "spec"),
    "router.meta": ("type",),
    "router.spec": ("ingress", "target", "messageType", "descriptorSet"),
    "ingress": ("meta", "spec"),
    "ingress.meta": ("type", "id"),
    f"ingress.spec:{KAFKA_ROUTABLE_INGRESS}": _KAFKA_INGRESS_KEYS,
    f"ingress.spec:{KAFKA_PROTOBUF_INGRESS}": (
        *_KAFKA_INGRESS_KEYS,
        "messageType",
        "descriptorSet",
    ),
    f"ingress.spec:{KINESIS_ROUTABLE_INGRESS}": (
        "awsRegion",
        "awsCredentials",
        "startupPosition",
        "streams",
        "clientConfigProperties",
    ),
    "topic": ("topic", "typeUrl", "targets"),
    "stream": ("stream", "typeUrl", "targets"),
    "startupPosition:kafka": ("type", "offsets", "date"),
    "startupPosition:kinesis": ("type", "date"),
    "awsRegion": ("type", "id", "endpoint"),
    "awsCredentials": ("type", "accessKeyId", "secretAccessKey", "profileName", "profilePath"),
    "egress": ("meta", "spec"),
    "egress.meta": ("type", "id"),
    f"egress.spec:{KAFKA_EGRESS}": ("address", "properties", "deliverySemantic"),
    f"egress.spec:{KINESIS_EGRESS}": (
        "awsRegion",
        "awsCredentials",
        "maxOutstandingRecords",
        "clientConfigProperties",
    ),
    "deliverySemantic": ("type", "transactionTimeoutMillis"),
}
_IGNORED_IN_NAMES: Final = re.compile("[\u00a0\u200b-\u200d\u2060\ufeff_\\- ]")


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate that ``word`` most likely misspells, if any."""
    options = [c for c in candidates if c != word]
    folded = {_IGNORED_IN_NAMES.sub("", c).lower(): c for c in options}
    same = folded.get(_IGNORED_IN_NAMES.sub("", word).lower())
    if same is not None:
        return same
    close = difflib.get_close_matches(word, options, n=1)
    return close[0] if close else None


class Places:
    """Where each map of the file is (its place in ``KEYS``), and the keys there the runtime
    does not read."""

    def __init__(self) -> None:
        self.of: dict[int, str] = {}  # id of a map node -> its place in KEYS
        self.unknown: dict[tuple[int, str], tuple[Node, str, Node]] = {}

    def known(self, node: Node, place: str) -> None:
        """Note the keys of map ``node`` that the runtime does not read at ``place``."""
        if node.kind != "map":
            return
        self.of[id(node)] = place
        for key, child in node.value.items():
            if key not in KEYS[place]:
                self.unknown[(id(node), key)] = (node, key, child)

    def get(self, node: Node) -> str | None:
        """The place of map ``node``, if it was noted."""
        return self.of.get(id(node))

    def warnings(self, path: str | None) -> tuple[ModuleYamlWarning, ...]:
        """A warning for each key the runtime does not read, in line order."""
        found = sorted(self.unknown.values(), key=lambda u: (u[2].line, u[2].column))
        return tuple(self._unknown_key(parent, key, child, path) for parent, key, child in found)

    def _unknown_key(
        self, parent: Node, key: str, child: Node, path: str | None
    ) -> ModuleYamlWarning:
        place = self.of[id(parent)]
        allowed = KEYS[place]
        where = f"in {parent.name}" if parent.key_path else "at the top level"
        under = ", and everything under it" if child.kind in ("map", "list") else ""
        close = closest(key, allowed)
        elsewhere = self._belongs_elsewhere(parent, key)
        others = [t.split(":", 1)[1] for t in KEYS if t.startswith(place.split(":")[0] + ":")]
        read_for = [t for t in others if key in KEYS[f"{place.split(':')[0]}:{t}"]]
        if key == "<<":
            problem = (
                f"`<<` (a YAML merge key) {where}: the runtime's YAML reader (Jackson) does "
                f"not merge, so it sees a key named `<<` and ignores it{under}."
            )
            hint = "write the keys out instead of merging an anchor."
        elif close is not None:
            problem = f"unknown key `{key}` {where}: the runtime ignores it{under}."
            problem += f" Did you mean `{close}`?"
            hint = f"rename `{key}` to `{close}`."
        elif elsewhere is not None:
            other, deeper = elsewhere
            problem = (
                f"`{key}` is not read {where} but in {other.name} (line {other.line}): it is "
                f"indented {'less' if deeper else 'more'} than it should be, so the runtime "
                f"ignores it{under}."
            )
            hint = f"indent `{key}:` like the keys of {other.name}."
        elif read_for:
            problem = (
                f"`{key}` is read for {' and '.join(read_for)} only; this is "
                f"{place.split(':', 1)[1]}, so the runtime ignores it{under}."
            )
            hint = "remove it; the keys read here are " + ", ".join(f"`{a}`" for a in allowed) + "."
        else:
            problem = f"unknown key `{key}` {where}: the runtime ignores it{under}."
            hint = "remove it; the keys read here are " + ", ".join(f"`{a}`" for a in allowed) + "."
        return ModuleYamlWarning(
            problem, path=path, line=child.line, key_path=child.key_path, hint=hint
        )

    def _belongs_elsewhere(self, parent: Node, key: str) -> tuple[Node, bool] | None:
        """A map near ``parent`` that reads ``key`` and lacks it: ``(map, is it deeper)``."""
        holder = parent.parent
        while holder is not None:
            place = self.of.get(id(holder))
            if place is not None and key in KEYS[place] and key not in holder.value:
                return holder, False
            holder = holder.parent
        if parent.kind == "map":
            for child in parent.value.values():
                place = self.of.get(id(child))
                if place is not None and key in KEYS[place] and key not in child.value:
                    return child, True
        return None
