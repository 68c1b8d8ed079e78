#!/usr/bin/env python3
"""Which tests of its step's spec kill each known wrong answer.

A maintainer reads this table when a spec changes: a mutant that no test
kills is a wrong answer the spec would pass.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Tuple

from kata.catalogue import overlays
from kata.catalogue.steps import step
from kata.grading import grader


@dataclass(frozen=True)
class Killed:
    """A mutant and what its step's spec says about it."""

    name: str
    about: str
    # The failing tests' names; empty when the spec passed the mutant.
    killers: Tuple[str, ...]
    # Why the spec run itself failed, if it did.
    problem: str


def killers() -> Iterator[Killed]:
    """Run every mutant's step spec on it; yield what failed, one by one."""
    with tempfile.TemporaryDirectory() as scratch:
        for mutant in overlays.load("mutants"):
            folder = mutant.apply(Path(scratch) / mutant.name)
            owner = step(mutant.step)
            result = grader.spec_results(folder, [owner], jobs=1)[
                owner.number]
            yield Killed(mutant.name, mutant.about,
                         tuple(check.name for check in result.checks
                               if not check.passed),
                         result.problem or "")
