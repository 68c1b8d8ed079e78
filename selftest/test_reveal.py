#!/usr/bin/env python3
"""reveal N: the reference, then the other right ways the kata knows.

The other ways are the alternatives (kata/catalogue/overlays/alternatives/)
whose splice changes step N's own code; each is shown with its about, its
tradeoff and a diff of that step's code, and only once the step passes.
"""
import re
from pathlib import Path
from typing import Dict, List

import pytest

from kata import cli
from kata.catalogue import overlays
from kata.catalogue.steps import STEPS, Step, step
from kata.student import workspace

ALTERNATIVES = overlays.load("alternatives")
# A definition line of a diff, whatever its sign: "+    def name(".
DEFINED = re.compile(r"^[-+ ]\s*def\s+(\w+)\s*\(")


def section(item: Step) -> str:
    """Return the part of reveal's text that follows the reference."""
    return workspace.approaches_text(item)


def diff_of(number: int, name: str) -> List[str]:
    """Return the diff shown at a step for one alternative."""
    return list(next(approach for approach in workspace.approaches(number)
                     if approach.name == name).diff)


def other_steps_definitions(number: int, file_name: str) -> Dict[str, int]:
    """Return the functions of a file that steps other than number own."""
    names: Dict[str, int] = {}
    for other in STEPS:
        for part in (*other.solution, *other.owns):
            owner_file, _, qualified = part.partition(":")
            if other.number != number and owner_file == file_name and \
                    qualified and not qualified.startswith("<"):
                names[qualified.split(".")[-1]] = other.number
    return names


def test_every_alternative_says_its_tradeoff() -> None:
    """Each alternative tells when to prefer it and what it costs."""
    for alternative in ALTERNATIVES:
        assert alternative.tradeoff and len(alternative.tradeoff.split()) \
            >= 10, alternative.name
    assert all(mutant.tradeoff is None
               for mutant in overlays.load("mutants"))


@pytest.mark.parametrize("kind,text,complaint", [
    ("alternatives", 'about = "x"\n', "tradeoff is missing"),
    ("alternatives", 'about = "x"\ntradeoff = "  "\n', "tradeoff is missing"),
    ("mutants", 'step = 1\nabout = "x"\ntradeoff = "y"\n',
     "only an alternative has a tradeoff"),
])
def test_the_loader_holds_the_tradeoff_rule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
        text: str, complaint: str) -> None:
    """An alternative without a tradeoff, or a mutant with one, is refused."""
    (tmp_path / kind).mkdir()
    (tmp_path / kind / "odd.toml").write_text(
        text + '[[edit]]\nfile = "db.py"\nold = "a"\nnew = "b"\n')
    monkeypatch.setattr(overlays, "OVERLAYS_DIR", tmp_path)
    with pytest.raises(ValueError, match=complaint):
        overlays.load(kind)


def test_every_alternative_is_shown_at_some_step() -> None:
    """No alternative is lost: the splice places each one at a step."""
    shown = {approach.name for item in STEPS
             for approach in workspace.approaches(item.number)}
    assert shown == {alternative.name for alternative in ALTERNATIVES}


def test_an_alternative_is_shown_at_the_steps_whose_code_it_changes(
) -> None:
    """hasattr in update_user is step 03's way, and no other step's."""
    at = [item.number for item in STEPS
          if "update-user-checks-hasattr" in
          [approach.name for approach in workspace.approaches(item.number)]]
    assert at == [3]
    assert [line for line in diff_of(3, "update-user-checks-hasattr")
            if line.startswith("+ ")] == [
        "+        unknown = [name for name in kwargs if not "
        "hasattr(user, name)]"]


def test_a_step_with_alternatives_lists_each_with_its_words() -> None:
    """Step 08 shows each of its ways: about, tradeoff, diff."""
    text = section(step(8))
    found = workspace.approaches(8)
    assert {approach.name for approach in found} >= {
        "valid-login-with-the-bytes-hash", "refuses-empty-password"}
    flat = " ".join(text.split())
    for approach in found:
        assert "* {}: ".format(approach.name) in text
        assert " ".join(approach.about.split()) in flat
        assert "Trade-off: " + " ".join(approach.tradeoff.split()) in flat
        assert "    --- solution/auth.py" in text
        assert "    +++ {}/auth.py".format(approach.name) in text
    bytes_way = diff_of(8, "valid-login-with-the-bytes-hash")
    assert "+        return bcrypt.checkpw(password.encode(\"utf-8\"), " \
        "user.hashed_password)" in bytes_way


def test_a_diff_keeps_to_the_steps_own_code() -> None:
    """The splice renames every view; step 07's diff shows only its own.

    views-named-freely renames all seven views, and the splice of step 07
    gives the reference's views the alternative's names: only users ->
    register is step 07's.
    """
    defined = [DEFINED.match(line).group(1)
               for line in diff_of(7, "views-named-freely")
               if DEFINED.match(line)]
    assert defined == ["users", "register"]
    for line in diff_of(14, "views-named-freely"):
        assert "def " not in line, line


def test_no_diff_shows_another_steps_function() -> None:
    """No approach's diff holds a def of a function another step owns.

    app.py is left out: a view's name is free, so an alternative's view
    may bear the name of another step's view (update_password).
    """
    for item in STEPS:
        for approach in workspace.approaches(item.number):
            file_name = ""
            for line in approach.diff:
                if line.startswith("+++ "):
                    file_name = line.rsplit("/", 1)[1]
                match = DEFINED.match(line)
                if match and file_name != "app.py":
                    others = other_steps_definitions(item.number, file_name)
                    assert match.group(1) not in others, (
                        item.number, approach.name, line)


def test_diffs_are_short() -> None:
    """A diff is a glance: past its limit the rest is counted."""
    for item in STEPS:
        for approach in workspace.approaches(item.number):
            assert len(approach.diff) <= workspace.MAX_DIFF_LINES + 1


def test_a_step_without_alternatives_says_so_in_one_line() -> None:
    """Where the kata knows one way only, one line says it."""
    lonely = [item for item in STEPS if not workspace.approaches(item.number)]
    assert lonely, "every step has an alternative: pick another test"
    for item in lonely:
        text = section(item)
        assert text.count("\n") == 1 and "No other right way" in text
        assert "step {:02d}".format(item.number) in text


def test_reveal_of_a_passed_step_shows_reference_then_ways(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The command prints the reference first, then the other ways."""
    folder = tmp_path / "ws"
    workspace.init(folder, 8)
    assert cli.main(["reveal", "7", str(folder)]) == cli.EXIT_PASS
    shown = capsys.readouterr().out
    reference = shown.index("def users() -> Response:")
    ways = shown.index("# Other right ways of step 07")
    assert reference < ways
    for name in ("errors-as-returned-tuples", "views-named-freely"):
        assert "* {}: ".format(name) in shown[ways:]


def test_reveal_of_a_failing_step_shows_no_way_at_all(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The guard holds: nothing of the step is printed before it passes."""
    folder = tmp_path / "ws"
    workspace.init(folder, 7)
    assert cli.main(["reveal", "7", str(folder)]) == cli.EXIT_FAIL
    said = capsys.readouterr()
    assert said.out == ""
    assert "does not pass yet" in said.err
    for alternative in ALTERNATIVES:
        assert alternative.name not in said.err
