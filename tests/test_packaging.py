"""The install: every imported package is pinned at this venv's version, and the wheel builds and runs."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
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


DOCUMENTS = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "bench" / "README.md"]
DOCUMENTS += sorted((PROJECT_ROOT / "docs").glob("*.md"))
# [words](target), ![alt](target), [name]: target, and HTML's src= / href= (code blocks and code spans left out).
MARKDOWN_LINK = re.compile(
    r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE
)
HTML_LINK = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def link_targets(text: str) -> list[str]:
    text = CODE.sub("", text)
    found = [next(group for group in match.groups() if group) for match in MARKDOWN_LINK.finditer(text)]
    return found + HTML_LINK.findall(text)


def tracked_files() -> set[Path] | None:
    """The files git tracks here (what a clone on GitHub has), or None outside a git checkout."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {(PROJECT_ROOT / name).resolve() for name in listing.decode().split("\0") if name}


def dead_links(text: str, folder: Path, tracked: set[Path] | None) -> list[str]:
    """The relative links in ``text`` (a Markdown file in ``folder``) that GitHub could not follow: out of the
    repository, to a file git does not track, or to a heading that is not there."""
    problems = []
    for target in link_targets(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto: …
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (folder / path_part).resolve()
        if not resolved.is_relative_to(PROJECT_ROOT):
            problems.append(f"{target}: outside the repository")
            continue
        if not resolved.exists() or (tracked is not None and resolved.is_file() and resolved not in tracked):
            problems.append(f"{target}: no such file in the repository")
            continue
        if anchor and (path_part == "" or resolved.suffix == ".md"):
            source = text if path_part == "" else resolved.read_text(encoding="utf-8")
            headings = re.findall(r"^#+\s+(.*)$", CODE.sub("", source), re.MULTILINE)
            if anchor not in {github_anchor(heading) for heading in headings}:
                problems.append(f"{target}: no heading #{anchor}")
    return problems


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_every_relative_link_in_the_docs_points_to_a_file_in_the_repository(document):
    # On GitHub a relative link resolves inside the repository: a path out of it (../shared/…) or to a file git
    # does not track is a dead link there, however well it works in this checkout.
    problems = dead_links(document.read_text(encoding="utf-8"), document.parent, tracked_files())
    assert problems == [], f"{document.relative_to(PROJECT_ROOT)}: " + "; ".join(problems)


def test_the_link_check_finds_dead_links():
    docs = PROJECT_ROOT / "docs"
    text = (
        "# Top\nSee [the seed](../../shared/seed/), [gone](../shared/seed/), ![ok](../assets/screenshot.png), "
        "[here](#top), [there](#nowhere), [bench](../bench/README.md#no-such-heading) and `[code](nowhere)`."
    )
    assert link_targets(text)[:3] == ["../../shared/seed/", "../shared/seed/", "../assets/screenshot.png"]
    assert dead_links(text, docs, tracked_files()) == [
        "../../shared/seed/: outside the repository",
        "../shared/seed/: no such file in the repository",
        "#nowhere: no heading #nowhere",
        "../bench/README.md#no-such-heading: no heading #no-such-heading",
    ]
    assert github_anchor("How the network adds (the shipped model)") == "how-the-network-adds-the-shipped-model"


def test_the_readme_opens_with_the_commands_then_what_it_is_and_a_picture():
    # GitHub's first screen of the repository: how to run it, what it is, what it looks like; details after.
    lines = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_heading = next(index for index, line in enumerate(lines) if line.startswith("## "))
    opening = lines[:first_heading]
    fence = opening.index("```bash")
    fence_end = opening.index("```", fence + 1)
    prose = next(index for index, line in enumerate(opening) if index > fence_end and line and line[0].isalpha())
    picture = next(index for index, line in enumerate(opening) if line.startswith("!["))
    assert fence < prose < picture < 20, (fence, prose, picture)
    assert "neural network" in opening[prose] and "add" in " ".join(opening[prose:picture])
    assert not any(word in " ".join(opening[:picture]) for word in ("wheel", "tensorflow-cpu", "CI", "../"))
