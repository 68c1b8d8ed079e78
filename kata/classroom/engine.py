#!/usr/bin/env python3
"""Grade a class on several machines through a Dask distributed scheduler.

The instructor's machine (the client) snapshots each submission, exactly as
a local grading would, and sends the snapshot's bytes as the argument of a
task; no disk is shared. A worker (a machine with the kata set up, running
``dask worker``) writes them to a private folder and grades them with the
same sandbox, returning the report as plain data. Dask itself schedules the
tasks and grades a lost worker's submissions again on another one.

A worker whose kata differs from the client's (another version of the
specs or of the checker) refuses the task, so a stale machine cannot grade.
"""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import (Any, Callable, Dict, Iterator, List, Mapping, Optional,
                    Tuple)

from kata.catalogue import manifest
from kata.classroom import cluster
from kata.grading import grader
from kata.judge import specrun
from kata.reading import text
from kata.sandbox import jail
from kata.verdict import intake

# How long the client waits to reach the scheduler, or for a worker to be
# there, before giving up; and how often it looks while it waits.
CONNECT_SECONDS = 30
POLL_SECONDS = 2
Packed = Dict[str, Any]
Report = Dict[str, Any]


class EngineError(Exception):
    """The cluster could not grade the class; the message says why."""


class StaleWorker(EngineError):
    """A worker's kata differs from the client's: it must not grade."""


@dataclass
class GradingOptions:
    """What a worker needs to grade a submission as the client would."""

    timeout: Optional[float]
    min_doc_words: int
    allow_unisolated: bool
    fingerprint: str


def pack(submission: Path) -> Packed:
    """Return a submission's snapshot as bytes that can travel.

    The files are the ones intake.snapshot copies (it never follows a
    link nor reads past its limit), with their permission bits and times;
    the refused files travel as the reasons they were refused.
    """
    scratch = Path(tempfile.mkdtemp(prefix="kata-pack-"))
    try:
        copy = scratch / "submission"
        refused = intake.snapshot(submission, copy)
        files = []
        for path in sorted(copy.iterdir()):
            info = path.stat()
            files.append({"name": path.name, "data": path.read_bytes(),
                          "mode": stat.S_IMODE(info.st_mode),
                          "mtime_ns": info.st_mtime_ns})
        return {"files": files, "refused": dict(refused)}
    finally:
        shutil.rmtree(str(scratch), ignore_errors=True)


def unpack(packed: Packed, folder: Path) -> Dict[str, str]:
    """Write a packed snapshot into folder; return its refused files."""
    folder.mkdir(parents=True)
    for entry in packed["files"]:
        name = entry["name"]
        # Names come from the client's snapshot: plain file names only.
        if os.path.basename(name) != name or name in ("", ".", ".."):
            raise EngineError("a packed file has no plain name: {!r}".format(
                name))
        target = folder / name
        target.write_bytes(entry["data"])
        os.chmod(str(target), entry["mode"])
        os.utime(str(target), ns=(entry["mtime_ns"], entry["mtime_ns"]))
    return dict(packed["refused"])


