#!/usr/bin/env python3
"""The command line of checker.sh.

``./checker.sh [DIR]`` grades a submission; the other commands are listed
in COMMANDS. This module only adapts the command line to the libraries of
the kata: they take plain arguments and never import it. Exit status: 0
when everything graded passes, 1 when something fails, 2 on a usage error.
"""
import argparse
import difflib
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from kata.catalogue.steps import REPO_ROOT, STEPS, Step, step

# roster --similarity's defaults, kata/classroom/similarity.py's calibrated
# limits (that module loads copydetect, too slow to import for every command).
SIMILARITY_THRESHOLD = 0.8
SIMILARITY_MIN_SHARED = 600

# Every command word, with what it does; anything else that is not a path
# is refused, so a typo never grades the wrong folder.
COMMANDS: Dict[str, str] = {
    "grade": "grade a submission task by task (the default)",
    "init": "create a workspace from the starter files",
    "status": "show which steps are done, failing or not started",
    "hint": "show the hints of a step",
    "watch": "re-grade your steps on every save",
    "run": "run a file of your workspace with the kata's Python",
    "pytest": "run step specs with the kata's pytest",
    "reveal": "show the reference and other right ways of a passed step",
    "roster": "grade every submission under a folder",
    "cluster": "make the certificates of, or start, a sealed Dask cluster",
    "selftest": "run the kata's own test suite",
    "dev": "maintainers' chores: check generated files, list mutant killers",
}
# Commands whose arguments belong to the program they start.
PASS_THROUGH = ("selftest", "pytest", "run")
WORKSPACE = REPO_ROOT / "workspace"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# What checker.sh puts in the environment for the kata itself, and a
# student's own program must not inherit: PYTHONSAFEPATH would hide the
# script's folder from its imports.
KATA_ONLY_VARIABLES = ("PYTHONSAFEPATH",)


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
        "grade", help=COMMANDS["grade"],
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
        "init", help=COMMANDS["init"],
        description="Create a workspace holding the starter files.")
    init.add_argument("folder", nargs="?", type=Path, default=WORKSPACE,
                      help="where to create it (default: workspace/)")
    init.add_argument("--at-step", type=step_number, default=0, metavar="N",
                      help="fill in steps 0..N-1 from the reference "
                           "solution, so work starts at step N")
    init.add_argument("--force", action="store_true",
                      help="replace the exercise's files in an existing "
                           "folder (yours are moved to .kata-backup/)")

    status = commands.add_parser(
        "status", help=COMMANDS["status"],
        description="Grade every step and print one line per step: done, "
                    "failing or not started; then the next step.")
    status.add_argument("submission", nargs="?", type=Path,
                        help="submission folder (default: workspace/)")
    _isolation_option(status)

    hint = commands.add_parser(
        "hint", help=COMMANDS["hint"],
        description="Print the hints of a step.")
    hint.add_argument("step", type=step_number)

    commands.add_parser(
        "run", help=COMMANDS["run"], add_help=False,
        usage="checker.sh run [--impl DIR] (FILE | -m MODULE) [ARGS...]",
        description="Run FILE of your workspace (or -m MODULE) in the "
                    "workspace folder, with the Python that has the "
                    "exercise's libraries.")
    commands.add_parser(
        "pytest", help=COMMANDS["pytest"], add_help=False,
        usage="checker.sh pytest [PYTEST ARGS...]",
        description="Run pytest with the kata's environment and "
                    "configuration, e.g. 'checker.sh pytest "
                    "tests/test_05_register_user.py'.")

    watch = commands.add_parser(
        "watch", help=COMMANDS["watch"],
        description="Grade the first unfinished step whenever a file of "
                    "the workspace is saved, check that the steps done "
                    "still pass, and move on when it passes.")
    watch.add_argument("submission", nargs="?", type=Path,
                       help="folder to watch (default: workspace/)")

    reveal = commands.add_parser(
        "reveal", help=COMMANDS["reveal"],
        description="Show how the reference solution solves a step, "
                    "then the other right ways the kata knows for it, each "
                    "with its trade-off and its diff; refused while the "
                    "step still fails.")
    reveal.add_argument("step", type=step_number)
    reveal.add_argument("submission", nargs="?", type=Path,
                        help="your submission (default: workspace/)")

    roster = commands.add_parser(
        "roster", help=COMMANDS["roster"],
        description="Grade a whole class: every submission under DIR, in "
                    "parallel, into one gradebook. 'roster merge SHARD...' "
                    "joins the outputs of --shard runs.")
    roster.add_argument("folder", type=Path,
                        help="folder with one sub-folder per student")
    _jobs_option(roster, "submissions")
    roster.add_argument("--csv", metavar="FILE", type=Path,
                        help="write the gradebook as CSV")
    roster.add_argument("--json", metavar="FILE", type=Path,
                        help="write every submission's full report as JSON")
    roster.add_argument("--only", metavar="NAME",
                        help="regrade one student and update the outputs")
    _timeout_option(roster, "")
    _credit_option(roster, "each task's own code (default), or the "
                           "student's whole stack")
    roster.add_argument("--allow-unisolated", action="store_true",
                        help="grade even where the sandbox cannot run "
                             "(student code then runs unconfined)")
    _min_doc_words_option(roster)
    _class_report_options(roster)
    roster.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a sealed Dask cluster, e.g. "
                             "tls://HOST:8786, instead of on this machine")
    roster.add_argument("--certs", metavar="FOLDER", type=Path,
                        help="the cluster's certificates (with "
                             "--scheduler), as 'cluster certs' made them")
    roster.add_argument("--shard", metavar="K/N", type=roster_shard,
                        help="grade only the K-th of N slices of the class "
                             "(join them with 'roster merge')")
    roster.add_argument("--dry-run", action="store_true",
                        help="show how the gradebook would change, and "
                             "write nothing")

    _cluster_parser(commands)
    _dev_parser(commands)
    selftest = commands.add_parser(
        "selftest", help=COMMANDS["selftest"],
        description="Run the kata's own tests (pytest arguments may "
                    "follow).")
    selftest.add_argument("pytest_args", nargs=argparse.REMAINDER)
    return parser


