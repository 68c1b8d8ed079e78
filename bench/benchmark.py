#!/usr/bin/env python3
"""Measure what a student and an instructor wait for: wall and CPU time.

Prints the median of several runs of: grading solution/ end to end, grading
one step, the time from a save to the first verdict in ``watch``, where the
CPU time of a grading goes (the checker's own set-up, its judges, the
sandboxed subject), and (unless --no-roster) grading a roster of copies of
solution/. Run it through the checker's environment:
``.venv/bin/python bench/benchmark.py`` (after ./checker.sh has set it up).

CPU time counts every process a command starts, the sandboxed ones
included: a cpuacct cgroup of the benchmark's own (cgroup v1 or v2) where
it may make one, else the whole machine's busy time from /proc/stat (then
run it on a quiet machine). Processes started are the machine's forks and
threads (/proc/stat), so they too want a quiet machine.

``--against TREE`` compares this tree with another checkout (today's main
in a worktree, say): it grades solution/, whole and one step, with each
tree's checker in turn, run after run, and prints both trees' medians and
the median of the ratios of paired runs. Alternating keeps a machine whose
speed drifts during the session from favouring the tree measured second.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKER = str(REPO_ROOT / "checker.sh")
# What watch prints once the step under way is graded.
VERDICT_MARKS = ("checks pass", " passes.")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Present where cgroup v2 is mounted alone, at the usual place.
UNIFIED_CONTROLLERS = Path("/sys/fs/cgroup/cgroup.controllers")


class CpuMeter:
    """The CPU time of a command and everything it starts.

    In a cpuacct cgroup made below the benchmark's own group when it may
    make one; otherwise the machine's busy time.
    """

    def __init__(self) -> None:
        """Make the cgroup if this process may; note which clock is used."""
        self.group: Optional[Path] = None
        own = _own_cpuacct_group()
        if own is not None:
            group = own / "kata-bench-{}".format(os.getpid())
            try:
                group.mkdir()
                self.group = group
            except OSError:
                pass
        self.kind = "cgroup" if self.group else "machine"

    def enter(self) -> None:
        """Move the calling process into the cgroup (before an exec)."""
        if self.group is not None:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        """Return the CPU seconds counted so far."""
        if self.group is not None:
            usage = self.group / "cpuacct.usage"
            if usage.exists():
                return int(usage.read_text()) / 1e9
            for line in (self.group / "cpu.stat").read_text().splitlines():
                name, value = line.split()
                if name == "usage_usec":
                    return int(value) / 1e6
        return _machine_busy_seconds()

    def close(self) -> None:
        """Remove the cgroup (its processes have ended)."""
        if self.group is not None:
            try:
                self.group.rmdir()
            except OSError:
                pass


def _own_cpuacct_group() -> Optional[Path]:
    """Return the folder of this process's cpuacct cgroup, if writable."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/cpuacct" + path.rstrip("/"))
        elif controllers == "" and UNIFIED_CONTROLLERS.exists():
            folder = Path("/sys/fs/cgroup" + path.rstrip("/"))
        else:
            continue
        if folder.is_dir() and os.access(str(folder), os.W_OK):
            return folder
    return None


def _proc_stat() -> Dict[str, List[int]]:
    """Return /proc/stat's lines by name."""
    table = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if values and all(value.isdigit() for value in values):
            table[name] = [int(value) for value in values]
    return table


def _machine_busy_seconds() -> float:
    """Return the machine's CPU time spent outside idle and I/O wait."""
    ticks = _proc_stat()["cpu"]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


def processes_started() -> int:
    """Return how many processes and threads the machine has started."""
    return _proc_stat()["processes"][0]


class Sample:
    """One run of a measured command."""

    def __init__(self, wall: float, cpu: float, processes: int) -> None:
        """Keep the wall and CPU seconds and the processes started."""
        self.wall = wall
        self.cpu = cpu
        self.processes = processes


