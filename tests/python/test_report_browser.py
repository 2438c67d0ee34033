"""chainval report in a real browser (issue 15): Debian's headless Chromium driven
through /usr/bin/chromedriver (Selenium, given both paths: nothing is downloaded at run
time; --no-sandbox, since CI runs as root). The page has no console errors, its filter
narrows the example table, every section renders with a size, and no label is
clipped. Skipped, saying why, only where no browser is installed."""

from __future__ import annotations

import os
import shutil

import pytest

from test_report_input import row, write_rows
from test_report_triage import _rows

from chainval.scan.report import render_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="no browser: apt install chromium chromium-driver (scripts/setup.sh does)")

LONG = ("CN=Example Very Long Intermediate Certification Authority G2,"
        "O=Example Trust Services Limited,C=GB")


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (requirements-dev.txt)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,2000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("report-browser")
    rows = _rows() + [row(100 + i, ok=False, code="expired", issuer=LONG, anchor=LONG)
                      for i in range(3)]
    html = d / "report.html"
    html.write_text(render_report(str(write_rows(d / "out.jsonl", rows))))
    return html


def test_no_console_errors_and_every_section_has_a_size(browser, page):
    browser.get(page.as_uri())
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []
    sizes = browser.execute_script("""
        return Array.from(document.querySelectorAll('h2')).map(function(h) {
            var n = h.nextElementSibling;
            var r = n ? n.getBoundingClientRect() : {width: 0, height: 0};
            return [h.textContent, r.width, r.height];
        });""")
    assert len(sizes) >= 8
    for title, w, h in sizes:
        assert w > 0 and h > 0, title


def test_the_filter_narrows_the_example_table(browser, page):
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())

    def shown():
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('#examples tbody tr'))"
            ".filter(function(r){return r.offsetParent !== null}).length;")

    total = shown()
    assert total > 3
    box = browser.find_element(By.ID, "filter")
    box.send_keys("Issuer B")
    narrowed = shown()
    assert 0 < narrowed < total
    assert browser.find_element(By.ID, "shown").text == str(narrowed)
    box.clear()
    box.send_keys(" ")  # an input event with nothing that matches every row
    box.clear()
    browser.execute_script("document.getElementById('filter')"
                           ".dispatchEvent(new Event('input'));")
    assert shown() == total


def test_no_label_is_clipped(browser, page):
    browser.get(page.as_uri())
    clipped = browser.execute_script("""
        var out = [];
        document.querySelectorAll('svg.chart text[text-anchor="end"]').forEach(function(t) {
            var svg = t.ownerSVGElement.getBoundingClientRect();
            var box = t.getBoundingClientRect();
            if (box.left < svg.left - 0.5) out.push(t.textContent);
        });
        document.querySelectorAll('td').forEach(function(td) {
            if (td.scrollWidth > td.clientWidth + 1 && !td.title) out.push(td.textContent);
        });
        return out;""")
    assert clipped == []
    # the long DN's CN is on screen
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.chart text'))"
        ".some(function(t){return t.textContent.indexOf('CN=Example Very Long') === 0;});")
