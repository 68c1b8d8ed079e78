#!/usr/bin/env python3
"""Sealed runs: no run of a submission learns from another.

A tool submission (selftest/fixtures/submissions/seal-probe) is driven
through the grading protocol in a real jail, as the specs drive a student's
code: two runs at the same time, a run after another, a run of a spliced
variant. Each must see only its own files, processes, sockets and code,
hold no capability, and leave nothing behind.
"""
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from kata.sandbox import jail
from kata.sandbox.remote import Connection, Remote, SubjectBroke

PROBE = Path(__file__).resolve().parent / "fixtures" / "submissions" / \
    "seal-probe"
VARIANT_MARK = "# the spliced variant of step 03"

pytestmark = pytest.mark.skipif(
    not jail.bwrap_works(),
    reason="bubblewrap cannot make its namespaces here: nothing is sealed")


@pytest.fixture
def sealed_jail(tmp_path: Path) -> Iterator[jail.Jail]:
    """Start a jail on a copy of the probe, with one spliced variant."""
    copy = tmp_path / "submission"
    shutil.copytree(str(PROBE), str(copy))
    variants = tmp_path / "variants"
    shutil.copytree(str(PROBE), str(variants / "03"))
    with open(str(variants / "03" / "user.py"), "a") as variant:
        variant.write(VARIANT_MARK + "\n")
    running = jail.Jail(copy, tmp_path / "jail", variants=variants)
    yield running
    running.close()


def probe(connection: Connection) -> Remote:
    """Return the probe module, imported in a run."""
    module = connection.request("import", "user")
    assert isinstance(module, Remote)
    return module


def test_a_run_finds_nothing_an_earlier_run_left(
        sealed_jail: jail.Jail) -> None:
    """Notes of a run that ended are gone for the next one."""
    first = sealed_jail.link().spawn(True)
    probe(first).note("first")
    assert probe(first).notes() == ["note-first"] * 3
    first.release()
    later = sealed_jail.link().spawn(True)
    try:
        assert probe(later).notes() == []
    finally:
        later.release()


def test_runs_at_the_same_time_cannot_meet(sealed_jail: jail.Jail) -> None:
    """Files, sockets and processes of one live run are not another's."""
    one = sealed_jail.link().spawn(True)
    other = sealed_jail.link().spawn(True)
    try:
        probe(one).note("one")
        probe(one).listen(7777)
        assert probe(one).reaches(7777) == ["tcp", "abstract"]
        assert probe(other).notes() == []
        assert probe(other).reaches(7777) == []
        assert probe(one).processes() == probe(other).processes()
        assert len(probe(other).processes()) <= 2
    finally:
        one.release()
        other.release()


def test_a_variant_is_seen_by_its_own_run_only(
        sealed_jail: jail.Jail) -> None:
    """The spliced code is the run's /submission; /variants is empty."""
    own = sealed_jail.link("03").spawn(True)
    plain = sealed_jail.link().spawn(True)
    try:
        assert VARIANT_MARK in probe(own).read("/submission/user.py")
        assert VARIANT_MARK not in probe(plain).read("/submission/user.py")
        for run in (own, plain):
            assert probe(run).listing("/variants") == []
            assert probe(run).listing("/services") == []
    finally:
        own.release()
        plain.release()


def test_a_run_has_no_powers(sealed_jail: jail.Jail) -> None:
    """No capability, no new privileges, seccomp on; mounts are refused."""
    run = sealed_jail.link().spawn(True)
    try:
        status = probe(run).status()
        for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
            assert int(status[key], 16) == 0, status
        assert status["NoNewPrivs"] == "1"
        if "seccomp" not in sealed_jail.missing:
            assert status["Seccomp"] == "2"
        refused = probe(run).forbidden()
        assert refused["mount"] == "EPERM", refused
        assert refused["unshare"] == "EPERM", refused
        assert refused["dev"] in ("EROFS", "EACCES"), refused
        assert probe(run).listing("/proc/sys") is None
    finally:
        run.release()


def test_a_run_file_systems_are_capped(sealed_jail: jail.Jail) -> None:
    """No more than 64 MB lands in a run's /tmp or working folder."""
    run = sealed_jail.link().spawn(True)
    try:
        assert probe(run).fill("/tmp/big", 100) < 65
        assert probe(run).fill("big", 100) < 65
    finally:
        run.release()


def test_the_judge_reads_the_run_folder_without_links(
        sealed_jail: jail.Jail) -> None:
    """The judge gets a regular file of the run, never a link's target."""
    run = sealed_jail.link().spawn(True)
    try:
        assert run.workdir is not None
        probe(run).note("kept")
        assert run.workdir.read("note-kept") == b"kept"
        probe(run).plant("a.db", "/submission/user.py")
        assert run.workdir.read("a.db") is None
        assert probe(run).read("a.db") is not None
    finally:
        run.release()
    assert run.workdir.fd == -1


def test_a_run_with_a_service_ends_with_its_server(
        sealed_jail: jail.Jail) -> None:
    """The relay of port 5000 does not keep a dead run's channel open."""
    folder = sealed_jail.link().service_folder()
    run = sealed_jail.link().spawn(True, call_seconds=10, service=folder)
    try:
        with pytest.raises(SubjectBroke, match="ended"):
            probe(run).end()
    finally:
        run.release()


def test_a_run_holds_nothing_of_the_zygote(sealed_jail: jail.Jail) -> None:
    """No descriptor of the zygote's namespaces or folder reaches a run.

    The zygote keeps them to go back home after forking a run into new
    namespaces; a run holding one could reach the zygote's file systems,
    which every run shares.
    """
    run = sealed_jail.link().spawn(True)
    try:
        held = probe(run).descriptors()
        assert held, "the probe sees no descriptor at all"
        for target, kind in held:
            assert kind != "folder", held
            assert not target.split(":", 1)[0] in (
                "mnt", "net", "ipc", "pid", "user", "uts", "cgroup"), held
    finally:
        run.release()
