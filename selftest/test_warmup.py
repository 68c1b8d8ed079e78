#!/usr/bin/env python3
"""The zygote's warm-up leaves nothing a student's module could meet.

kata/sandbox/subject/warmup.py maps a model, opens a database and serves
requests in the zygote, before any student code, so that each test's child is
forked with the libraries' first use done. Whatever it made must be gone
when the zygote forks: a mapper left in SQLAlchemy's registry would be
configured along with the student's, an open connection would be shared
by every child, a changed warning filter would hide a student's warning.
"""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

SUBJECT_PARENT = (Path(__file__).resolve().parent.parent / "kata"
                  / "sandbox")


def subject_environment() -> Dict[str, str]:
    """Return an environment that imports the subject package as in the jail.

    The jail puts its parent folder on the path; the current folder is not
    on it where PYTHONSAFEPATH is set, as checker.sh sets it.
    """
    return dict(os.environ, PYTHONPATH=str(SUBJECT_PARENT))


PROBE = """
import gc, json, sqlite3, warnings
from subject import warmup, zygote
seen = {}
real_warm_up = warmup.warm_up
def watched_warm_up():
    seen["before"] = list(warnings.filters)
    real_warm_up()
    seen["after"] = list(warnings.filters)
warmup.warm_up = watched_warm_up
zygote.preload()
from sqlalchemy.orm import mapperlib
import flask
print(json.dumps({
    "mappers": len(mapperlib._mapper_registry),
    "connections": sum(isinstance(item, sqlite3.Connection)
                       for item in gc.get_objects()),
    "apps": sum(isinstance(item, flask.Flask) for item in gc.get_objects()),
    "filters_kept": seen.get("before") == seen.get("after"),
    "warm_up_ran": "before" in seen,
}))
"""


def test_the_zygote_is_forked_with_nothing_of_the_warm_up_left() -> None:
    """No mapper, connection or app remains; the filters are the same."""
    answer = subprocess.run([sys.executable, "-c", PROBE],
                            env=subject_environment(), check=True,
                            stdout=subprocess.PIPE)
    left = json.loads(answer.stdout.decode().splitlines()[-1])
    assert left == {"mappers": 0, "connections": 0, "apps": 0,
                    "filters_kept": True, "warm_up_ran": True}


def test_a_student_model_of_the_warm_up_s_names_maps_on_its_own() -> None:
    """A model named like the warm-up's, on a table of its name, works."""
    code = PROBE.replace("print(json.dumps({", """
from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import sessionmaker
Base = declarative_base()
class Row(Base):
    __tablename__ = "warm_rows"
    id = Column(Integer, primary_key=True)
    name = Column(String(10))
engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
session = sessionmaker(bind=engine)()
session.add(Row(name="mine"))
session.commit()
assert [row.name for row in session.query(Row)] == ["mine"]
session.close()
engine.dispose()
del Row, Base
gc.collect()
print(json.dumps({""")
    answer = subprocess.run([sys.executable, "-c", code],
                            env=subject_environment(), check=True,
                            stdout=subprocess.PIPE)
    assert json.loads(answer.stdout.decode().splitlines()[-1])["mappers"] \
        == 0
