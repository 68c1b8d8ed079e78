#!/usr/bin/env python3
"""Grade a whole class: every submission under a folder, into a gradebook.

Each sub-folder of the roster folder is one student. Their submission may sit
deeper (e.g. ``alx-backend-user-data/0x03-user_authentication_service``): it
is the shallowest folder holding the exercise's files.

A student's name is their folder's name, which is data like any other: it
is escaped (text.one_line) before it reaches any output, and every cell
of the CSV gradebook is kept from being read as a spreadsheet formula.
"""
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from tqdm import tqdm

from kata.catalogue import manifest
from kata.catalogue.steps import REPO_ROOT
from kata.classroom import discovery, engine, history, shards, similarity
from kata.grading import grader
from kata.reading import text
from kata.reports import classsummary, gradebook, report
from kata.reports.gradebook import Gradebook, Outputs, Report, Student
from kata.sandbox import jail


class RosterError(ValueError):
    """A roster that cannot be graded as asked; says why."""


def versions() -> Dict[str, str]:
    """Return which checker graded: its git version, kata and specs hash.

    The git version is the commit; whether the grading tree differs from
    it is the kata hash's business (an edit of README.md is no change).
    """
    try:
        described = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            universal_newlines=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    kata = manifest.tree_fingerprint()
    return {"checker": described or "kata-" + kata[:12], "kata": kata,
            "specs": manifest.specs_fingerprint()}


def grade_roster(folder: Path, outputs: Outputs, only: Optional[str] = None,
                 jobs: int = 1, timeout: Optional[float] = None,
                 credit: str = "own", allow_unisolated: bool = False,
                 min_doc_words: int = 2,
                 shard: Optional[Tuple[int, int]] = None,
                 scheduler: Optional[str] = None,
                 certs: Optional[Path] = None,
                 dry_run: bool = False,
                 alike: Optional[similarity.Options] = None) -> bool:
    """Grade a class folder into outputs; tell whether everyone passed.

    only regrades one student, keeping the others' rows and recording the
    change in the history; shard grades one slice of the class; scheduler
    (tls://HOST:PORT) grades on a sealed Dask cluster instead of here,
    with the certificates in the folder certs; dry_run prints what would
    change and writes nothing; alike, when given, compares the submissions
    with each other and with solution/. A cluster that grades none of the
    submissions is broken: nothing is written, and RosterError says why.
    """
    if not folder.is_dir():
        raise RosterError("{} is not a folder".format(folder))
    if shard is not None and only is not None:
        raise RosterError("--shard and --only cannot be combined")
    if shard is not None and outputs.json is None:
        raise RosterError("a shard needs --json FILE: roster merge joins "
                          "the shards' JSON outputs")
    if alike is not None:
        problem = similarity.problem_of(alike)
        if problem:
            raise RosterError(problem)
    if scheduler is not None:
        _check_cluster(scheduler, certs)
    if scheduler is None and not jail.bwrap_works() and not allow_unisolated:
        raise RosterError(
            "roster refuses to grade without the sandbox, and bubblewrap "
            "cannot run here: {} (or pass --allow-unisolated to run every "
            "student's code unconfined)".format(jail.INSTALL_HINT))
    everyone = discovery.find_students(folder.resolve())
    students = shards.in_shard(everyone, shard)
    to_grade = students
    if only is not None:
        # The name as shown first, else the folder's own name.
        to_grade = [item for item in students if item.name == only] or [
            item for item in students if item.folder.name == only]
        if not to_grade:
            raise RosterError("no student folder named {} in {}".format(
                text.one_line(only), text.one_line(str(folder))))
        only = to_grade[0].name
    stamps = versions()
    fresh = _grade(to_grade, jobs, timeout, min_doc_words, allow_unisolated,
                   (scheduler, certs), stamps["kata"])
    earlier = gradebook.read_reports(outputs.json)
    reports = dict(earlier) if only is not None else {}
    for item in to_grade:
        reports.pop(item.name, None)
    reports.update(fresh)
    book = Gradebook(str(folder), students, reports, credit, stamps, shard,
                     [item.name for item in everyone])
    if alike is not None:
        book.similar_pairs = similar_pairs(students, reports, alike)
    if dry_run:
        print(history.differences(
            book, [item.name for item in to_grade], outputs))
        return book.everyone_passed
    if only is not None and history.file_for(outputs) is not None:
        history.record_regrade(book, only, outputs)
    gradebook.write(book, outputs, keep_others=only)
    print(classsummary.summary(book.reports, book.not_found))
    return book.everyone_passed