def _cluster_parser(commands: "argparse._SubParsersAction") -> None:
    """Add the cluster command: certs, scheduler and worker."""
    cluster = commands.add_parser(
        "cluster", help=COMMANDS["cluster"],
        description="A Dask cluster that grades a class on several "
                    "machines, sealed with TLS: only a party holding the "
                    "certificates 'cluster certs' made can use it.")
    actions = cluster.add_subparsers(dest="cluster_command",
                                     metavar="ACTION", required=True)
    certs = actions.add_parser(
        "certs", help="make the cluster's certificates in a new folder",
        description="Write a new certificate authority and the key and "
                    "certificate it signs (the key readable by you only) "
                    "into FOLDER; copy FOLDER to every machine of the "
                    "cluster.")
    certs.add_argument("folder", type=Path)
    scheduler = actions.add_parser(
        "scheduler", help="start the scheduler (dask scheduler, with TLS)",
        description="Start Dask's scheduler, speaking TLS only, with the "
                    "kata on its import path.")
    scheduler.add_argument("--certs", metavar="FOLDER", type=Path,
                           required=True,
                           help="the folder 'cluster certs' wrote")
    scheduler.add_argument("--host", help="address to listen on "
                                          "(default: every interface)")
    scheduler.add_argument("--port", type=int, default=8786,
                           help="port to listen on (default: 8786)")
    worker = actions.add_parser(
        "worker", help="start a worker (dask worker, with TLS)",
        description="Start a Dask worker of this kata, grading one "
                    "submission at a time on all its cores.")
    worker.add_argument("address", help="the scheduler, tls://HOST:PORT")
    worker.add_argument("--certs", metavar="FOLDER", type=Path,
                        required=True,
                        help="the folder 'cluster certs' wrote")


