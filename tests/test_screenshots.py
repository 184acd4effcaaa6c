"""The step view as a person sees it: notebook 13 rendered to HTML and opened in headless
Chromium, its diagrams measured and photographed, and its "next" button clicked.

The HTML is written here from the notebook's stored outputs (as a static export would show
them: HTML, SVG and text outputs in order), so no converter is needed. Chromium is driven
through its DevTools protocol over `--remote-debugging-pipe` (JSON messages on file
descriptors 3 and 4), with the standard library alone. A real mouse click on "next ▶" must
change the pixels of the diagram. Screenshots go to pytest's temporary folder, or to
$AUTOGRAD_LITE_SCREENSHOTS when set, to look at them. Skipped where Chromium is absent
(`apt-get install chromium`; `.ci/run` installs it).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
Image = pytest.importorskip("PIL.Image")  # Pillow comes with matplotlib, a dependency
ImageChops = pytest.importorskip("PIL.ImageChops")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "13_backward_step_by_step.ipynb"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]
TIMEOUT = 60.0  # seconds for any one answer from the browser

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                "(apt-get install chromium); .ci/run installs it")


# --- the notebook as a static HTML page -------------------------------------------------------

def notebook_html(path: Path) -> str:
    """A page with every cell of the notebook: Markdown as text, code, and the stored outputs
    (HTML, SVG, text), as an HTML export shows them."""
    notebook = nbformat.read(path, as_version=4)
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>', path.stem,
             "</title></head><body style=\"font-family:sans-serif;max-width:1000px\">"]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="markdown"><pre>{html.escape(cell.source)}</pre></div>')
            continue
        parts.append(f'<pre class="code">{html.escape(cell.source)}</pre>')
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(f'<div class="output">{data["text/html"]}</div>')
            elif "image/svg+xml" in data:
                parts.append(f'<div class="output">{data["image/svg+xml"]}</div>')
            elif "text/plain" in data or "text" in output:
                text = data.get("text/plain") or output.get("text", "")
                parts.append(f'<pre class="output">{html.escape(text)}</pre>')
    parts.append("</body></html>")
    return "".join(parts)


# --- a DevTools client over a pipe ------------------------------------------------------------

class Browser:
    """Headless Chromium, driven by DevTools protocol messages over a pipe."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child: where --remote-debugging-pipe reads
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"], preexec_fn=on_fds_3_and_4, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next_id, self.events = b"", 0, []
        self.session: str | None = None

    def send(self, method: str, params: dict | None = None, page: bool = True) -> dict:
        """Send one command (to the page's session unless `page` is false) and wait for its
        answer; events that arrive meanwhile are kept in `events`."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._read())

    def _read(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {TIMEOUT:g} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, width: int, height: int) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)
        self.session = self.send("Target.attachToTarget", {
            "targetId": target["targetId"], "flatten": True}, page=False)["sessionId"]
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, box: dict) -> bytes:
        """A PNG of the page region `box` (x, y, width, height in page coordinates)."""
        clip = {**box, "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                    "captureBeyondViewport": True})["data"]
        return base64.b64decode(data)

    def click(self, x: float, y: float) -> None:
        """A left click at viewport point (x, y), as a mouse makes it."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def close(self) -> None:
        try:
            self.send("Browser.close", page=False)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._answers)


# --- the test ---------------------------------------------------------------------------------

BOX_OF = """(function (selector, index) {
  var el = document.querySelectorAll(selector)[index];
  el.scrollIntoView({block: "start"});
  var r = el.getBoundingClientRect();
  return {x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height,
          vx: r.x + r.width / 2, vy: r.y + r.height / 2};
})"""


def ink(png: bytes) -> int:
    """How many pixels are not white: a blank picture has none."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(count for level, count in enumerate(image.histogram()) if level < 250)


def highlighted(png: bytes) -> int:
    """How many pixels have the colour of the node the sweep visits (#ffd27a)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    return sum(n for n, (r, g, b) in colours
               if abs(r - 0xFF) + abs(g - 0xD2) + abs(b - 0x7A) < 12)


def changed_pixels(a: bytes, b: bytes) -> int:
    """How many pixels differ between two pictures of the same size."""
    first, second = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    assert first.size == second.size
    return sum(ImageChops.difference(first, second).convert("L").histogram()[1:])


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("AUTOGRAD_LITE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_notebook_13_shows_its_diagrams_and_next_changes_the_picture(tmp_path, shots):
    page = tmp_path / "13_backward_step_by_step.html"
    page.write_text(notebook_html(NOTEBOOK))
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(page.as_uri(), 1100, 900)
        # every diagram is drawn with a non-zero size: two players and one static frame
        sizes = browser.evaluate("Array.from(document.querySelectorAll('div.output svg'))"
                                 ".map(s => [s.getBoundingClientRect().width, "
                                 "s.getBoundingClientRect().height])")
        assert len(sizes) >= 3 and all(w > 100 and h > 100 for w, h in sizes), sizes
        players = browser.evaluate("document.querySelectorAll('.autograd-lite-steps').length")
        assert players == 2

        whole = browser.evaluate(f"{BOX_OF}('.autograd-lite-steps', 0)")
        before = browser.screenshot({k: whole[k] for k in ("x", "y", "width", "height")})
        (shots / "player_frame_0.png").write_bytes(before)
        assert ink(before) > 5000  # a drawing, not an empty box
        assert highlighted(before) == 0  # frame 0: the sweep has not started
        counter = "document.querySelector('.autograd-lite-steps .counter').textContent"
        assert browser.evaluate(counter) == "frame 0 of 5"

        for frame in (1, 2, 3):
            button = browser.evaluate(f"{BOX_OF}('.autograd-lite-steps .next', 0)")
            browser.click(button["vx"], button["vy"])
            assert browser.evaluate(counter) == f"frame {frame} of 5"
        whole = browser.evaluate(f"{BOX_OF}('.autograd-lite-steps', 0)")
        after = browser.screenshot({k: whole[k] for k in ("x", "y", "width", "height")})
        (shots / "player_frame_3.png").write_bytes(after)
        assert changed_pixels(before, after) > 500  # highlights, adjoints and labels appear
        assert highlighted(after) > 500  # the node visited in step 3

        tensor = browser.evaluate(f"{BOX_OF}('.autograd-lite-steps', 1)")
        (shots / "tensor_player.png").write_bytes(
            browser.screenshot({k: tensor[k] for k in ("x", "y", "width", "height")}))
        table = browser.evaluate(f"{BOX_OF}('.autograd-lite-trace', 0)")
        (shots / "trace_table.png").write_bytes(
            browser.screenshot({k: table[k] for k in ("x", "y", "width", "height")}))
        assert table["width"] > 200 and table["height"] > 100
    finally:
        browser.close()
