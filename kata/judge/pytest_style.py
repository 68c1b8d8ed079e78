#!/usr/bin/env python3
"""A step's file and style checks as pytest items beside its spec's tests.

``pytest tests/test_00_user_model.py`` runs the spec's tests and, beside
them, the checks the checker makes without running code: an item per file
check (``files[user.py is present]``) and per style rule of each file of
the step (``style[user.py G4]``, the rules kata/style/registry.py declares
for the file). They come from kata/grading/grader.py's own functions,
on a copy of the submission made as the checker makes it, so that a plain
pytest run and ``./checker.sh --step N`` agree on every check and every
message. The submission folder is only read.

The checker computes these checks itself and collects the specs with
``--no-style`` (kata/judge/specrun.py), so that they are neither run twice nor
counted among the spec's checks.
"""
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from kata.catalogue.steps import STEPS, step_of_spec
from kata.verdict import checks, intake, model

OPTION = "--no-style"
# A verdict: the item's name and the checker's check it stands for.
_Verdict = Tuple[str, model.Check]
_VERDICTS = pytest.StashKey[Dict[int, List[_Verdict]]]()


def add_option(parser: pytest.Parser) -> None:
    """Add the option that leaves the file and style items out."""
    parser.addoption(
        OPTION, action="store_true", default=False,
        help="run only the spec's tests, not the file and style checks of "
             "the step (the checker checks those itself)")


def collect(file_path: Path, parent: pytest.Collector,
            submission: Path) -> Optional["StyleFile"]:
    """Return the collector of a step spec's style items, else None."""
    if parent.config.getoption(OPTION) or step_of_spec(file_path) is None:
        return None
    return StyleFile.from_parent(parent, path=file_path,
                                 submission=submission)


def verdicts(config: pytest.Config, submission: Path,
             number: int) -> List[_Verdict]:
    """Return the file and style verdicts of step number, once a session."""
    if _VERDICTS not in config.stash:
        config.stash[_VERDICTS] = judge(submission)
    return config.stash[_VERDICTS].get(number, [])


def judge(submission: Path, min_doc_words: int = 2,
          ) -> Dict[int, List[_Verdict]]:
    """Return, by step number, the file and style verdicts of submission.

    The submission is copied as the checker copies it (intake.snapshot
    reads it and never writes to it), judged, and the copy removed.
    """
    copy = Path(tempfile.mkdtemp(prefix="kata-style-"))
    try:
        refused = intake.snapshot(submission, copy / "submission")
        folder = copy / "submission"
        problems = checks.style_problems(folder, STEPS, min_doc_words)
        judged: Dict[int, List[_Verdict]] = {}
        for step in STEPS:
            found = [("files[{}]".format(check.name), check) for check in
                     checks.file_checks(step, folder, refused)]
            found += [("style[{} {}]".format(name, rule.id), check)
                      for name, rule, check in checks.style_verdicts(
                          step, folder, problems)]
            judged[step.number] = found
        return judged
    finally:
        shutil.rmtree(str(copy), ignore_errors=True)


class StyleFile(pytest.File):
    """The style items of one step's spec, collected beside its module."""

    def __init__(self, *, submission: Path, **kwargs: Any) -> None:
        """Remember the submission whose files are judged."""
        super().__init__(**kwargs)
        self.submission = submission

    def collect(self) -> Iterator["StyleItem"]:
        """Yield an item per file check and per rule of each file."""
        step = step_of_spec(self.path)
        if step is None:
            return
        for name, check in verdicts(self.config, self.submission,
                                    step.number):
            yield StyleItem.from_parent(self, name=name, check=check)


class StyleFailure(Exception):
    """A file or style check of the checker that failed."""


class StyleItem(pytest.Item):
    """One file or style check, already judged, reported as a test."""

    def __init__(self, *, check: model.Check, **kwargs: Any) -> None:
        """Keep the checker's check this item reports."""
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        """Fail with the checker's own message when the check failed."""
        if not self.check.passed:
            raise StyleFailure(self.check.message or "failed")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Optional[Any] = None) -> Any:
        """Show the check's message alone, without a traceback."""
        if isinstance(excinfo.value, StyleFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> Tuple[Path, Optional[int], str]:
        """Name the spec and the check in pytest's reports."""
        return self.path, None, self.name
