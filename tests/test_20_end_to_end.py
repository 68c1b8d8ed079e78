#!/usr/bin/env python3
"""Spec of step 20: main.py, an end-to-end test of the running service.

main.py is judged two ways. Against the submission's own app, served on
port 5000, it must exit 0 and print nothing. Against services that each
break one end-point (tests/e2e_services.py), it must fail: a check that
asserts nothing passes against a broken service.
"""
import contextlib
import inspect
import unittest.mock
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, NoReturn, Optional, Tuple

import pytest
import requests

import e2e_services
from spec_support import Submission, short

FUNCTIONS = (
    ("register_user", ("email", "password")),
    ("log_in_wrong_password", ("email", "password")),
    ("log_in", ("email", "password")),
    ("profile_unlogged", ()),
    ("profile_logged", ("session_id",)),
    ("log_out", ("session_id",)),
    ("reset_password_token", ("email",)),
    ("update_password", ("email", "reset_token", "new_password")),
)
CONSTANTS = ("EMAIL", "PASSWD", "NEW_PASSWD")
# main.py files that ran out of time once are not run again in this session.
_STOPPED: Dict[Tuple[str, int], bool] = {}
# Why the broken service could not be served, for every test that needs it.
_SERVICE_ERRORS: List[str] = []


class RequestAtImport(Exception):
    """main.py sent an HTTP request while it was only being imported."""


def load_main(submission: Submission) -> ModuleType:
    """Import main.py, failing if that import sends any request."""
    def refuse(session: Any, method: str, url: str, *args: Any,
               **kwargs: Any) -> NoReturn:
        """Stop a request sent while main.py is being imported."""
        raise RequestAtImport(
            "it sent {} {} while it was only being imported: run the "
            "sequence only under if __name__ == \"__main__\":".format(
                str(method).upper(), url))

    with unittest.mock.patch.object(requests.Session, "request", refuse):
        return submission.module("main")


def main_file(submission: Submission) -> Path:
    """Return the path of main.py, once it imports cleanly."""
    load_main(submission)
    return submission.root / "main.py"


def stop(message: str) -> NoReturn:
    """Fail the test with a message of the spec's own."""
    pytest.fail(message, pytrace=False)


def run_main(main: Path, tmp_path: Path,
             against: str) -> e2e_services.Outcome:
    """Run main.py against the service on port 5000; fail if it hangs."""
    key = (str(main), main.stat().st_mtime_ns)
    if _STOPPED.get(key):
        stop("main.py was stopped after {:.0f} s in an earlier test, so it "
             "is not run again: make it finish first".format(
                 e2e_services.TIME_LIMIT))
    outcome = e2e_services.run_main(main, tmp_path / "main-cwd")
    if outcome.timed_out:
        _STOPPED[key] = True
        stop("main.py must finish quickly; against {} it was still running "
             "after {:.0f} s and was stopped (it printed: {})".format(
                 against, e2e_services.TIME_LIMIT, outcome.tail()))
    return outcome


def run_against(app: Any, main: Path, tmp_path: Path,
                against: str) -> Tuple[e2e_services.Outcome, str]:
    """Serve app on port 5000 and run main.py against it.

    Return the outcome and, when the server itself failed, what it said.
    """
    try:
        with e2e_services.serving(app, tmp_path / "service.log") as served:
            outcome = run_main(main, tmp_path, against)
            ended = served.ended()
            raised = served.error()
    except e2e_services.ServiceError as error:
        stop(str(error))
    server = ""
    if ended:
        server = "the server of your app stopped: {}".format(ended)
    elif raised:
        server = "your app raised {}".format(raised)
    return outcome, server


def test_main_imports_without_running_the_sequence(
        submission: Submission) -> None:
    """Importing main.py sends no request: the sequence is under __main__."""
    module = load_main(submission)
    assert isinstance(module, ModuleType), "main.py must be a module"


@pytest.mark.parametrize("name,parameters", FUNCTIONS,
                         ids=[name for name, _ in FUNCTIONS])
def test_main_defines_the_function(submission: Submission, name: str,
                                   parameters: Tuple[str, ...]) -> None:
    """main.py defines each of the eight functions with its parameters."""
    load_main(submission)
    function = submission.get("main", name)
    assert inspect.isfunction(function), (
        "main.py must define {} as a function; it is {}".format(
            name, short(function)))
    found = inspect.signature(function).parameters.values()
    names = tuple(parameter.name for parameter in found)
    positional = all(parameter.kind == parameter.POSITIONAL_OR_KEYWORD
                     for parameter in found)
    assert names == parameters and positional, (
        "main.py's {} must take the parameters ({}); it takes ({})".format(
            name, ", ".join(parameters), ", ".join(names)))


def test_main_defines_the_constants(submission: Submission) -> None:
    """EMAIL, PASSWD and NEW_PASSWD are strings; the passwords differ."""
    load_main(submission)
    values = {name: submission.get("main", name) for name in CONSTANTS}
    for name, value in values.items():
        assert isinstance(value, str) and value, (
            "main.py's {} must be a non-empty string; it is {}".format(
                name, short(value)))
    assert values["PASSWD"] != values["NEW_PASSWD"], (
        "main.py's NEW_PASSWD must differ from PASSWD: the sequence changes "
        "the password and logs in with the new one; both are {}".format(
            short(values["PASSWD"])))


@pytest.mark.e2e
def test_main_passes_against_the_submissions_app(
        submission: Submission, tmp_path: Path) -> None:
    """Against the submission's own app on port 5000, main.py exits 0."""
    main = main_file(submission)
    app = submission.app()
    outcome, server = run_against(app, main, tmp_path,
                                  "your app served on localhost:5000")
    assert outcome.exit_code == 0, (
        "main.py must exit 0 against your app served on localhost:5000; "
        "it exited {} after printing: {}{}".format(
            outcome.exit_code, outcome.tail(),
            " ({})".format(server) if server else ""))
    assert outcome.printed_bytes == 0, (
        "main.py must print nothing when every end-point behaves; it "
        "printed: {}".format(short(outcome.stdout.strip(), 200)))


@pytest.fixture(scope="module")
def broken_service(tmp_path_factory: pytest.TempPathFactory,
                   ) -> Iterator[Optional[e2e_services.Served]]:
    """Serve the in-memory service once for every broken-service test.

    Each test switches it to its own break (which also forgets every
    user): one served process instead of one per break.
    """
    log = tmp_path_factory.mktemp("broken-service") / "service.log"
    with contextlib.ExitStack() as stack:
        try:
            served = stack.enter_context(
                e2e_services.serving(e2e_services.make_service(), log))
        except e2e_services.ServiceError as error:
            _SERVICE_ERRORS.append(str(error))
            served = None
        yield served


@pytest.mark.e2e
@pytest.mark.parametrize("broken", list(e2e_services.BREAKS))
def test_main_fails_against_a_broken_service(
        submission: Submission, tmp_path: Path, broken: str,
        broken_service: Optional[e2e_services.Served]) -> None:
    """Against a service with one end-point broken, main.py exits non-zero."""
    main = main_file(submission)
    flaw = e2e_services.BREAKS[broken]
    if broken_service is None:
        stop(_SERVICE_ERRORS[-1])
    try:
        e2e_services.switch(broken)
    except e2e_services.ServiceError as error:
        stop(str(error))
    outcome = run_main(main, tmp_path, "a service whose " + flaw.what)
    assert outcome.exit_code != 0, (
        "main.py passed against a service whose {}: {}".format(
            flaw.what, flaw.fix))
