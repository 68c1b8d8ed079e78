#!/usr/bin/env python3
"""The kata practises what it preaches: its own Python follows G1-G6."""
from pathlib import Path
from typing import List

import pytest

from kata.catalogue.steps import REPO_ROOT
from kata.style.checking import check_file
from kata.style.kinds import FileKind
from kata.style.registry import rules_for

# The student's rules that make sense for any Python file, those of a
# helper module (G1-G6); G7, G8 and G10 are about the exercise's modules.
RULES = [rule.id for rule in rules_for(FileKind.HELPER)]
FOLDERS = ("kata", "tests", "selftest", "bench", "solution")
OWN_FILES: List[Path] = [
    path for folder in FOLDERS
    for path in sorted((REPO_ROOT / folder).rglob("*.py"))
    if "fixtures" not in path.relative_to(REPO_ROOT).parts]
IDS = [str(path.relative_to(REPO_ROOT)) for path in OWN_FILES]


@pytest.mark.parametrize("path", OWN_FILES, ids=IDS)
def test_own_python_follows_the_style_rules(path: Path) -> None:
    """Shebang, newline, mode, pycodestyle, docstrings and annotations."""
    problems = [problem.message
                for problem in check_file(path.parent, path.name)
                if problem.rule in RULES]
    assert not problems, "\n".join(problems)
