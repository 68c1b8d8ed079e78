#!/usr/bin/env python3
"""Watch mode: re-grade the first unfinished step whenever a file is saved.

It starts where the student stands (the first step that does not pass),
re-runs that step on every save of a submission file, and moves on as soon
as it passes, until all steps pass.
"""
import threading
from pathlib import Path
from typing import Callable, Optional

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from kata import grading, report
from kata.steps import STEPS, SUBMISSION_FILES, Step

# The kinds of event that mean a file's content may have changed.
CHANGES = {"modified", "created", "moved", "deleted", "closed"}
# Editors save in bursts (write, rename, chmod): wait for the burst to end.
SETTLE_SECONDS = 0.3


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
        if event.event_type not in CHANGES:
            return
        paths = [getattr(event, "src_path", ""),
                 getattr(event, "dest_path", "")]
        if any(Path(str(path)).name in SUBMISSION_FILES for path in paths
               if path):
            self._changed.set()


class Progress:
    """Where a student stands: the steps done and the one to do next."""

    def __init__(self, folder: Path, say: Callable[[str], None]) -> None:
        """Start with nothing known about the submission in folder."""
        self.folder = folder
        self.say = say
        self.current: Optional[Step] = STEPS[0]

    def resume(self) -> None:
        """Find the first unfinished step by grading every step once."""
        grade = grading.grade(self.folder)
        self.current = next((task.step for task in grade.tasks
                             if not task.passed), None)
        failing = [task for task in grade.tasks if not task.passed]
        self._show(failing[0] if failing else None)

    def recheck(self) -> None:
        """Grade the current step; while it passes, move on to the next."""
        while self.current is not None:
            task = grading.grade(self.folder, [self.current]).tasks[0]
            if not task.passed:
                self._show(task)
                return
            self.say("step {:02d} {} passes.".format(
                self.current.number, self.current.title))
            if task.note:
                # Its own code is right; the student's whole stack is not.
                self.say("  but with your whole stack: " + task.note)
            later = [item for item in STEPS
                     if item.number > self.current.number]
            self.current = later[0] if later else None
        self._show(None)

    def _show(self, task: Optional[grading.TaskResult]) -> None:
        """Print the progress line and what the current step still lacks."""
        if self.current is None or task is None:
            self.current = None
            self.say("All {} steps pass. Well done! See how the reference "
                     "solves a step with './checker.sh reveal N'.".format(
                         len(STEPS)))
            return
        self.say("{}/{} steps done. Next: step {:02d} {} ({})".format(
            self.current.number, len(STEPS), self.current.number,
            self.current.title, self.current.readme_ref))
        for line in report.failure_lines(
                [check for check in task.checks if not check.passed]):
            self.say(line)


def watch(folder: Path, say: Callable[[str], None],
          stop: Optional[threading.Event] = None) -> None:
    """Grade the submission in folder on every save until stop is set."""
    stop = stop or threading.Event()
    changed = threading.Event()
    observer = Observer()
    observer.schedule(_SaveHandler(changed), str(folder), recursive=False)
    observer.start()
    progress = Progress(folder, say)
    try:
        progress.resume()
        while not stop.is_set() and progress.current is not None:
            say("Waiting for a save in {} (Ctrl-C to stop)...".format(folder))
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