def grade_packed(packed: Packed, options: GradingOptions) -> Report:
    """Grade a packed submission on this machine; the task workers run.

    Refuse, with a reason naming this machine, when its kata differs from
    the client's or when it cannot sandbox and that was not allowed. The
    grading runs in a child process: a Dask worker has threads (its event
    loop, its profiler), and grading forks its judges, which a threaded
    process cannot do safely.
    """
    _refuse_if_stale(manifest.tree_fingerprint(), options.fingerprint)
    if not jail.bwrap_works() and not options.allow_unisolated:
        raise EngineError(
            "the worker on {} cannot run the sandbox: {}".format(
                socket.gethostname(), jail.INSTALL_HINT))
    scratch = Path(tempfile.mkdtemp(prefix="kata-engine-",
                                    dir=specrun.SCRATCH_ROOT))
    try:
        request = {"folder": str(scratch / "submission"),
                   "refused": unpack(packed, scratch / "submission"),
                   "timeout": options.timeout,
                   "min_doc_words": options.min_doc_words,
                   "output": str(scratch / "report.json")}
        (scratch / "request.json").write_text(json.dumps(request))
        environment = dict(os.environ, PYTHONSAFEPATH="1",
                           PYTHONDONTWRITEBYTECODE="1",
                           PYTHONPATH=str(manifest.REPO_ROOT))
        finished = subprocess.run(
            [sys.executable, "-m", "kata.classroom.engine",
             str(scratch / "request.json")], cwd=str(manifest.REPO_ROOT),
            env=environment, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if finished.returncode != 0:
            raise EngineError("grading failed on {} (exit status {}): "
                              "{}".format(socket.gethostname(),
                                          finished.returncode,
                                          finished.stderr.decode(
                                              "utf-8", "replace")[-2000:]))
        return json.loads((scratch / "report.json").read_text())
    finally:
        shutil.rmtree(str(scratch), ignore_errors=True)


def _refuse_if_stale(here: str, client: str) -> None:
    """Raise StaleWorker when this worker's kata is not the client's."""
    if here != client:
        raise StaleWorker(
            "the worker on {} has another version of the kata ({}, the "
            "client has {}): update {} there and restart its worker".format(
                socket.gethostname(), here[:12], client[:12],
                manifest.REPO_ROOT))


def probe(fingerprint: str) -> str:
    """Check, on a worker, that it runs the client's kata; name the host.

    Every worker runs it before any grading: a worker that cannot even
    import the kata fails it, as one of another version does.
    """
    _refuse_if_stale(manifest.tree_fingerprint(), fingerprint)
    return socket.gethostname()


def grade_request(request_path: Path) -> None:
    """Grade as a request file of grade_packed says; write the report."""
    request = json.loads(request_path.read_text())
    grade = grader.grade_many(
        [Path(request["folder"])], jobs=_cores(),
        timeout=request["timeout"], min_doc_words=request["min_doc_words"],
        refusals=[request["refused"]])[0]
    Path(request["output"]).write_text(json.dumps(grade.to_dict()))


def _cores() -> int:
    """Return the number of cores this worker's process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def grade_on_cluster(scheduler: str, certs: Path,
                     submissions: List[Tuple[str, Path]],
                     options: GradingOptions,
                     on_graded: Optional[Callable[[str], None]] = None,
                     on_failed: Optional[Callable[[str, str], None]] = None,
                     ) -> Dict[str, Report]:
    """Grade (name, folder) submissions on a cluster; return reports by name.

    The cluster is a sealed one (kata/classroom/cluster.py): scheduler is a
    tls:// address and certs the folder of its certificates. Each report is the
    one a local grading gives, its submission the client's folder. A
    submission whose task fails (it killed every worker it ran on, say)
    costs only its own report: on_failed hears its name and why, and the
    others are graded. A stale worker stops the whole grading with
    StaleWorker, since every report it made would be suspect.
    """
    from distributed import Client

    try:
        cluster.check_address(scheduler)
        sealed = cluster.security(certs)
    except cluster.ClusterError as error:
        raise EngineError(str(error))
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS, security=sealed)
    except (OSError, TimeoutError, ValueError) as error:
        raise EngineError("cannot reach the scheduler at {}: {}".format(
            scheduler, error))
    reports: Dict[str, Report] = {}
    try:
        _check_workers(client, scheduler, options.fingerprint)
        futures = {}
        for name, folder in submissions:
            future = client.submit(
                grade_packed, pack(folder), options, pure=False,
                key="kata-grade-{}".format(uuid.uuid4().hex))
            futures[future] = (name, folder)
        for future in _as_finished(client, list(futures)):
            name, folder = futures[future]
            try:
                data = future.result()
            except StaleWorker:
                for other in futures:
                    other.cancel()
                raise
            except Exception as error:  # whatever the task raised
                if on_failed is not None:
                    on_failed(name, _reason(error))
                continue
            reports[name] = _as_local(data, folder)
            if on_graded is not None:
                on_graded(name)
    finally:
        client.close()
    return reports


def _check_workers(client: Any, scheduler: str, fingerprint: str) -> None:
    """Refuse a cluster without workers, or with one that cannot grade."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise EngineError(
            "no worker joined the scheduler at {} in {} s: start one with "
            "'./checker.sh cluster worker {} --certs FOLDER'".format(
                scheduler, CONNECT_SECONDS, scheduler))
    answers = client.run(probe, fingerprint, on_error="return")
    broken = {address: answer for address, answer in sorted(answers.items())
              if isinstance(answer, BaseException)}
    stale = [answer for answer in broken.values()
             if isinstance(answer, StaleWorker)]
    if stale:
        raise stale[0]
    if broken:
        raise EngineError(
            "{} worker(s) cannot run the kata ({}): start every worker "
            "with './checker.sh cluster worker {} --certs FOLDER', which "
            "puts the kata on its path".format(len(broken), "; ".join(
                "{}: {}".format(address, _reason(error))
                for address, error in broken.items()), scheduler))


def _as_finished(client: Any, futures: List[Any]) -> Iterator[Any]:
    """Yield futures as they finish; give up when every worker is gone.

    Dask waits for a worker for ever; a cluster whose workers all died
    (say, each of them could not read the tasks) would hang the run.
    """
    from distributed import wait

    pending = set(futures)
    alone_since: Optional[float] = None
    while pending:
        try:
            done, pending = wait(pending, timeout=POLL_SECONDS,
                                 return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        yield from sorted(done, key=futures.index)
        if client.scheduler_info().get("workers"):
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > CONNECT_SECONDS:
            raise EngineError(
                "every worker left the cluster, and none came back in {} "
                "s: see the workers' logs".format(CONNECT_SECONDS))


def _reason(error: BaseException) -> str:
    """Say why a task failed, in words an instructor can act on."""
    if type(error).__name__ == "KilledWorker":
        return ("every worker that tried it was lost (Dask's "
                "distributed.scheduler.allowed-failures): {}".format(error))
    return str(error) or type(error).__name__


def _as_local(data: Mapping[str, Any], folder: Path) -> Report:
    """Return a worker's report as a local grading of folder reports it."""
    local = dict(data)
    local["submission"] = text.one_line(str(folder))
    return local


def main(argv: Optional[List[str]] = None) -> int:
    """Grade the request file named on the command line (for a worker)."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m kata.classroom.engine REQUEST.json",
              file=sys.stderr)
        return 2
    grade_request(Path(arguments[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
