#!/usr/bin/env python3
"""Pytest wiring shared by the step specs.

It chooses the submission under test (``--impl DIR``, else ``$KATA_IMPL``,
else ``workspace/``). The student's code never runs in this process: a
sandboxed subject (``kata/sandbox/jail.py``) forks a fresh child for every
test, which imports the student's modules in the test's own working folder (so
``a.db`` lands there) with bcrypt's work factor lowered unless the test is
marked ``real_bcrypt``. Every failure becomes one plain sentence that ends
with the step README to read. Beside a spec's tests, the checker's file and
style checks of the step run as items (``style[user.py G4]``, see
kata/judge/pytest_style.py), unless ``--no-style`` is given.

Under ``./checker.sh`` the grading hands each run a link to the subject it
started; a plain ``pytest`` starts one for the session itself, sandboxed
where bubblewrap runs (``--unisolated`` skips the sandbox for speed).
"""
import atexit
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kata.catalogue.steps import REPO_ROOT, step_of_spec  # noqa: E402
from kata.judge import pytest_style  # noqa: E402
from kata.sandbox.jail import Jail  # noqa: E402
from kata.sandbox.remote import SubjectLink, Workdir  # noqa: E402
from spec_support import Submission, explain_failure  # noqa: E402

# Grading must never write into the submission folder.
sys.dont_write_bytecode = True

# The same examples on every run, in the order hypothesis tries them:
# simplest first, so a step that is wrong for every input fails on the
# simplest example ('0@A.COM', '0'). No shrinking: each example builds a
# fresh database, and shrinking one failure took 9 to 12 s more (measured
# on step 03 and 08 failures), which a grading's time limit cannot spare;
# hypothesis offers no smaller shrinking budget.
KATA_PROFILE = dict(
    deadline=None, max_examples=10, database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture,
                           HealthCheck.too_slow])
settings.register_profile("kata", derandomize=True, **KATA_PROFILE)
# --hypothesis-seed=N asks for other examples: derandomize would ignore it.
settings.register_profile("kata-seeded", derandomize=False, **KATA_PROFILE)
settings.load_profile("kata")
# Hypothesis keeps caches (Unicode tables, constants of the code) in a
# .hypothesis/ folder of the current directory: not in a student's folder
# or the repository, but beside the kata's own environment, where they last
# from one run to the next (rebuilding the Unicode tables in every judge
# doubled a grading's CPU time), else in a folder of this session's own.
# (A folder named by $HYPOTHESIS_STORAGE_DIRECTORY is left to hypothesis.)
KEPT_HYPOTHESIS_HOME = REPO_ROOT / ".venv" / "hypothesis"


def remove_hypothesis_home(folder: str, owner: int) -> None:
    """Remove the session's hypothesis folder, in the process that made it.

    Forked judges inherit this exit handler; only their parent may remove
    the folder they share.
    """
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def choose_hypothesis_home() -> None:
    """Point hypothesis at the kept folder, or at a temporary one."""
    try:
        KEPT_HYPOTHESIS_HOME.mkdir(exist_ok=True)
        usable = os.access(str(KEPT_HYPOTHESIS_HOME), os.W_OK | os.X_OK)
    except OSError:
        usable = False
    if usable:
        set_hypothesis_home_dir(str(KEPT_HYPOTHESIS_HOME))
        return
    home = tempfile.mkdtemp(prefix="kata-hypothesis-")
    set_hypothesis_home_dir(home)
    atexit.register(remove_hypothesis_home, home, os.getpid())


if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    choose_hypothesis_home()


def use_seed_if_given(config: pytest.Config) -> None:
    """Draw seeded examples when a seed is given (and no other profile).

    Without hypothesis's pytest plugin (PYTEST_DISABLE_PLUGIN_AUTOLOAD),
    neither option exists: the examples stay derandomized.
    """
    if config.getoption("--hypothesis-seed", None) is not None and \
            not config.getoption("--hypothesis-profile", None):
        settings.load_profile("kata-seeded")


