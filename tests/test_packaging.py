"""The install: every imported package is pinned at this venv's version, and the wheel builds and runs."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_SOURCES = [PROJECT_ROOT / "streamlit_app.py", *sorted((PROJECT_ROOT / "explainer").rglob("*.py"))]
RUNTIME_SOURCES += sorted((PROJECT_ROOT / "ui").rglob("*.py"))


def runtime_requirements() -> list[Requirement]:
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in (line.split("#")[0].strip() for line in lines) if line]


def imported_top_level_modules() -> set[str]:
    modules = set()
    for source in RUNTIME_SOURCES:
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"explainer", "ui", "__future__"}


def test_every_imported_package_is_pinned_in_requirements():
    pinned = {requirement.name.lower() for requirement in runtime_requirements()}
    providers = importlib.metadata.packages_distributions()
    unpinned = {}
    for module in sorted(imported_top_level_modules()):
        distributions = {name.lower() for name in providers.get(module, [module])}
        # tensorflow-cpu installs the same `tensorflow` module as tensorflow: either pin names it.
        if module == "tensorflow":
            distributions |= {"tensorflow", "tensorflow-cpu"}
        if not distributions & pinned:
            unpinned[module] = sorted(distributions)
    assert unpinned == {}, f"imported but not in requirements.txt: {unpinned}"
    assert "h5py" in imported_top_level_modules()  # storage.load_weights reads .keras files with it directly


def test_requirements_pin_exact_versions_and_match_this_venv():
    for requirement in runtime_requirements():
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{requirement} is not pinned exactly"
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # for another platform (tensorflow vs tensorflow-cpu)
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            # A venv made before the switch to tensorflow-cpu still has tensorflow of the same version.
            assert requirement.name == "tensorflow-cpu", f"{requirement.name} is pinned but not installed"
            installed = importlib.metadata.version("tensorflow")
        assert installed == specifiers[0].version, (
            f"{requirement.name}: pinned {specifiers[0].version}, got {installed}"
        )


def test_pyproject_dependencies_are_the_requirements():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = {str(Requirement(line)) for line in project["dependencies"]}
    assert declared == {str(requirement) for requirement in runtime_requirements()}


def test_the_wheel_holds_explainer_and_its_command_line_works_outside_the_repository(tmp_path):
    # Build from a copy (a build writes build/ and *.egg-info beside the sources), offline, with this venv's own
    # setuptools and wheel (pinned in requirements-dev.txt).
    source = tmp_path / "source"
    shutil.copytree(
        PROJECT_ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*_cache", ".hypothesis", "test-artifacts"),
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", "dist", "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = (source / "dist").glob("addition_unfolded-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"explainer"}
    expected = {path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "explainer").rglob("*.py")}
    assert expected <= set(names)  # every module, subpackages included

    # Installed on its own (the venv provides Keras and the rest), run from a folder that is not the repository.
    target = tmp_path / "installed"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(target), "TF_CPP_MIN_LOG_LEVEL": "3"}
    located = subprocess.run(
        [sys.executable, "-c", "import explainer; print(explainer.__file__)"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert Path(located.stdout.strip()).is_relative_to(target), located.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "explainer.training", "--help"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert helped.returncode == 0, helped.stderr[-2000:]
    assert "usage: python -m explainer.training" in helped.stdout and "--out" in helped.stdout
    # The shipped model lives in the repository's assets/, not in the package: the default path says so.
    missing = subprocess.run(
        [sys.executable, "-c", "from explainer.files.keras_file import load_weights\nload_weights()"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0 and "installed as a package" in missing.stderr
