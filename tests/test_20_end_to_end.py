#!/usr/bin/env python3
"""Spec of step 20: main.py, an end-to-end test of the running service.

main.py is judged against services the kata controls (tests/e2e_services.py)
and serves itself, outside the sandbox: against the correct service it must
exit 0 and print nothing; against each service that breaks one end-point it
must fail, since a check that asserts nothing passes against a broken
service. The runs happen in a random order, each in a fresh process, so
main.py cannot tell the services apart but by testing them.
"""
import contextlib
import fcntl
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterator, NoReturn, Optional, Tuple, Union

import e2e_services
import pytest

from kata.sandbox.remote import SubjectLink
from spec_support import MainOutcome, Submission, short

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
SERVICES = (None,) + tuple(e2e_services.BREAKS)
PORT_LOCK = Path(tempfile.gettempdir()) / "kata-port-5000.lock"
# The outcome of main.py against each service, once per submission: an
# outcome, or the reason why it could not be run.
_RUNS: Dict[str, Dict[Optional[str], Union[MainOutcome, str]]] = {}


def stop(message: str) -> NoReturn:
    """Fail the test with a message of the spec's own."""
    pytest.fail(message, pytrace=False)


@contextlib.contextmanager
def port_5000(subject: SubjectLink) -> Iterator[Optional[Path]]:
    """Yield the folder whose socket a run's port 5000 leads to, or None.

    In a sandbox each run has a port 5000 of its own, led to a socket in a
    folder that only that run sees; without one the machine's own port
    5000 is used, one grading at a time.
    """
    if subject.isolated:
        folder = subject.service_folder()
        try:
            yield folder
        finally:
            shutil.rmtree(str(folder), ignore_errors=True)
        return
    with open(str(PORT_LOCK), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield None


def run_everywhere(subject: SubjectLink,
                   fresh: Callable[..., Submission]
                   ) -> Dict[Optional[str], Union[MainOutcome, str]]:
    """Run main.py against every service, in a random order, once."""
    key = "{}:{}".format(subject.scratch, subject.control_fd)
    if key in _RUNS:
        return _RUNS[key]
    order = list(SERVICES)
    random.SystemRandom().shuffle(order)
    runs: Dict[Optional[str], Union[MainOutcome, str]] = {}
    stopped = ""
    for service in order:
        if stopped:
            runs[service] = stopped
            continue
        try:
            with port_5000(subject) as folder:
                child = fresh(folder)
                try:
                    child.module("main")
                except pytest.fail.Exception as failure:
                    stopped = str(failure.msg)
                    runs[service] = stopped
                    continue
                # The service's log is the judge's: the run cannot reach it.
                with e2e_services.serving(
                        e2e_services.make_service(service),
                        service_log(subject),
                        folder / "e2e.sock" if folder else None):
                    outcome = child.run_main(e2e_services.TIME_LIMIT)
        except e2e_services.ServiceError as error:
            stopped = str(error)
            runs[service] = stopped
            continue
        if outcome.timed_out:
            stopped = ("main.py was stopped after {:.0f} CPU s in an earlier "
                       "run, so it was not run again: make it finish first"
                       .format(e2e_services.TIME_LIMIT))
            runs[service] = (
                "main.py must finish quickly; against {} it was still "
                "running after {:.0f} CPU s and was stopped (it printed: {})"
                .format(describe(service), e2e_services.TIME_LIMIT,
                        outcome.tail()))
            continue
        runs[service] = outcome
    _RUNS[key] = runs
    return runs


def service_log(subject: SubjectLink) -> Path:
    """Return a new file of the judge's own folder for a service's log."""
    descriptor, name = tempfile.mkstemp(prefix="service-", suffix=".log",
                                        dir=str(subject.judge))
    os.close(descriptor)
    return Path(name)


def describe(service: Optional[str]) -> str:
    """Name a service in words."""
    if service is None:
        return "the correct service on localhost:5000"
    return "a service whose " + e2e_services.BREAKS[service].what


def outcome_against(subject: SubjectLink, fresh: Callable[..., Submission],
                    service: Optional[str]) -> MainOutcome:
    """Return main.py's outcome against a service, or fail saying why not."""
    found = run_everywhere(subject, fresh)[service]
    if isinstance(found, str):
        stop(found)
    return found


def test_main_imports_without_running_the_sequence(
        submission: Submission) -> None:
    """Importing main.py sends no request: the sequence is under __main__."""
    module = submission.module("main")
    assert module.type_name == "module", "main.py must be a module"


@pytest.mark.parametrize("name,parameters", FUNCTIONS,
                         ids=[name for name, _ in FUNCTIONS])
def test_main_defines_the_function(submission: Submission, name: str,
                                   parameters: Tuple[str, ...]) -> None:
    """main.py defines each of the eight functions with its parameters."""
    function = submission.get("main", name)
    found = submission.signature(function)
    if found is None:
        stop("main.py must define {} as a function; it is {}".format(
            name, short(function)))
    names = tuple(parameter for parameter, _ in found)
    positional = all(kind == "POSITIONAL_OR_KEYWORD" for _, kind in found)
    assert names == parameters and positional, (
        "main.py's {} must take the parameters ({}); it takes ({})".format(
            name, ", ".join(parameters), ", ".join(names)))


def test_main_defines_the_constants(submission: Submission) -> None:
    """EMAIL, PASSWD and NEW_PASSWD are strings; the passwords differ."""
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
def test_main_passes_against_the_correct_service(
        subject: SubjectLink,
        fresh_submission: Callable[[], Submission]) -> None:
    """Against a correct service on localhost:5000, main.py exits 0."""
    outcome = outcome_against(subject, fresh_submission, None)
    assert outcome.exit_code == 0, (
        "main.py must exit 0 against a correct service on localhost:5000; "
        "it exited {} after printing: {}".format(outcome.exit_code,
                                                 outcome.tail()))
    assert outcome.printed_bytes == 0, (
        "main.py must print nothing when every end-point behaves; it "
        "printed: {}".format(short(outcome.stdout.strip(), 200)))


@pytest.mark.e2e
@pytest.mark.parametrize("broken", list(e2e_services.BREAKS))
def test_main_fails_against_a_broken_service(
        subject: SubjectLink, fresh_submission: Callable[[], Submission],
        broken: str) -> None:
    """Against a service with one end-point broken, main.py exits non-zero."""
    outcome = outcome_against(subject, fresh_submission, broken)
    flaw = e2e_services.BREAKS[broken]
    assert outcome.exit_code != 0, (
        "main.py passed against a service whose {}: {}".format(
            flaw.what, flaw.fix))
