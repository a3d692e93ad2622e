"""The architecture the layout promises, and packaging that finds its content.

* The collector imports neither the content kit nor the emulator; the emulator and
  the content kit import nothing of the collector; only `zoom_activity_logs` (the
  command line that joins them) imports several.
* A regular (non-editable) install, here `pip install --target`, runs `hunt` and
  `demo` from another directory with every rule of the pack: the content is package
  data read with importlib.resources, not a path guessed from the checkout.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from contentkit.load import ROOT, load_dashboards, load_pipelines, load_rules

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("collector", "contentkit", "emulator", "zoom_activity_logs")
# which of the project's packages each may import
ALLOWED = {
    "collector": set(),
    "contentkit": set(),
    "emulator": set(),
    "zoom_activity_logs": {"collector", "contentkit", "emulator"},
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """{module file: the project's other packages it imports}."""
    found = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = (names & set(PACKAGES)) - {package}
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_what_the_architecture_allows(package):
    wrong = {
        f: sorted(names - ALLOWED[package])
        for f, names in imported_packages(package).items()
        if names - ALLOWED[package]
    }
    assert not wrong, f"{package} must not import {wrong}"


def test_scripts_and_benchmarks_do_not_edit_sys_path():
    for path in [*REPO.glob("scripts/*.py"), *REPO.glob("benchmarks/*.py")]:
        assert "sys.path" not in path.read_text("utf-8"), path


def test_one_version_source():
    import collector

    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert collector.__version__ == config["project"]["version"]
    for path in REPO.rglob("*.py"):
        if ".venv" in path.parts or "build" in path.parts:
            continue
        assert not re.search(r'__version__ = "\d+\.', path.read_text("utf-8")), f"{path}: a second version string"


def test_every_content_folder_is_declared_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    for folder in ("siem_rules", "pipelines", "dashboards"):
        assert config["package-dir"][f"contentkit.{folder}"] == folder
        assert f"contentkit.{folder}" in config["packages"]
    assert "data-files" not in config  # deprecated by setuptools: content is package data
    # the checkout's own content is what the package resolves to (editable install)
    assert ROOT == REPO


@pytest.mark.slow
def test_a_regular_install_runs_hunt_and_demo_with_every_rule(tmp_path):
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    for content in ("siem_rules", "pipelines/zoom_activity_logs", "dashboards"):
        assert any((target / "contentkit" / content).iterdir())
    env = {**os.environ, "PYTHONPATH": str(target)}
    away = tmp_path / "elsewhere"
    away.mkdir()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from contentkit.load import ROOT, load_rules, load_pipelines, load_dashboards;"
            "print(ROOT, len(load_rules()), len(load_pipelines()), len(load_dashboards()))",
        ],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    root, rules, pipelines, dashboards = probe.stdout.split()
    assert Path(root) == target / "contentkit"
    assert (int(rules), int(pipelines), int(dashboards)) == (
        len(load_rules()),
        len(load_pipelines()),
        len(load_dashboards()),
    )

    demo = subprocess.run(
        [sys.executable, "-m", "zoom_activity_logs", "demo", "--out", str(away / "demo")],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    hunt = subprocess.run(
        [sys.executable, "-m", "zoom_activity_logs", "hunt", str(away / "demo" / "zoom.ndjson"), "--format", "json"],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert hunt.returncode == 0, hunt.stderr[-2000:]
    assert f"through {len(load_rules())} rules" in hunt.stderr
    assert hunt.stdout.count("\n") >= 5  # the demo's intrusion raises signals
