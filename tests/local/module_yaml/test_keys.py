"""Keys the runtime does not read: warned about with the key meant, or an error with ``strict``."""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import pytest
from module_yaml_texts import (
    FN,
    MODULE,
    MODULE_2,
    ROOT,
    WALKTHROUGH,
    edit,
    line_of,
    module_with,
    warned,
    write,
)

from statefun.cli import main
from statefun.errors import ModuleYamlError, ModuleYamlWarning
from statefun.local.module_yaml import (
    load_module,
    merge_modules,
    parse_module,
)


def test_unknown_keys_are_ignored_like_the_runtime_with_a_warning() -> None:
    text = edit(WALKTHROUGH, "timeout: 2min", "timeout: 2min\n            colour: blue")
    text = edit(text, "module:\n", "comment: hello\nmodule:\n")
    with pytest.warns(ModuleYamlWarning) as caught:
        module = parse_module(text)
    assert module.function("example/greeter").timeout == datetime.timedelta(minutes=2)
    assert [w.message for w in caught] == list(module.warnings)
    assert [(w.line, w.key_path) for w in module.warnings] == [
        (2, "comment"),
        (18, f"{FN}.spec.colour"),
    ]


# Every key the 2.2.2 runtime reads, each at its place: a grpc and an http function, every
# ingress type (with a router for the non-routable one) and every egress type.
EVERY_KEY = module_with(
    """\
    functions:
      - function:
          meta: {kind: http, type: ex/http}
          spec:
            endpoint: http://localhost:8000/statefun
            states:
              - name: seen
                expireAfter: 1min
                expireMode: after-write
            maxNumBatchRequests: 10
            timeout: 1min
            connectTimeout: 5s
            readTimeout: 5s
            writeTimeout: 5s
      - function:
          meta: {kind: grpc, type: ex/rpc}
          spec: {host: localhost, port: 9000}
    routers:
      - router:
          meta: {type: org.apache.flink.statefun.sdk/protobuf-router}
          spec:
            ingress: ex/plain
            target: "ex/http/{{$.name}}"
            messageType: example.GreetRequest
            descriptorSet: classpath:messages.desc
    ingresses:
      - ingress:
          meta: {type: statefun.kafka.io/routable-protobuf-ingress, id: ex/routed}
          spec:
            address: kafka:9092
            consumerGroupId: group
            autoOffsetResetPosition: earliest
            startupPosition:
              type: specific-offsets
              offsets:
                - names/0: 1
            properties:
              - any.kafka.Property: 1
            topics:
              - topic: names
                typeUrl: com.googleapis/example.GreetRequest
                targets: [ex/http]
      - ingress:
          meta: {type: statefun.kafka.io/protobuf-ingress, id: ex/plain}
          spec:
            address: kafka:9092
            topics: [plain]
            startupPosition: {type: date, date: "2020-02-01 04:15:00.000 +0000"}
            messageType: example.GreetRequest
            descriptorSet: classpath:messages.desc
      - ingress:
          meta: {type: statefun.kinesis.io/routable-protobuf-ingress, id: ex/stream}
          spec:
            awsRegion: {type: custom-endpoint, endpoint: "https://localhost:4567", id: us-west-1}
            awsCredentials: {type: basic, accessKeyId: a, secretAccessKey: b}
            startupPosition: {type: latest}
            clientConfigProperties:
              - SocketTimeout: 9999
            streams:
              - stream: names
                typeUrl: com.googleapis/example.GreetRequest
                targets: [ex/http]
    egresses:
      - egress:
          meta: {type: statefun.kafka.io/generic-egress, id: ex/kafka}
          spec:
            address: kafka:9092
            deliverySemantic: {type: exactly-once, transactionTimeoutMillis: 100000}
            properties:
              - foo.bar: baz
      - egress:
          meta: {type: statefun.kinesis.io/generic-egress, id: ex/kinesis}
          spec:
            awsRegion: {type: specific, id: us-west-2}
            awsCredentials: {type: profile, profileName: p, profilePath: /p}
            maxOutstandingRecords: 9999
            clientConfigProperties:
              - ThreadingModel: POOLED
    """,
    version="2.0",
)


@pytest.mark.parametrize(
    "text",
    [
        MODULE,
        MODULE_2,
        EVERY_KEY,
        (ROOT / "docker" / "notebook" / "module.yaml").read_text(encoding="utf-8"),
        (ROOT / "tests" / "local" / "data" / "v2" / "module.yaml").read_text(encoding="utf-8"),
    ],
    ids=["module.yaml", "module-2.0.yaml", "every key", "docker/notebook", "data/v2"],
)
def test_keys_the_runtime_reads_are_not_warned_about(text: str) -> None:
    module, issued = warned(text)
    assert issued == []
    assert module.warnings == ()


def test_the_issues_misspelled_egresses() -> None:
    text = edit(MODULE, "    egresses:", "    Egresses:")
    module, issued = warned(text)
    assert module.egresses == {}
    (warning,) = issued
    assert (warning.line, warning.key_path) == (line_of(text, "Egresses"), "module.spec.Egresses")
    assert "Did you mean `egresses`?" in warning.problem
    assert "everything under it" in warning.problem
    assert warning.hint == "rename `Egresses` to `egresses`."
    assert str(warning).startswith(f"module.yaml:{warning.line}: module.spec.Egresses: ")


