#!/usr/bin/env python3
"""Each step's statement, the list of steps and the spec say the same."""
import re
from typing import Set

import pytest

from kata.catalogue.steps import STEPS, Step

SECTIONS = ("## What to write", "## Behaviour", "## Example", "## Hints",
            "## Check your work")
STATUS_CODES = re.compile(r"\b(200|201|302|400|401|403|404|405|500)\b")
IDS = [item.name for item in STEPS]


def fact_pattern(fact: str) -> str:
    """Return a regular expression for a fact, <placeholders> as wildcards.

    'User <email> already exists' is found in a spec that builds it with
    'User {} already exists'.format(...) or by concatenation.
    """
    parts = re.split(r"<\w+>", fact)
    return ".{0,40}?".join(re.escape(part) for part in parts)


def status_codes(text: str) -> Set[str]:
    """Return the HTTP status codes a text mentions."""
    return set(STATUS_CODES.findall(text))


@pytest.mark.parametrize("item", STEPS, ids=IDS)
def test_statement_has_every_section(item: Step) -> None:
    """The statement has the title and sections every step uses."""
    text = item.readme.read_text()
    title = "# Step {:02d}: {}\n".format(item.number, item.title)
    assert text.startswith(title), "the first line must be " + title
    positions = [text.find(section) for section in SECTIONS]
    assert -1 not in positions, "missing sections: {}".format(
        [s for s, p in zip(SECTIONS, positions) if p == -1])
    assert positions == sorted(positions), "sections out of order"
    why = text.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    assert why.count(".") >= 2, "the statement must say why, in sentences"


@pytest.mark.parametrize("item", STEPS, ids=IDS)
def test_statement_names_files_interface_and_facts(item: Step) -> None:
    """Files, names, status codes and messages of the list are stated."""
    text = item.readme.read_text()
    missing = [word for word in item.files + item.interface + item.facts
               if word not in text]
    assert not missing, "{} does not mention {}".format(
        item.readme_ref, missing)


@pytest.mark.parametrize("item", STEPS, ids=IDS)
def test_spec_checks_the_facts_of_the_list(item: Step) -> None:
    """The spec uses the names and facts the list gives the step."""
    spec = item.spec.read_text()
    missing = [fact for fact in item.facts
               if not re.search(fact_pattern(fact), spec)]
    assert not missing, "{} never checks {}".format(item.spec.name, missing)


@pytest.mark.parametrize("item", STEPS, ids=IDS)
def test_statement_and_spec_agree_on_status_codes(item: Step) -> None:
    """Every status code the statement asks for is checked, and back.

    A spec may also check the codes of earlier steps' end-points, which it
    uses to set up its own checks (logging in before logging out).
    """
    if "main.py" in item.files:
        return  # main.py's codes are what the student's main.py asserts
    behaviour = item.readme.read_text().split("## Behaviour", 1)[1]
    stated = status_codes(behaviour.split("## Example", 1)[0])
    checked = status_codes("\n".join(
        line for line in item.spec.read_text().splitlines()
        if re.search(r"status|answer|abort", line, re.I)))
    earlier = {fact for other in STEPS if other.number < item.number
               for fact in other.facts if STATUS_CODES.fullmatch(fact)}
    assert stated <= checked, "stated but never checked: {}".format(
        sorted(stated - checked))
    assert checked <= stated | earlier, "checked but never stated: {}".format(
        sorted(checked - stated - earlier))


@pytest.mark.parametrize("item", STEPS, ids=IDS)
def test_statement_tells_how_to_run_the_spec(item: Step) -> None:
    """The statement names the command and the spec of its step."""
    text = item.readme.read_text().split("## Check your work", 1)[1]
    assert "./checker.sh --step {}".format(item.number) in text
    assert "`./checker.sh pytest tests/{}`".format(item.spec.name) in text
