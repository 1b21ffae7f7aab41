"""What ingresses and egresses share: their ``meta`` (id and type) and Kinesis's AWS settings."""

from __future__ import annotations

from statefun.local.module_yaml._nodes import Node
from statefun.local.module_yaml._reader import Reader


def io_meta(r: Reader, body: Node, what: str, types: tuple[str, ...]) -> tuple[str, str]:
    """The ``meta.id`` and ``meta.type`` of an ingress or egress."""
    example = f"id: example/{'names' if what == 'ingress' else 'greets'}"
    meta = r.require(body, "meta", f"add `meta:` with `type:` and `id:` under `{what}:`.")
    r.known(meta, f"{what}.meta")
    id_node = r.require(meta, "id", f"add `id: <namespace>/<name>` to the {what}.")
    id_ = r.as_text(id_node, "id", f"write e.g. `{example}`.")
    r.namespace_name(id_node, id_, example)
    type_node = r.require(meta, "type", f"add `type: {types[0]}`.")
    type_ = r.as_text(type_node, "type", f"write `type: {types[0]}`.")
    if type_ not in types:
        close = [t for t in types if t.lower() == type_.lower()]
        hint = (
            f"write it exactly: `type: {close[0]}`."
            if close
            else "use one of: " + ", ".join(f"`{t}`" for t in types) + "."
        )
        r.fail(
            type_node.line,
            type_node.key_path,
            f"unsupported {what} type {type_!r}; supported {what} types are {', '.join(types)}.",
            hint,
        )
    return id_, type_


def aws_region(r: Reader, spec: Node) -> dict[str, str] | None:
    """Kinesis's ``awsRegion`` map, if any, as ``{"type": ..., ...}``."""
    node = r.optional_map(spec, "awsRegion", "awsRegion")
    if node is None:
        return None
    r.known(node, "awsRegion")
    kinds = ("default", "specific", "custom-endpoint")
    kind = r.text(node, "type", hint="write e.g. `type: specific` with `id: us-west-2`.")
    if kind == "default":
        return {"type": kind}
    if kind == "specific":
        return {"type": kind, "id": r.text(node, "id", hint="add e.g. `id: us-west-2`.")}
    if kind == "custom-endpoint":
        return {
            "type": kind,
            "endpoint": r.text(
                node, "endpoint", hint="add e.g. `endpoint: https://localhost:4567`."
            ),
            "id": r.text(node, "id", hint="add e.g. `id: us-west-1`."),
        }
    type_node = node.value["type"]
    r.fail(
        type_node.line,
        type_node.key_path,
        f"Invalid AWS region type: {kind}; valid values are [{', '.join(kinds)}]",
        "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
    )


def aws_credentials(r: Reader, spec: Node) -> dict[str, str] | None:
    """Kinesis's ``awsCredentials`` map, if any, as ``{"type": ..., ...}``."""
    node = r.optional_map(spec, "awsCredentials", "awsCredentials")
    if node is None:
        return None
    r.known(node, "awsCredentials")
    kinds = ("default", "basic", "profile")
    kind = r.text(node, "type", hint="write e.g. `type: default`.")
    if kind == "default":
        return {"type": kind}
    if kind == "basic":
        return {
            "type": kind,
            "accessKeyId": r.text(node, "accessKeyId"),
            "secretAccessKey": r.text(node, "secretAccessKey"),
        }
    if kind == "profile":
        result = {"type": kind}
        profile_path = r.optional_text(node, "profilePath")
        result["profileName"] = r.text(node, "profileName")
        if profile_path is not None:
            result["profilePath"] = profile_path
        return result
    type_node = node.value["type"]
    r.fail(
        type_node.line,
        type_node.key_path,
        f"Invalid AWS credential type: {kind}; valid values are [{', '.join(kinds)}]",
        "write one of: " + ", ".join(f"`type: {k}`" for k in kinds) + ".",
    )
