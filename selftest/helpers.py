#!/usr/bin/env python3
"""Helpers of the kata's own tests: run specs the way the checker does."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Collection, Dict, Iterable, Sequence, Tuple

from kata.catalogue import manifest
from kata.catalogue.steps import REPO_ROOT, STEPS, Step
from kata.grading import grader
from kata.judge import specrun
from kata.sandbox import jail
from kata.verdict import model

ISOLATE = jail.bwrap_works()
# A pytest item's outcome: whether it passed, and its failure's message.
Outcome = Tuple[bool, str]


def run_specs(steps: Iterable[Step], folder: Path,
              extra: Sequence[str] = ()) -> Dict[int, specrun.SpecResult]:
    """Run the specs of steps against folder's code in its jail."""
    return grader.spec_results(folder, list(steps), pytest_args=extra)


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


def copy_tree(destination: Path) -> Path:
    """Copy the part of the repository the manifest covers; return it.

    The copy gets a manifest of its own: the real tree may be in the middle
    of a change, and the copy is what is compared.
    """
    ignore = shutil.ignore_patterns(*manifest.SKIPPED_FOLDERS)
    for folder in manifest.TREE_FOLDERS:
        shutil.copytree(str(REPO_ROOT / folder), str(destination / folder),
                        ignore=ignore)
    for name in manifest.TREE_FILES:
        shutil.copy2(str(REPO_ROOT / name), str(destination / name))
    manifest.write(destination / manifest.MANIFEST,
                   manifest.tree_hashes(destination))
    return destination


def pytest_outcomes(submission: Path, report: Path,
                    numbers: Collection[int],
                    ) -> Dict[int, Dict[str, Outcome]]:
    """Run the steps' specs with plain pytest; return outcomes by step."""
    specs = [str(step.spec) for step in STEPS if step.number in numbers]
    environment = {key: value for key, value in os.environ.items()
                   if key != "KATA_IMPL"}
    isolation = [] if ISOLATE else ["--unisolated"]
    subprocess.run([sys.executable, "-m", "pytest", *specs, "--impl",
                    str(submission), "-q", "--junitxml", str(report),
                    *isolation], cwd=str(REPO_ROOT), env=environment,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    by_module = {step.spec.stem: step.number for step in STEPS}
    outcomes: Dict[int, Dict[str, Outcome]] = {}
    for case in ElementTree.parse(str(report)).iter("testcase"):
        number = by_module[case.get("classname", "").split(".")[-1]]
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        outcomes.setdefault(number, {})[case.get("name", "")] = (
            failure is None,
            "" if failure is None else failure.get("message", ""))
    return outcomes


def item_name(check: model.Check) -> str:
    """Return the pytest item's name of one of the checker's checks."""
    if check.kind == "files":
        return "files[{}]".format(check.name)
    if check.kind == "style":
        return "style[{}]".format(check.name.split(":")[0])
    return check.name


def checker_outcomes(task: model.TaskResult) -> Dict[str, Outcome]:
    """Return the outcome of each check of a task, the whole stack's.

    pytest runs the whole stack, so the spec checks are those of the whole
    stack when the checker also judged the step's own code.
    """
    return {item_name(check): (check.passed, check.message)
            for check in task.stack_checks}


def without_load(report: Dict[str, Any]) -> Dict[str, Any]:
    """Return a JSON report without the busy-machine mark.

    A report says when it was graded on a busy machine, with the load of
    the moment; two gradings of one submission agree on all the rest.
    """
    return {key: value for key, value in report.items()
            if key != "graded_under_load"}