def _check_cluster(scheduler: str, certs: Optional[Path]) -> None:
    """Refuse a cluster that is not sealed, before grading anything."""
    from kata.classroom import cluster

    try:
        cluster.check_address(scheduler)
        if certs is None:
            raise cluster.ClusterError(
                "--scheduler needs --certs FOLDER: the certificates "
                "'./checker.sh cluster certs FOLDER' made for the cluster")
        cluster.checked(certs)
    except cluster.ClusterError as error:
        raise RosterError(str(error))


def _grade(students: List[Student], jobs: int, timeout: Optional[float],
           min_doc_words: int, allow_unisolated: bool,
           where: Tuple[Optional[str], Optional[Path]],
           kata: str) -> Dict[str, Report]:
    """Grade the students' submissions here or on a cluster, by name.

    where is the cluster's scheduler and certificates, or (None, None).
    """
    graded = [(item.name, item.submission) for item in students
              if item.submission is not None]
    bar = tqdm(total=len(graded), desc="grading", unit="submission",
               file=sys.stderr, disable=None)
    try:
        scheduler, certs = where
        if scheduler is not None and certs is not None:
            return _grade_on_cluster(scheduler, certs, graded, bar,
                                     engine.GradingOptions(
                                         timeout, min_doc_words,
                                         allow_unisolated, kata))
        grades = grader.grade_many(
            [folder for _, folder in graded], jobs=max(1, jobs),
            timeout=timeout, on_graded=lambda index: bar.update(1),
            min_doc_words=min_doc_words)
        return {name: report.to_dict(grade)
                for (name, _), grade in zip(graded, grades)}
    finally:
        bar.close()


def _grade_on_cluster(scheduler: str, certs: Path,
                      graded: List[Tuple[str, Path]], bar: tqdm,
                      options: engine.GradingOptions) -> Dict[str, Report]:
    """Grade on the cluster; refuse a run in which every grading failed.

    A submission that fails alone costs its row ("not graded"); when not
    one was graded, the cluster itself is broken (workers that cannot
    import the kata, say), and an earlier gradebook must not be replaced
    by one of empty rows.
    """
    failed: Dict[str, str] = {}

    def note_failure(name: str, why: str) -> None:
        """Remember why a submission was not graded, and say it."""
        failed[name] = text.one_line(why)
        bar.write("not graded: {}: {}".format(name, failed[name]),
                  file=sys.stderr)

    try:
        reports = engine.grade_on_cluster(
            scheduler, certs, graded, options,
            on_graded=lambda name: bar.update(1), on_failed=note_failure)
    except engine.EngineError as error:
        raise RosterError(text.one_line(str(error)))
    if graded and not reports:
        reasons = sorted(set(failed.values()))
        raise RosterError(
            "the cluster graded none of the {} submission(s), so nothing "
            "was written (the earlier outputs are kept): {}{}".format(
                len(graded), reasons[0] if reasons else "no result came",
                " (and {} other reason(s))".format(len(reasons) - 1)
                if len(reasons) > 1 else ""))
    return reports


def similar_pairs(students: List[Student], reports: Dict[str, Report],
                  alike: similarity.Options) -> List[Dict[str, Any]]:
    """Compare the students' submissions; print and return the pairs."""
    folders = {item.name: (item.submission, list(
        (reports.get(item.name) or {}).get("extra_modules", [])))
        for item in students if item.submission is not None}
    pairs = similarity.compare_folders(folders, alike)
    flagged = [pair for pair in pairs if pair["flagged"]]
    print("Similarity: {} pair(s) flagged at {} or more{}".format(
        len(flagged), alike.threshold, "".join(
            "\n  {} ~ {}: {}".format(pair["a"], pair["b"], pair["score"])
            for pair in flagged)))
    return pairs


def merge_shards(paths: Sequence[Path], outputs: Outputs,
                 credit: str = "own",
                 warn: Callable[[str], None] = print) -> bool:
    """Join shards' JSON outputs into one gradebook; tell if all passed.

    A missing shard is reported through warn, and counts as a failure.
    """
    merged = shards.merge(paths, credit)
    gradebook.write(merged.book, outputs)
    print(classsummary.summary(merged.book.reports, merged.book.not_found))
    if merged.warning is not None:
        warn(merged.warning)
    return merged.everyone_passed