OUTPUT_LIMIT = 64 * 1024 * 1024
OUTPUT_SHOWN = 2000


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the option that names the submission folder."""
    parser.addoption(
        "--impl", metavar="DIR", default=None,
        help="submission folder to test (default: $KATA_IMPL, else "
             "workspace/)")
    parser.addoption(
        "--unisolated", action="store_true", default=False,
        help="run the submission's code without the sandbox (faster; only "
             "for your own code)")
    pytest_style.add_option(parser)


def submission_dir(config: pytest.Config) -> Path:
    """Return the submission folder: option, else environment, else default."""
    chosen = config.getoption("--impl") or os.environ.get("KATA_IMPL")
    if chosen:
        return (config.invocation_params.dir / chosen).resolve()
    return REPO_ROOT / "workspace"


def pytest_configure(config: pytest.Config) -> None:
    """Stop at once when the submission is missing; honour a given seed."""
    use_seed_if_given(config)
    folder = submission_dir(config)
    if not folder.is_dir():
        raise pytest.UsageError(
            "there is no submission folder at {}: create your workspace with "
            "'./checker.sh init', or name a folder with --impl DIR or "
            "KATA_IMPL=DIR".format(folder))


_JAILS: List[Jail] = []


def subject_link(config: pytest.Config) -> SubjectLink:
    """Return the link to the subject: the grading's, or one of our own."""
    link = SubjectLink.from_environment()
    if link is not None:
        return link
    if not _JAILS:
        folder = Path(tempfile.mkdtemp(prefix="kata-subject-"))
        _JAILS.append(Jail(submission_dir(config), folder,
                           isolate=not config.getoption("--unisolated")))
    return _JAILS[0].link()


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the subject this session started, if any."""
    while _JAILS:
        jail = _JAILS.pop()
        jail.close()
        shutil.rmtree(str(jail.scratch.parent), ignore_errors=True)


@pytest.fixture
def subject(request: pytest.FixtureRequest) -> SubjectLink:
    """Return the link to the subject that runs the submission's code."""
    return subject_link(request.config)


@pytest.fixture
def fresh_submission(request: pytest.FixtureRequest,
                     subject: SubjectLink,
                     ) -> Iterator[Callable[..., Submission]]:
    """Give the test a maker of fresh subject children, each a sealed run.

    make(service=folder) leads the run's port 5000 to the socket of that
    folder (SubjectLink.service_folder).
    """
    made: List[Submission] = []
    fast = request.node.get_closest_marker("real_bcrypt") is None

    def make(service: Optional[Path] = None) -> Submission:
        """Start a fresh child of the subject, a sealed run of its own."""
        connection = subject.spawn(fast, service=service)
        made.append(Submission(connection, submission_dir(request.config),
                               connection.workdir, subject.judge))
        return made[-1]

    yield make
    for child in made:
        child.connection.close()
        show_output(request.node.name, child.workdir)
        child.connection.release()


def show_output(test: str, workdir: Workdir) -> None:
    """Print the end of what the student's code printed during a test.

    The grading keeps the end of a run's output for --show-output.
    """
    printed = workdir.read("output.txt", OUTPUT_LIMIT)
    if not printed:
        return
    print("[output of {}]".format(test))
    if len(printed) > OUTPUT_SHOWN:
        print("[{} bytes of output cut]".format(len(printed) - OUTPUT_SHOWN))
    print(printed[-OUTPUT_SHOWN:].decode("utf-8", "replace"))


@pytest.fixture
def submission(fresh_submission: Callable[[], Submission]) -> Submission:
    """Give the test a fresh child of the subject in its own folder."""
    return fresh_submission()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo) -> pytest.TestReport:
    """Replace a failure's traceback by one sentence and the README to read."""
    report = yield
    if isinstance(item, pytest_style.StyleItem):
        return report  # its message is the checker's, with its own page
    if report.failed and call.excinfo is not None:
        step = step_of_spec(Path(str(item.path)))
        folder = submission_dir(item.config)
        message = explain_failure(call.excinfo, folder)
        if step is not None:
            message = "{} ({})".format(message, step.readme_ref)
        report.longrepr = message
        report.user_properties.append(("kata_message", message))
    return report


@pytest.hookimpl(trylast=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector,
                        ) -> Optional[pytest.Collector]:
    """Collect a step's file and style checks beside its spec's tests.

    They are the checker's own checks (kata/judge/pytest_style.py), so that a
    plain pytest run of a step and the checker give one verdict.
    """
    return pytest_style.collect(file_path, parent,
                                submission_dir(parent.config))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what is loaded so far out of the garbage collector's way.

    Each test imports the submission afresh; collections then only walk
    the objects of that test, not pytest's, Flask's and SQLAlchemy's.
    """
    gc.collect()
    gc.freeze()


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    """Say which submission is being tested, and how it is confined."""
    link = subject_link(config)
    confinement = "sandboxed" if link.isolated else \
        "UNISOLATED: the submission's code runs unconfined"
    if link.isolated and link.missing:
        confinement += " (missing: {})".format(", ".join(link.missing))
    return "submission: {} ({})".format(submission_dir(config), confinement)
