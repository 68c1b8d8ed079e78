#!/usr/bin/env python3
"""An error of student code names the student's line, and no empty '()'."""
import importlib
import sys
from pathlib import Path
from typing import Iterator

import pytest

from helpers import failures, run_specs
from kata.catalogue import overlays
from kata.catalogue.steps import step
from kata.sandbox.remote import RemoteError
from kata.sandbox.subject import serve

CALLER = '''from callee import find


def check(email: str) -> bool:
    """Ask the callee, which raises."""
    user = find(email)
    return user is not None
'''
CALLEE = '''from sqlalchemy.orm.exc import NoResultFound


def find(email: str) -> None:
    """Raise NoResultFound without a message."""
    helper = email.strip()
    raise NoResultFound
'''


@pytest.fixture
def submission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Path]:
    """Give a folder the subject's code takes for the submission."""
    (tmp_path / "caller.py").write_text(CALLER)
    (tmp_path / "callee.py").write_text(CALLEE)
    monkeypatch.setattr(serve, "SUBMISSION", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("caller", "callee"):
        sys.modules.pop(name, None)


def test_record_names_the_entry_files_line_and_the_raising_line(
        submission: Path) -> None:
    """The caller's line comes first, then the line that raised elsewhere."""
    caller = importlib.import_module("caller")
    with pytest.raises(Exception) as caught:
        caller.check("bob@example.com")
    record = serve.error_record(caught.value)
    assert record["where"] == "caller.py:6"
    assert record["raised_in"] == "callee.py:7"
    assert record["message"] == ""


def test_record_of_an_error_in_the_entry_file_has_one_place(
        submission: Path) -> None:
    """An error raised in the file the call entered by names it alone."""
    callee = importlib.import_module("callee")
    with pytest.raises(Exception) as caught:
        callee.find("bob@example.com")
    record = serve.error_record(caught.value)
    assert (record["where"], record["raised_in"]) == ("callee.py:7", None)


def test_a_message_is_kept_and_a_custom_str_too() -> None:
    """Only the '()' of an error raised without arguments is dropped."""
    class Quiet(Exception):
        """An error that explains itself without arguments."""

        def __str__(self) -> str:
            """Return its own explanation."""
            return "()"

    assert serve.message_of(ValueError("no user")) == "no user"
    assert serve.message_of(Quiet("with an argument")) == "()"
    assert serve.message_of(Quiet()) == ""


def test_describe_spells_both_places() -> None:
    """The judge spells an error with the student's line first."""
    error = RemoteError(["sqlalchemy.orm.exc.NoResultFound"], "",
                        "auth.py:45", "db.py:46")
    assert error.describe() == "NoResultFound (at auth.py:45, raised in " \
        "db.py:46)"
    alone = RemoteError(["builtins.KeyError"], "x" * 100, "db.py:3")
    assert alone.describe(limit=10) == "KeyError: xxxxxxx... (at db.py:3)"


def test_step_08_points_at_auth_py_when_db_py_raises(tmp_path: Path) -> None:
    """A lookup that escapes valid_login is charged to auth.py's line."""
    mutant = next(candidate for candidate in overlays.load("mutants")
                  if candidate.name == "08-raises-on-unknown-email")
    folder = mutant.apply(tmp_path / "submission")
    db = folder / "db.py"
    text = db.read_text()
    raising = 'raise NoResultFound("no user matches {}".format(kwargs))'
    assert raising in text
    db.write_text(text.replace(raising, "raise NoResultFound"))
    lines = (folder / "auth.py").read_text().splitlines()
    calling = lines.index("        user = self._db.find_user_by(email=email)",
                          lines.index("    def valid_login(self, email: str, "
                                      "password: str) -> bool:")) + 1
    raised = db.read_text().splitlines().index(
        "            raise NoResultFound") + 1
    result = run_specs([step(8)], folder)[8]
    messages = [check.message for check in result.checks
                if not check.passed]
    expected = "it raised NoResultFound (at auth.py:{}, raised in " \
        "db.py:{})".format(calling, raised)
    assert any(expected in message for message in messages), \
        failures(result)
    assert not any("()" in message for message in messages), \
        failures(result)