def measure(command: List[str], runs: int, meter: CpuMeter) -> List[Sample]:
    """Run command runs times; return its wall, CPU and processes each time.

    The command's output is discarded.
    """
    samples = []
    for _ in range(runs):
        cpu_before = meter.seconds()
        forks_before = processes_started()
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False,
                       preexec_fn=meter.enter)
        wall = time.perf_counter() - started
        samples.append(Sample(wall, meter.seconds() - cpu_before,
                              processes_started() - forks_before))
    return samples


def show(label: str, samples: Sequence[Sample]) -> None:
    """Print the medians and the spread of a measurement."""
    walls = [sample.wall for sample in samples]
    print("{:<40} wall median {:6.2f} s (min {:.2f}, max {:.2f}), CPU "
          "median {:6.2f} s, {} processes, {} runs".format(
              label, statistics.median(walls), min(walls), max(walls),
              statistics.median(sample.cpu for sample in samples),
              int(statistics.median(sample.processes for sample in samples)),
              len(samples)), flush=True)


def split(runs: int, meter: CpuMeter) -> None:
    """Print where a grading's CPU time goes, as medians of runs.

    The grading runs in a child (``--split-child``) that reports its own
    CPU time (set-up, style, reports: the grading process) and that of the
    judges it waited for; the rest of the meter's count is the subject's,
    whose sandbox reaps its own processes.
    """
    shares: Dict[str, List[float]] = {"grading process": [], "judges": [],
                                      "subject (sandboxed)": []}
    for _ in range(runs):
        before = meter.seconds()
        answer = subprocess.run(
            [sys.executable, __file__, "--split-child"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True,
            preexec_fn=meter.enter, env=_checker_environment())
        total = meter.seconds() - before
        own = json.loads(answer.stdout.decode().splitlines()[-1])
        shares["grading process"].append(own["self"])
        shares["judges"].append(own["children"])
        shares["subject (sandboxed)"].append(
            total - own["self"] - own["children"])
    print("CPU split of grading solution/ ({} runs, medians):".format(runs))
    for name, values in shares.items():
        print("  {:<22} {:6.2f} s".format(name, statistics.median(values)))


def _checker_environment() -> Dict[str, str]:
    """Return the environment checker.sh gives the kata."""
    environment = dict(os.environ)
    environment.update({"PYTHONPATH": str(REPO_ROOT), "PYTHONSAFEPATH": "1",
                        "PYTHONDONTWRITEBYTECODE": "1"})
    return environment


def split_child() -> None:
    """Grade solution/ in this process; print its CPU time and its judges'."""
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from kata.grading.grader import grade
    except ImportError:  # a tree from before the layers, to compare with
        from kata.grading import grade  # type: ignore
    grade(REPO_ROOT / "solution")
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"self": own.ru_utime + own.ru_stime,
                      "children": children.ru_utime + children.ru_stime}))


def compare(other: Path, runs: int, meter: CpuMeter) -> None:
    """Grade solution/ with this tree and other in turn; print the ratios."""
    trees = {"this tree": REPO_ROOT, str(other): other}
    for label, extra in (("grade solution/, all 21 tasks", []),
                         ("grade solution/, one task (--step 5)",
                          ["--step", "5"])):
        samples: Dict[str, List[Sample]] = {name: [] for name in trees}
        for _ in range(runs):
            for name, tree in trees.items():
                samples[name].extend(measure(
                    [str(tree / "checker.sh"), str(tree / "solution"),
                     *extra], 1, meter))
        for name in trees:
            show("{}: {}".format(name, label), samples[name])
        pairs = list(zip(samples["this tree"], samples[str(other)]))
        print("  this tree / {}: CPU {:.2f}x, wall {:.2f}x (medians of {} "
              "paired runs)".format(
                  other, statistics.median(mine.cpu / theirs.cpu
                                           for mine, theirs in pairs),
                  statistics.median(mine.wall / theirs.wall
                                    for mine, theirs in pairs),
                  len(pairs)), flush=True)


