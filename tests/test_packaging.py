"""The install: every package the code imports is pinned, and the pins are what this venv runs."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
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