def _dev_parser(commands: "argparse._SubParsersAction") -> None:
    """Add the maintainers' command: check, mutants and libraries."""
    dev = commands.add_parser(
        "dev", help=COMMANDS["dev"],
        description="What a maintainer of the kata runs after a change.")
    actions = dev.add_subparsers(dest="dev_command", metavar="ACTION",
                                 required=True)
    check = actions.add_parser(
        "check", help="list the generated files that are out of date",
        description="Check that the README's table of steps and the "
                    "manifest of the shipped tree match their sources; "
                    "exit 1 and list them when they do not.")
    check.add_argument("--write", action="store_true",
                       help="regenerate what is out of date")
    actions.add_parser(
        "mutants", help="print which tests kill each known wrong answer",
        description="Run every mutant's step spec on it and print a "
                    "Markdown row per mutant with the tests that fail.")
    actions.add_parser(
        "libraries", help="record the fingerprints of the installed "
                          "libraries (checker.sh does it on set-up)",
        description="Write the virtual environment's manifest of the "
                    "pinned libraries' files.")


def _class_report_options(roster: argparse.ArgumentParser) -> None:
    """Add roster's options of the class report and the similarity check."""
    roster.add_argument("--html", metavar="FILE", type=Path,
                        help="write the class report: one self-contained "
                             "HTML page")
    roster.add_argument("--similarity", action="store_true",
                        help="flag submissions alike each other or close "
                             "to solution/ (in the JSON and HTML outputs)")
    roster.add_argument("--similarity-threshold", type=_share,
                        default=SIMILARITY_THRESHOLD, metavar="SHARE",
                        help="share of a submission's own code found in "
                             "another that flags the pair (default: "
                             "{})".format(SIMILARITY_THRESHOLD))
    roster.add_argument("--similarity-min-shared", type=int,
                        default=SIMILARITY_MIN_SHARED, metavar="CHARS",
                        help="normalised code a flagged pair must share "
                             "at least (default: {}; a whole submission "
                             "is about 3000)".format(SIMILARITY_MIN_SHARED))
    roster.add_argument("--noise-threshold", type=int, default=25,
                        metavar="CHARS",
                        help="shortest match that counts, in characters "
                             "of normalised code (default: 25)")
    roster.add_argument("--guarantee-threshold", type=int, default=30,
                        metavar="CHARS",
                        help="match length always detected; at least the "
                             "noise threshold (default: 30)")


