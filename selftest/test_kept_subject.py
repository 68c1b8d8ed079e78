#!/usr/bin/env python3
"""A jail kept across gradings (watch) lets no grading learn from another.

The seal probe (selftest/fixtures/submissions/seal-probe) is graded twice
in one KeptSubject, as watch grades a folder on two saves: the second
grading's runs find nothing the first left, see their own code only, and
never the first grading's copy, even while it is still there. A jail that
died is replaced.
"""
import os
import shutil
import signal
from pathlib import Path
from typing import Iterator

import pytest

from kata.catalogue.steps import STEPS
from kata.grading import grader
from kata.judge.kept_subject import KeptSubject
from kata.sandbox import jail
from kata.sandbox.remote import Connection, Remote

PROBE = Path(__file__).resolve().parent / "fixtures" / "submissions" / \
    "seal-probe"
SOLUTION = Path(__file__).resolve().parent.parent / "solution"

pytestmark = pytest.mark.skipif(
    not jail.bwrap_works(),
    reason="bubblewrap cannot make its namespaces here: nothing is sealed")


@pytest.fixture
def kept() -> Iterator[KeptSubject]:
    """Keep a jail for the test, as watch does."""
    subject = KeptSubject()
    yield subject
    subject.close()


def place_probe(kept: KeptSubject, mark: str) -> str:
    """Put a copy of the probe, marked, as a new grading's code."""
    prefix = kept.new_grading()
    copy = kept.variants / (prefix + "submission")
    shutil.copytree(str(PROBE), str(copy))
    with open(str(copy / "user.py"), "a") as code:
        code.write("# {}\n".format(mark))
    return prefix


def run(kept: KeptSubject, prefix: str) -> Connection:
    """Start a run of a grading's copy in the kept jail."""
    return kept.jail().link(prefix + "submission").spawn(True)


def probe(connection: Connection) -> Remote:
    """Return the probe module, imported in a run."""
    module = connection.request("import", "user")
    assert isinstance(module, Remote)
    return module


def test_a_later_grading_finds_nothing_of_an_earlier_one(
        kept: KeptSubject) -> None:
    """Notes, the copy and the variants of grading 1 are out of reach."""
    first = place_probe(kept, "grading one")
    connection = run(kept, first)
    probe(connection).note("first")
    connection.release()
    # Grading 1's copy is still on disk while grading 2 runs.
    second = place_probe(kept, "grading two")
    connection = run(kept, second)
    try:
        module = probe(connection)
        assert module.notes() == []
        assert module.listing("/variants") == []
        code = module.read("/submission/user.py")
        assert "# grading two" in code and "# grading one" not in code
        assert module.read("/variants/{}submission/user.py".format(
            first)) is None
    finally:
        connection.release()


def test_a_grading_s_variants_go_when_it_ends(kept: KeptSubject) -> None:
    """end_grading removes that grading's folders and no other's."""
    first = place_probe(kept, "one")
    second = place_probe(kept, "two")
    kept.end_grading(first)
    assert sorted(path.name for path in kept.variants.iterdir()) == [
        second + "submission"]


def test_a_jail_that_died_is_replaced(kept: KeptSubject) -> None:
    """After its zygote is killed, the next run starts in a new jail."""
    prefix = place_probe(kept, "before")
    dead = kept.jail()
    os.killpg(dead.process.pid, signal.SIGKILL)
    dead.process.wait()
    connection = run(kept, prefix)
    try:
        assert kept.jail() is not dead
        assert probe(connection).notes() == []
    finally:
        connection.release()


def test_two_gradings_in_a_kept_jail_agree_with_a_fresh_one(
        kept: KeptSubject) -> None:
    """The same verdicts, and nothing left in the variants folder."""
    steps = [STEPS[0], STEPS[9]]
    fresh = grader.grade(SOLUTION, steps)
    for _ in range(2):
        again = grader.grade(SOLUTION, steps, kept=kept)
        assert [(task.step.number, task.passed, len(task.checks))
                for task in again.tasks] == [
            (task.step.number, task.passed, len(task.checks))
            for task in fresh.tasks]
        assert again.isolation == fresh.isolation
        assert list(kept.variants.iterdir()) == []
