#!/usr/bin/env python3
"""roster --html: the class report, checked in a real headless Chromium."""
import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from test_similarity import INDEPENDENT, cosmetic_copy, disguised_copy

from kata import cli
from kata.catalogue.steps import REPO_ROOT, SOLUTION_DIR, STEPS
from kata.reports import classreport
from kata.verdict.model import Grade, TaskResult, TaskState

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"
HOSTILE_NAME = "<script>alert(1)</script>"
# A folder name cannot hold a slash; this one would run script if unescaped.
HOSTILE_FOLDER = "<img src=x onerror=alert(1)>"
# The colours the legend promises, as the browser computes them.
COLOURS = {"pass": "rgb(0, 158, 115)", "blocked": "rgb(86, 180, 233)",
           "fail": "rgb(213, 94, 0)", "timeout": "rgb(204, 121, 167)",
           "none": "rgb(229, 229, 229)"}


def artifacts() -> Path:
    """Return the folder screenshots go to ($KATA_ARTIFACTS if set)."""
    folder = Path(os.environ.get("KATA_ARTIFACTS")
                  or REPO_ROOT / "selftest" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def synthetic_task(number: int, state: str) -> Dict[str, Any]:
    """Return a report task in the given state, as Grade.to_dict has it."""
    failing = state in ("fail", "timeout")
    return {"task": number, "title": STEPS[number].title,
            "passed": state in ("pass", "blocked"),
            "integrated_passed": state == "pass",
            "blocked_by": 3 if state == "blocked" else None,
            "timed_out": state == "timeout", "note": "",
            "checks": [{"name": "spec of step {}".format(number),
                        "kind": "spec", "passed": not failing,
                        "message": "</pre><b>bold</b>" if failing else ""}],
            "integrated_checks": [{
                "name": "spec of step {}".format(number), "kind": "spec",
                "passed": False, "message": "step 3 is broken"}]
            if state == "blocked" else []}


def synthetic_class(size: int) -> Tuple[List[str], Dict[str, Dict[str, Any]],
                                        Dict[Tuple[str, int], str]]:
    """Return a class of report dicts, every state present, and its truth."""
    chance = random.Random(size)
    names = ["student-{:03d}".format(index) for index in range(size)]
    names.append(HOSTILE_NAME)
    states = list(COLOURS)
    truth: Dict[Tuple[str, int], str] = {}
    reports = {}
    for position, name in enumerate(names):
        tasks = []
        for item in STEPS:
            # The first students cover every state at task 0.
            state = (states[position] if position < len(states)
                     and item.number == 0 else chance.choice(
                         ["pass"] * 4 + states))
            truth[name, item.number] = state
            if state != "none":
                tasks.append(synthetic_task(item.number, state))
        reports[name] = {
            "submission": "/class/" + name, "tasks": tasks,
            "tasks_passed": sum(task["passed"] for task in tasks),
            "tasks_total": len(STEPS), "score": 0.0,
            "checks_passed": 0, "checks_total": len(tasks)}
    names.append("no-submission")
    for item in STEPS:
        truth["no-submission", item.number] = "none"
    return names, reports, truth


def test_task_states_follow_the_report() -> None:
    """Each state is read back from a stored task as the model has it."""
    for state in ("pass", "blocked", "fail", "timeout"):
        task = TaskResult.from_dict(synthetic_task(1, state))
        assert classreport.cell_state(task) == TaskState(state)
    assert classreport.cell_state(None) is None


def test_submission_text_is_escaped_everywhere() -> None:
    """A student named <script> injects nothing, in markup or in data."""
    names, reports, _ = synthetic_class(3)
    page = classreport.render("<b>class</b>", names, reports, [
        {"a": HOSTILE_NAME, "b": "solution/", "score": 1.0, "flagged": True,
         "share_a": 1.0, "share_b": 1.0, "fragments_b": [],
         "fragments_a": [{"file": "db.py", "first_line": 1, "last_line": 1,
                          "code": "x = '</script><script>alert(2)'"}]}])
    assert "<script>alert" not in page and "<b>" not in page
    data = page.split('id="class-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data
    assert json.loads(data)["students"][3]["name"] == HOSTILE_NAME


def flagged_pair(score: float) -> Dict[str, Any]:
    """Return a flagged pair whose two sides each have a fragment."""
    return {"a": "ana", "b": "solution/", "score": score, "flagged": True,
            "shared": 1600, "share_a": 0.9974, "share_b": 0.81,
            "fragments_a": [{"file": "auth.py", "first_line": 3,
                             "last_line": 4, "code": "x = 'ana side'"}],
            "fragments_b": [{"file": "db.py", "first_line": 7,
                             "last_line": 9, "code": "y = 'other side'"}]}


def test_the_pair_view_shows_both_sides_labelled() -> None:
    """Each side's fragments are shown, each under whose code it is."""
    names, reports, _ = synthetic_class(2)
    page = classreport.render("class", names, reports, [flagged_pair(0.9)])
    view = page.split('<details class="pair">', 1)[1].split(
        "</details>", 1)[0]
    side_a, side_b = view.split('<div class="side side-')[1:]
    assert "Code of ana" in side_a and "Code of solution/" in side_b
    assert "ana: auth.py lines 3-4" in side_a
    assert "x = &#x27;ana side&#x27;" in side_a
    assert "solution/: db.py lines 7-9" in side_b
    assert "y = &#x27;other side&#x27;" in side_b
    assert "99.7% of its own code" in side_a
    assert "81.0% of its own code" in side_b


def test_scores_keep_their_third_decimal() -> None:
    """0.997 is not shown as 1.00, in the pair view nor in the grid."""
    names, reports, _ = synthetic_class(2)
    pair = flagged_pair(0.997)
    pair["a"] = names[0]
    page = classreport.render("class", names, reports, [pair])
    assert "<summary>{} ~ solution/: 0.997</summary>".format(
        names[0]) in page
    assert '<td class="flag">0.997</td>' in page
    assert "1.00<" not in page


def test_most_failed_checks_are_counted_per_submission() -> None:
    """A check failing in two submissions counts two, first in the list."""
    names, reports, truth = synthetic_class(40)
    counted = dict(classreport.most_failed(
        classreport.grades_of(reports).values(), limit=100))
    for item in STEPS:
        expected = sum(1 for name in names[:-1]
                       if truth[name, item.number] in ("fail", "timeout"))
        key = "task {:02d}: spec of step {}".format(item.number, item.number)
        assert counted.get(key, 0) == expected


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Start headless Chromium through chromedriver, or say why not."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER)
               if not Path(path).exists()]
    if missing:
        reason = "{} missing: install with `{}`".format(
            " and ".join(missing), INSTALL)
        if os.geteuid() == 0:
            pytest.fail("as root the browser test must run; " + reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1400,900", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(driver: Any, page: Path) -> None:
    """Load a report and wait until its script has run."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.as_uri())
    WebDriverWait(driver, 60).until(lambda item: item.execute_script(
        "return document.body.dataset.ready === 'yes'"))


def shoot(driver: Any, name: str) -> Path:
    """Save a screenshot as a test artifact and print where."""
    path = artifacts() / name
    driver.save_screenshot(str(path))
    print("screenshot:", path)
    return path


def test_a_class_of_500_renders_in_the_browser(browser: Any,
                                               tmp_path: Path) -> None:
    """Cells, their colours and symbols, a click away from each report."""
    from selenium.webdriver.common.by import By

    names, reports, truth = synthetic_class(500)
    page = tmp_path / "class.html"
    page.write_text(classreport.render("class of 500", names, reports))
    open_page(browser, page)
    rows = browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
    assert len(rows) == len(names)
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#grid tbody tr'))"
        ".map(function (row) { return Array.from(row.querySelectorAll("
        "'td.c')).map(function (cell) { return [cell.textContent, "
        "getComputedStyle(cell).backgroundColor]; }); });")
    assert sum(len(row) for row in cells) == len(names) * len(STEPS)
    symbols = {(state.value if state else "none"): value[1]
               for state, value in classreport.STATES.items()}
    for name, row in zip(names, cells):
        for item, (symbol, colour) in zip(STEPS, row):
            state = truth[name, item.number]
            assert (symbol, colour) == (symbols[state], COLOURS[state]), (
                name, item.number, state)
    assert len(set(COLOURS.values())) == len(COLOURS)
    link = browser.find_element(By.CSS_SELECTOR, 'a[data-index="42"]')
    # As a person would: scroll the row clear of the sticky rows, click.
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    text = browser.find_element(By.ID, "report").text
    assert text.startswith("Grading /class/student-042")
    assert browser.find_element(By.ID, "report-title").text == "student-042"
    header = browser.find_element(By.CSS_SELECTOR, "#grid thead th")
    assert header.value_of_css_property("position") == "sticky"
    box = browser.find_element(By.ID, "filter")
    box.send_keys("student-49")
    shown = [row.get_attribute("data-name") for row in rows
             if row.is_displayed()]
    assert shown == ["student-49{}".format(digit) for digit in range(10)]
    shoot(browser, "class-report-500.png")


@pytest.fixture(scope="module")
def real_roster(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Grade a small real class with --html --json --similarity once."""
    tmp = tmp_path_factory.mktemp("classreport")
    root = tmp / "class"
    disguised_copy(SOLUTION_DIR, root / "ana", {"hashed": "digest",
                                                "token": "ticket"})
    shutil.copytree(str(INDEPENDENT), str(root / "ben"))
    cosmetic_copy(INDEPENDENT, root / "cy")
    hostile = root / HOSTILE_FOLDER
    hostile.mkdir()
    shutil.copy2(str(SOLUTION_DIR / "user.py"), str(hostile / "user.py"))
    (root / "dora").mkdir()
    code = cli.main(["roster", str(root), "--jobs", "2", "--timeout", "20",
                     "--json", str(tmp / "reports.json"),
                     "--html", str(tmp / "class.html"), "--similarity"])
    return {"code": code, "page": tmp / "class.html",
            "json": json.loads((tmp / "reports.json").read_text())}


def test_similar_pairs_are_in_the_json(real_roster: Dict[str, Any]) -> None:
    """The copies are flagged, the independent work is not, per schema."""
    import jsonschema

    schema = json.loads((REPO_ROOT / "kata" / "reports" / "report.schema.json")
                        .read_text())
    pair_schema = {"$ref": "#/$defs/similar_pair", "$defs": schema["$defs"]}
    pairs = real_roster["json"]["similar_pairs"]
    for pair in pairs:
        jsonschema.validate(pair, pair_schema,
                            jsonschema.Draft202012Validator)
    flagged = {frozenset((pair["a"], pair["b"])) for pair in pairs
               if pair["flagged"]}
    assert flagged == {frozenset(("ana", "solution/")),
                       frozenset(("ben", "cy"))}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(pairs[0], score=2), pair_schema,
                            jsonschema.Draft202012Validator)


def test_a_real_roster_renders_in_the_browser(
        browser: Any, real_roster: Dict[str, Any]) -> None:
    """Real reports: a click on the hostile name opens its report."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    open_page(browser, real_roster["page"])
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    names = [link.text for link in browser.find_elements(
        By.CSS_SELECTOR, "a.student")]
    assert names == sorted(["ana", "ben", "cy", "dora", HOSTILE_FOLDER])
    by_name = {entry["student"]: entry["report"]
               for entry in real_roster["json"]["students"]}
    rows = browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
    for row in rows:
        report = by_name[row.get_attribute("data-name")]
        symbols = [cell.text for cell in row.find_elements(
            By.CSS_SELECTOR, "td.c")]
        tasks = {task.step.number: task for task in Grade.from_dict(
            report or {}).tasks}
        assert symbols == [classreport.STATES[classreport.cell_state(
            tasks.get(item.number))][1] for item in STEPS]
    browser.find_element(By.LINK_TEXT, HOSTILE_FOLDER).click()
    text = browser.find_element(By.ID, "report").text
    assert "\nGrading " in "\n" + text and HOSTILE_FOLDER in text
    browser.execute_script("window.scrollTo(0, 0);")
    shoot(browser, "class-report-real.png")
    pairs = browser.find_elements(By.CSS_SELECTOR, "details.pair")
    summaries = [pair.text for pair in pairs]
    assert [text.rsplit(": ", 1)[0] for text in summaries] == [
        "ana ~ solution/", "ben ~ cy"]
    assert all(re.fullmatch(r"\S+ ~ \S+: [01]\.\d{3}", text)
               for text in summaries), summaries
    browser.execute_script("arguments[0].scrollIntoView();", pairs[0])
    pairs[0].click()
    shown = pairs[0].text
    assert "Code of ana" in shown and "Code of solution/" in shown
    assert re.search(r"^ana: \w+\.py lines \d+-", shown, re.MULTILINE)
    assert re.search(r"^solution/: \w+\.py lines \d+-", shown,
                     re.MULTILINE)
