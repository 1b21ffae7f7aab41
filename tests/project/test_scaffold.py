"""statefun-lab new: the skeleton passes its own tests and statefun-lab check right away."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from statefun.errors import ProjectExistsError
from statefun.project.scaffold import create_project, namespace_of

Run = Callable[..., subprocess.CompletedProcess[str]]
TEMPLATES = Path(__file__).resolve().parents[2] / "statefun" / "project" / "templates"


def test_a_new_project_passes_its_tests_check_and_doctor(
    tmp_path: Path, statefun_lab: Run, python: Run
) -> None:
    created = statefun_lab("new", "shop", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "shop"
    for name in [
        "functions/functions.py",
        "functions/messages_pb2.py",
        "module.yaml",
        "functions/Dockerfile",
        "docker/docker-compose.yml",
        "tests/test_functions.py",
    ]:
        assert (project / name).is_file(), name
    assert "type: shop/greeter" in (project / "module.yaml").read_text()
    # the plugin comes from the entry point once installed; -p loads it from this checkout
    tests = python(
        "-m", "pytest", "-p", "statefun.pytest_plugin", "-p", "no:cacheprovider", "-rs", cwd=project
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed, 1 skipped" in tests.stdout
    assert "real Flink StateFun runs only with pytest --statefun-flink" in tests.stdout
    check = statefun_lab("check", "module.yaml", "functions/functions.py", cwd=project)
    assert check.returncode == 0 and check.stdout.startswith("OK:"), check.stdout + check.stderr
    doctor = statefun_lab("doctor", cwd=project)
    assert doctor.returncode == 0 and doctor.stdout.startswith("OK: .:"), doctor.stdout


def test_a_broken_function_fails_the_new_projects_tests(tmp_path: Path, python: Run) -> None:
    project = tmp_path / "shop"
    create_project(project)
    code = project / "functions" / "functions.py"
    code.write_text(code.read_text().replace("seen.seen += 1", "seen.seen += 2"))
    tests = python(
        "-m", "pytest", "-p", "statefun.pytest_plugin", "-p", "no:cacheprovider", cwd=project
    )
    assert tests.returncode == 1
    assert "state of shop/greeter/Ann: expected" in tests.stdout


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(ProjectExistsError, match="exists and is not an empty folder"):
        create_project(tmp_path / "taken")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert create_project(tmp_path / "empty")


def test_the_templates_generated_code_is_what_the_pinned_protoc_makes(
    tmp_path: Path, python: Run
) -> None:
    functions = TEMPLATES / "functions"
    result = python(
        "-m",
        "grpc_tools.protoc",
        f"-I{functions}",
        f"--python_out={tmp_path}",
        f"--pyi_out={tmp_path}",
        str(functions / "messages.proto"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for name in ["messages_pb2.py", "messages_pb2.pyi"]:
        assert (tmp_path / name).read_bytes() == (functions / name).read_bytes(), name


@pytest.mark.parametrize(
    ("name", "namespace"), [("shop", "shop"), ("My Shop", "my-shop"), ("a/b/Orders_2", "orders_2")]
)
def test_namespace_of(name: str, namespace: str) -> None:
    assert namespace_of(name) == namespace
