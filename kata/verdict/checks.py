#!/usr/bin/env python3
"""The checks of a task that need no run: its files and its style.

Style problems are charged to the step that owns their line, so that a
step answers only for its own code.
"""
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from kata.catalogue.steps import SUBMISSION_FILES, Step
from kata.reading import ownership
from kata.style.checking import StyleProblem, check_file, check_readme
from kata.style.kinds import README, FileKind, kind_of
from kata.style.registry import Rule, rules_for
from kata.verdict.intake import imported_extra_modules
from kata.verdict.model import Check


def file_checks(step: Step, copy: Path,
                refused: Mapping[str, str]) -> List[Check]:
    """Return a check per file of the step that snapshot may refuse.

    A Python file must be there; any file of the step snapshot refused
    (README.md included) fails with the reason it was refused, and so does
    a module of the folder that the step's files import but that snapshot
    refused (a symbolic link, say).
    """
    checks = []
    for name in step.files:
        if name in refused:
            checks.append(Check(name + " is present", "files", False,
                                refused[name]))
        elif not name.endswith(".py"):
            continue
        elif (copy / name).is_file():
            checks.append(Check(name + " is present", "files", True))
        else:
            checks.append(Check(name + " is present", "files", False,
                                "{} is missing from the submission".format(
                                    name)))
    extras = [name for name in refused if name not in SUBMISSION_FILES]
    for name in imported_extra_modules(copy, step.files, extras):
        checks.append(Check(name + " is present", "files", False,
                            refused[name]))
    return checks


def style_checks(step: Step, copy: Path,
                 problems: Dict[str, List[StyleProblem]],
                 ) -> List[Check]:
    """Return a check per rule per file of the step (see style_verdicts)."""
    return [check for _, _, check in style_verdicts(step, copy, problems)]


def style_verdicts(step: Step, copy: Path,
                   problems: Dict[str, List[StyleProblem]],
                   ) -> List[Tuple[str, Rule, Check]]:
    """Return (file, rule, check) for each rule of each file of the step.

    The rules of a file are those kata/style/registry.py declares for its
    kind; a Python file the copy lacks has none (file_checks reports it).
    The modules of the folder that the step's files import (those of
    problems, see style_problems) are checked too, as helpers. A check only
    counts the problems charged to the step (see charge_problems): every
    step of a file keeps its checks, but a problem fails one step.
    """
    files = [(name, kind_of(name)) for name in step.files
             if name == README or (copy / name).is_file()]
    extras = [name for name in problems if name not in SUBMISSION_FILES]
    files += [(name, FileKind.HELPER)
              for name in imported_extra_modules(copy, step.files, extras)]
    charged = problems.charged if isinstance(problems, StyleProblems) \
        else charge_problems(copy, problems)
    verdicts = []
    for name, kind in files:
        mine = [problem for problem, owner in zip(problems.get(name, []),
                                                  charged.get(name, []))
                if owner is None or owner == step.number]
        for rule in rules_for(kind):
            found = [problem for problem in mine if problem.rule == rule.id]
            verdicts.append((name, rule, rule_check(name, rule, found)))
    return verdicts


class StyleProblems(Dict[str, List[StyleProblem]]):
    """The style problems of a copy's files, by name, and whose each is.

    charged holds, beside each file's list of problems, the number of the
    step each one is charged to (see charge_problems).
    """

    def __init__(self, problems: Dict[str, List[StyleProblem]],
                 charged: Dict[str, List[Optional[int]]]) -> None:
        """Keep the problems and the steps they are charged to."""
        super().__init__(problems)
        self.charged = charged


# The rules about a file as a whole (its first line, its last newline, its
# mode bits): the step owning the file's module level answers for them.
FILE_RULES = ("G1", "G2", "G3")
# pycodestyle's own word for G2's problem, reported on the last line.
NO_FINAL_NEWLINE = "pycodestyle W292 "


def charge_problems(copy: Path,
                    problems: Mapping[str, List[StyleProblem]],
                    ) -> Dict[str, List[Optional[int]]]:
    """Return, beside each problem, the step it is charged to.

    A problem belongs to the step that owns its line
    (kata/reading/ownership.py): the definition around it, else the file's
    module level; a problem of the whole file (G1-G3, or line 0) to the module
    level's owner; all of a helper module's to the step owning the line that
    imports it. None means no step owns the file: every step that has it gets
    the problem.
    """
    owners = ownership.Ownership(copy)
    charged = {}
    for name, found in problems.items():
        broken_at = owners.file(name).broken_at \
            if name.endswith(".py") else None
        charged[name] = [owners.step_of(name, line)
                         for line in _charged_lines(found, broken_at)]
    return charged


def _charged_lines(found: Sequence[StyleProblem],
                   broken_at: Optional[int] = None) -> List[int]:
    """Return the line each problem of one file is charged by.

    A problem of a whole-file rule counts as line 0. kata/style/checking.py
    sorts a rule's problems by line and, past its cap, adds one of line 0 for
    the rest: those come after the last problem shown, whose line it takes. In
    a file that does not parse from line broken_at on, pycodestyle reads
    that line and those after it wrongly: its problems there count as the
    syntax error's.
    """
    lines = []
    last_line: Dict[str, int] = {}
    for problem in found:
        line = problem.line
        if problem.rule in FILE_RULES or NO_FINAL_NEWLINE in problem.message:
            line = 0
        elif line == 0 and last_line.get(problem.rule):
            line = last_line[problem.rule]
        if broken_at and problem.rule == "G4" and line >= broken_at:
            line = broken_at
        last_line[problem.rule] = line
        lines.append(line)
    return lines


def rule_check(name: str, rule: Rule,
               found: List[StyleProblem]) -> Check:
    """Summarise the problems one rule found in one file as a check.

    A failing check's message ends with where steps/STYLE.md explains the
    rule.
    """
    title = "{} {}: {}".format(name, rule.id, rule.title)
    shown = "; ".join(problem.message for problem in found[:5])
    if len(found) > 5:
        shown += "; and {} more".format(len(found) - 5)
    if found:
        shown += "; see {}".format(rule.reference)
    return Check(title, "style", not found, shown)


def style_problems(copy: Path, steps: Sequence[Step], min_doc_words: int,
                   ) -> StyleProblems:
    """Return the style problems of every file the steps concern.

    The modules of the folder that those files import, which snapshot
    copied, are among them, judged by the rules of a helper module. Each
    problem is charged to one step (see charge_problems).
    """
    names = sorted({name for step in steps for name in step.files})
    copied = [path.name for path in copy.glob("*.py")
              if path.name not in SUBMISSION_FILES]
    problems = {name: (check_readme(copy) if name == README
                       else check_file(copy, name, min_doc_words))
                for name in names}
    for name in imported_extra_modules(copy, names, copied):
        problems[name] = check_file(copy, name, min_doc_words,
                                    FileKind.HELPER)
    return StyleProblems(problems, charge_problems(copy, problems))
