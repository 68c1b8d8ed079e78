#!/usr/bin/env python3
"""Grade a whole class: every submission under a folder, into a gradebook.

A roster run finds the students (discovery.py), takes its slice of the
class (shards.py), grades them here or on a Dask cluster (engine.py) and
may compare them (similarity.py); the outcome then writes the gradebook
(reports/gradebook.py) and a regrade's change (history.py), or says what
would change. Nothing here prints: the caller is told the progress as it
goes and gets back what there is to say.
"""
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

from kata.catalogue import manifest
from kata.catalogue.steps import REPO_ROOT
from kata.classroom import discovery, engine, history, shards, similarity
from kata.grading import grader
from kata.reading import text
from kata.reports import gradebook
from kata.reports.gradebook import Gradebook, Outputs, Report, Student
from kata.sandbox import jail


class RosterError(ValueError):
    """A roster that cannot be graded as asked; says why."""


class Progress(Protocol):
    """What a roster run tells of its grading as it goes, to show it."""

    def started(self, total: int) -> None:
        """Hear that total submissions are about to be graded."""

    def graded(self, name: str) -> None:
        """Hear that the submission of the student name was graded."""

    def not_graded(self, name: str, why: str) -> None:
        """Hear that the cluster could not grade name's submission, and why.

        why is printable on one line.
        """

    def finished(self) -> None:
        """Hear that the grading is over, whether it succeeded or not."""


class Unwatched:
    """The progress of a run that nobody watches: every event is ignored."""

    def started(self, total: int) -> None:
        """Ignore that total submissions are about to be graded."""

    def graded(self, name: str) -> None:
        """Ignore that a submission was graded."""

    def not_graded(self, name: str, why: str) -> None:
        """Ignore that a submission could not be graded."""

    def finished(self) -> None:
        """Ignore that the grading is over."""


@dataclass
class Outcome:
    """A class graded, not yet written: the gradebook and where it goes.

    regraded names the students graded this time; only, the one student
    regraded (roster --only), whose change goes to the history; similarity,
    when the submissions were compared, says which pairs were flagged.
    """

    book: Gradebook
    outputs: Outputs
    regraded: List[str]
    only: Optional[str] = None
    similarity: Optional[str] = None

    def changes(self) -> str:
        """Return how each regraded row would change the outputs' rows."""
        return history.differences(self.book, self.regraded, self.outputs)

    def write(self) -> None:
        """Write the outputs, and a regrade's change to the history.

        A regrade of one student keeps the other rows of an earlier CSV
        as it wrote them.
        """
        if self.only is not None and \
                history.file_for(self.outputs) is not None:
            history.record_regrade(self.book, self.only, self.outputs)
        gradebook.write(self.book, self.outputs, keep_others=self.only)


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
                 alike: Optional[similarity.Options] = None,
                 progress: Optional[Progress] = None) -> Outcome:
    """Grade a class folder for outputs, which the outcome writes.

    only regrades one student, keeping the others' reports from the
    earlier JSON output; shard grades one slice of the class; scheduler
    (tls://HOST:PORT) grades on a sealed Dask cluster instead of here,
    with the certificates in the folder certs; alike, when given, compares
    the submissions with each other and with solution/; progress hears of
    the grading as it goes. A cluster that grades none of the submissions
    is broken, and RosterError says why.
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
                   (scheduler, certs), stamps["kata"],
                   progress or Unwatched())
    earlier = gradebook.read_reports(outputs.json)
    reports = dict(earlier) if only is not None else {}
    for item in to_grade:
        reports.pop(item.name, None)
    reports.update(fresh)
    book = Gradebook(str(folder), students, reports, credit, stamps, shard,
                     [item.name for item in everyone])
    outcome = Outcome(book, outputs, [item.name for item in to_grade], only)
    if alike is not None:
        book.similar_pairs = similar_pairs(students, reports, alike)
        outcome.similarity = flagged_text(book.similar_pairs,
                                          alike.threshold)
    return outcome


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
           kata: str, progress: Progress) -> Dict[str, Report]:
    """Grade the students' submissions here or on a cluster, by name.

    where is the cluster's scheduler and certificates, or (None, None).
    """
    graded = [(item.name, item.submission) for item in students
              if item.submission is not None]
    progress.started(len(graded))
    try:
        scheduler, certs = where
        if scheduler is not None and certs is not None:
            return _grade_on_cluster(scheduler, certs, graded, progress,
                                     engine.GradingOptions(
                                         timeout, min_doc_words,
                                         allow_unisolated, kata))
        grades = grader.grade_many(
            [folder for _, folder in graded], jobs=max(1, jobs),
            timeout=timeout,
            on_graded=lambda index: progress.graded(graded[index][0]),
            min_doc_words=min_doc_words)
        return {name: grade.to_dict()
                for (name, _), grade in zip(graded, grades)}
    finally:
        progress.finished()


def _grade_on_cluster(scheduler: str, certs: Path,
                      graded: List[Tuple[str, Path]], progress: Progress,
                      options: engine.GradingOptions) -> Dict[str, Report]:
    """Grade on the cluster; refuse a run in which every grading failed.

    A submission that fails alone costs its row ("not graded"); when not
    one was graded, the cluster itself is broken (workers that cannot
    import the kata, say), and an earlier gradebook must not be replaced
    by one of empty rows.
    """
    failed: Dict[str, str] = {}

    def note_failure(name: str, why: str) -> None:
        """Remember why a submission was not graded, and tell it."""
        failed[name] = text.one_line(why)
        progress.not_graded(name, failed[name])

    try:
        reports = engine.grade_on_cluster(
            scheduler, certs, graded, options,
            on_graded=progress.graded, on_failed=note_failure)
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
    """Compare the students' submissions with each other and solution/."""
    folders = {item.name: (item.submission, list(
        (reports.get(item.name) or {}).get("extra_modules", [])))
        for item in students if item.submission is not None}
    return similarity.compare_folders(folders, alike)


def flagged_text(pairs: List[Dict[str, Any]], threshold: float) -> str:
    """Return the lines that say how many pairs were flagged, and which."""
    alike = [pair for pair in pairs if pair["flagged"]]
    return "Similarity: {} pair(s) flagged at {} or more{}".format(
        len(alike), threshold, "".join(
            "\n  {} ~ {}: {}".format(pair["a"], pair["b"], pair["score"])
            for pair in alike))


def merge_shards(paths: Sequence[Path], outputs: Outputs,
                 credit: str = "own") -> shards.Merged:
    """Join shards' JSON outputs into one gradebook, written to outputs.

    The result says which shards were missing, if any were: a missing
    shard is no error, but a class graded in part is not all passed.
    """
    merged = shards.merge(paths, credit)
    gradebook.write(merged.book, outputs)
    return merged