def test_strict_makes_an_unknown_key_an_error_at_its_line(tmp_path: Path) -> None:
    text = edit(MODULE, "    egresses:", "    Egresses:")
    with pytest.raises(ModuleYamlError) as parsed:
        parse_module(text, strict=True)
    with pytest.raises(ModuleYamlError) as loaded:
        load_module(write(tmp_path, text), strict=True)
    for error in (parsed.value, loaded.value):
        assert error.line == line_of(text, "Egresses")
        assert "Did you mean `egresses`?" in error.problem
        assert "strict" in error.problem


@pytest.mark.parametrize(
    ("old", "new", "close"),
    [
        ("maxNumBatchRequests: 500", "maxNumBatchRequest: 500", "maxNumBatchRequests"),
        ("consumerGroupId: my-group-id", "consumerGroupID: my-group-id", "consumerGroupId"),
        ("consumerGroupId: my-group-id", "consumer_group_id: my-group-id", "consumerGroupId"),
        ("type: earliest", "type: earliest\n              offset: 3", "offsets"),
        ("transactionTimeoutMillis: 100000", "transactionTimeoutMilis: 100000", None),
    ],
)
def test_a_misspelled_key_is_warned_about_with_the_key_it_misspells(
    old: str, new: str, close: str | None
) -> None:
    text = edit(MODULE, old, new)
    if close is None:  # a required key: missing, so an error at the misspelling
        with pytest.raises(ModuleYamlError) as info:
            parse_module(text)
        assert info.value.line == line_of(text, "transactionTimeoutMilis")
        assert info.value.hint == "rename `transactionTimeoutMilis` to `transactionTimeoutMillis`."
        return
    _, (warning,) = warned(text)
    assert warning.line == line_of(text, new.split("\n")[-1].strip())
    assert f"Did you mean `{close}`?" in warning.problem


def test_a_misspelled_required_key_is_an_error_at_the_misspelling() -> None:
    text = edit(MODULE, "endpoint: http", "endpont: http")
    with pytest.raises(ModuleYamlError) as info:
        parse_module(text)
    assert info.value.line == line_of(text, "endpont")
    assert "missing key `endpoint`" in info.value.problem
    assert info.value.hint == "rename `endpont` to `endpoint`."


def test_a_key_of_another_ingress_type_says_which_type_reads_it() -> None:
    text = edit(MODULE, "consumerGroupId: my-group-id", "streams: []")
    _, (warning,) = warned(text)
    assert "read for statefun.kinesis.io/routable-protobuf-ingress only" in warning.problem


def test_a_key_indented_out_of_its_map_says_where_it_belongs() -> None:
    text = edit(MODULE, "            timeout: 2min", "          timeout: 2min")
    _, (warning,) = warned(text)
    assert warning.line == line_of(text, "timeout: 2min")
    assert "is not read in `function:` but in `spec:`" in warning.problem
    assert "indented less" in warning.problem


def test_a_yaml_merge_key_is_named_as_such() -> None:
    text = edit(MODULE, "            timeout: 2min", "            <<: {timeout: 2min}")
    _, (warning,) = warned(text)
    assert "merge key" in warning.problem and "Jackson" in warning.problem


def test_the_keys_of_properties_and_offsets_are_free() -> None:
    text = edit(
        MODULE,
        "type: earliest",
        "type: specific-offsets\n              offsets:\n                - names/0: 1\n"
        "            properties:\n              - max.poll.records: 500",
    )
    assert warned(text)[1] == []


def test_a_version_1_module_warns_like_version_2() -> None:
    text = edit(MODULE, "timeout: 2min", "timeout: 2min\n            timout: 3min")
    _, (warning,) = warned(text)
    assert "Did you mean `timeout`?" in warning.problem


def test_warnings_are_in_line_order_and_kept_by_merge_modules() -> None:
    text = edit(MODULE, "    egresses:", "    Egresses:")
    text = edit(text, "module:\n", "modul: {}\nmodule:\n")
    first, issued = warned(text)
    lines = [w.line for w in issued]
    assert lines == [line_of(text, "modul:"), line_of(text, "Egresses")]
    second = parse_module(MODULE_2.replace("example/", "other/"))
    assert merge_modules([first, second]).warnings == first.warnings


def test_warnings_do_not_make_two_modules_unequal() -> None:
    text = edit(MODULE, "# The python-worker service of docker", "colour: blue #")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModuleYamlWarning)
        assert parse_module(text) == parse_module(MODULE)


def test_check_reports_the_warning_then_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edit(MODULE, "    egresses:", "    Egresses:"))
    status = main(["check", str(path), str(ROOT / "greeter" / "greeter.py")])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[0].startswith(f"warning: {path}:47: module.spec.Egresses: unknown key `Egresses`")
    assert "Did you mean `egresses`?" in out[0]
    assert out[1].startswith("OK: ")


@pytest.mark.parametrize("command", ["check", "run"])
def test_strict_check_and_run_exit_2_on_an_unknown_key(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edit(MODULE, "    egresses:", "    Egresses:"))
    status = main([command, "--strict", str(path), str(ROOT / "greeter" / "greeter.py")])
    err = capsys.readouterr().err
    assert status == 2
    assert f"error: {path}:47: module.spec.Egresses: unknown key `Egresses`" in err


def test_run_prints_the_warning_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, edit(MODULE, "timeout: 2min", "timeout: 2min\n            timout: 3s"))
    main(["run", str(path), str(ROOT / "greeter" / "greeter.py"), "--count", "1", "--seed", "1"])
    captured = capsys.readouterr()
    assert f"statefun-lab: warning: {path}:25: " in captured.err
    assert "Did you mean `timeout`?" in captured.err
    assert "warning" not in captured.out
