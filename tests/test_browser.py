"""The dashboard in a real headless Chromium: start `streamlit run`, upload a sample, wait for the verdict; every
page in the light theme and in Streamlit's dark one, screenshot as <page>_<theme>.png and checked for contrast.

Set ECG_SCREENSHOT_DIR to keep the screenshots (the README's are made that way into docs/).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_dashboard(*options: str) -> Iterator[str]:
    """Run ``streamlit run app.py`` with extra command-line ``options`` on a free port; yield its address once
    its health check answers, and stop it afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", *options],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"streamlit {' '.join(options)} did not start within 60 s")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture(scope="module")
def dashboard_url():
    """The dashboard as configured (.streamlit/config.toml: the light theme)."""
    with serve_dashboard() as url:
        yield url


@pytest.fixture(scope="module")
def dark_dashboard_url():
    """The dashboard in Streamlit's dark theme, as a user who chose it in the settings would see it."""
    with serve_dashboard("--theme.base", "dark") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


def screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ECG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def copies_of(data: bytes, *folders: Path) -> set[str]:
    """Files under the folders whose bytes equal ``data``."""
    found = set()
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d not in {".venv", ".git", "__pycache__"}]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    if os.path.getsize(path) == len(data) and Path(path).read_bytes() == data:
                        found.add(path)
                except OSError:
                    continue
    return found


def open_upload(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url, timeout=60_000)
    page.get_by_text("Verdict rule").first.wait_for(timeout=90_000)  # the default sample, analysed
    page.get_by_text("Upload an image").click()
    return page


def test_upload_a_sample_and_see_the_verdict(dashboard_url, browser, tmp_path):
    upload = SAMPLES / "real_twelve_lead_myocardial_infarction_1.jpg"
    watched = (ROOT, Path("/tmp"), Path.home())
    copies_before = copies_of(upload.read_bytes(), *watched)
    page = open_upload(browser, dashboard_url)
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.get_by_text("Myocardial infarction").first.wait_for(timeout=90_000)
    page.get_by_text("Verdict rule").first.wait_for(timeout=30_000)
    page.get_by_text("ST at J+60 (mV)").first.wait_for(state="attached", timeout=30_000)  # the measurement table
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(4).wait_for(timeout=60_000)  # median beats, reasons, heatmaps and the combined chart at least
    assert page.get_by_text("Measurement model").count() > 0
    assert copies_of(upload.read_bytes(), *watched) == copies_before  # the upload was never written to disk
    out = screenshot_dir(tmp_path)
    page.screenshot(path=str(out / "analyze.png"), full_page=False)
    assert (out / "analyze.png").stat().st_size > 10_000
    page.mouse.wheel(0, 1400)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(out / "analyze_stages.png"))
    page.close()


#: The dashboard's pages by their link in the sidebar; Analyze is the default page.
PAGES = ("Analyze", "Pipeline explorer", "Model comparison", "Batch", "Classes and models")
#: Stages of the Pipeline explorer with a chart of their own: the histogram, one lead's trace, its median beat.
EXPLORER_CHART_STAGES = ("Otsu threshold", "Digitized trace", "Measurements")


def settle(page, pause_ms: int = 1500) -> None:
    """Wait until the script run is over and what it sent is drawn: tables and charts load their code on first
    use, and a table's grid is a canvas drawn once that code is in; then ``pause_ms`` for the last drawing."""
    page.wait_for_timeout(500)  # a click's rerun may not have started yet
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    if page.locator('[data-testid="stDataFrame"]').count():
        page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30_000)
    page.wait_for_timeout(pause_ms)


def open_page(page, url: str, title: str) -> None:
    """Open the page ``title`` of the dashboard at ``url``; Analyze, with its default sample analysed."""
    page.goto(url, timeout=60_000)
    if title == "Analyze":
        page.get_by_text("Verdict rule").first.wait_for(timeout=90_000)
    else:
        page.get_by_role("link", name=title).first.click()
    page.get_by_text("Not a medical device").first.wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text("Traceback").count() == 0, title


def file_name(title: str) -> str:
    """A page's title as a screenshot's name: "Model comparison" -> "model_comparison"."""
    return title.lower().replace(" ", "_")