def first_verdicts(runs: int, at_step: int) -> List[float]:
    """Return the seconds from a save to watch's first verdict, per save.

    A workspace started at step at_step is watched; each save rewrites a
    file of the step under way with its own content, and the clock stops
    when watch prints the verdict of that step.
    """
    folder = Path(tempfile.mkdtemp(prefix="kata-bench-watch-"))
    workspace = folder / "workspace"
    times = []
    try:
        subprocess.run([CHECKER, "init", "--at-step", str(at_step),
                        str(workspace)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        saved = workspace / _step_file(at_step)
        watcher = subprocess.Popen(
            [CHECKER, "watch", str(workspace)], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            lines = _lines(watcher)
            _wait_for(lines, lambda line: line.startswith("Waiting"))
            for _ in range(runs):
                started = time.perf_counter()
                saved.write_bytes(saved.read_bytes())
                _wait_for(lines, lambda line: any(
                    mark in line for mark in VERDICT_MARKS))
                times.append(time.perf_counter() - started)
                _wait_for(lines, lambda line: line.startswith("Waiting"))
        finally:
            watcher.terminate()
            watcher.wait()
    finally:
        shutil.rmtree(str(folder), ignore_errors=True)
    return times


def _step_file(number: int) -> str:
    """Return the exercise file of step number."""
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from kata.catalogue.steps import STEPS
    except ImportError:  # a tree from before the layers, to compare with
        from kata.steps import STEPS  # type: ignore
    return STEPS[number].files[0]


def _lines(process: "subprocess.Popen[bytes]") -> Callable[[], str]:
    """Return a reader of process's output, a line at a time."""
    assert process.stdout is not None
    stream = process.stdout

    def read() -> str:
        """Return the next line, or fail when the output ends."""
        line = stream.readline()
        if not line:
            raise RuntimeError("watch ended before its verdict")
        return line.decode("utf-8", "replace")
    return read


def _wait_for(lines: Callable[[], str], wanted: Callable[[str], bool]
              ) -> None:
    """Read lines until one is wanted."""
    while not wanted(lines()):
        pass


def main() -> None:
    """Run the measurements the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--roster-size", type=int, default=20)
    parser.add_argument("--roster-runs", type=int, default=1)
    parser.add_argument("--no-roster", action="store_true")
    parser.add_argument("--watch-step", type=int, default=10,
                        help="the step a watched workspace is at")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade the roster on this Dask cluster instead "
                             "(its workers' CPU time is not counted)")
    parser.add_argument("--only-roster", action="store_true",
                        help="skip the single-submission measurements")
    parser.add_argument("--against", metavar="TREE", type=Path,
                        help="compare gradings with another checkout of "
                             "the kata, run by run, and measure nothing "
                             "else")
    parser.add_argument("--split-child", action="store_true",
                        help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.split_child:
        split_child()
        return
    meter = CpuMeter()
    print("CPU time from: {}".format(
        "a cpuacct cgroup" if meter.kind == "cgroup"
        else "the whole machine (keep it quiet)"))
    try:
        if arguments.against:
            compare(arguments.against.resolve(), arguments.runs, meter)
        else:
            run(arguments, meter)
    finally:
        meter.close()


def run(arguments: argparse.Namespace, meter: CpuMeter) -> None:
    """Run and print the measurements arguments ask for."""
    solution = str(REPO_ROOT / "solution")
    if not arguments.only_roster:
        show("grade solution/, all 21 tasks",
             measure([CHECKER, solution], arguments.runs, meter))
        show("grade solution/, one task (--step 5)",
             measure([CHECKER, solution, "--step", "5"], arguments.runs,
                     meter))
        split(arguments.runs, meter)
        times = first_verdicts(arguments.runs, arguments.watch_step)
        print("watch, save to first verdict (step {}) median {:.2f} s "
              "(min {:.2f}, max {:.2f}), {} saves".format(
                  arguments.watch_step, statistics.median(times), min(times),
                  max(times), len(times)), flush=True)
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
                measure([CHECKER, "roster", str(roster), "--jobs", "2"],
                        arguments.roster_runs, meter))
        else:
            show("roster of {} solutions, on {}".format(
                arguments.roster_size, arguments.scheduler),
                measure([CHECKER, "roster", str(roster), "--scheduler",
                         arguments.scheduler], arguments.roster_runs, meter))
    finally:
        shutil.rmtree(str(roster), ignore_errors=True)


if __name__ == "__main__":
    main()
