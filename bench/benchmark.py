#!/usr/bin/env python3
"""Measure what a student and an instructor wait for: wall and CPU time.

Prints the median of several runs of: grading solution/ end to end, grading
one step, and (unless --no-roster) grading a roster of copies of solution/.
Run it through the checker's environment:
``.venv/bin/python bench/benchmark.py`` (after ./checker.sh has set it up).
"""
import argparse
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKER = str(REPO_ROOT / "checker.sh")


def wall_times(command: List[str], runs: int) -> List[Tuple[float, float]]:
    """Run command runs times; return its wall and CPU seconds each time.

    CPU time is that of every process the command started and waited for
    (user and system), the sandboxed ones included.
    """
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime
               + after.ru_stime - before.ru_stime)
        times.append((wall, cpu))
    return times


def show(label: str, times: List[Tuple[float, float]]) -> None:
    """Print the medians and the spread of a measurement."""
    walls = [wall for wall, _ in times]
    cpus = [cpu for _, cpu in times]
    print("{:<40} wall median {:6.2f} s (min {:.2f}, max {:.2f}), CPU "
          "median {:6.2f} s, {} runs".format(
              label, statistics.median(walls), min(walls), max(walls),
              statistics.median(cpus), len(times)))


def main() -> None:
    """Run the measurements the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--roster-size", type=int, default=20)
    parser.add_argument("--roster-runs", type=int, default=1)
    parser.add_argument("--no-roster", action="store_true")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade the roster on this Dask cluster instead "
                             "(its workers' CPU time is not counted)")
    parser.add_argument("--only-roster", action="store_true",
                        help="skip the single-submission measurements")
    arguments = parser.parse_args()
    solution = str(REPO_ROOT / "solution")
    if not arguments.only_roster:
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
        if not arguments.scheduler:
            show("roster of {} solutions, --jobs 2".format(
                arguments.roster_size),
                wall_times([CHECKER, "roster", str(roster), "--jobs", "2"],
                           arguments.roster_runs))
        else:
            show("roster of {} solutions, on {}".format(
                arguments.roster_size, arguments.scheduler),
                wall_times([CHECKER, "roster", str(roster), "--scheduler",
                            arguments.scheduler], arguments.roster_runs))
    finally:
        shutil.rmtree(str(roster), ignore_errors=True)


if __name__ == "__main__":
    main()
