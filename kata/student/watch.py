#!/usr/bin/env python3
"""Watch mode: re-grade the student's steps whenever a file is saved.

It starts where the student stands (the first step that does not pass).
On every save it grades the step under way and tells its verdict as soon
as it is known; then it grades every step done before, so that a save which
breaks a finished step is named at once, and goes back to the earliest
failing step. A done step whose files did not change since its last
verdict keeps that verdict, and the output says which steps did
(``reuse.py``): grading them again could only say the same. One jail
serves every grading (``kept_subject.py``), so a save does not wait for a
sandbox to start. It moves on as soon
as everything graded passes. Once all steps pass it keeps watching: every
save grades all of them again, and a step that a save breaks is named and
gone back to like any other regression.

Each run starts with a time-stamped rule line rather than a cleared screen:
the previous run stays in the scroll-back to compare with (what did this
save change?), a regression reported by one run is not wiped by the next,
and the output reads the same in a terminal, a pipe, a log or an editor's
console, where a clear-screen code would show as garbage.
"""
import shutil
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from watchdog.events import (EVENT_TYPE_ATTRIB, EVENT_TYPE_CLOSED,
                             EVENT_TYPE_CREATED, EVENT_TYPE_DELETED,
                             EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED,
                             FileAttribEvent, FileClosedEvent,
                             FileCreatedEvent, FileDeletedEvent,
                             FileModifiedEvent, FileMovedEvent,
                             FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from kata.catalogue.steps import STEPS, SUBMISSION_FILES, Step
from kata.grading import grader
from kata.judge.kept_subject import KeptSubject
from kata.reading.advice import Advice
from kata.reading.text import one_line
from kata.reports import report
from kata.student.reuse import KeptVerdicts, step_list
from kata.verdict import model

# The kinds of event that mean a file's content or mode may have changed.
# A chmod is an "attrib" event (inotify's IN_ATTRIB): rule G3's message
# tells the student to run chmod +x, so it must start a run.
CHANGES = {EVENT_TYPE_MODIFIED, EVENT_TYPE_ATTRIB, EVENT_TYPE_CREATED,
           EVENT_TYPE_MOVED, EVENT_TYPE_DELETED, EVENT_TYPE_CLOSED}
# The same kinds as watchdog's classes: the observer asks the kernel for
# these only, so opening and reading a file (grading does) is never seen.
CHANGE_EVENTS = (FileModifiedEvent, FileAttribEvent, FileCreatedEvent,
                 FileMovedEvent, FileDeletedEvent, FileClosedEvent)
# Editors save in bursts (write, rename, chmod): wait for the burst to end.
SETTLE_SECONDS = 0.3
# The width used when the output is not a terminal.
DEFAULT_WIDTH = 80
# Narrower than this, wrapping would put a word or two on each line.
MIN_WIDTH = 20
# How much deeper than its line a continuation line is indented.
HANGING_INDENT = 4
# Stands for a space that must not break a line, e.g. in a folder's name;
# a private-use character, which no report text carries.
_UNBREAKABLE_SPACE = "\ue000"


def wrap(text: str, width: int, unbreakable: Sequence[str] = ()) -> List[str]:
    """Return text as lines of at most width characters, cut between words.

    Continuation lines are indented HANGING_INDENT deeper than the text's
    own indentation. A word is never cut: one longer than the width, e.g. a
    long path, stands whole on a line of its own. The strings in
    unbreakable (paths that may hold spaces) are kept whole like words.
    """
    for part in unbreakable:
        text = text.replace(part, part.replace(" ", _UNBREAKABLE_SPACE))
    words = text.lstrip(" ")
    indent = " " * (len(text) - len(words))
    hanging = " " * min(len(indent) + HANGING_INDENT, width // 2)
    lines = textwrap.wrap(words, width, initial_indent=indent,
                          subsequent_indent=hanging, break_long_words=False,
                          break_on_hyphens=False) or [""]
    return [line.replace(_UNBREAKABLE_SPACE, " ") for line in lines]


def terminal_width() -> int:
    """Return the terminal's width now, DEFAULT_WIDTH when not a terminal."""
    columns = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return columns if columns > 0 else DEFAULT_WIDTH


def _rule_marks() -> Dict[str, str]:
    """Return the line and dot characters stdout can show, ASCII if need be."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2500\u00b7".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return {"line": "-", "dot": "-"}
    return {"line": "\u2500", "dot": "\u00b7"}


def _watched(path: str) -> bool:
    """Tell whether a path names a file of the submission.

    The exercise's files count, and so do the other Python modules of the
    folder, which grading copies when the exercise files import them.
    """
    name = Path(path).name
    return name in SUBMISSION_FILES or name.endswith(".py")


class _SaveHandler(FileSystemEventHandler):
    """Set an event when one of the submission's files changes."""

    def __init__(self, changed: threading.Event) -> None:
        """Remember the event to set."""
        super().__init__()
        self._changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Note a change to a submission file; ignore everything else.

        Opening and reading are no change: grading itself reads the files,
        and reacting to that would grade forever.
        """
        if event.event_type not in CHANGES or event.is_directory:
            return
        paths = [getattr(event, "src_path", ""),
                 getattr(event, "dest_path", "")]
        if any(_watched(str(path)) for path in paths if path):
            self._changed.set()


def _step_name(step: Step) -> str:
    """Return how the output names a step, e.g. "step 05 Register user"."""
    return "step {:02d} {}".format(step.number, step.title)


class Progress:
    """Where a student stands: the steps done and the one to do next.

    passing holds the latest verdict of every step up to the one under way
    (the furthest the student has reached), by step number; those are the
    steps each save grades again.
    """

    def __init__(self, folder: Path, say: Callable[[str], None],
                 width: Optional[int] = None, isolate: bool = True,
                 kept: Optional[KeptSubject] = None) -> None:
        """Start with nothing known about the submission in folder.

        say is given one line at a time; width is the width to wrap to,
        the terminal's at each run when None. kept, when given, is the
        jail every grading runs the code in.
        """
        self.folder = folder
        self.say = say
        self.width = width
        self.isolate = isolate
        self.kept = kept
        self.current: Optional[Step] = STEPS[0]
        self.reached = 0
        self.passing: Dict[int, bool] = {}
        # The advice of the latest grading, shown under a step that passes.
        self.advice: List[Advice] = []
        self.verdicts = KeptVerdicts(folder)

    def _grade(self, steps: Sequence[Step]) -> List[model.TaskResult]:
        """Grade steps of the folder; keep the advice; return the tasks."""
        before = self.verdicts.fingerprints(steps)
        graded = grader.grade(self.folder, steps, isolate=self.isolate,
                              kept=self.kept)
        self.advice = graded.advice
        self.verdicts.keep(graded.tasks, before)
        return graded.tasks

    def _grade_changed(self, steps: Sequence[Step]
                       ) -> List[model.TaskResult]:
        """Grade the steps whose files changed since their last verdict.

        The others keep that verdict, and the output says which they are.
        Return the tasks of every step, in order.
        """
        standing = self.verdicts.standing(steps)
        changed = [step for step in steps if step.number not in standing]
        tasks = [*standing.values(), *(self._grade(changed) if changed
                                       else [])]
        if standing:
            self.tell("Not graded again, their files unchanged since their "
                      "last verdict: {}.".format(step_list(sorted(standing))))
        return sorted(tasks, key=lambda task: task.step.number)

    def resume(self) -> None:
        """Find the first unfinished step by grading every step once."""
        self._rule("all steps")
        tasks = self._grade(STEPS)
        failing = [index for index, task in enumerate(tasks)
                   if not task.passed]
        self.reached = failing[0] if failing else len(STEPS)
        # The steps after the first unfinished one are not counted: they
        # are graded, and counted, once the student reaches them.
        graded = tasks[:self.reached + 1]
        self.passing = {task.step.number: task.passed for task in graded}
        self._settle(graded)

    def recheck(self) -> None:
        """Grade the steps up to the one under way; report what changed.

        The step under way is graded first and its verdict told as soon
        as it is known; then the other steps up to the furthest reached
        whose files changed, so that a save which broke one of them is
        named. While everything graded passes, move on to the next step.
        Once every step has passed, every step whose files changed is
        graded.
        """
        self._rule(_step_name(self.current) if self.current is not None
                   else "all steps")
        if self.current is None:
            self._settle(self._grade_changed(STEPS))
            return
        under_way = self.current
        first = self._grade([under_way])[0]
        before = self.passing.get(under_way.number)
        self.passing[under_way.number] = first.passed
        self._tell_change(first, before, current=True, first=True)
        others = [step for step in STEPS[:self.reached + 1]
                  if step is not under_way]
        tasks = sorted([first, *(self._grade_changed(others) if others
                                 else [])],
                       key=lambda task: task.step.number)
        told = {under_way.number: before}
        while self._settle(tasks, told):
            self.reached = min(self.reached + 1, len(STEPS))
            steps = list(STEPS[self.reached:self.reached + 1])
            if not steps:
                return
            tasks = self._grade(steps)
            told = {}

    def _settle(self, tasks: List[model.TaskResult],
                told: Optional[Dict[int, Optional[bool]]] = None) -> bool:
        """Report a grading of tasks and set the current step from it.

        told holds the steps whose verdict was already told, with how they
        stood before. Return whether every one of them passed.
        """
        told = told or {}
        before = dict(self.passing)
        before.update(told)
        for task in tasks:
            self.passing[task.step.number] = task.passed
        failing = [task for task in tasks if not task.passed]
        first = failing[0] if failing else None
        for task in tasks:
            if task.step.number not in told:
                self._tell_change(task, before.get(task.step.number),
                                  task is first)
        if first is None:
            if self.reached + 1 >= len(STEPS):
                self.current = None
                self.tell("All {} steps pass. Well done! See how the "
                          "reference solves a step with './checker.sh "
                          "reveal N'. Still watching: a save grades every "
                          "step again.".format(len(STEPS)))
            return True
        self.current = first.step
        self.tell("{}/{} steps done. Next: {} ({})".format(
            sum(self.passing.values()), len(STEPS), _step_name(first.step),
            first.step.readme_ref), [first.step.readme_ref])
        if first.step.number not in told:
            self._tell_counts(first)
        return False

    def _tell_counts(self, task: model.TaskResult) -> None:
        """Say how many checks of a failing step pass, and its failures."""
        self.tell("{}: {}/{} checks pass".format(
            _step_name(task.step), *report.shown_counts(task)))
        self._failures(task)

    def _tell_change(self, task: model.TaskResult, before: Optional[bool],
                     current: bool, first: bool = False) -> None:
        """Say how one graded step stands, if there is something to say.

        A step that passes is named when it passes anew or carries a note;
        one that fails is named when it passed before (a regression, its
        failures shown unless it is the current step, shown after) or
        still fails behind the current step. The step under way, told
        first, is always named, with its failures when it fails.
        """
        name = _step_name(task.step)
        if first and not task.passed:
            if before is True:
                self.tell("{} passed before and fails now.".format(name))
            self._tell_counts(task)
            return
        if first and task.passed and before is True and not task.note:
            self.tell("{} passes.".format(name))
            return
        if task.passed:
            if before is not True or task.note:
                self.tell("{} passes.".format(name))
            if before is not True:
                for line in report.advice_lines(self.advice,
                                                task.step.number):
                    self.tell(line)
            if task.note:
                # Its own code is right; the student's whole stack is not.
                self.tell("  but with your whole stack: " + task.note)
        elif before is True:
            self.tell("{} passed before and fails now{}".format(
                name, ":" if not current else "; back to it."))
            if not current:
                self._failures(task)
        elif not current:
            self.tell("{} still fails: {}/{} checks pass.".format(
                name, *report.shown_counts(task)))

    def _failures(self, task: model.TaskResult) -> None:
        """Say the failure lines of a task."""
        for line in report.task_failure_lines(task):
            self.tell(line)

    def _rule(self, label: str) -> None:
        """Start a run with a rule line naming the time and what is graded."""
        marks = _rule_marks()
        width = self._width()
        text = "{} {} {} {} ".format(marks["line"] * 4,
                                     time.strftime("%H:%M:%S"),
                                     marks["dot"], label)
        if len(text) + 4 <= width:
            self.say(text + marks["line"] * (width - len(text)))
        else:
            self.tell(text + marks["line"] * 4)

    def tell(self, text: str, unbreakable: Sequence[str] = ()) -> None:
        """Say text wrapped to the width, a line at a time."""
        for line in wrap(text, self._width(), unbreakable):
            self.say(line)

    def _width(self) -> int:
        """Return the width to wrap to."""
        return max(self.width or terminal_width(), MIN_WIDTH)


def watch(folder: Path, say: Callable[[str], None],
          stop: Optional[threading.Event] = None,
          width: Optional[int] = None, isolate: bool = True) -> None:
    """Grade the submission in folder on every save until stop is set.

    It goes on when every step passes: a later save may break one. say is
    given one line at a time, wrapped to width (the terminal's width at
    each run when None).
    """
    stop = stop or threading.Event()
    changed = threading.Event()
    observer = Observer()
    observer.schedule(_SaveHandler(changed), str(folder), recursive=False,
                      event_filter=list(CHANGE_EVENTS))
    observer.start()
    kept = KeptSubject(isolate)
    progress = Progress(folder, say, width, isolate, kept)
    try:
        progress.resume()
        while not stop.is_set():
            progress.tell("Waiting for a save in {} (Ctrl-C to stop)..."
                          .format(one_line(str(folder))),
                          [one_line(str(folder))])
            while not changed.wait(0.2):
                if stop.is_set():
                    return
            # Let the burst of events of one save settle before grading.
            while changed.wait(SETTLE_SECONDS):
                changed.clear()
            progress.recheck()
    finally:
        observer.stop()
        observer.join()
        kept.close()
