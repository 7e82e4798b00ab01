"""Headless Chromium for the web client's tests: Debian's chromium and chromedriver, driven by
Selenium with explicit paths (Selenium Manager never downloads a browser or a driver)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from stack.installers import CHROMEDRIVER, CHROMIUM

_ROOT = Path(__file__).resolve().parents[2]
# Every run writes its screenshots under var/ (ignored by git: usernames differ per run, so the
# PNGs always differ); RAYGRAM_SCREENSHOTS=docs/screenshots refreshes the README's pictures.
SCREENSHOTS = _ROOT / os.environ.get("RAYGRAM_SCREENSHOTS", "var/screenshots")
PHONE = (390, 844)
DESKTOP = (1280, 900)
WAIT_S = 30


class Browser:
    """One browser profile (one person). Console errors are collected after every step."""

    def __init__(self, base_url: str, size: tuple[int, int] = DESKTOP) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--metrics-recording-only",
                    "--force-device-scale-factor=1", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.base_url = base_url
        self.console: list[dict] = []

    # --- navigation and waiting -------------------------------------------------------------
    def open(self, hash_path: str = "/") -> None:
        self.driver.get(f"{self.base_url}/#{hash_path}")

    def go(self, hash_path: str) -> None:
        """Client-side navigation (no reload): the live socket stays open."""
        self.driver.execute_script("location.hash = arguments[0]", hash_path)

    def wait(self, condition, timeout: float = WAIT_S, message: str = ""):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(condition)
        except TimeoutException:
            shown = self.js("return location.href + '\\n' + document.body.innerText.slice(0, 1500)")
            raise AssertionError(f"timed out waiting: {message}\nconsole: {self.logs()}\npage: {shown}") from None

    def find(self, css: str, timeout: float = WAIT_S):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, css)

    def present(self, css: str, timeout: float = WAIT_S):
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, css)), timeout, css)

    def gone(self, css: str, timeout: float = WAIT_S) -> None:
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, css), timeout, f"{css} to disappear")

    def click(self, css: str) -> None:
        self._click(self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), WAIT_S, css))

    def _click(self, el) -> None:
        # To the middle of the screen first: on a phone the fixed bottom bar covers the lowest rows.
        self.js("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()

    def click_text(self, css: str, text: str) -> None:
        """The first ``css`` element whose visible text contains ``text``."""
        def found(driver):
            for el in driver.find_elements(By.CSS_SELECTOR, css):
                if text in el.text and el.is_displayed() and el.is_enabled():
                    return el
            return False
        self._click(self.wait(found, WAIT_S, f"{css} with text {text!r}"))

    def text_in(self, css: str, text: str, timeout: float = WAIT_S) -> None:
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), timeout, f"{text!r} in {css}")

    def type(self, css: str, text: str) -> None:
        el = self.find(css)
        el.clear()
        el.send_keys(text)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    # --- evidence ---------------------------------------------------------------------------
    def logs(self) -> list[dict]:
        self.console.extend(self.driver.get_log("browser"))
        return self.console

    def severe(self) -> list[str]:
        return [entry["message"] for entry in self.logs() if entry["level"] == "SEVERE"]

    def screenshot(self, name: str, size: tuple[int, int] | None = None) -> Path:
        """A PNG of the current screen in SCREENSHOTS (at ``size``, then the size restored)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        before = self.driver.get_window_size()
        if size is not None:
            self.driver.set_window_size(*size)
            # Two animation frames: the new layout is painted before the capture.
            self.driver.execute_async_script(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")
        # Every image on the page decoded (lazy ones in view included), or 10 s, whichever first.
        self.driver.execute_async_script("""
            const done = arguments[0];
            const pending = [...document.images].filter((i) => !i.complete)
              .map((i) => new Promise((r) => { i.addEventListener('load', r); i.addEventListener('error', r); }));
            Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 10000))]).then(() => done());""")
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        if size is not None:
            self.driver.set_window_size(before["width"], before["height"])
        return path

    def storage(self) -> dict:
        return json.loads(self.js("return JSON.stringify(Object.assign({}, localStorage))"))

    def quit(self) -> None:
        self.driver.quit()
