#!/usr/bin/env python3
"""steps/STYLE.md explains every registered rule, with examples that hold.

Each rule of kata/style/registry.py has a section ``## G<n>`` (the
anchor its failure messages name) with a passing and a failing example. The
examples are run through the registry: a passing one breaks no rule at
all, a failing one breaks the rule of its section. A fenced example says
its file name, and optionally its mode and a missing final newline, in its
info string, e.g. ```` ```python file=user.py mode=644 ````.
"""
import os
import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

from kata.catalogue.steps import REPO_ROOT
from kata.style.checking import StyleProblem, check_file, check_readme
from kata.style.kinds import README
from kata.style.registry import REGISTRY, STYLE_PAGE
from kata.verdict import checks

PAGE = REPO_ROOT / STYLE_PAGE
SECTION = re.compile(r"^## (G\d+)\n(.*?)(?=^## |\Z)", re.M | re.S)
EXAMPLE = re.compile(r"^(Passing|Failing) example.*?:\n\n"
                     r"```\w+ ([^\n]*)\n(.*?)^```$", re.M | re.S)


def sections(text: str) -> Dict[str, str]:
    """Return the body of each ## G<n> section of the page, by rule id."""
    return {match.group(1): match.group(2)
            for match in SECTION.finditer(text)}


def examples(body: str) -> Dict[str, Tuple[Dict[str, str], str]]:
    """Return the passing and the failing example of a section.

    Each is (its attributes, e.g. {"file": "user.py"}, its content).
    """
    found = {}
    for match in EXAMPLE.finditer(body):
        attributes = dict(part.split("=", 1) if "=" in part else (part, "")
                          for part in match.group(2).split())
        found[match.group(1).lower()] = (attributes, match.group(3))
    return found


def problems_of(attributes: Dict[str, str], content: str,
                folder: Path) -> List[StyleProblem]:
    """Write an example to folder as its attributes say; return problems."""
    name = attributes["file"]
    if "no-final-newline" in attributes:
        content = content[:-1]
    if folder.exists():
        shutil.rmtree(str(folder))
    folder.mkdir()
    path = folder / name
    path.write_text(content, encoding="utf-8")
    os.chmod(str(path), int(attributes.get("mode", "755"), 8))
    if name == README:
        return check_readme(folder)
    return check_file(folder, name)


def page_problems(text: str, scratch: Path) -> List[str]:
    """Return what is wrong with a style page's text, one line each."""
    wrong = []
    found = sections(text)
    if list(found) != list(REGISTRY):
        wrong.append("the sections are {}, the rules {}".format(
            list(found), list(REGISTRY)))
    for rule_id, body in found.items():
        rule = REGISTRY.get(rule_id)
        if rule is None:
            continue
        pair = examples(body)
        for verdict in ("passing", "failing"):
            if verdict not in pair:
                wrong.append("{} has no {} example".format(rule_id, verdict))
                continue
            attributes, content = pair[verdict]
            problems = problems_of(attributes, content, scratch / "example")
            if verdict == "passing" and problems:
                wrong.append("{}'s passing example breaks rules: {}".format(
                    rule_id, [problem.message for problem in problems]))
            if verdict == "failing" and rule_id not in [
                    problem.rule for problem in problems]:
                wrong.append("{}'s failing example does not break it"
                             .format(rule_id))
    return wrong


def test_the_page_explains_every_rule_with_examples_that_hold(
        tmp_path: Path) -> None:
    """Each rule has its section, a passing and a failing example."""
    assert page_problems(PAGE.read_text(encoding="utf-8"), tmp_path) == []


def test_the_page_check_finds_a_broken_page(tmp_path: Path) -> None:
    """A missing section, a missing example or a wrong one is reported."""
    text = PAGE.read_text(encoding="utf-8")
    g3 = sections(text)["G3"]
    without_g3 = text.replace("## G3\n" + g3, "")
    assert any("sections" in line for line in
               page_problems(without_g3, tmp_path))
    no_failing = text.replace(g3, g3.split("Failing example")[0])
    assert page_problems(no_failing, tmp_path) == [
        "G3 has no failing example"]
    swapped = text.replace(g3, g3.replace("mode=644", "mode=755"))
    assert page_problems(swapped, tmp_path) == [
        "G3's failing example does not break it"]
    g4 = sections(text)["G4"]
    broken = text.replace(g4, g4.replace("MAX_LENGTH = 250",
                                         "MAX_LENGTH=250", 1))
    assert [line.split(":")[0] for line in page_problems(broken, tmp_path)
            ] == ["G4's passing example breaks rules"]


def test_failures_name_the_section_of_their_rule(tmp_path: Path) -> None:
    """A failing style check ends with its rule's anchor on the page."""
    (tmp_path / "user.py").write_text("x = 1\n")
    os.chmod(str(tmp_path / "user.py"), 0o644)
    anchors = set(re.findall(r"^## (G\d+)$", PAGE.read_text(), re.M))
    problems = check_file(tmp_path, "user.py")
    for rule_id in sorted({problem.rule for problem in problems}):
        rule = REGISTRY[rule_id]
        check = checks.rule_check("user.py", rule, [
            problem for problem in problems if problem.rule == rule_id])
        assert not check.passed
        assert check.message.endswith(
            "; see steps/STYLE.md#{}".format(rule_id.lower()))
        assert rule.reference.split("#")[1].upper() in anchors
    assert {"G1", "G3", "G5"} <= {problem.rule for problem in problems}
    passing = checks.rule_check("user.py", REGISTRY["G2"], [])
    assert passing.passed and passing.message == ""


def test_the_readme_links_the_page() -> None:
    """The top README's paragraph on style links steps/STYLE.md."""
    readme = (REPO_ROOT / "README.md").read_text()
    assert "](steps/STYLE.md)" in readme
