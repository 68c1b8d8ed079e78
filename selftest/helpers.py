#!/usr/bin/env python3
"""Helpers of the kata's own tests: run specs the way the checker does."""
import shutil
from pathlib import Path
from typing import Dict, Iterable, Sequence

from kata import grading, jail, manifest, specrun
from kata.steps import REPO_ROOT, Step

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