def _share(text: str) -> float:
    """Parse a share between 0 and 1 for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not a number".format(text))
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            "{} is not a share between 0 and 1".format(text))
    return value


def roster_shard(text: str) -> Tuple[int, int]:
    """Parse --shard K/N for argparse."""
    from kata.classroom import shards

    try:
        return shards.parse(text)
    except shards.ShardError as error:
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
    _credit_option(merge, "as for roster")
    return merge


def run_roster(arguments: argparse.Namespace) -> int:
    """Run roster or roster merge: their options in, an exit status out."""
    from kata.classroom import roster, shards
    from kata.reports import gradebook

    outputs = gradebook.Outputs(arguments.csv, arguments.json,
                                getattr(arguments, "html", None))
    try:
        if arguments.command == "roster-merge":
            passed = _merge_shards(arguments, outputs)
        else:
            passed = _grade_roster(arguments, outputs)
    except (roster.RosterError, shards.ShardError) as error:
        raise UsageError(str(error))
    return EXIT_PASS if passed else EXIT_FAIL


def _grade_roster(arguments: argparse.Namespace,
                  outputs: "gradebook.Outputs") -> bool:
    """Grade a class and write it, unless on a dry run; tell if all passed.

    What there is to tell is printed: the pairs found alike, then the
    class's summary, or on a dry run how each regraded row would change.
    """
    from kata.classroom import roster
    from kata.reports import classsummary

    outcome = roster.grade_roster(
        arguments.folder, outputs, only=arguments.only,
        jobs=arguments.jobs, timeout=arguments.timeout,
        credit=arguments.credit,
        allow_unisolated=arguments.allow_unisolated,
        min_doc_words=arguments.min_doc_words,
        shard=arguments.shard, scheduler=arguments.scheduler,
        certs=arguments.certs, alike=_similarity_options(arguments),
        progress=RosterProgressBar())
    book = outcome.book
    if outcome.similarity is not None:
        print(outcome.similarity)
    if arguments.dry_run:
        print(outcome.changes())
    else:
        outcome.write()
        print(classsummary.summary(book.reports, book.not_found))
    return book.everyone_passed


def _merge_shards(arguments: argparse.Namespace,
                  outputs: "gradebook.Outputs") -> bool:
    """Join the shards, print the summary and what is missing, if any."""
    from kata.classroom import roster
    from kata.reports import classsummary

    merged = roster.merge_shards(arguments.shards, outputs,
                                 arguments.credit)
    print(classsummary.summary(merged.book.reports, merged.book.not_found))
    if merged.warning is not None:
        print("checker.sh: " + merged.warning, file=sys.stderr)
    return merged.everyone_passed


class RosterProgressBar:
    """A roster's progress on stderr: a bar, when stderr is a terminal.

    A submission the cluster could not grade gets a line of its own,
    terminal or not.
    """

    def __init__(self) -> None:
        """Start with no bar: there is none until the grading starts."""
        self.bar: Optional["tqdm"] = None

    def started(self, total: int) -> None:
        """Show a bar of total submissions."""
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="grading", unit="submission",
                        file=sys.stderr, disable=None)

    def graded(self, name: str) -> None:
        """Move the bar one submission on."""
        if self.bar is not None:
            self.bar.update(1)

    def not_graded(self, name: str, why: str) -> None:
        """Say which submission was not graded, and why, above the bar."""
        from tqdm import tqdm

        tqdm.write("not graded: {}: {}".format(name, why), file=sys.stderr)

    def finished(self) -> None:
        """Close the bar, which a terminal keeps showing as it ended."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _similarity_options(arguments: argparse.Namespace,
                        ) -> Optional["similarity.Options"]:
    """Return roster --similarity's thresholds, or None without it."""
    if not arguments.similarity:
        return None
    from kata.classroom import similarity

    return similarity.Options(
        arguments.similarity_threshold, arguments.noise_threshold,
        arguments.guarantee_threshold, arguments.similarity_min_shared)


def _grading_options(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by the commands that grade."""
    parser.add_argument("--step", type=step_number, action="append",
                        metavar="N", help="grade only task N (repeatable)")
    _jobs_option(parser, "tasks")
    _timeout_option(parser, " (default: 30; the end-to-end task gets "
                            "twice)")
    _isolation_option(parser)
    _min_doc_words_option(parser)


def _jobs_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add --jobs: how many of what are graded at once."""
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="{} graded at once (default: cores)".format(
                            what))


def _timeout_option(parser: argparse.ArgumentParser, default: str) -> None:
    """Add --timeout, the CPU limit of one task's run; default says more."""
    parser.add_argument("--timeout", type=float, default=None,
                        help="time limit of one task's run, in seconds"
                             + default)


def _min_doc_words_option(parser: argparse.ArgumentParser) -> None:
    """Add --min-doc-words, rule G5's length of a docstring sentence."""
    parser.add_argument("--min-doc-words", type=int, default=2, metavar="N",
                        help="words a docstring needs to count as a "
                             "sentence (rule G5; default: 2)")


def _credit_option(parser: argparse.ArgumentParser, choices: str) -> None:
    """Add --credit: what the gradebook counts, the choices explained."""
    parser.add_argument("--credit", choices=("own", "integrated"),
                        default="own",
                        help="what the gradebook counts: " + choices)


def _isolation_option(parser: argparse.ArgumentParser) -> None:
    """Add --no-isolation, which every command that grades offers."""
    parser.add_argument("--no-isolation", action="store_true",
                        help="run the submission's code unconfined (fast; "
                             "only for code you trust)")


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


