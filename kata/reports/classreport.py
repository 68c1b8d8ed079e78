#!/usr/bin/env python3
"""The class report of roster --html: one self-contained HTML page.

A heatmap of students by tasks, each cell a colour and a symbol per state,
the pass rate of each task, the checks that failed most often, the pairs
of roster --similarity, and every student's full report one click away.
The page needs no network: its CSS and script are inline. Everything that
comes from a submission (names, messages, code) is escaped: in the markup
by html.escape, in the embedded data by JSON with <, > and & encoded, and
the script only ever sets textContent.
"""
import html
import json
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Tuple

from kata.catalogue.steps import STEPS
from kata.reading import advice
from kata.reading.text import one_line
from kata.reports import report
from kata.verdict.model import Grade, TaskResult, TaskState

# A cell's look per state, None for a task not graded: (CSS class, symbol,
# legend). Okabe-Ito colours, which people with any common colour-vision
# deficiency tell apart; the symbol says it too.
STATES: Dict[Optional[TaskState], Tuple[str, str, str]] = {
    TaskState.PASS: ("s-pass", "\u2713", "pass"),
    TaskState.BLOCKED: ("s-blocked", "B",
                        "own code right, blocked by an earlier step"),
    TaskState.FAIL: ("s-fail", "\u2717", "fail"),
    TaskState.TIMEOUT: ("s-timeout", "T", "timed out"),
    None: ("s-none", "\u00b7", "not graded"),
}
MOST_FAILED = 15
STYLE = """
body{font:13px/1.35 system-ui,sans-serif;margin:0 1em;color:#111}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.4em}
.legend span.cell{display:inline-block;width:1.6em;text-align:center}
.legend span{margin-right:1em}
#grid{max-height:75vh;overflow:auto;border:1px solid #999;
 scroll-padding:2em 0 2em 0}
table.heat{border-collapse:separate;border-spacing:0}
table.heat th,table.heat td{padding:0 2px;border-right:1px solid #fff;
 border-bottom:1px solid #fff;white-space:nowrap}
table.heat thead th{position:sticky;top:0;background:#eee;z-index:2}
table.heat th.name{position:sticky;left:0;background:#f7f7f7;z-index:1;
 text-align:left;max-width:16em;overflow:hidden;text-overflow:ellipsis}
table.heat thead th.name{z-index:3}
table.heat tfoot th{position:sticky;bottom:0;background:#eee;z-index:2}
td.c{width:1.6em;min-width:1.6em;text-align:center;font-weight:bold}
.s-pass{background:#009E73;color:#fff}
.s-blocked{background:#56B4E9;color:#000}
.s-fail{background:#D55E00;color:#fff}
.s-timeout{background:#CC79A7;color:#000}
.s-none{background:#E5E5E5;color:#555}
td.flag{background:#F0E442}
#report{white-space:pre-wrap;background:#f7f7f7;border:1px solid #bbb;
 padding:.6em;font:12px/1.3 monospace;min-height:3em}
pre.code{background:#f7f7f7;border:1px solid #ddd;padding:.4em;
 max-height:20em;overflow:auto}
.sides{display:flex;gap:1em}.side{flex:1;min-width:0}
.tools{margin:.5em 0}
"""
SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('class-data').textContent);
  var body = document.querySelector('#grid tbody');
  var rows = Array.prototype.slice.call(body.rows);
  var panel = document.getElementById('report');
  var title = document.getElementById('report-title');
  function show(index) {
    var student = data.students[index];
    if (student === undefined) { return; }
    title.textContent = student.name;
    panel.textContent = student.text;
    rows.forEach(function (row) {
      row.classList.toggle('chosen', row.dataset.index === String(index));
    });
  }
  body.addEventListener('click', function (event) {
    var link = event.target.closest('a.student');
    if (!link) { return; }
    event.preventDefault();
    show(link.dataset.index);
    history.replaceState(null, '', '#student-' + link.dataset.index);
    document.getElementById('report-section').scrollIntoView();
  });
  var filter = document.getElementById('filter');
  var order = document.getElementById('order');
  function refresh() {
    var text = filter.value.toLowerCase();
    var key = order.value;
    var sorted = rows.slice().sort(function (a, b) {
      if (key === 'name') { return 0; }
      var difference = Number(a.dataset.passed) - Number(b.dataset.passed);
      if (key === 'alike') {
        difference = Number(b.dataset.alike) - Number(a.dataset.alike);
      }
      return key === 'best' ? -difference : difference;
    });
    sorted.forEach(function (row) {
      row.hidden = text !== '' &&
        row.dataset.name.toLowerCase().indexOf(text) < 0;
      body.appendChild(row);
    });
  }
  filter.addEventListener('input', refresh);
  order.addEventListener('change', refresh);
  var match = /^#student-([0-9]+)$/.exec(location.hash);
  if (match) { show(match[1]); }
  document.body.dataset.ready = 'yes';
})();
"""


def cell_state(task: Optional[TaskResult]) -> Optional[TaskState]:
    """Return the state a task's cell shows; None when it was not graded.

    Code that works but fails on style shows as failing: the grid tells
    passes from failures, and the student's report says why.
    """
    if task is None:
        return None
    return TaskState.FAIL if task.state is TaskState.STYLE else task.state


def grades_of(reports: Dict[str, Dict[str, Any]]) -> Dict[str, Grade]:
    """Return the grade of every stored report, read back into the model."""
    return {name: Grade.from_dict(data) for name, data in reports.items()
            if data}


def _embedded_json(value: Any) -> str:
    """Return JSON that cannot end the script element it sits in."""
    return (json.dumps(value, ensure_ascii=True).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def _tasks_of(grade: Optional[Grade]) -> Dict[int, TaskResult]:
    """Return a grade's tasks by step number."""
    return {task.step.number: task for task in grade.tasks} if grade else {}


