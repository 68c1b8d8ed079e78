#!/usr/bin/env python3
"""Messages a student can trust: what a 500 hid, and no random values."""
import dataclasses
import difflib
import shutil
import sys
from pathlib import Path

import pytest

from helpers import failures, run_specs
from kata.catalogue import overlays
from kata.catalogue.steps import (SOLUTION_DIR, SPECS_DIR, SUBMISSION_FILES,
                                  step)
from kata.grading import grader
from kata.reports import report
from kata.sandbox.remote import RemoteError

sys.path.insert(0, str(SPECS_DIR))
from spec_support import (StatusCode, text_shape,  # noqa: E402
                          without_random_values)

GREETING = '''    return jsonify({"message": "Bienvenue"})
'''
BROKEN_LINK = '''    return jsonify({"message": url_for("x")})
'''
# An exception a hostile view raises: its class name and message carry a
# terminal escape and a newline, and the message is a megabyte long.
HOSTILE_ERROR = '''    kind = type("Loud\\x1b[2J", (Exception,), {})
    raise kind("PASSED\\n\\x1b[31m" + "y" * (1024 * 1024))
'''
# A view that tells Flask's signal about an exception of its own making,
# then answers a wrong status: the words may be forged, never the verdict.
FORGED_SIGNAL = '''    from flask import got_request_exception
    got_request_exception.send(app, exception=ValueError("all is well"))
    return jsonify({"message": "Bienvenue"}), 500
'''


def submission_with_index(folder: Path, body: str) -> Path:
    """Copy the solution to folder, with body as its GET / view's code."""
    folder.mkdir()
    for name in SUBMISSION_FILES:
        shutil.copy2(str(SOLUTION_DIR / name), str(folder / name))
    app = folder / "app.py"
    text = app.read_text()
    assert text.count(GREETING) == 1
    app.write_text(text.replace(GREETING, body))
    return folder


def failed_messages(folder: Path, number: int) -> str:
    """Return the messages of the failed checks of one step, a line each."""
    result = run_specs([step(number)], folder)[number]
    failed = [check.message for check in result.checks if not check.passed]
    assert failed, failures(result)
    return "\n".join(failed)


def index_line(folder: Path, text: str) -> int:
    """Return the number of the line of app.py that holds text."""
    lines = (folder / "app.py").read_text().splitlines()
    return [number for number, line in enumerate(lines, 1)
            if text in line][0]


def test_a_500_names_what_the_view_raised_at_its_line(
        tmp_path: Path) -> None:
    """A BuildError that Flask turned into a 500 is named, with its line."""
    folder = submission_with_index(tmp_path / "broken", BROKEN_LINK)
    messages = failed_messages(folder, 6)
    expected = "it answered 500: the view raised BuildError: Could not " \
        "build url for endpoint 'x'"
    assert expected in messages, messages
    assert "(at app.py:{})".format(index_line(folder, 'url_for("x")')) \
        in messages, messages


def test_a_hostile_error_is_escaped_and_bounded(tmp_path: Path) -> None:
    """The view's words reach the message escaped, on one line, and short."""
    folder = submission_with_index(tmp_path / "hostile", HOSTILE_ERROR)
    messages = failed_messages(folder, 6)
    assert "it answered 500: the view raised Loud\\x1b[2J: PASSED\\n" \
        "\\x1b[31myyy" in messages, messages
    assert "\x1b" not in messages
    for message in messages.splitlines():
        assert len(message) < 1000, message


def test_a_signal_sent_by_the_app_changes_no_verdict(tmp_path: Path) -> None:
    """Words the app puts on Flask's signal cannot turn a 500 into a pass."""
    folder = submission_with_index(tmp_path / "forged", FORGED_SIGNAL)
    messages = failed_messages(folder, 6)
    assert "it answered 500: the view raised ValueError: all is well" \
        in messages, messages


@pytest.mark.parametrize("status", [200, 404])
def test_only_a_500_carries_the_error(status: int) -> None:
    """Another status is shown as its number, whatever was recorded."""
    error = RemoteError(["builtins.ValueError"], "no", "app.py:3")
    assert "{}".format(StatusCode(status, error)) == str(status)
    assert "{}".format(StatusCode(500, error)) == \
        "500: the view raised ValueError: no (at app.py:3)"
    assert StatusCode(500, error) == 500


# Known wrong answers whose failures quoted values that change from run to
# run: bcrypt hashes, session ids, reset tokens and a random string of
# digits. (Step 19's made-up UUID is made once per process, the same in
# both gradings here; the shapes test below covers it.)
RANDOM_IN_MESSAGES = ["04-returns-str", "08-plain-string-comparison",
                      "09-unparseable-string", "10-session-not-persisted",
                      "13-clears-another-users-session",
                      "16-token-not-persisted",
                      "17-token-not-the-stored-one", "18-token-kept"]


@pytest.mark.parametrize("name", RANDOM_IN_MESSAGES)
def test_the_same_submission_gets_the_same_json_report(
        tmp_path: Path, name: str) -> None:
    """Two gradings of one mutant give byte-identical JSON reports.

    The machine's load of the moment, which a report carries when it was
    busy, is left out: it is about the machine, not the submission.
    """
    mutant = next(candidate for candidate in overlays.load("mutants")
                  if candidate.name == name)
    folder = mutant.apply(tmp_path / name)
    first, second = [report.to_json(dataclasses.replace(
        grader.grade(folder, [step(mutant.step)]), load={}))
        for _ in range(2)]
    assert '"passed": false' in first
    assert first == second, "\n".join(difflib.unified_diff(
        first.splitlines(), second.splitlines(), lineterm=""))


def test_values_that_change_are_shown_by_their_shape() -> None:
    """A UUID, a bcrypt hash and an address keep only their shape."""
    text = "'7c9e6679-7425-40de-944b-e07fc1f90ae7' b'$2b$04$" + \
        "a" * 53 + "' <Auth object at 0x7f3a2c1d9e80>"
    assert without_random_values(text) == "'<UUID>' b'$2b$04$<53 " \
        "characters of salt and hash>' <Auth object at 0x...>"
    assert text_shape("288836923345564899109816268260411712445") == \
        text_shape("28883692334556489910981626826041171244") == \
        "a str of more than a UUID's 36 characters (digits)"
