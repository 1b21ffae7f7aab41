"""The walkthrough's messages: the committed generated code is what messages.proto gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GENERATED = ["messages_pb2.py", "messages_pb2.pyi"]


@pytest.fixture(scope="module")
def regenerated(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """greeter/messages.proto compiled now, with the command in its header."""
    out = tmp_path_factory.mktemp("protoc")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "greeter",
            f"--python_out={out}",
            f"--pyi_out={out}",
            "greeter/messages.proto",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.mark.parametrize("folder", ["greeter", "generator"])
@pytest.mark.parametrize("name", GENERATED)
def test_committed_code_matches_the_proto(
    root: Path, regenerated: Path, folder: str, name: str
) -> None:
    committed = (root / folder / name).read_bytes()
    assert committed == (regenerated / name).read_bytes(), (
        f"{folder}/{name} is stale: regenerate it with the command in greeter/messages.proto"
    )


def test_messages_have_the_walkthrough_fields() -> None:
    from messages_pb2 import GreetRequest, GreetResponse, SeenCount

    assert GreetRequest.DESCRIPTOR.full_name == "example.GreetRequest"
    assert [(f.name, f.number) for f in GreetRequest.DESCRIPTOR.fields] == [("name", 1)]
    assert [(f.name, f.number) for f in GreetResponse.DESCRIPTOR.fields] == [
        ("name", 1),
        ("greeting", 2),
    ]
    assert [(f.name, f.number) for f in SeenCount.DESCRIPTOR.fields] == [("seen", 1)]
    # notebook 08's timer message lives in the walkthrough's own proto, not in lab internals
    from messages_pb2 import Reset

    assert Reset.DESCRIPTOR.full_name == "example.Reset"
    assert [(f.name, f.number) for f in Reset.DESCRIPTOR.fields] == [("seen", 1)]
    # int64 `seen`; wire bytes as the real runtime stores them (spec §1.2: 0x08 0x01)
    assert SeenCount(seen=1).SerializeToString() == b"\x08\x01"
    assert GreetRequest(name="Jerry").SerializeToString() == b"\n\x05Jerry"
