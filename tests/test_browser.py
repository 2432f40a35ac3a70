"""The reports as a reader sees them: every HTML page in a real headless Chromium, the PDF as pictures.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: file descriptors
3 and 4, JSON messages separated by NUL bytes), so no websocket or browser-automation package is needed.
For each page the test asserts that

* nothing was logged at error level (console errors, exceptions, CSP violations, failed loads);
* no request left the machine (only ``file:`` and ``data:`` URLs);
* no JavaScript dialog opened (a data file smuggling ``<script>alert(1)</script>`` would open one);
* every figure is present, has a size, and its region of a full-page screenshot is not blank.

The PDF's first pages are rendered with pdftoppm and checked the same way; ``pdftotext`` checks that
every page of a report on synthetic data says SYNTHETIC.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--remote-debugging-pipe",
]


class Chromium:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, width: int = 1200, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="hamstudy-chromium-")
        cmd_read, self._cmd_write = os.pipe()  # we write commands; Chromium reads them on fd 3
        self._reply_read, reply_write = os.pipe()  # Chromium writes replies on fd 4

        def child_fds():
            os.dup2(cmd_read, 3)
            os.dup2(reply_write, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_read)
        os.close(reply_write)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=True)

    def _message(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._reply_read], [], [], left)
            if ready:
                chunk = os.read(self._reply_read, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, *, session: bool = False, timeout: float = 60.0) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._cmd_write, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._message(timeout)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60.0) -> dict:
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._message(timeout)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def load(self, path: Path) -> list[dict]:
        """Open ``path``; return the events seen while loading (and shortly after)."""
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
        self.wait_for("Page.loadEventFired")
        self.send("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 300))", "awaitPromise": True},
                  session=True)
        events, self.events = self.events, []
        return events

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        return result["result"].get("value")

    def screenshot(self, clip: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """The viewport, or the region ``clip`` = (x, y, width, height) of the page in CSS pixels (it may
        lie below the fold), as an RGB float array."""
        import matplotlib.image as mpimg

        params: dict = {"format": "png"}
        if clip is not None:
            x, y, w, h = clip
            params.update(clip={"x": x, "y": y, "width": w, "height": h, "scale": 1}, captureBeyondViewport=True)
        data = self.send("Page.captureScreenshot", params, session=True)["data"]
        return mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png")[..., :3]

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_write)
        os.close(self._reply_read)
        shutil.rmtree(self.profile, ignore_errors=True)


def problems(events: list[dict]) -> list[str]:
    """Console errors, exceptions, error-level log entries, dialogs and non-local requests."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log error: {params['entry'].get('text')}")
        elif method == "Page.javascriptDialogOpening":
            found.append(f"dialog: {params.get('message')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                found.append(f"network request: {url}")
    return found


def region_is_drawn(image: np.ndarray, box: tuple[float, float, float, float]) -> tuple[bool, str]:
    """True when the region holds a picture: enough non-white pixels and contrast."""
    x, y, w, h = (int(round(v)) for v in box)
    region = image[max(y, 0): y + h, max(x, 0): x + w]
    if region.size == 0:
        return False, "empty region"
    ink = float((region.mean(axis=2) < 0.9).mean())  # fraction of pixels clearly darker than white
    spread = float(region.std())
    return ink > 0.01 and spread > 0.05, f"ink {ink:.3f}, std {spread:.3f}"


@pytest.fixture(scope="module")
def built():
    """Reports of every bundled dataset and of a data package with markup in its strings (built once
    per session, shared with test_report.py)."""
    from test_report import built_reports

    return built_reports()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs it with apt-get install -y chromium)")
    chrome = Chromium()
    yield chrome
    chrome.close()


