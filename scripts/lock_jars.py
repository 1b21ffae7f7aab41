"""Write ``statefun/flink/jars.lock.json``: the exact jars of the real engine, from the POMs.

The real-engine jar sets are described by two dependency-only Maven projects beside this
script:

* ``scripts/jars/runtime-pom.xml``: StateFun 2.2.2 on Flink 1.11.3 (Scala 2.12) and logging;
* ``scripts/jars/kafka-pom.xml``: a Kafka 3.7.1 broker (``kafka_2.13``) and logging.

This maintainer command runs Maven once per POM (``dependency:copy-dependencies`` in Maven's
repository layout, runtime scope) and writes, for every jar Maven resolved, its group,
artifact, version, classifier, size and sha256 into the lock, sorted, so that the same POMs
always give the same file. Each jar's sha1 is checked against the ``.sha1`` file Maven fetched
from the repository beside it in the local repository, so the lock holds the repository's own
artifacts. At run time ``statefun.flink.jars`` downloads exactly these files over HTTPS and
checks them against the lock: Maven is needed here only, never at run time.

Usage, from the repository root (needs ``mvn`` and a JDK to run it)::

    .venv/bin/python scripts/lock_jars.py            # resolve both POMs, rewrite the lock
    .venv/bin/python scripts/lock_jars.py --check    # exit 1 if the lock is stale

Run it after editing a POM and commit the POM and the lock together; ``tests/flink`` fails
when a POM's digest no longer matches the one recorded in the lock.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POM_DIR = REPO / "scripts" / "jars"
LOCK = REPO / "statefun" / "flink" / "jars.lock.json"
POMS = {"runtime": POM_DIR / "runtime-pom.xml", "kafka": POM_DIR / "kafka-pom.xml"}
COPY_DEPENDENCIES = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
LOCK_FORMAT = 1

sys.path.insert(0, str(REPO))
from statefun.flink.jars import parse_lock  # noqa: E402


def file_digest(path: Path, algorithm: str) -> str:
    """The hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def resolve(pom: Path, local_repo: Path, workdir: Path) -> list[dict[str, Any]]:
    """Run Maven on one POM; return its runtime jars as lock entries (sorted)."""
    out = workdir / pom.stem
    cmd = [
        shutil.which("mvn") or "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        f"-Dmaven.repo.local={local_repo}",
        COPY_DEPENDENCIES,
        f"-DoutputDirectory={out}",
        "-Dmdep.useRepositoryLayout=true",
        "-DincludeScope=runtime",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"mvn failed for {pom}:\n{proc.stdout}\n{proc.stderr}")
    entries = []
    # Maven also copies its `_remote.repositories` bookkeeping; only the jars count.
    for jar in sorted(out.rglob("*.jar")):
        rel = jar.relative_to(out)
        if len(rel.parts) < 4:
            raise SystemExit(f"unexpected file {rel} in Maven's output for {pom.name}")
        *group, artifact, version, filename = rel.parts
        stem = f"{artifact}-{version}"
        if not filename.startswith(stem):
            raise SystemExit(f"cannot read the coordinates of {rel}")
        rest = filename[len(stem) : -len(".jar")]
        if rest and not rest.startswith("-"):
            raise SystemExit(f"cannot read the coordinates of {rel}")
        sha1 = file_digest(jar, "sha1")
        sidecar = local_repo / rel.parent / (filename + ".sha1")
        if sidecar.exists():
            published = (sidecar.read_text().split() or [""])[0].lower()
            if published != sha1:
                raise SystemExit(
                    f"{rel}: sha1 {sha1} differs from the repository's {published} ({sidecar});"
                    f" delete {sidecar.parent} and run this again"
                )
        else:
            print(f"note: no .sha1 from the repository for {rel}", file=sys.stderr)
        # Key order is fixed here (coordinates first), so each line reads like g:a:v.
        entry: dict[str, Any] = {"group": ".".join(group), "artifact": artifact, "version": version}
        if rest:
            entry["classifier"] = rest[1:]
        entry["size"] = jar.stat().st_size
        entry["sha256"] = file_digest(jar, "sha256")
        entries.append(entry)
    if not entries:
        raise SystemExit(f"Maven resolved no jars for {pom}")
    entries.sort(key=lambda e: (e["group"], e["artifact"], e["version"], e.get("classifier", "")))
    return entries


def build_lock(local_repo: Path) -> str:
    """Resolve every POM and return the lock file's text."""
    sets: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="statefun-lab-lock-") as tmp:
        for name, pom in sorted(POMS.items()):
            print(f"resolving {pom.relative_to(REPO)} with Maven ...", file=sys.stderr)
            jars = resolve(pom, local_repo, Path(tmp))
            sets[name] = {
                "pom": pom.relative_to(REPO).as_posix(),
                "pom_sha256": file_digest(pom, "sha256"),
                "jars": jars,
            }
            total = sum(j["size"] for j in jars)
            print(f"  {name}: {len(jars)} jars, {total / 1e6:.1f} MB", file=sys.stderr)
    return render_lock(sets)


def render_lock(sets: dict[str, Any]) -> str:
    """The lock as JSON with one line per jar (readable diffs), sets in name order."""
    lines = [
        "{",
        ' "comment": "Written by scripts/lock_jars.py from scripts/jars/*.xml; do not edit.",',
        f' "format": {LOCK_FORMAT},',
        ' "sets": {',
    ]
    names = sorted(sets)
    for i, name in enumerate(names):
        jar_set = sets[name]
        lines.append(f"  {json.dumps(name)}: {{")
        lines.append('   "jars": [')
        jars = [json.dumps(j) for j in jar_set["jars"]]
        lines += [f"    {j}," for j in jars[:-1]] + [f"    {jars[-1]}"]
        lines.append("   ],")
        lines.append(f'   "pom": {json.dumps(jar_set["pom"])},')
        lines.append(f'   "pom_sha256": {json.dumps(jar_set["pom_sha256"])}')
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}"]
    text = "\n".join(lines) + "\n"
    parse_lock(text, "the lock scripts/lock_jars.py wrote")  # as the package will read it
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--local-repo",
        type=Path,
        default=Path.home() / ".m2" / "repository",
        help="Maven's local repository (default: ~/.m2/repository)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the lock is stale")
    args = parser.parse_args(argv)
    text = build_lock(args.local_repo.expanduser().resolve())
    if args.check:
        if LOCK.exists() and LOCK.read_text() == text:
            print(f"{LOCK.relative_to(REPO)} is up to date")
            return 0
        print(f"{LOCK.relative_to(REPO)} is stale: run scripts/lock_jars.py", file=sys.stderr)
        return 1
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    LOCK.write_text(text)
    print(f"wrote {LOCK.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