def most_failed(grades: Iterable[Grade],
                limit: int = MOST_FAILED) -> List[Tuple[str, int]]:
    """Return the checks that failed in most submissions, with counts.

    A check counts once per submission; ties go to the earliest check, so
    the order is reproducible.
    """
    failures: Counter = Counter()
    for grade in grades:
        failures.update({"task {:02d}: {}".format(
            task.step.number, one_line(check.name))
            for task in grade.tasks for check in task.checks
            if not check.passed})
    return sorted(failures.items(), key=lambda item: (-item[1], item[0]))[
        :limit]


def most_advised(grades: Iterable[Grade]
                 ) -> List[Tuple[advice.Comment, int]]:
    """Return each comment of the advisor given, with how many it concerns.

    Counted once per submission, most given first: what to teach next.
    """
    given: Counter = Counter()
    for grade in grades:
        given.update({item.key for item in grade.advice})
    comments = {comment.key: comment for comment in advice.catalogue()}
    return sorted(((comments[key], count) for key, count in given.items()
                   if key in comments),
                  key=lambda item: (-item[1], item[0].step, item[0].key))


def _alike(pairs: Optional[List[Dict[str, Any]]]) -> Dict[str, float]:
    """Return each student's best flagged similarity score."""
    best: Dict[str, float] = {}
    for pair in pairs or []:
        if pair.get("flagged"):
            for name in (pair["a"], pair["b"]):
                best[name] = max(best.get(name, 0.0), float(pair["score"]))
    return best


def _heatmap(students: List[str], grades: Dict[str, Grade],
             alike: Dict[str, float], with_similarity: bool) -> List[str]:
    """Return the heatmap table's markup: a row per student."""
    escape = html.escape
    head = "".join('<th title="{}">{:02d}</th>'.format(
        escape(item.title), item.number) for item in STEPS)
    out = ['<table class="heat"><thead><tr><th class="name">student</th>',
           head, "<th>passed</th>",
           "<th>alike</th>" if with_similarity else "", "</tr></thead><tbody>"]
    for index, name in enumerate(students):
        grade = grades.get(name)
        tasks = _tasks_of(grade)
        cells = []
        for item in STEPS:
            css, symbol, legend = STATES[cell_state(tasks.get(item.number))]
            cells.append('<td class="c {}" title="{:02d} {}">{}</td>'.format(
                css, item.number, legend, symbol))
        passed = sum(task.passed for task in grade.tasks) if grade else 0
        score = alike.get(name, 0.0)
        similar = ('<td class="{}">{}</td>'.format(
            "flag" if score else "", _score(score) if score else "")
            if with_similarity else "")
        out.append(
            '<tr data-index="{0}" data-name="{1}" data-passed="{2}" '
            'data-alike="{3}"><th class="name"><a class="student" '
            'href="#student-{0}" data-index="{0}">{1}</a></th>{4}'
            '<td>{5}</td>{6}</tr>'.format(
                index, escape(name), passed, score, "".join(cells),
                "{}/{}".format(passed, len(grade.tasks))
                if grade else "not graded", similar))
    out.append("</tbody><tfoot><tr><th class=\"name\">pass rate</th>")
    graded = [_tasks_of(grades[name]) for name in students
              if name in grades]
    for item in STEPS:
        passed = sum(1 for tasks in graded
                     if item.number in tasks and tasks[item.number].passed)
        out.append('<th class="rate">{}</th>'.format(
            "{:.0%}".format(passed / len(graded)) if graded else "-"))
    out.append("<th></th>{}</tr></tfoot></table>".format(
        "<th></th>" if with_similarity else ""))
    return out


def _score(score: float) -> str:
    """Write a score with the three decimals it has (0.997 is not 1.00)."""
    return "{:.3f}".format(score)


