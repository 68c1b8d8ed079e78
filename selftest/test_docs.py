#!/usr/bin/env python3
"""The documentation agrees with the one list of steps."""
import re
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest

from helpers import copy_tree
from kata import cli
from kata.catalogue import docs, upkeep
from kata.catalogue.steps import REPO_ROOT, STEPS


def test_readme_table_matches_the_list_of_steps() -> None:
    """The README's table is the one generated from kata/catalogue/steps.py."""
    text = docs.README.read_text()
    assert docs.readme_with_table(text) == text, (
        "README.md's table of steps is stale: run "
        "./checker.sh dev check --write")


def test_readme_links_every_statement() -> None:
    """Every step's statement exists where the README links it."""
    links = re.findall(r"\]\((steps/\d\d-[^)]+)\)", docs.README.read_text())
    assert links == [item.readme_ref for item in STEPS]
    missing = [link for link in links if not (REPO_ROOT / link).is_file()]
    assert not missing, "statements missing: {}".format(missing)


def test_quick_start_is_two_commands() -> None:
    """The quick start is the two commands CI and newcomers run."""
    text = docs.README.read_text()
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1]
    commands = [line.split("#")[0].strip()
                for line in block.split("```", 1)[0].splitlines()
                if line.strip()]
    assert commands == ["./checker.sh solution/", "./checker.sh selftest"]
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "./checker.sh selftest" in ci.splitlines()


def test_selftest_passes_its_arguments_to_pytest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """'./checker.sh selftest -k x -x' hands '-k x -x' to pytest."""
    seen: List[List[str]] = []
    monkeypatch.setattr(pytest, "main",
                        lambda args: seen.append(list(args)) or 0)
    assert cli.main(["selftest", "-k", "mutant", "-x"]) == 0
    assert seen and seen[0][-3:] == ["-k", "mutant", "-x"]


def test_no_file_holds_an_unresolved_merge() -> None:
    """No tracked text file keeps the markers of a merge conflict."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=str(REPO_ROOT),
                            capture_output=True, check=True).stdout
    marked = []
    for name in filter(None, listed.decode().split("\0")):
        path = REPO_ROOT / name
        if not path.is_file() or path.suffix in (".png", ".db"):
            continue
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lines):
            marked.append(name)
    assert not marked, "merge conflict markers in {}".format(marked)


def test_dev_check_names_and_rewrites_what_is_stale(tmp_path: Path) -> None:
    """A stale table and a stale manifest are listed, then regenerated."""
    root = copy_tree(tmp_path / "tree")
    shutil.copy2(str(docs.README), str(root / "README.md"))
    assert upkeep.out_of_date(root) == []
    readme = root / "README.md"
    readme.write_text(readme.read_text().replace("| 05 |", "| 5 |"))
    with open(str(root / "kata" / "catalogue" / "steps.py"), "a") as stream:
        stream.write("# a change\n")
    stale = upkeep.out_of_date(root)
    assert [line.split(":")[0] for line in stale] == [
        "README.md", "kata/MANIFEST.sha256"]
    assert "kata/catalogue/steps.py changed" in stale[1]
    assert upkeep.refresh(root) == ["README.md", "kata/MANIFEST.sha256"]
    assert upkeep.out_of_date(root) == []
    assert "| 05 |" in readme.read_text()


def test_dev_check_exits_1_on_a_stale_tree(
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    """The command line says what is stale and fails; else it passes."""
    monkeypatch.setattr(upkeep, "out_of_date", lambda: ["README.md: x"])
    assert cli.main(["dev", "check"]) == 1
    assert "out of date: README.md: x" in capsys.readouterr().out
    monkeypatch.setattr(upkeep, "out_of_date", lambda: [])
    assert cli.main(["dev", "check"]) == 0
