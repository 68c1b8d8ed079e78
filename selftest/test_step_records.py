#!/usr/bin/env python3
"""What the list of steps states about each step is true of its spec.

The grader and the judges read these fields instead of guessing from a
step's files or its spec's source; this test keeps them honest.
"""
import pytest

from kata.catalogue.steps import STEPS, Step


@pytest.mark.parametrize("item", STEPS, ids=lambda item: item.name)
def test_has_properties_says_whether_the_spec_uses_hypothesis(
        item: Step) -> None:
    """A spec with @given properties is marked as such, and no other."""
    assert item.has_properties == ("@given(" in item.spec.read_text())


@pytest.mark.parametrize("item", STEPS, ids=lambda item: item.name)
def test_end_to_end_is_the_step_that_writes_main_py(item: Step) -> None:
    """The end-to-end step is the one whose code is main.py."""
    assert item.end_to_end == ("main.py" in item.files)


def test_exactly_one_step_is_end_to_end() -> None:
    """One step runs the student's program against the judge's services."""
    assert [item.number for item in STEPS if item.end_to_end] == [20]
