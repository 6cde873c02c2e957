"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by selenium.

They are marked ``browser``: the full tier (``pytest --full``) runs them, the fast tier does not.
They are skipped only when Chromium is absent, ``CI`` is not set and the full tier was not asked
for: in CI and in the full tier (``.ci/run`` installs the browser) a missing browser fails them.
Each page load is watched through Chrome's performance log (DevTools
``Network.*`` events) and its console log.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    "--lang=en-US",
)


@pytest.fixture(scope="session")
def driver(pytestconfig: pytest.Config) -> Iterator[Any]:
    """One headless Chromium for the session, with console and network logging."""
    if not (CHROMIUM and CHROMEDRIVER):
        message = "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") or pytestconfig.getoption("full"):
            pytest.fail(f"the browser is missing in CI or the full tier: {message}")
        pytest.skip(message)
    # selenium must use the Debian driver, never try to download one
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="report-browser-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _requests(entries: list[dict[str, Any]]) -> list[str]:
    urls = []
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


class ReportPage:
    """A report open in the browser, with every request and console message since it loaded."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.url = ""
        self.requests: list[str] = []
        self.console: list[dict[str, Any]] = []

    def open(self, path: Path) -> None:
        """Load the report file and wait until its findings table is ready."""
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.get("about:blank")
        self.driver.get_log("performance")
        self.driver.get_log("browser")
        self.url = path.resolve().as_uri()
        self.requests, self.console = [], []
        self.driver.get(self.url)
        WebDriverWait(self.driver, 60).until(lambda d: self.state())
        assert self.state() == "true", f"page state {self.state()!r}: {self.console_errors()}"

    def state(self) -> str | None:
        """``true`` once the table is ready, ``failed`` when its data could not be read."""
        return self.driver.execute_script("return document.documentElement.getAttribute('data-ready')")

    def _poll(self) -> None:
        self.requests += _requests(self.driver.get_log("performance"))
        self.console += self.driver.get_log("browser")

    def outside_requests(self) -> list[str]:
        """Every request made since loading, except the navigation to the report file itself."""
        self._poll()
        return [u for u in self.requests if u != self.url]

    def console_errors(self) -> list[dict[str, Any]]:
        """Console messages at error level since loading (script errors, CSP refusals...)."""
        self._poll()
        return [e for e in self.console if e.get("level") == "SEVERE"]

    def text(self, css: str) -> str:
        """The visible text of the first element matching ``css``."""
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def all(self, css: str) -> list[Any]:
        """Every element matching ``css``."""
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def matching(self) -> int:
        """How many findings the table says match its filters."""
        return int(self.driver.find_element("id", "findings-count").get_attribute("data-matching"))

    def choose(self, select_id: str, value: str) -> None:
        """Pick ``value`` in a filter ``<select>`` as a person would."""
        from selenium.webdriver.support.ui import Select

        Select(self.driver.find_element("id", select_id)).select_by_value(value)

    def type(self, input_id: str, text: str) -> None:
        """Type into a filter input, replacing what it held."""
        node = self.driver.find_element("id", input_id)
        node.clear()
        node.send_keys(text)


@pytest.fixture()
def page(driver: Any) -> ReportPage:
    """A fresh :class:`ReportPage` on the session's browser."""
    return ReportPage(driver)