def _similarity_section(pairs: List[Dict[str, Any]]) -> List[str]:
    """Return the section of the similar pairs and their shared code."""
    flagged = [pair for pair in pairs if pair.get("flagged")]
    out = ['<h2 id="similarity">Similar submissions</h2>',
           "<p>{} pair(s) flagged.</p>".format(len(flagged))]
    for pair in flagged:
        out.append('<details class="pair"><summary>{} ~ {}: {}'
                   '</summary><div class="sides">'.format(
                       html.escape(pair["a"]), html.escape(pair["b"]),
                       _score(float(pair["score"]))))
        out.extend(_side(pair, "a", "b"))
        out.extend(_side(pair, "b", "a"))
        out.append("</div></details>")
    return out


def _side(pair: Dict[str, Any], side: str, other: str) -> List[str]:
    """Return one submission's half of a pair: its shared fragments.

    Both halves are shown side by side, each fragment labelled with whose
    code it is, so that an instructor compares the two texts themselves.
    """
    escape = html.escape
    name = escape(pair[side])
    out = ['<div class="side side-{}"><h3>Code of {}</h3><p>{}% of its own '
           "code (boilerplate aside) is also in {}'s.</p>".format(
               side, name, "{:.1f}".format(
                   100 * float(pair.get("share_" + side, 0.0))),
               escape(pair[other]))]
    fragments = pair.get("fragments_" + side, [])
    for fragment in fragments:
        out.append('<div class="where">{}: {} lines {}-{}</div>'
                   '<pre class="code">{}</pre>'.format(
                       name, escape(fragment["file"]),
                       fragment["first_line"], fragment["last_line"],
                       escape(fragment["code"])))
    if not fragments:
        out.append("<p>No fragment of {} to show.</p>".format(name))
    out.append("</div>")
    return out


def render(roster: str, students: List[str],
           reports: Dict[str, Dict[str, Any]],
           pairs: Optional[List[Dict[str, Any]]] = None) -> str:
    """Return the class report page of a graded roster.

    students is every student folder in order; reports holds the report
    of each graded one (Grade.to_dict's shape); pairs is what
    similarity.compare_folders returned, or None when it did not run.
    """
    escape = html.escape
    alike = _alike(pairs)
    legend = "".join('<span><span class="cell {}">{}</span> {}</span>'.format(
        css, symbol, escape(text)) for css, symbol, text in STATES.values())
    grades = grades_of(reports)
    failed = most_failed(grades.values())
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           "<title>Class report: {}</title>".format(escape(roster)),
           "<style>{}</style></head><body>".format(STYLE),
           "<h1>Class report: {}</h1>".format(escape(roster)),
           "<p>{} student folder(s), {} graded.</p>".format(
               len(students), sum(1 for name in students
                                  if name in grades)),
           '<p class="legend">{}</p>'.format(legend),
           '<div class="tools"><label>Filter <input id="filter" '
           'type="search" placeholder="student name"></label> '
           '<label>Sort <select id="order"><option value="name">by name'
           '</option><option value="worst">fewest tasks passed first'
           '</option><option value="best">most tasks passed first</option>'
           '{}</select></label></div>'.format(
               '<option value="alike">most alike first</option>'
               if pairs is not None else ""),
           '<div id="grid">']
    out.extend(_heatmap(students, grades, alike, pairs is not None))
    out.append("</div>")
    out.append('<section id="report-section"><h2>Report of <span '
               'id="report-title">(click a student)</span></h2>'
               '<div id="report"></div></section>')
    out.append("<h2>Checks that failed most often</h2>")
    if failed:
        out.append('<table class="failed"><tr><th>submissions</th>'
                   "<th>check</th></tr>")
        out.extend("<tr><td>{}</td><td>{}</td></tr>".format(
            count, escape(name)) for name, count in failed)
        out.append("</table>")
    else:
        out.append("<p>No check failed.</p>")
    out.append("<h2>Advice given most often</h2>")
    advised = most_advised(grades.values())
    if advised:
        out.append('<table class="advice"><tr><th>submissions</th>'
                   "<th>step</th><th>kind</th><th>advice</th></tr>")
        out.extend("<tr><td>{} of {}</td><td>{:02d}</td><td>{}</td>"
                   "<td>{}</td></tr>".format(
                       count, len(grades), comment.step,
                       escape(comment.kind), escape(comment.text))
                   for comment, count in advised)
        out.append("</table>")
    else:
        out.append("<p>No advice was given.</p>")
    if pairs is not None:
        out.extend(_similarity_section(pairs))
    data = {"students": [
        {"name": name, "text": report.to_text(grades[name])
         if name in grades else "No submission was graded for {}."
         .format(one_line(name))} for name in students]}
    out.append('<script type="application/json" id="class-data">{}</script>'
               .format(_embedded_json(data)))
    out.append("<noscript>The reports open with JavaScript.</noscript>")
    out.append("<script>{}</script></body></html>".format(SCRIPT))
    return "\n".join(out) + "\n"
