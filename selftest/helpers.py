#!/usr/bin/env python3
"""Helpers of the kata's own tests: run specs the way the checker does."""
from pathlib import Path
from typing import Dict, Iterable, Sequence

from kata import grading, jail, specrun
from kata.steps import Step

ISOLATE = jail.bwrap_works()


def run_specs(steps: Iterable[Step], folder: Path,
              extra: Sequence[str] = ()) -> Dict[int, specrun.SpecResult]:
    """Run the specs of steps against folder's code in its jail."""
    return grading.spec_results(folder, list(steps), pytest_args=extra)


def spec_passed(result: specrun.SpecResult) -> bool:
    """Tell whether a spec run completed and every test passed."""
    return (result.completed and not result.problem and bool(result.checks)
            and all(check.passed for check in result.checks))


def failures(result: specrun.SpecResult) -> str:
    """Return what failed in a spec run, for an assertion message."""
    lines = ["{}: {}".format(check.name, check.message)
             for check in result.checks if not check.passed]
    if result.problem:
        lines.append(result.problem)
    return "\n".join(lines) + "\n" + result.output_tail[-1500:]
