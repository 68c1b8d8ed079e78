#!/usr/bin/env python3
"""The kata's packages are layers: a module imports only from below.

Every import of every module counts, the ones inside functions (lazy
imports) included. The subject package, which runs inside the sandbox,
imports nothing of the kata but itself; the specs (tests/) see the kata no
higher than the judges that run them.
"""
import ast
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from kata.catalogue.steps import REPO_ROOT

# From the bottom up; a module may import from its own layer or below.
LAYERS = ("catalogue", "style", "reading", "verdict", "sandbox", "judge",
          "grading", "reports", "student", "classroom", "cli")
KATA = REPO_ROOT / "kata"
SUBJECT = KATA / "sandbox" / "subject"
SPECS = REPO_ROOT / "tests"


def module_name(path: Path) -> str:
    """Return the dotted name of a module of the repository."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(source: str, name: str) -> Iterator[Tuple[int, str]]:
    """Yield the line and the absolute name of every import in source."""
    package = name.rsplit(".", 1)[0] if not name.endswith("__init__") \
        else name
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                yield node.lineno, "{}.{}".format(base, alias.name) \
                    if base else alias.name


def layer_of(name: str) -> Optional[int]:
    """Return the rank of the kata layer a dotted name is in, if any."""
    parts = name.split(".")
    if parts[0] != "kata":
        return None
    if len(parts) == 1 or parts[1] in ("cli", "__main__"):
        return LAYERS.index("cli")
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def upward_imports(source: str, name: str) -> List[str]:
    """Return the imports of module name that reach a higher layer."""
    own = layer_of(name)
    found = []
    for line, target in imported(source, name):
        rank = layer_of(target)
        if own is not None and rank is not None and rank > own:
            found.append("{}:{} imports {} ({} is above {})".format(
                name, line, target, LAYERS[rank], LAYERS[own]))
    return found


KATA_MODULES = sorted(KATA.rglob("*.py"))


@pytest.mark.parametrize("path", KATA_MODULES, ids=[
    str(path.relative_to(REPO_ROOT)) for path in KATA_MODULES])
def test_a_module_imports_nothing_above_its_layer(path: Path) -> None:
    """No import, at module level or in a function, goes up a layer."""
    name = module_name(path)
    assert layer_of(name) is not None or name == "kata", (
        "{} is in no layer: put it in one of {}".format(name, LAYERS))
    assert upward_imports(path.read_text(), name) == []


def test_the_checker_sees_a_lazy_import_going_up() -> None:
    """An import hidden in a function is caught like one at the top."""
    source = ("from kata.catalogue.steps import STEPS\n\n\n"
              "def later():\n    from kata.grading import grader\n")
    assert upward_imports(source, "kata.catalogue.overlays") == [
        "kata.catalogue.overlays:5 imports kata.grading.grader (grading "
        "is above catalogue)"]
    assert upward_imports("from kata import cli\n",
                          "kata.student.watch") == [
        "kata.student.watch:1 imports kata.cli (cli is above student)"]
    assert upward_imports(source, "kata.student.watch") == []


@pytest.mark.parametrize("path", sorted(SUBJECT.glob("*.py")),
                         ids=lambda path: path.name)
def test_the_subject_imports_nothing_of_the_kata(path: Path) -> None:
    """What runs in the sandbox needs nothing of the judges' side."""
    name = module_name(path)
    outside = [target for _, target in imported(path.read_text(), name)
               if target.split(".")[0] == "kata"
               and not target.startswith("kata.sandbox.subject.")]
    assert outside == []


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.py")),
                         ids=lambda path: path.name)
def test_the_specs_see_no_layer_above_the_judges(path: Path) -> None:
    """A spec runs inside a judge: it may not reach grading or above."""
    ceiling = LAYERS.index("judge")
    above = [target for _, target in imported(path.read_text(), "tests.x")
             if (layer_of(target) or 0) > ceiling]
    assert above == []
