#!/usr/bin/env python3
"""Which verdicts a save leaves standing, in ``watch`` only.

A step's verdict is read from its own files and the files of the steps
before it (its spec drives its code through theirs, its style is checked
in its files, and the code it owns is in them), from the modules those
import, from which modules the folder holds (a new one may shadow a
library) and from what every module imports (the grading copies at most
20 modules besides the exercise's files, in the order the imports name
them). When none of that changed since the step was graded, grading it
again could only give the same verdict: ``watch`` shows the one it has
and says so. The current step is always graded, a timed-out verdict is
never kept, and a grading during which the files changed keeps nothing.
A roster, ``status`` and a plain grading never reuse a verdict.
"""
import hashlib
import os
import stat
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

from kata.catalogue.steps import MAX_FILE_BYTES, STEPS, SUBMISSION_FILES, Step
from kata.verdict import model
from kata.verdict.intake import imported_modules, read_at_most


def folder_files(folder: Path) -> List[str]:
    """Return the names of the files a grading may read, sorted.

    They are the exercise's files and the folder's other Python modules.
    """
    try:
        names = os.listdir(str(folder))
    except OSError:
        return []
    return sorted(name for name in names
                  if name in SUBMISSION_FILES or name.endswith(".py"))


class FolderState:
    """A folder's files as a grading would read them now."""

    def __init__(self, folder: Path) -> None:
        """List the folder; read a file only when a step depends on it."""
        self.folder = folder
        self.names = folder_files(folder)
        self._digests: Dict[str, bytes] = {}
        self._imports: Dict[str, List[str]] = {}

    def dependencies(self, step: Step) -> List[str]:
        """Return the files step's verdict is read from, sorted.

        They are the files of the steps up to it, then whatever modules
        of the folder those import, directly or not.
        """
        present = set(self.names)
        found: Set[str] = set()
        waiting = [name for earlier in STEPS if earlier.number <= step.number
                   for name in earlier.files]
        while waiting:
            name = waiting.pop()
            if name in found:
                continue
            found.add(name)
            if name.endswith(".py") and name in present:
                waiting.extend(module + ".py"
                               for module in self._imported(name)
                               if module + ".py" in present)
        return sorted(found)

    def fingerprint(self, step: Step) -> str:
        """Return a digest of everything step's verdict is read from.

        That is the names of the folder's files and what each of its
        modules imports, then each dependency's mode and content (a
        missing one counts as missing).
        """
        digest = hashlib.sha256()
        for name in self.names:
            digest.update(b"file\0" + _bytes(name))
            if name.endswith(".py"):
                digest.update(b"\0imports\0" + _bytes(
                    " ".join(sorted(self._imported(name)))))
        for name in self.dependencies(step):
            digest.update(b"\0dependency\0" + _bytes(name))
            if name not in self._digests:
                self._digests[name] = _file_digest(self.folder / name)
            digest.update(self._digests[name])
        return digest.hexdigest()

    def _imported(self, name: str) -> List[str]:
        """Return the top-level names of the modules a file imports.

        A file that cannot be read or parsed imports nothing that is
        known; its own content is still part of the fingerprint.
        """
        if name not in self._imports:
            self._imports[name] = list(imported_modules(self.folder / name))
        return self._imports[name]


def _bytes(name: str) -> bytes:
    """Return a file name as bytes, whatever characters it has."""
    return name.encode("utf-8", "surrogateescape")


def _file_digest(path: Path) -> bytes:
    """Return a digest of a file's mode and content, or of its absence.

    Read as the grading reads it: a link or anything but a regular file
    is not opened (the grading refuses it), nor is more read than the
    grading would.
    """
    digest = hashlib.sha256()
    try:
        descriptor = os.open(str(path), os.O_RDONLY | os.O_NOFOLLOW
                             | os.O_NONBLOCK)
    except OSError as error:
        digest.update(b"unopened " + str(error.errno).encode())
        return digest.digest()
    try:
        info = os.fstat(descriptor)
        digest.update(oct(info.st_mode).encode())
        if stat.S_ISREG(info.st_mode):
            digest.update(read_at_most(descriptor, MAX_FILE_BYTES + 1))
    except OSError as error:
        digest.update(b"unreadable " + str(error.errno).encode())
    finally:
        os.close(descriptor)
    return digest.digest()


class KeptVerdicts:
    """The latest verdict of each step, with what it was read from."""

    def __init__(self, folder: Path) -> None:
        """Keep nothing yet, for the submission in folder."""
        self.folder = folder
        self._kept: Dict[int, Tuple[str, model.TaskResult]] = {}

    def fingerprints(self, steps: Sequence[Step]) -> Dict[int, str]:
        """Return the fingerprint of each step now, by step number."""
        state = FolderState(self.folder)
        return {step.number: state.fingerprint(step) for step in steps}

    def keep(self, tasks: Sequence[model.TaskResult],
             before: Dict[int, str]) -> None:
        """Keep the verdicts of a grading that started at fingerprints before.

        A verdict is kept only where the files are still what they were
        when the grading started, and never a timed-out one.
        """
        now = self.fingerprints([task.step for task in tasks])
        for task in tasks:
            number = task.step.number
            stamp = before.get(number)
            if stamp is None or now[number] != stamp or task.timed_out:
                self._kept.pop(number, None)
            else:
                self._kept[number] = (stamp, task)

    def standing(self, steps: Sequence[Step]
                 ) -> Dict[int, model.TaskResult]:
        """Return the kept verdicts of steps whose files are unchanged."""
        found = {}
        for number, stamp in self.fingerprints(steps).items():
            kept: Optional[Tuple[str, model.TaskResult]] = \
                self._kept.get(number)
            if kept is not None and kept[0] == stamp:
                found[number] = kept[1]
        return found


def step_list(numbers: Sequence[int]) -> str:
    """Return step numbers as words: "step 03", "steps 00-03 and 05"."""
    ordered = sorted(set(numbers))
    runs: List[List[int]] = []
    for number in ordered:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = ["{:02d}".format(run[0]) if len(run) == 1 else
             "{:02d}-{:02d}".format(run[0], run[-1]) for run in runs]
    if len(parts) == 1:
        return ("step " if len(ordered) == 1 else "steps ") + parts[0]
    return "steps " + ", ".join(parts[:-1]) + " and " + parts[-1]
