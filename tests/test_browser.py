"""The dashboard in a real headless Chromium: start `streamlit run`, upload a sample, wait for the verdict.

Set ECG_SCREENSHOT_DIR to keep the screenshots (the README's are made that way into docs/).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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


@pytest.fixture(scope="module")
def dashboard_url():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
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
        pytest.fail("streamlit did not start within 60 s")
    yield url
    server.terminate()
    server.wait(timeout=15)


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


def test_every_page_opens_in_the_browser(dashboard_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for title in ("Pipeline explorer", "Model comparison", "Batch", "Classes and models"):
        page.goto(dashboard_url, timeout=60_000)
        page.get_by_role("link", name=title).first.click()
        page.wait_for_timeout(500)
        page.get_by_text("Not a medical device").first.wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")  # tables and charts load their code on first use
        if page.locator('[data-testid="stDataFrame"]').count():  # a table's grid is drawn once its code loads
            page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        assert page.get_by_text("Traceback").count() == 0
        page.screenshot(path=str(screenshot_dir(tmp_path) / f"{title.lower().replace(' ', '_')}.png"))
    page.close()


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
