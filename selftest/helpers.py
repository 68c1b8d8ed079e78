#!/usr/bin/env python3
"""Helpers of the kata's own tests: run specs the way the checker does."""
from pathlib import Path
from typing import Dict, Iterable, Sequence

from kata import sandbox, specrun
from kata.steps import Step

ISOLATE = sandbox.namespaces_available()


def run_specs(steps: Iterable[Step], folder: Path,
              extra: Sequence[str] = ()) -> Dict[int, specrun.SpecResult]:
    """Run the specs of steps against folder in sandboxed children."""
    specrun.preload()
    jobs = [specrun.SpecJob(step.number, step, folder) for step in steps]
    return specrun.run_specs(jobs, parallel=2, isolate=ISOLATE, extra=extra)


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
