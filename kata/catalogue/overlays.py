#!/usr/bin/env python3
"""Variants of the reference solution, kept as data.

They live in kata/catalogue/overlays/.

A *mutant* is a known wrong answer from TASKS.md: the solution with a few
lines replaced, which its step's spec must reject. An *alternative* is another
right answer (bytes instead of str, abort() instead of a tuple, ...), which
every spec must accept. Both are TOML files of the same shape::

    step = 1                       # mutants only: the spec that must fail
    about = "returning before commit"
    tradeoff = "..."               # alternatives only, required
    [[edit]]
    file = "db.py"
    old = '''...'''                # text of solution/db.py, found exactly once
    new = '''...'''

An edit may also create a file that solution/ does not have, a module of
the submission's own that an exercise file imports: its ``old`` is empty
and its ``new`` is the whole file, for example ``file = "wrappers.py"``,
``old = ""``, ``new = '''#!/usr/bin/env python3 ...'''``. A created Python
file is made executable (mode 0o755), like the solution's; another gets
0o644. The file is a plain name in the submission folder, no subfolder.

An alternative also says, in ``tradeoff``, when a student would prefer it
to the reference and what it costs: ``reveal N`` shows it beside the
reference. A mutant has none, being no way to prefer.
"""
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import List, Optional, Tuple

from kata.catalogue.steps import SOLUTION_DIR, SUBMISSION_FILES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older Pythons read TOML with the tomli backport
    import tomli as tomllib

OVERLAYS_DIR = Path(__file__).resolve().parent / "overlays"


@dataclass(frozen=True)
class Edit:
    """One replacement of a unique piece of text in one solution file."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Overlay:
    """A named variant of the solution: a list of edits."""

    name: str
    about: str
    edits: Tuple[Edit, ...]
    step: Optional[int] = None
    tradeoff: Optional[str] = None

    def apply(self, destination: Path, source: Path = SOLUTION_DIR) -> Path:
        """Write the solution with this overlay's edits into destination."""
        destination.mkdir(parents=True, exist_ok=True)
        for name in SUBMISSION_FILES:
            shutil.copy2(source / name, destination / name)
        for edit in self.edits:
            target = destination / edit.file
            if not edit.old and edit.file not in SUBMISSION_FILES:
                self._create(target, edit)
                continue
            text = target.read_text()
            found = text.count(edit.old)
            if found != 1:
                raise ValueError("overlay {}: the text to replace occurs {} "
                                 "times in {}, not once".format(
                                     self.name, found, edit.file))
            target.write_text(text.replace(edit.old, edit.new))
        return destination

    def _create(self, target: Path, edit: Edit) -> None:
        """Write the new file of an edit whose old text is empty."""
        if PurePosixPath(edit.file).name != edit.file or \
                edit.file in ("", ".", ".."):
            raise ValueError("overlay {}: {} is not a plain file name"
                             .format(self.name, edit.file))
        if target.exists() or target.is_symlink():
            raise ValueError("overlay {}: {} is created twice".format(
                self.name, edit.file))
        target.write_text(edit.new)
        target.chmod(0o755 if edit.file.endswith(".py") else 0o644)


def load(kind: str) -> List[Overlay]:
    """Return every overlay of a kind ('mutants' or 'alternatives')."""
    overlays = []
    for path in sorted((OVERLAYS_DIR / kind).glob("*.toml")):
        data = tomllib.loads(path.read_text())
        edits = tuple(Edit(item["file"], item["old"], item["new"])
                      for item in data["edit"])
        tradeoff = data.get("tradeoff")
        if kind == "alternatives" and not str(tradeoff or "").strip():
            raise ValueError("alternative {}: its tradeoff is missing or "
                             "empty".format(path.stem))
        if kind != "alternatives" and tradeoff is not None:
            raise ValueError("{} {}: only an alternative has a tradeoff"
                             .format(kind, path.stem))
        overlays.append(Overlay(path.stem, data["about"], edits,
                                data.get("step"), tradeoff))
    return overlays