def folder_to_grade(folder: Path, shown: Path) -> Path:
    """Return the folder holding the submission under folder, or raise.

    A folder with any exercise file of its own is graded as it is. Else
    the submission is looked for deeper, as ``roster`` finds a student's
    (kata/classroom/discovery.py); when it is found there, one line on stderr
    names the folder graded. A folder holding none is a usage error in one
    line, not a report of every file missing. shown is folder as the user
    named it, for those lines.
    """
    from kata.catalogue.steps import SUBMISSION_FILES
    from kata.classroom import discovery
    from kata.reading.text import one_line

    if any((folder / name).is_file() for name in SUBMISSION_FILES):
        return folder
    found = discovery.find_submission(folder)
    if found is None:
        raise UsageError(
            "{} holds none of the exercise files ({}); nothing to grade"
            .format(one_line(str(shown)), ", ".join(SUBMISSION_FILES)))
    print("{} holds no exercise file itself; grading the submission found "
          "in {}".format(one_line(str(shown)), one_line(str(
              shown / found.relative_to(folder)))), file=sys.stderr)
    return found


def selected_steps(numbers: Optional[List[int]]) -> List[Step]:
    """Return the steps to grade, in order, each once."""
    if not numbers:
        return list(STEPS)
    return [step(number) for number in sorted(set(numbers))]


def run_grade(arguments: argparse.Namespace) -> int:
    """Grade one submission and print the report asked for."""
    from kata.grading import grader
    from kata.reports import report

    folder = folder_to_grade(resolve_submission(arguments.submission),
                             arguments.submission or WORKSPACE)
    grade = grader.grade(folder, selected_steps(arguments.step),
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


def run_dev(arguments: argparse.Namespace) -> int:
    """Run a maintainer's chore: check, mutants or libraries."""
    if arguments.dev_command == "libraries":
        from kata.catalogue import manifest
        manifest.write(manifest.libraries_manifest_path(),
                       manifest.library_hashes())
        return EXIT_PASS
    if arguments.dev_command == "mutants":
        from kata.grading import mutants
        killed_all = True
        for killed in mutants.killers():
            killed_all = killed_all and bool(killed.killers or
                                             killed.problem)
            print("| {} | {} | {} |".format(
                killed.name, killed.about,
                ", ".join(killed.killers) or killed.problem
                or "NOT KILLED"))
        return EXIT_PASS if killed_all else EXIT_FAIL
    from kata.catalogue import upkeep
    if arguments.write:
        for name in upkeep.refresh():
            print("rewrote " + name)
    stale = upkeep.out_of_date()
    for line in stale:
        print("out of date: " + line)
    if not stale:
        print("the generated files match their sources")
    return EXIT_FAIL if stale else EXIT_PASS


def run_selftest(arguments: argparse.Namespace) -> int:
    """Run the kata's own test suite with pytest."""
    import pytest

    return int(pytest.main([str(REPO_ROOT / "selftest"),
                            "-c", str(REPO_ROOT / "pytest.ini"),
                            "--rootdir", str(REPO_ROOT),
                            *arguments.pytest_args]))


def run_pytest(arguments: argparse.Namespace) -> int:
    """Run pytest on the step specs with the kata's configuration.

    Hypothesis is imported first, as the grading's judges do: pytest then
    leaves its eighty modules alone instead of rewriting their asserts on
    every run, which took longer than a step's tests.
    """
    import hypothesis  # noqa: F401
    import pytest

    return int(pytest.main(["-c", str(REPO_ROOT / "pytest.ini"),
                            "--rootdir", str(REPO_ROOT),
                            "-W", "ignore::pytest.PytestAssertRewriteWarning",
                            *arguments.pytest_args]))


def parse_run(words: List[str]) -> argparse.Namespace:
    """Parse ``run [--impl DIR] (FILE | -m MODULE) [ARGS...]`` by hand.

    Everything after FILE or MODULE belongs to the program, options too,
    which argparse would try to read as its own.
    """
    impl: Optional[Path] = None
    while words and words[0] in ("--impl", "-h", "--help"):
        if words[0] != "--impl":
            raise UsageError(
                "usage: checker.sh run [--impl DIR] (FILE | -m MODULE) "
                "[ARGS...]: runs FILE of your workspace (or of DIR) in that "
                "folder, with the Python that has the exercise's libraries")
        if len(words) < 2:
            raise UsageError("--impl needs a folder")
        impl, words = Path(words[1]), words[2:]
    if not words or words[0] == "-m" and len(words) < 2:
        raise UsageError("run needs a file to run (e.g. 'checker.sh run "
                         "main_05.py') or -m MODULE")
    return argparse.Namespace(command="run", submission=impl, program=words)


def run_program(arguments: argparse.Namespace) -> int:
    """Replace this process with the student's program, in its folder.

    The program runs unconfined, as ``python3 FILE`` would: it is the
    student's own code in their own folder, not a submission under grade.
    """
    folder = resolve_submission(arguments.submission)
    program = list(arguments.program)
    if program[0] != "-m":
        script = folder / program[0]
        if not script.is_file():
            raise UsageError("{} has no file {}: save it there first".format(
                folder, program[0]))
        program[0] = str(script)
    environment = dict(os.environ)
    for name in KATA_ONLY_VARIABLES:
        environment.pop(name, None)
    kata_path = str(REPO_ROOT)
    paths = [entry for entry in environment.get("PYTHONPATH", "").split(
        os.pathsep) if entry and entry != kata_path]
    if paths:
        environment["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        environment.pop("PYTHONPATH", None)
    os.chdir(str(folder))
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *program], environment)
    return EXIT_FAIL  # pragma: no cover - execve does not return


