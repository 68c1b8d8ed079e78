#!/usr/bin/env python3
"""The command line of checker.sh.

``./checker.sh [DIR]`` grades a submission; the other commands are
``init``, ``watch``, ``reveal``, ``roster`` and ``selftest``. Exit status:
0 when everything graded passes, 1 when something fails, 2 on a usage error.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from kata.steps import REPO_ROOT, STEPS, Step, step

COMMANDS = ("grade", "init", "watch", "reveal", "roster", "selftest")
WORKSPACE = REPO_ROOT / "workspace"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the checker was called; the message says which."""


def step_number(text: str) -> int:
    """Parse a step number for argparse, checking that the step exists."""
    try:
        return step(int(text)).number
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(
            "{!r} is not a step: steps run from 0 to {}".format(
                text, len(STEPS) - 1))


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every command."""
    parser = argparse.ArgumentParser(
        prog="checker.sh",
        description="Grade and practise the user authentication kata.",
        epilog="Run './checker.sh COMMAND --help' for a command's options.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    grade = commands.add_parser(
        "grade", help="grade a submission task by task (the default)",
        description="Grade a submission folder task by task.")
    grade.add_argument("submission", nargs="?", type=Path,
                       help="submission folder (default: workspace/)")
    _grading_options(grade)
    grade.add_argument("--json", action="store_true",
                       help="print only the JSON report on stdout")
    grade.add_argument("--junit", metavar="FILE", type=Path,
                       help="also write a JUnit XML report to FILE")
    grade.add_argument("--show-output", action="store_true",
                       help="show what a failing task's run printed")

    init = commands.add_parser(
        "init", help="create a workspace from the starter files",
        description="Create a workspace holding the starter files.")
    init.add_argument("folder", nargs="?", type=Path, default=WORKSPACE,
                      help="where to create it (default: workspace/)")
    init.add_argument("--at-step", type=step_number, default=0, metavar="N",
                      help="fill in steps 0..N-1 from the reference "
                           "solution, so work starts at step N")
    init.add_argument("--force", action="store_true",
                      help="replace the kata's files in an existing folder")

    watch = commands.add_parser(
        "watch", help="re-run the first unfinished step on every save",
        description="Grade the first unfinished step whenever a file of "
                    "the workspace is saved, and move on when it passes.")
    watch.add_argument("submission", nargs="?", type=Path,
                       help="folder to watch (default: workspace/)")

    reveal = commands.add_parser(
        "reveal", help="show the reference solution of a passed step",
        description="Show how the reference solution solves a step; "
                    "refused while the step still fails.")
    reveal.add_argument("step", type=step_number)
    reveal.add_argument("submission", nargs="?", type=Path,
                        help="your submission (default: workspace/)")

    roster = commands.add_parser(
        "roster", help="grade every submission under a folder",
        description="Grade a whole class: every submission under DIR, in "
                    "parallel, into one gradebook. 'roster merge SHARD...' "
                    "joins the outputs of --shard runs.")
    roster.add_argument("folder", type=Path,
                        help="folder with one sub-folder per student")
    roster.add_argument("--jobs", type=int, default=default_jobs(),
                        help="submissions graded at once (default: cores)")
    roster.add_argument("--csv", metavar="FILE", type=Path,
                        help="write the gradebook as CSV")
    roster.add_argument("--json", metavar="FILE", type=Path,
                        help="write every submission's full report as JSON")
    roster.add_argument("--only", metavar="NAME",
                        help="regrade one student and update the outputs")
    roster.add_argument("--timeout", type=float, default=None,
                        help="time limit of one task's run, in seconds")
    roster.add_argument("--credit", choices=("own", "integrated"),
                        default="own",
                        help="what the gradebook counts: each task's own "
                             "code (default), or the student's whole stack")
    roster.add_argument("--allow-unisolated", action="store_true",
                        help="grade even where the sandbox cannot run "
                             "(student code then runs unconfined)")
    roster.add_argument("--min-doc-words", type=int, default=2, metavar="N",
                        help="words a docstring needs to count as a "
                             "sentence (rule G5; default: 2)")
    roster.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask cluster, e.g. "
                             "tcp://HOST:8786, instead of on this machine")
    roster.add_argument("--shard", metavar="K/N", type=roster_shard,
                        help="grade only the K-th of N slices of the class "
                             "(join them with 'roster merge')")
    roster.add_argument("--dry-run", action="store_true",
                        help="show how the gradebook would change, and "
                             "write nothing")

    selftest = commands.add_parser(
        "selftest", help="run the kata's own test suite",
        description="Run the kata's own tests (pytest arguments may "
                    "follow).")
    selftest.add_argument("pytest_args", nargs=argparse.REMAINDER)
    return parser


def roster_shard(text: str) -> Tuple[int, int]:
    """Parse --shard K/N for argparse."""
    from kata import roster

    try:
        return roster.parse_shard(text)
    except roster.RosterError as error:
        raise argparse.ArgumentTypeError(str(error))


def build_merge_parser() -> argparse.ArgumentParser:
    """Return the parser of 'roster merge', which joins shards' outputs."""
    merge = argparse.ArgumentParser(
        prog="checker.sh roster merge",
        description="Join the JSON outputs of 'roster DIR --shard K/N' runs "
                    "into one gradebook. (To grade a folder named merge, "
                    "write ./merge.)")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD",
                       help="a shard's --json output")
    merge.add_argument("--csv", metavar="FILE", type=Path,
                       help="write the joined gradebook as CSV")
    merge.add_argument("--json", metavar="FILE", type=Path,
                       help="write every submission's report as JSON")
    merge.add_argument("--credit", choices=("own", "integrated"),
                       default="own",
                       help="what the gradebook counts (as for roster)")
    return merge