def test_every_page_opens_in_the_browser(dashboard_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for title in PAGES[1:]:
        open_page(page, dashboard_url, title)
        page.screenshot(path=str(screenshot_dir(tmp_path) / f"{file_name(title)}.png"))
    page.close()


def rgba(colour: str) -> tuple[float, float, float, float]:
    """``#rrggbb`` or ``rgb(a)(r, g, b[, a])``, as a browser's canvas or computed style writes a colour."""
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 1.0
    parts = [float(v) for v in colour[colour.index("(") + 1:-1].split(",")]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else 1.0


def over(colour: str, background: tuple[float, float, float]) -> tuple[float, float, float]:
    """The opaque colour a (maybe translucent) ``colour`` shows over ``background``."""
    r, g, b, a = rgba(colour)
    return tuple(a * c + (1 - a) * under for c, under in zip((r, g, b), background, strict=True))


def luminance(rgb: tuple[float, float, float]) -> float:
    """Perceived brightness 0-255 (ITU-R BT.601 weights)."""
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def contrast(one: tuple[float, float, float], other: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio, 1 (same) to 21 (black on white)."""
    def relative(rgb):
        linear = [(c / 255 / 12.92) if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((relative(one), relative(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: Each Plotly chart's colours as Plotly resolved them to draw it (its template, Streamlit's theme and the
#: figure's own settings merged), normalised by a canvas to #rrggbb or rgba(); heatmaps draw a colour scale and
#: pick their cell text's colour themselves, so only lines, markers and bars are read. And where a title or
#: legend text lies over a drawn background (the paper, a plotting area, the legend's box): by how many pixels.
CHART_COLOURS_JS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const norm = c => {
    if (typeof c !== 'string') return null;
    ctx.fillStyle = 'rgba(1, 2, 3, 0)'; ctx.fillStyle = c;
    return ctx.fillStyle === 'rgba(1, 2, 3, 0)' ? null : ctx.fillStyle;
  };
  const app = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor;
  const charts = [...document.querySelectorAll('.js-plotly-plot')].filter(el => el._fullLayout).map(el => {
    const layout = el._fullLayout, marks = [];
    for (const t of el._fullData) {
      if (t.visible !== true) continue;
      const mode = t.mode || '';
      const colours = t.type === 'bar' ? [t.marker.color]
        : t.type === 'scatter' ? [mode.includes('lines') ? t.line.color : null,
                                  mode.includes('markers') ? t.marker.color : null] : [];
      for (const c of colours.flat()) if (norm(c)) marks.push({name: t.name || t.type, colour: norm(c),
                                                               legend: layout.showlegend && t.showlegend});
    }
    const areas = [...el.querySelectorAll('rect.bg')]
      .filter(r => !r.closest('.annotation') && Number(getComputedStyle(r).fillOpacity) > 0)
      .map(r => ({box: r.getBoundingClientRect(), fill: norm(getComputedStyle(r).fill)}));
    const overlaps = [];
    for (const t of el.querySelectorAll('.annotation-text, .gtitle, .legendtext')) {
      const a = t.getBoundingClientRect(), colour = norm(getComputedStyle(t).fill);
      for (const {box: b, fill} of areas) {
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0 && h > 0 && colour && fill) overlaps.push({text: t.textContent, colour, fill, pixels: h});
      }
    }
    return {title: (layout.title && layout.title.text) || '', paper: norm(layout.paper_bgcolor),
            plot: norm(layout.plot_bgcolor), font: norm(layout.font.color), marks, overlaps};
  });
  return {app, charts};
}"""


def unreadable_parts(page, theme: str, view: str) -> list[str]:
    """What in the open view would not read in ``theme``: the app's background not the theme's; a chart's text,
    lines, bars or legend keys without 3:1 contrast on what they are drawn on (WCAG 2's ratio for graphics;
    Streamlit's own light theme writes chart text #808495 on white, 3.8:1, so text is held to 3:1 too)."""
    found = page.evaluate(CHART_COLOURS_JS)
    app = over(found["app"], (255, 255, 255))
    problems = []
    brightness = luminance(app)
    if (theme == "dark" and brightness >= 60) or (theme == "light" and brightness <= 200):
        problems.append(f"{view}: the app's background {found['app']} (luminance {brightness:.0f}) is not {theme}")
    for chart in found["charts"]:
        name = f"{view}, chart '{chart['title']}'"
        paper = over(chart["paper"], app)
        plot = over(chart["plot"], paper)
        if contrast(over(chart["font"], paper), paper) < 3:
            problems.append(f"{name}: text {chart['font']} on paper {chart['paper']}")
        for mark in chart["marks"]:
            colour = over(mark["colour"], plot)
            if contrast(colour, plot) < 3:
                problems.append(f"{name}: {mark['name']} drawn {mark['colour']} on plot area {chart['plot']} "
                                f"(contrast {contrast(colour, plot):.1f})")
            if mark["legend"] and contrast(over(mark["colour"], paper), paper) < 3:
                problems.append(f"{name}: legend of {mark['name']} drawn {mark['colour']} on paper {chart['paper']}")
        for text in chart["overlaps"]:  # a few pixels of a text box's blank edge may touch another background
            under = over(text["fill"], app)
            if text["pixels"] >= 4 and contrast(over(text["colour"], under), under) < 3:
                problems.append(f"{name}: text '{text['text']}' ({text['colour']}) runs {text['pixels']:.0f} px "
                                f"into a {text['fill']} area")
    return problems


def full_screenshot(page, path: Path) -> None:
    """The whole of the open page, not just the window: the window is made as tall as the page's content (the
    app scrolls inside its main element, which Playwright's full_page does not see)."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(height, 16_000))})
    page.wait_for_timeout(800)  # Plotly redraws charts on a resize
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_reads_in_both_themes(theme, request, browser, tmp_path):
    """Every page, and the explorer's stages with their own chart, in the light theme and in Streamlit's dark
    one: the theme applies, and no text, line or bar of a chart fades into its background."""
    from dashboard.explorer import STAGES

    url = request.getfixturevalue("dashboard_url" if theme == "light" else "dark_dashboard_url")
    out = screenshot_dir(tmp_path)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems, charts = [], 0
    for title in PAGES:
        open_page(page, url, title)
        views = [title]
        if title == "Pipeline explorer":
            views += list(EXPLORER_CHART_STAGES)
        for view in views:
            if view in STAGES:
                for _ in STAGES:  # step forward to the stage, as a student would
                    if page.get_by_text(f"Stage {STAGES.index(view) + 1} of {len(STAGES)}").count():
                        break
                    page.get_by_role("button", name="Next").click()
                    settle(page, pause_ms=200)  # the page's code is loaded; full_screenshot waits for the drawing
            full_screenshot(page, out / f"{file_name(title if view == title else title + ' ' + view)}_{theme}.png")
            problems += unreadable_parts(page, theme, view)
            charts += page.locator(".js-plotly-plot").count()
    page.close()
    assert not problems, "\n".join(problems)
    assert charts >= 8  # the check read charts: Analyze alone draws more than that


def test_images_that_are_not_ecgs_get_no_verdict_and_a_reason(dashboard_url, browser, tmp_path):
    """The four uploads of issue 23: a blank page, noise, a colour gradient, a screenshot of the dashboard."""
    import numpy as np
    from PIL import Image

    from ecg_pipeline.synth.non_ecg import blank, gradient, noise

    files = {}
    for name, image in (("blank", blank()), ("noise", noise(1)), ("gradient", gradient(35))):
        files[name] = tmp_path / f"{name}.png"
        Image.fromarray(np.asarray(image)).save(files[name])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(dashboard_url, timeout=60_000)
    page.get_by_text("Verdict rule").first.wait_for(timeout=90_000)
    files["screenshot"] = tmp_path / "dashboard.png"
    page.screenshot(path=str(files["screenshot"]))  # the dashboard itself, showing a verdict
    page.close()
    for name, path in files.items():
        page = open_upload(browser, dashboard_url)
        page.locator("input[type=file]").first.set_input_files(str(path))
        page.get_by_text("No ECG trace was found").first.wait_for(timeout=60_000)
        assert page.get_by_text("No verdict.").count() > 0, name
        page.wait_for_timeout(500)
        assert page.get_by_text("Verdict rule").count() == 0, name  # no headline, no model output
        assert page.get_by_text("Heart rate").count() == 0, name
        assert page.get_by_text("Analyze anyway").count() > 0, name
        if name == "noise":
            page.screenshot(path=str(screenshot_dir(tmp_path) / "not_an_ecg.png"))
        page.close()
