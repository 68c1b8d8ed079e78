#!/usr/bin/env python3
"""Measure what a student and an instructor wait for, as wall time.

Prints the median of several runs of: grading solution/ end to end, grading
one step, and (unless --no-roster) grading a roster of copies of solution/.
Run it through the checker's environment:
``.venv/bin/python bench/benchmark.py`` (after ./checker.sh has set it up).
"""
import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKER = str(REPO_ROOT / "checker.sh")


def wall_times(command: List[str], runs: int) -> List[float]:
    """Run command runs times; return the wall time of each run."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def show(label: str, times: List[float]) -> None:
    """Print the median and the spread of a measurement."""
    print("{:<44} median {:6.2f} s  (min {:.2f}, max {:.2f}, {} runs)".format(
        label, statistics.median(times), min(times), max(times), len(times)))


def main() -> None:
    """Run the measurements the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--roster-size", type=int, default=20)
    parser.add_argument("--roster-runs", type=int, default=1)
    parser.add_argument("--no-roster", action="store_true")
    arguments = parser.parse_args()
    solution = str(REPO_ROOT / "solution")
    show("grade solution/, all 21 tasks",
         wall_times([CHECKER, solution], arguments.runs))
    show("grade solution/, one task (--step 5)",
         wall_times([CHECKER, solution, "--step", "5"], arguments.runs))
    if arguments.no_roster:
        return
    roster = Path(tempfile.mkdtemp(prefix="kata-bench-roster-"))
    try:
        for index in range(arguments.roster_size):
            shutil.copytree(solution, str(roster / "student{:02d}".format(
                index)))
        show("roster of {} solutions, --jobs 2".format(
            arguments.roster_size),
            wall_times([CHECKER, "roster", str(roster), "--jobs", "2"],
                       arguments.roster_runs))
    finally:
        shutil.rmtree(str(roster), ignore_errors=True)


if __name__ == "__main__":
    main()
