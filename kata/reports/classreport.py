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
from typing import Any, Dict, List, Optional, Tuple

from kata.catalogue.steps import STEPS
from kata.reading import advice
from kata.reading.text import one_line
from kata.reports.report import failure_lines
from kata.verdict.model import Check

# state: (CSS class, symbol, legend). Okabe-Ito colours, which people with
# any common colour-vision deficiency tell apart; the symbol says it too.
STATES = {
    "pass": ("s-pass", "\u2713", "pass"),
    "blocked": ("s-blocked", "B",
                "own code right, blocked by an earlier step"),
    "fail": ("s-fail", "\u2717", "fail"),
    "timeout": ("s-timeout", "T", "timed out"),
    "none": ("s-none", "\u00b7", "not graded"),
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


def task_state(task: Optional[Dict[str, Any]]) -> str:
    """Return the state of one task of a report: a key of STATES."""
    if task is None:
        return "none"
    if task.get("passed") and (not task.get("integrated_passed", True)
                               or task.get("blocked_by") is not None):
        return "blocked"
    if task.get("passed"):
        return "pass"
    if task.get("timed_out"):
        return "timeout"
    return "fail"


def report_text(data: Dict[str, Any]) -> str:
    """Return a stored report as text, in the manner of report.to_text."""
    lines = []
    if data.get("tampering"):
        lines.append("WARNING: the grading tree was modified: {}".format(
            ", ".join(one_line(str(path)) for path in data["tampering"])))
    lines.append("Grading {}".format(one_line(str(data.get("submission")))))
    if data.get("extra_modules"):
        lines.append("Also graded: {}".format(", ".join(
            one_line(str(name)) for name in data["extra_modules"])))
    for task in data.get("tasks", []):
        checks = task.get("checks", [])
        if not task.get("passed") and task.get("integrated_checks"):
            # What the checker prints for a failing task: its whole stack.
            checks = [check for check in checks
                      if check.get("kind") != "spec"] + \
                task["integrated_checks"]
        state = task_state(task)
        lines.append("{:>3}  {:<40} {:>3}/{:<3} {}".format(
            task.get("task"), one_line(str(task.get("title"))),
            sum(bool(check.get("passed")) for check in checks), len(checks),
            STATES[state][2]))
        if task.get("note"):
            lines.append("       note: {}".format(one_line(task["note"])))
        lines.extend(failure_lines([
            Check(str(check.get("name")), str(check.get("kind")), False,
                  str(check.get("message") or "")) for check in checks
            if not check.get("passed")]))
    lines.append("Score: {}/{} tasks passed ({}%), {}/{} checks passed"
                 .format(data.get("tasks_passed"), data.get("tasks_total"),
                         data.get("score"), data.get("checks_passed"),
                         data.get("checks_total")))
    return "\n".join(lines)


def _embedded_json(value: Any) -> str:
    """Return JSON that cannot end the script element it sits in."""
    return (json.dumps(value, ensure_ascii=True).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def _tasks_of(data: Optional[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """Return a report's tasks by step number."""
    if not data:
        return {}
    return {task["task"]: task for task in data.get("tasks", [])
            if isinstance(task, dict) and "task" in task}


def most_failed(reports: Dict[str, Dict[str, Any]],
                limit: int = MOST_FAILED) -> List[Tuple[str, int]]:
    """Return the checks that failed in most submissions, with counts."""
    failures: Counter = Counter()
    for data in reports.values():
        for task in data.get("tasks", []):
            names = {"task {:02d}: {}".format(task["task"], one_line(
                str(check.get("name")))) for check in task.get("checks", [])
                if not check.get("passed")}
            failures.update(names)
    return sorted(failures.items(), key=lambda item: (-item[1], item[0]))[
        :limit]


def most_advised(reports: Dict[str, Dict[str, Any]]
                 ) -> List[Tuple[advice.Comment, int]]:
    """Return each comment of the advisor given, with how many it concerns.

    Counted once per submission, most given first: what to teach next.
    """
    given: Counter = Counter()
    for data in reports.values():
        given.update({str(item.get("key")) for item in data.get("advice", [])
                      if isinstance(item, dict)})
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


def _heatmap(students: List[str], reports: Dict[str, Dict[str, Any]],
             alike: Dict[str, float], with_similarity: bool) -> List[str]:
    """Return the heatmap table's markup: a row per student."""
    escape = html.escape
    head = "".join('<th title="{}">{:02d}</th>'.format(
        escape(item.title), item.number) for item in STEPS)
    out = ['<table class="heat"><thead><tr><th class="name">student</th>',
           head, "<th>passed</th>",
           "<th>alike</th>" if with_similarity else "", "</tr></thead><tbody>"]
    for index, name in enumerate(students):
        data = reports.get(name)
        tasks = _tasks_of(data)
        cells = []
        for item in STEPS:
            state = task_state(tasks.get(item.number))
            css, symbol, legend = STATES[state]
            cells.append('<td class="c {}" title="{:02d} {}">{}</td>'.format(
                css, item.number, legend, symbol))
        passed = data.get("tasks_passed", 0) if data else 0
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
                "{}/{}".format(passed, data.get("tasks_total", 0))
                if data else "not graded", similar))
    out.append("</tbody><tfoot><tr><th class=\"name\">pass rate</th>")
    graded = [reports[name] for name in students if reports.get(name)]
    for item in STEPS:
        passed = sum(1 for data in graded
                     if _tasks_of(data).get(item.number, {}).get("passed"))
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
    of each graded one (report.to_dict's shape); pairs is what
    similarity.compare_folders returned, or None when it did not run.
    """
    escape = html.escape
    alike = _alike(pairs)
    legend = "".join('<span><span class="cell {}">{}</span> {}</span>'.format(
        css, symbol, escape(text)) for css, symbol, text in STATES.values())
    failed = most_failed(reports)
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           "<title>Class report: {}</title>".format(escape(roster)),
           "<style>{}</style></head><body>".format(STYLE),
           "<h1>Class report: {}</h1>".format(escape(roster)),
           "<p>{} student folder(s), {} graded.</p>".format(
               len(students), sum(1 for name in students
                                  if reports.get(name))),
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
    out.extend(_heatmap(students, reports, alike, pairs is not None))
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
    advised = most_advised(reports)
    if advised:
        out.append('<table class="advice"><tr><th>submissions</th>'
                   "<th>step</th><th>kind</th><th>advice</th></tr>")
        out.extend("<tr><td>{} of {}</td><td>{:02d}</td><td>{}</td>"
                   "<td>{}</td></tr>".format(
                       count, len(reports), comment.step,
                       escape(comment.kind), escape(comment.text))
                   for comment, count in advised)
        out.append("</table>")
    else:
        out.append("<p>No advice was given.</p>")
    if pairs is not None:
        out.extend(_similarity_section(pairs))
    data = {"students": [
        {"name": name, "text": report_text(reports[name])
         if reports.get(name) else "No submission was graded for {}."
         .format(one_line(name))} for name in students]}
    out.append('<script type="application/json" id="class-data">{}</script>'
               .format(_embedded_json(data)))
    out.append("<noscript>The reports open with JavaScript.</noscript>")
    out.append("<script>{}</script></body></html>".format(SCRIPT))
    return "\n".join(out) + "\n"