def test_client_sees_errors_dialogs_and_network(browser, tmp_path):
    """The checks themselves can fail: a page with a script, an alert and a remote image is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>console.error('boom'); alert(1);</script>"
                    "<img src='http://example.invalid/x.png'><p>x</p></body></html>")
    # alert() blocks the page until answered: answer it when it opens
    browser.events.clear()
    browser.send("Page.navigate", {"url": page.as_uri()}, session=True)
    dialog = browser.wait_for("Page.javascriptDialogOpening")
    browser.send("Page.handleJavaScriptDialog", {"accept": True}, session=True)
    browser.wait_for("Page.loadEventFired")
    found = problems([dialog, *browser.events])
    browser.events.clear()
    assert any(f.startswith("console.error") for f in found)
    assert any(f.startswith("dialog") for f in found)
    assert any("example.invalid" in f for f in found)
    assert region_is_drawn(np.ones((50, 50, 3)), (0, 0, 50, 50))[0] is False


def test_every_page_loads_cleanly_and_figures_are_drawn(built, browser, tmp_path):
    pages = [built / "index.html", *sorted(built.glob("*/report.html"))]
    assert len(pages) == 5
    for page in pages:
        events = browser.load(page)
        assert problems(events) == [], page
        assert browser.evaluate("document.querySelectorAll('script').length") == 0
        title = browser.evaluate("document.title")
        assert title
        boxes = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('figure svg')].map(e => {"
            " const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }))"
        )
        boxes = json.loads(boxes)
        n_figures = page.read_text(encoding="utf-8").count("<figure ")
        assert len(boxes) == n_figures
        if page.parent.name in ("sherry_best_2004", "sherry_best_2004_synthetic_ipd", "hamstring_rcts", "evil"):
            assert n_figures >= 2, page
        import matplotlib.image as mpimg

        top = browser.screenshot()  # what a reader sees first (kept for a look: pytest's tmp_path)
        mpimg.imsave(tmp_path / f"{page.parent.name}-top.png", top)
        assert top.shape[1] >= 1000 and region_is_drawn(top, (0, 0, top.shape[1], top.shape[0]))[0]
        for k, box in enumerate(boxes):
            assert box[2] > 200 and box[3] > 100, (page, box)
            shot = browser.screenshot(tuple(box))
            mpimg.imsave(tmp_path / f"{page.parent.name}-figure{k}.png", shot)
            drawn, why = region_is_drawn(shot, (0, 0, shot.shape[1], shot.shape[0]))
            assert drawn, (page, box, why)


def test_synthetic_banner_is_on_screen(built, browser):
    browser.load(built / "sherry_best_2004_synthetic_ipd" / "report.html")
    banner = browser.evaluate(
        "(() => { const b = document.querySelector('.synbanner'); if (!b) return null;"
        " const r = b.getBoundingClientRect(); return [b.textContent, r.top, r.height,"
        " getComputedStyle(b).position]; })()"
    )
    assert banner is not None
    text, top, height, position = banner
    assert "SYNTHETIC" in text and top == 0 and height > 10 and position == "sticky"
    # still on screen after scrolling to the bottom
    browser.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert browser.evaluate("document.querySelector('.synbanner').getBoundingClientRect().top") == 0


def test_script_in_a_study_name_is_shown_as_text(built, browser):
    events = browser.load(built / "evil" / "report.html")
    assert problems(events) == []
    text = browser.evaluate("document.body.innerText")
    assert "<script>alert(1)</script>" in text
    assert browser.evaluate("document.querySelectorAll('script, img').length") == 0


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_first_pages_are_not_blank(built, tmp_path):
    import matplotlib.image as mpimg

    for pdf in sorted(built.glob("*/report.pdf")):
        prefix = tmp_path / pdf.parent.name
        subprocess.run([PDFTOPPM, "-r", "40", "-f", "1", "-l", "3", "-png", str(pdf), str(prefix)], check=True,
                       timeout=120)
        pngs = sorted(tmp_path.glob(f"{pdf.parent.name}*.png"))
        assert pngs, pdf
        for png in pngs:
            image = mpimg.imread(png)[..., :3]
            drawn, why = region_is_drawn(image, (0, 0, image.shape[1], image.shape[0]))
            ink = float((image.mean(axis=2) < 0.9).mean())
            assert ink > 0.005 and image.std() > 0.03, (png, why)


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_every_pdf_page_of_synthetic_data_says_synthetic(built):
    text = subprocess.run([PDFTOTEXT, "-layout", str(built / "sherry_best_2004_synthetic_ipd" / "report.pdf"), "-"],
                          check=True, capture_output=True, text=True, timeout=120).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    assert all("SYNTHETIC" in p for p in pages)
    real = subprocess.run([PDFTOTEXT, str(built / "sherry_best_2004" / "report.pdf"), "-"],
                          check=True, capture_output=True, text=True, timeout=120).stdout
    assert "SYNTHETIC" not in real
    assert "CONFLICT" in real
