#!/usr/bin/env python3
"""The registry of the style rules G1-G10: what each is and what it judges.

Each rule is declared once, by a call of ``register`` below: its id, its
one-line title, the kinds of file it judges (G7 only app.py, G9 only
README.md, ...) and the function that checks it. ``REGISTRY`` is what the
checker, its reports and the pytest items of the specs read; ``RULES``
maps each id to its title. ``steps/STYLE.md`` explains every rule, at
``#g1``..``#g10``.
"""
from dataclasses import dataclass
from typing import AbstractSet, Callable, Dict, List

from kata.style import (compatibility_rules, documentation_rules,
                        encapsulation_rules, file_rules, readme_rule)
from kata.style.findings import Finding
from kata.style.kinds import EXERCISE_PYTHON, PYTHON, FileKind
from kata.style.sources import Source

# The page that explains every rule, relative to the kata's root; a rule's
# section there is its id in lower case, e.g. steps/STYLE.md#g4.
STYLE_PAGE = "steps/STYLE.md"

RuleCheck = Callable[[Source], List[Finding]]


@dataclass(frozen=True)
class Rule:
    """One style rule: its id, its title, the files it judges, its check."""

    id: str
    title: str
    applies_to: AbstractSet[FileKind]
    check: RuleCheck

    @property
    def reference(self) -> str:
        """Return where steps/STYLE.md explains the rule, e.g. ...#g4."""
        return "{}#{}".format(STYLE_PAGE, self.id.lower())


# Every rule by its id, in the order they are declared: G1 to G10.
REGISTRY: Dict[str, Rule] = {}


def register(declared: Rule) -> None:
    """Add the rule to REGISTRY; an id is declared only once."""
    if declared.id in REGISTRY:
        raise ValueError("style rule {} is declared twice".format(
            declared.id))
    REGISTRY[declared.id] = declared


def rules_for(kind: FileKind) -> List[Rule]:
    """Return the rules that judge a file of this kind, G1 first."""
    return [item for item in REGISTRY.values() if kind in item.applies_to]


register(Rule("G1", "the first line is exactly #!/usr/bin/env python3",
              PYTHON, file_rules.first_line_is_the_shebang))
register(Rule("G2", "the file ends with a newline",
              PYTHON | {FileKind.TEXT}, file_rules.ends_with_a_newline))
register(Rule("G3", "the file is executable",
              PYTHON, file_rules.is_executable))
register(Rule("G4", "pycodestyle 2.5 passes",
              PYTHON, file_rules.passes_pycodestyle))
register(Rule("G5", "the module, every class and every function has a "
              "docstring that is a real sentence",
              PYTHON, documentation_rules.has_real_docstrings))
register(Rule("G6", "every function is fully type-annotated, parameters "
              "and return",
              PYTHON, documentation_rules.is_fully_annotated))
register(Rule("G7", "the Flask app talks only to Auth, never to DB",
              frozenset({FileKind.APP}),
              encapsulation_rules.app_talks_only_to_auth))
register(Rule("G8", "only public members of Auth and DB are used outside "
              "them",
              EXERCISE_PYTHON, encapsulation_rules.uses_only_public_members))
register(Rule("G9", "a README.md at the submission's root",
              frozenset({FileKind.README}), readme_rule.has_a_readme))
register(Rule("G10", "the code runs on SQLAlchemy 1.3 and parses as "
              "Python 3.7",
              EXERCISE_PYTHON,
              compatibility_rules.runs_on_python37_and_sqlalchemy13))

# The title of every rule by its id, G1 to G10.
RULES: Dict[str, str] = {item.id: item.title for item in REGISTRY.values()}