def _folder_argument(folder: Path) -> str:
    """Return how to name folder after a command, "" for the workspace."""
    if folder.resolve() == WORKSPACE.resolve():
        return ""
    return " " + str(folder)


def run_init(arguments: argparse.Namespace) -> int:
    """Create a workspace and print the commands that work on it."""
    from kata.student import workspace

    folder = arguments.folder
    try:
        created = workspace.init(folder, arguments.at_step, arguments.force)
    except FileExistsError as error:
        raise UsageError(str(error))
    print("Created {} with {}.".format(folder, ", ".join(created.written)))
    if created.replaced:
        print("Replaced your {}; your versions are in {}.".format(
            ", ".join(created.replaced), created.backup))
    first = step(arguments.at_step)
    named = _folder_argument(folder)
    impl = " --impl " + str(folder) if named else ""
    print("Start with step {:02d} {}: read {}, then:".format(
        first.number, first.title, first.readme_ref))
    commands = [
        ("./checker.sh --step {}{}".format(first.number, named),
         "grade the step"),
        ("./checker.sh watch" + named, "re-grade on every save"),
        ("./checker.sh pytest {}{}".format(
            first.spec.relative_to(REPO_ROOT), impl), "the same with pytest"),
        ("./checker.sh status" + named, "see where you stand"),
        ("./checker.sh hint {}".format(first.number), "when you are stuck"),
    ]
    example = "main_{:02d}.py".format(first.number)
    if example in first.readme.read_text():
        commands.insert(3, ("./checker.sh run{} {}".format(impl, example),
                            "run the statement's example"))
    width = max(len(command) for command, _ in commands)
    for command, purpose in commands:
        print("  {}  # {}".format(command.ljust(width), purpose))
    return EXIT_PASS


def run_reveal(arguments: argparse.Namespace) -> int:
    """Show the reference and other right ways of a step that passes.

    Passing includes style; nothing is shown of a failing step.
    """
    from kata.student import workspace

    folder = resolve_submission(arguments.submission)
    item = step(arguments.step)
    failing = workspace.failing_checks(folder, item)
    if failing:
        print("Step {} does not pass yet in {} ({} check(s) fail, e.g. {}): "
              "solve it first, then compare.".format(
                  item.number, folder, len(failing), failing[0]),
              file=sys.stderr)
        return EXIT_FAIL
    print(workspace.reveal_text(item), end="")
    return EXIT_PASS


