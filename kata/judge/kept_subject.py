#!/usr/bin/env python3
"""One submission's sandboxed subject, kept from one grading to the next.

``watch`` grades the same folder on every save. Starting a jail (bubblewrap
and a zygote that preloads and warms the libraries) costs more than
judging a step, so watch keeps one and hands it to each grading.

Nothing of one grading reaches the next through it: the zygote never runs
student code, each test's run is sealed as in any grading
(``kata/sandbox/subject/seal.py``), and every grading's code is a variant of
its own (the snapshot and its spliced variants, named after the grading), which
a run sees only when it is its own. A grading's variants are removed when
it ends. A jail that died (its memory limit reached, say) is replaced
before the next grading.
"""
import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Optional

from kata.judge import specrun
from kata.sandbox import jail


class KeptSubject:
    """A jail whose every run executes a variant of one grading or another."""

    def __init__(self, isolate: bool = True) -> None:
        """Prepare a folder for the jail; the jail starts on first use."""
        self.isolate = isolate
        self.folder = Path(tempfile.mkdtemp(prefix="kata-kept-",
                                            dir=specrun.SCRATCH_ROOT))
        self.variants = self.folder / "variants"
        self.variants.mkdir()
        # The jail binds a submission; every run here binds a variant on it.
        self.empty = self.folder / "empty"
        self.empty.mkdir()
        self._jail: Optional[jail.Jail] = None
        self._started = 0
        self._gradings = itertools.count(1)

    def jail(self) -> jail.Jail:
        """Return the running jail, starting a new one if it has ended."""
        if self._jail is not None and self._jail.process.poll() is not None:
            self._jail.close()
            self._jail = None
        if self._jail is None:
            self._started += 1
            self._jail = jail.Jail(
                self.empty, self.folder / "jail-{}".format(self._started),
                self.isolate, variants=self.variants)
        return self._jail

    def new_grading(self) -> str:
        """Return the prefix of the next grading's variant names."""
        return "g{}-".format(next(self._gradings))

    def end_grading(self, prefix: str) -> None:
        """Remove the variants of the grading with that prefix."""
        for variant in self.variants.glob(prefix + "*"):
            shutil.rmtree(str(variant), ignore_errors=True)

    def close(self) -> None:
        """End the jail and remove everything it held."""
        if self._jail is not None:
            self._jail.close()
            self._jail = None
        shutil.rmtree(str(self.folder), ignore_errors=True)
