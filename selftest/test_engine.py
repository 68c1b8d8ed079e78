#!/usr/bin/env python3
"""Grading a class beyond one machine: the cluster, shards and regrades.

A real sealed cluster (a TLS scheduler and two workers, started with the
README's commands) runs on this machine; the gradebooks it gives are
compared byte for byte with one graded here, also while a worker is killed
in the middle.
"""
import csv
import io
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import sealed
from helpers import without_load
from kata import cli
from kata.catalogue import overlays
from kata.catalogue.steps import SOLUTION_DIR
from kata.classroom import cluster as sealing
from kata.classroom import discovery, engine, roster, shards
from kata.reports import gradebook
from kata.student import workspace


def make_class(root: Path) -> Path:
    """Build a small class: a solution, a starter and two mutants."""
    shutil.copytree(str(SOLUTION_DIR), str(root / "alice"))
    workspace.init(root / "bob")
    mutants = {overlay.name: overlay for overlay in overlays.load("mutants")}
    mutants["05-plain-password"].apply(root / "carol")
    mutants["01-returns-id"].apply(root / "dave")
    return root


def roster_command(root: Path, out: Path, *extra: str) -> List[str]:
    """Return the roster command line writing out/grades.csv and JSON."""
    return ["roster", str(root), "--jobs", "2",
            "--csv", str(out / "grades.csv"),
            "--json", str(out / "reports.json"), *extra]


def stable(data: Dict[str, Any]) -> Dict[str, Any]:
    """Return roster JSON without what depends on the machine's load.

    A report says when it was graded on a busy machine; two gradings of
    the same class agree on everything else.
    """
    for entry in data.get("students", []):
        if isinstance(entry.get("report"), dict):
            entry["report"] = without_load(entry["report"])
    return data


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Grade the class once on this machine, for every test to compare."""
    out = tmp_path_factory.mktemp("local")
    root = make_class(out / "class")
    code = cli.main(roster_command(root, out))
    return {"root": root, "code": code,
            "csv": (out / "grades.csv").read_bytes(),
            "json": stable(json.loads((out / "reports.json").read_text()))}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Dict[str, Any]]:
    """Start a sealed scheduler on 127.0.0.1 and two one-thread workers."""
    yield from sealed.readme_cluster(tmp_path_factory.mktemp("cluster"), 2)


def on_cluster(cluster: Dict[str, Any]) -> List[str]:
    """Return roster's options that grade on the test cluster."""
    return ["--scheduler", cluster["address"], "--certs",
            str(cluster["certs"])]


def test_a_snapshot_travels_with_its_modes_and_refusals(
        tmp_path: Path) -> None:
    """pack() ships the snapshot's bytes and modes, and why files lack."""
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy2(str(SOLUTION_DIR / "user.py"), str(submission / "user.py"))
    (submission / "user.py").chmod(0o755)
    (submission / "db.py").symlink_to("/etc/passwd")
    (submission / "a.db").write_bytes(b"junk")
    packed = engine.pack(submission)
    assert [entry["name"] for entry in packed["files"]] == ["user.py"]
    refused = engine.unpack(packed, tmp_path / "copy")
    assert "symbolic link" in refused["db.py"]
    copy = tmp_path / "copy" / "user.py"
    assert copy.read_bytes() == (submission / "user.py").read_bytes()
    assert copy.stat().st_mode & 0o777 == 0o755
    packed["files"][0]["name"] = "../user.py"
    with pytest.raises(engine.EngineError, match="no plain name"):
        engine.unpack(packed, tmp_path / "other")


def test_the_local_gradebook_tells_the_submissions_apart(
        local: Dict[str, Any]) -> None:
    """The class mixes passes and failures, so comparisons mean something."""
    reader = csv.DictReader(io.StringIO(local["csv"].decode()))
    book = {row["student"]: row for row in reader}
    assert book["alice"]["score"] == "100.0"
    assert book["bob"]["score"] == "0.0"
    assert (book["carol"]["task 05"], book["carol"]["task 04"]) == (
        "fail", "pass")
    assert (book["dave"]["task 01"], book["dave"]["task 00"]) == (
        "fail", "pass")
    assert local["code"] == cli.EXIT_FAIL


def test_a_worker_with_another_kata_refuses(
        local: Dict[str, Any], cluster: Dict[str, Any]) -> None:
    """A task from a client whose kata differs fails, saying why."""
    options = engine.GradingOptions(None, 2, False, "0" * 64)
    with pytest.raises(engine.EngineError, match="another version of the "
                                                 "kata"):
        engine.grade_on_cluster(cluster["address"], cluster["certs"],
                                [("alice", local["root"] / "alice")],
                                options)