def run_roster(arguments: argparse.Namespace) -> int:
    """Run roster or roster merge: their options in, an exit status out."""
    from kata import roster

    outputs = roster.Outputs(arguments.csv, arguments.json)
    try:
        if arguments.command == "roster-merge":
            passed = roster.merge_shards(
                arguments.shards, outputs, arguments.credit,
                warn=lambda text: print("checker.sh: " + text,
                                        file=sys.stderr))
        else:
            passed = roster.grade_roster(
                arguments.folder, outputs, only=arguments.only,
                jobs=arguments.jobs, timeout=arguments.timeout,
                credit=arguments.credit,
                allow_unisolated=arguments.allow_unisolated,
                min_doc_words=arguments.min_doc_words,
                shard=arguments.shard, scheduler=arguments.scheduler,
                dry_run=arguments.dry_run)
    except roster.RosterError as error:
        raise UsageError(str(error))
    return EXIT_PASS if passed else EXIT_FAIL


def _grading_options(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by the commands that grade."""
    parser.add_argument("--step", type=step_number, action="append",
                        metavar="N", help="grade only task N (repeatable)")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="tasks graded at once (default: cores)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="time limit of one task's run, in seconds "
                             "(default: 30; the end-to-end task gets twice)")
    parser.add_argument("--no-isolation", action="store_true",
                        help="run the submission's code unconfined (fast; "
                             "only for code you trust)")
    parser.add_argument("--min-doc-words", type=int, default=2, metavar="N",
                        help="words a docstring needs to count as a "
                             "sentence (rule G5; default: 2)")


def resolve_submission(folder: Optional[Path]) -> Path:
    """Return the submission folder to grade, or raise UsageError."""
    if folder is None:
        if not WORKSPACE.is_dir():
            raise UsageError(
                "there is no workspace yet: create one with "
                "'./checker.sh init' (or name a submission folder)")
        return WORKSPACE
    if not folder.is_dir():
        raise UsageError("{} is not a folder".format(folder))
    return folder.resolve()


def selected_steps(numbers: Optional[List[int]]) -> List[Step]:
    """Return the steps to grade, in order, each once."""
    if not numbers:
        return list(STEPS)
    return [step(number) for number in sorted(set(numbers))]


def run_grade(arguments: argparse.Namespace) -> int:
    """Grade one submission and print the report asked for."""
    from kata import grading, report

    folder = resolve_submission(arguments.submission)
    grade = grading.grade(folder, selected_steps(arguments.step),
                          jobs=arguments.jobs,
                          isolate=not arguments.no_isolation,
                          timeout=arguments.timeout,
                          min_doc_words=arguments.min_doc_words)
    if arguments.junit:
        arguments.junit.write_text(report.to_junit(grade))
    if arguments.json:
        print(report.to_json(grade))
    else:
        print(report.to_text(grade, arguments.show_output))
    return EXIT_PASS if grade.passed else EXIT_FAIL


def run_selftest(arguments: argparse.Namespace) -> int:
    """Run the kata's own test suite with pytest."""
    import pytest

    return int(pytest.main([str(REPO_ROOT / "selftest"),
                            "-c", str(REPO_ROOT / "pytest.ini"),
                            "--rootdir", str(REPO_ROOT),
                            *arguments.pytest_args]))


def dispatch(arguments: argparse.Namespace) -> int:
    """Run the command the arguments name."""
    if arguments.command == "grade":
        return run_grade(arguments)
    if arguments.command == "selftest":
        return run_selftest(arguments)
    if arguments.command in ("init", "reveal"):
        from kata import workspace

        return workspace.run(arguments)
    if arguments.command == "watch":
        from kata import watch

        return watch.run(arguments)
    return run_roster(arguments)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and run it; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # A bare folder (or nothing, or only options) means "grade".
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        argv.insert(0, "grade")
    if argv[0] == "selftest" and not {"-h", "--help"} & set(argv[1:2]):
        # Everything after the command belongs to pytest, options included,
        # which argparse's REMAINDER would refuse when they lead.
        arguments = argparse.Namespace(command="selftest",
                                       pytest_args=argv[1:])
    elif argv[:2] == ["roster", "merge"]:
        # roster's positional is a folder; a folder named merge is ./merge.
        arguments = build_merge_parser().parse_args(argv[2:])
        arguments.command = "roster-merge"
    else:
        arguments = build_parser().parse_args(argv)
    try:
        return dispatch(arguments)
    except UsageError as error:
        print("checker.sh: {}".format(error), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("checker.sh: interrupted", file=sys.stderr)
        return 130