def run_cluster(arguments: argparse.Namespace) -> int:
    """Make a sealed cluster's certificates, or start its Dask processes.

    The scheduler and the worker are Dask's own, started with the TLS
    settings and the kata on their import path; this process becomes them.
    """
    from kata.classroom import cluster

    try:
        if arguments.cluster_command == "certs":
            written = cluster.make_certs(arguments.folder)
            print("Wrote {}. Copy {} to the scheduler and every worker "
                  "machine; it is the key to the cluster.".format(
                      ", ".join(str(path) for path in written),
                      arguments.folder))
            return EXIT_PASS
        if arguments.cluster_command == "scheduler":
            command, environment = cluster.scheduler_command(
                arguments.certs, arguments.host, arguments.port)
        else:
            command, environment = cluster.worker_command(
                arguments.certs, arguments.address)
    except (cluster.ClusterError, OSError) as error:
        raise UsageError(str(error))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, environment)
    return EXIT_FAIL  # pragma: no cover - execve does not return


def run_status(arguments: argparse.Namespace) -> int:
    """Print where the submission stands, one line per step."""
    from kata.student import status

    folder = resolve_submission(arguments.submission)
    statuses = status.step_statuses(folder, not arguments.no_isolation)
    for line in status.status_lines(statuses):
        print(line)
    return EXIT_PASS if status.next_step(statuses) is None else EXIT_FAIL


def run_hint(arguments: argparse.Namespace) -> int:
    """Print the hints of a step."""
    item = step(arguments.step)
    print("Hints for step {:02d} {} ({}):".format(
        item.number, item.title, item.readme_ref))
    for hint in item.hints:
        print("- " + hint)
    return EXIT_PASS


def run_watch(arguments: argparse.Namespace) -> int:
    """Watch the submission, re-grading it on every save, until stopped."""
    from kata.student import watch

    folder = resolve_submission(arguments.submission)
    watch.watch(folder, lambda line: print(line, flush=True))
    return EXIT_PASS


HANDLERS = {
    "grade": run_grade, "init": run_init, "status": run_status,
    "hint": run_hint, "run": run_program, "pytest": run_pytest,
    "watch": run_watch, "reveal": run_reveal, "roster": run_roster,
    "roster-merge": run_roster, "selftest": run_selftest, "dev": run_dev,
    "cluster": run_cluster,
}


def dispatch(arguments: argparse.Namespace) -> int:
    """Run the command the arguments name."""
    return HANDLERS[arguments.command](arguments)


def looks_like_path(word: str) -> bool:
    """Tell whether a word names a folder rather than a command."""
    return "/" in word or word in (".", "..") or word.startswith("~")


def unknown_command(word: str) -> UsageError:
    """Return the error for a word that is neither a command nor a path."""
    close = difflib.get_close_matches(word, list(COMMANDS), n=1,
                                      cutoff=0.7)
    guess = " Did you mean '{}'?".format(close[0]) if close else ""
    width = max(map(len, COMMANDS))
    listing = "\n".join("  {}  {}".format(name.ljust(width), text)
                        for name, text in COMMANDS.items())
    return UsageError(
        "'{}' is not a command.{} To grade a folder named {}, write "
        "./{}\nThe commands are:\n{}".format(word, guess, word, word,
                                             listing))


def parse(argv: List[str]) -> argparse.Namespace:
    """Turn the words of the command line into the command to run."""
    if not argv or argv[0].startswith("-"):
        # Nothing, or only options, means "grade the workspace".
        if not {"-h", "--help"} & set(argv[:1]):
            argv = ["grade", *argv]
    elif argv[0] not in COMMANDS:
        if not looks_like_path(argv[0]):
            raise unknown_command(argv[0])
        argv = ["grade", *argv]
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    wants_help = {"-h", "--help"} & set(rest[:1])
    if command == "run":
        return parse_run(rest)
    if command == "roster" and rest[:1] == ["merge"]:
        # roster's positional is a folder; a folder named merge is ./merge.
        arguments = build_merge_parser().parse_args(rest[1:])
        arguments.command = "roster-merge"
        return arguments
    if command in PASS_THROUGH and not wants_help:
        # Everything after the command belongs to pytest, options included,
        # which argparse's REMAINDER would refuse when they lead.
        return argparse.Namespace(command=command, pytest_args=rest)
    return build_parser().parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and run it; return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        return dispatch(parse(words))
    except UsageError as error:
        print("checker.sh: {}".format(error), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("checker.sh: interrupted", file=sys.stderr)
        return 130