def test_a_submission_whose_task_fails_costs_only_its_row(
        local: Dict[str, Any], cluster: Dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A task that fails on a worker leaves the others graded."""
    real_pack = engine.pack

    def pack(folder: Path) -> engine.Packed:
        """Pack as the client does, but break bob's snapshot."""
        packed = real_pack(folder)
        if folder.name == "bob":
            packed["files"] = [dict(packed["files"][0], name="../x.py")]
        return packed

    monkeypatch.setattr(engine, "pack", pack)
    failed: List[str] = []
    reports = engine.grade_on_cluster(
        cluster["address"], cluster["certs"],
        [(name, local["root"] / name) for name in ("alice", "bob")],
        engine.GradingOptions(None, 2, False, manifest_fingerprint()),
        on_failed=lambda name, why: failed.append(name + ": " + why))
    assert sorted(reports) == ["alice"]
    assert reports["alice"]["tasks_passed"] == 21
    assert len(failed) == 1 and failed[0].startswith("bob: ")
    assert "no plain name" in failed[0]


def manifest_fingerprint() -> str:
    """Return this kata's fingerprint, as a client sends it."""
    return roster.versions()["kata"]


def test_the_cluster_grades_as_this_machine_does(
        local: Dict[str, Any], cluster: Dict[str, Any],
        tmp_path: Path) -> None:
    """--scheduler gives the same gradebook, byte for byte, and reports."""
    code = cli.main(roster_command(local["root"], tmp_path,
                                   *on_cluster(cluster)))
    assert (tmp_path / "grades.csv").read_bytes() == local["csv"]
    assert stable(json.loads((tmp_path / "reports.json").read_text())) == \
        local["json"]
    assert code == local["code"]


def test_shards_merge_into_the_whole_gradebook(
        local: Dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """Two shards, graded apart, merge into the one-machine gradebook."""
    reports = {entry["student"]: entry["report"]
               for entry in local["json"]["students"]}
    everyone = discovery.find_students(local["root"].resolve())
    for index in (1, 2):
        names = [item.name for item in shards.in_shard(everyone,
                                                       (index, 2))]
        assert names == ["alice", "carol"] if index == 1 else \
            ["bob", "dave"]
        book = gradebook.Gradebook(
            str(local["root"]), shards.in_shard(everyone, (index, 2)),
            {name: reports[name] for name in names}, "own",
            {key: local["json"][key] for key in ("checker", "kata",
                                                 "specs")},
            (index, 2), [item.name for item in everyone])
        gradebook.write(book, gradebook.Outputs(
            json=tmp_path / "shard{}.json".format(index)))
    outputs = [str(tmp_path / "shard{}.json".format(index))
               for index in (2, 1)]
    code = cli.main(["roster", "merge", *outputs, "--csv",
                     str(tmp_path / "merged.csv"), "--json",
                     str(tmp_path / "merged.json")])
    assert (tmp_path / "merged.csv").read_bytes() == local["csv"]
    assert json.loads((tmp_path / "merged.json").read_text()) == \
        local["json"]
    assert code == cli.EXIT_FAIL
    capsys.readouterr()
    assert cli.main(["roster", "merge", outputs[0], outputs[0]]) == \
        cli.EXIT_USAGE
    assert "given twice" in capsys.readouterr().err
    assert cli.main(["roster", "merge", outputs[0], "--csv",
                     str(tmp_path / "part.csv")]) == cli.EXIT_FAIL
    assert "missing shard(s): 1/2; not graded: alice, carol" in \
        capsys.readouterr().err


def test_merge_refuses_overlaps_and_other_versions(
        local: Dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """A student in two shards, or shards of two spec versions, refused."""
    first = dict(local["json"], shard={"index": 1, "count": 2,
                                       "class_students": []})
    second = dict(first, shard={"index": 2, "count": 2,
                                "class_students": []},
                  students=first["students"][:1])
    (tmp_path / "one.json").write_text(json.dumps(first))
    (tmp_path / "two.json").write_text(json.dumps(second))
    paths = [str(tmp_path / "one.json"), str(tmp_path / "two.json")]
    assert cli.main(["roster", "merge", *paths]) == cli.EXIT_USAGE
    assert "alice is graded in two shards" in capsys.readouterr().err
    (tmp_path / "two.json").write_text(json.dumps(dict(
        second, students=[], specs="f" * 64)))
    assert cli.main(["roster", "merge", *paths]) == cli.EXIT_USAGE
    assert "different specs" in capsys.readouterr().err
    (tmp_path / "two.json").write_text(json.dumps(local["json"]))
    assert cli.main(["roster", "merge", *paths]) == cli.EXIT_USAGE
    assert "not the JSON output of a roster --shard" in \
        capsys.readouterr().err


def test_a_shard_grades_its_slice_only(
        local: Dict[str, Any], tmp_path: Path) -> None:
    """--shard 2/4 grades one student and writes a shard output."""
    code = cli.main(roster_command(local["root"], tmp_path, "--shard",
                                   "2/4"))
    data = json.loads((tmp_path / "reports.json").read_text())
    assert [entry["student"] for entry in data["students"]] == ["bob"]
    assert data["shard"] == {"index": 2, "count": 4, "class_students": [
        "alice", "bob", "carol", "dave"]}
    expected = {entry["student"]: entry["report"]
                for entry in local["json"]["students"]}["bob"]
    assert without_load(data["students"][0]["report"]) == expected
    assert code == cli.EXIT_FAIL
    assert cli.main(["roster", str(local["root"]), "--shard", "1/2"]) == \
        cli.EXIT_USAGE
    assert cli.main(["roster", str(local["root"]), "--shard", "1/2",
                     "--only", "bob", "--json", "x.json"]) == cli.EXIT_USAGE
    with pytest.raises(SystemExit) as refused:
        cli.main(["roster", str(local["root"]), "--shard", "5/4"])
    assert refused.value.code == cli.EXIT_USAGE


def test_only_keeps_a_history_and_dry_run_writes_nothing(
        local: Dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """A regrade appends old and new rows; a dry run only shows them."""
    root = tmp_path / "class"
    shutil.copytree(str(local["root"]), str(root))
    (tmp_path / "grades.csv").write_bytes(local["csv"])
    (tmp_path / "reports.json").write_text(json.dumps(local["json"]))
    shutil.rmtree(str(root / "carol"))
    shutil.copytree(str(SOLUTION_DIR), str(root / "carol"))
    before = {name: (tmp_path / name).read_bytes()
              for name in ("grades.csv", "reports.json")}
    capsys.readouterr()
    cli.main(roster_command(root, tmp_path, "--only", "carol", "--dry-run"))
    shown = capsys.readouterr().out
    assert "task 05: fail -> pass" in shown
    assert "score: " in shown and "-> 100.0" in shown
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "class", "grades.csv", "reports.json"]
    assert {name: (tmp_path / name).read_bytes() for name in before} == \
        before
    cli.main(roster_command(root, tmp_path, "--only", "carol"))
    history = (tmp_path / "grades.csv.history.jsonl").read_text()
    records = [json.loads(line) for line in history.splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["student"] == "carol"
    assert record["old"]["task 05"] == "fail"
    assert record["new"]["task 05"] == "pass"
    assert record["new"]["score"] == "100.0"
    assert record["specs"] == record["earlier_specs"] == \
        local["json"]["specs"]
    assert record["checker"] and record["when"]
    assert "task 05: fail -> pass" in record["changes"]


def test_a_lost_worker_s_submissions_are_graded_elsewhere(
        local: Dict[str, Any], cluster: Dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL a busy worker at the first result: the gradebook is whole.

    Runs last: it leaves the cluster one worker short.
    """
    from distributed import Client

    killed: List[Any] = []
    monitor = Client(cluster["address"],
                     security=sealing.security(cluster["certs"]))
    original = engine.grade_on_cluster

    def kill_a_busy_worker() -> None:
        """Kill, once, the whole process group of a worker with a task."""
        if killed:
            return
        busy = {address: keys for address, keys in
                monitor.processing().items() if keys}
        address = sorted(busy)[0]
        pid = monitor.run(os.getpid, workers=[address])[address]
        os.killpg(os.getpgid(pid), signal.SIGKILL)
        killed.append(busy[address])

    def grading_with_a_loss(scheduler: str, certs: Path,
                            submissions: List[Any],
                            options: engine.GradingOptions,
                            on_graded: Any = None,
                            on_failed: Any = None) -> Dict[str, Any]:
        """Grade as usual, killing a worker when the first result comes."""
        def graded(name: str) -> None:
            """Kill a worker, then count the result."""
            kill_a_busy_worker()
            if on_graded is not None:
                on_graded(name)
        return original(scheduler, certs, submissions, options, graded,
                        on_failed)

    monkeypatch.setattr(engine, "grade_on_cluster", grading_with_a_loss)
    try:
        cli.main(roster_command(local["root"], tmp_path,
                                *on_cluster(cluster)))
    finally:
        monitor.close()
    assert killed and killed[0], "no worker was busy when one was killed"
    assert (tmp_path / "grades.csv").read_bytes() == local["csv"]
    assert stable(json.loads((tmp_path / "reports.json").read_text())) == \
        local["json"]
