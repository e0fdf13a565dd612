"""Speed and memory of the pipeline, the models, the CLI and the dashboard, measured in one run.

    python scripts/benchmark.py [--image PATH] [--repeats 15] [--engine ray] [--json docs/benchmark.json]

Prints a table of medians and writes it as JSON. In the same run it times the reference recipe of the
well-known Streamlit app this project is measured against (scikit-image ``rgb2gray``, 13 fixed boxes,
``gaussian(sigma=1)``, ``threshold_otsu``, ``img_as_ubyte``, ``cv2.cvtColor(GRAY2RGB)``, ``cv2.resize`` to 150 x 150,
without its disk writes) and prints the ratio of our whole analysis (every model) to that recipe's preprocessing
alone. A variant that resizes with ``skimage.transform.resize`` on floats is timed beside it, labelled as such.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

import ecg_pipeline.tf_settings  # noqa: F401
from ecg_pipeline.constants import MEASUREMENT_KIND, TWELVE_LEAD, TWELVE_LEAD_SPEC
from ecg_pipeline.gate import check_evidence
from ecg_pipeline.io import PROJECT_ROOT as ROOT
from ecg_pipeline.io.loading import load_image, read_bytes
from ecg_pipeline.measure import measure_page
from ecg_pipeline.preprocess.pipeline import run_pipeline

#: The lead Grad-CAM switches to (from lead II, the page's default) when the switch is timed.
GRADCAM_SWITCH_LEAD = "V2"

#: The fixed crops of the well-known recipe for the shared printer's 2213 x 1572 pages (12 leads + rhythm).
REFERENCE_CROPS = [
    (300, 600, 150, 643), (300, 600, 646, 1135), (300, 600, 1140, 1625), (300, 600, 1630, 2125),
    (600, 900, 150, 643), (600, 900, 646, 1135), (600, 900, 1140, 1625), (600, 900, 1630, 2125),
    (900, 1200, 150, 643), (900, 1200, 646, 1135), (900, 1200, 1140, 1625), (900, 1200, 1630, 2125),
    (1250, 1480, 150, 2125),
]


def reference_preprocess(data: bytes) -> list[np.ndarray]:
    """The seed app's recipe: decode, ``color.rgb2gray``, fixed boxes, ``filters.gaussian(sigma=1)``,
    ``threshold_otsu``, ``img_as_ubyte`` of the binary lead, ``cv2.cvtColor(GRAY2RGB)``, ``cv2.resize`` to 150 x 150."""
    import io

    import cv2
    from PIL import Image
    from skimage import color, filters, img_as_ubyte

    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    gray = color.rgb2gray(image)
    out = []
    for top, bottom, left, right in REFERENCE_CROPS:
        lead = filters.gaussian(gray[top:bottom, left:right], sigma=1)
        binary = img_as_ubyte(lead < filters.threshold_otsu(lead))
        out.append(cv2.resize(cv2.cvtColor(binary, cv2.COLOR_GRAY2RGB), (150, 150)))
    return out


def float_resize_variant(data: bytes) -> list[np.ndarray]:
    """The same recipe resizing float RGB leads with ``skimage.transform.resize`` (slower; not the seed's)."""
    import io

    from PIL import Image
    from skimage import color, filters, transform

    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    gray = color.rgb2gray(image)
    out = []
    for top, bottom, left, right in REFERENCE_CROPS:
        lead = filters.gaussian(gray[top:bottom, left:right], sigma=1)
        binary = lead < filters.threshold_otsu(lead)
        out.append(transform.resize(np.repeat(binary[:, :, None].astype(np.float64), 3, axis=2), (150, 150)))
    return out


def median_ms(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: In the browser: the charts drawn and every stage image loaded (the test for "all stages and probabilities").
PAGE_COMPLETE_JS = """() => {
  const charts = document.querySelectorAll('.js-plotly-plot .main-svg').length;
  const images = [...document.querySelectorAll('[data-testid="stImage"] img')];
  const running = document.querySelector('[data-testid="stStatusWidget"]') !== null;
  return {charts, images: images.length, loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
          running};
}"""

#: The largest ratio of an image's width as sent to its width on screen (in device pixels), over the images shown.
IMAGE_OVERSIZE_JS = """() => {
  const shown = [...document.querySelectorAll('[data-testid="stImage"] img')].filter(i => i.clientWidth > 0);
  return Math.max(0, ...shown.map(i => i.naturalWidth / (i.clientWidth * window.devicePixelRatio)));
}"""


def wait_complete(page, start: float, timeout: float, charts: int = 4, images: int = 3) -> float:
    """Seconds from ``start`` until the script has finished and the page has ``charts`` Plotly charts drawn and
    ``images`` images, all loaded."""
    while time.perf_counter() - start < timeout:
        state = page.evaluate(PAGE_COMPLETE_JS)
        if (state["charts"] >= charts and state["images"] >= images and state["loaded"] == state["images"]
                and not state["running"]):
            break
        time.sleep(0.02)
    return time.perf_counter() - start


def upload_seconds(page, url: str, image: Path, timeout: float) -> dict:
    """Seconds from handing ``image`` to the Analyze page's uploader until the verdict shows, and until the
    histogram, both heatmaps and the combined chart are drawn and every stage image has loaded; then from choosing
    another lead for Grad-CAM until its pictures have loaded; and how much wider than shown the images were sent
    (with every folded section opened, so that each image has a width on screen)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, timeout=timeout * 1000)
    page.get_by_text("Verdict rule").first.wait_for(timeout=timeout * 1000)  # the default sample, fully shown
    page.get_by_text("Upload an image").click()
    page.locator("input[type=file]").first.wait_for(state="attached", timeout=timeout * 1000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 0",
                           timeout=timeout * 1000)
    start = time.perf_counter()
    page.locator("input[type=file]").first.set_input_files(str(image))
    page.get_by_text("Verdict rule").first.wait_for(timeout=timeout * 1000)
    verdict = time.perf_counter() - start
    complete = wait_complete(page, start, timeout)
    option = page.get_by_role("option", name=GRADCAM_SWITCH_LEAD, exact=True)
    for _ in range(5):  # a click as an element is redrawn can leave the list closed
        page.get_by_label("Lead for Grad-CAM").click()
        try:
            option.wait_for(timeout=2000)
            break
        except PlaywrightTimeout:
            continue
    start = time.perf_counter()
    option.click()
    page.get_by_text(f"parts of lead {GRADCAM_SWITCH_LEAD} ").first.wait_for(timeout=timeout * 1000)
    switch = wait_complete(page, start, timeout)
    page.evaluate("() => document.querySelectorAll('[data-testid=\"stExpander\"] details:not([open]) summary')"
                  ".forEach(s => s.click())")
    page.wait_for_timeout(500)
    return {"verdict_s": verdict, "complete_s": complete, "gradcam_switch_s": switch,
            "image_oversize": page.evaluate(IMAGE_OVERSIZE_JS)}


def dashboard_seconds(uploads: list[Path], timeout: float = 90.0) -> dict:
    """Seconds from `streamlit run` to the server's health check and to a first rendered page in Chromium,
    then, each in a fresh tab, from uploading a printout to its verdict and to its complete analysis."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}/"
    result: dict = {}
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"{url}_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        result["server_ready_s"] = time.perf_counter() - started
                        break
            except OSError:
                time.sleep(0.1)
        chromium = "/usr/bin/chromium"
        if "server_ready_s" in result and Path(chromium).exists():
            try:
                from playwright.sync_api import sync_playwright

                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=chromium, headless=True,
                                                args=["--no-sandbox", "--disable-gpu"])
                    page = browser.new_page()
                    page.goto(url, timeout=timeout * 1000)
                    page.get_by_text("Analyze").first.wait_for(timeout=timeout * 1000)
                    result["first_page_rendered_s"] = time.perf_counter() - started
                    page.close()
                    timings = []
                    for image in uploads:
                        page = browser.new_page(viewport={"width": 1400, "height": 1000})
                        timings.append(upload_seconds(page, url, image, timeout))
                        page.close()
                    browser.close()
                if timings:
                    for key in ("verdict_s", "complete_s"):
                        values = [t[key] for t in timings]
                        result[f"upload to {key[:-2]}, median s"] = statistics.median(values)
                        result[f"upload to {key[:-2]}, slowest s"] = max(values)
                    result["Grad-CAM lead switch, median s"] = statistics.median(t["gradcam_switch_s"] for t in timings)
                    result["images sent / shown width, largest"] = max(t["image_oversize"] for t in timings)
                    result["uploads timed"] = len(timings)
            except Exception as exc:  # the benchmark reports what it could not measure
                result["browser_error"] = str(exc)[:200]
    finally:
        server.terminate()
        server.wait(timeout=10)
    return result


def ray_throughput(paths: list[Path], workers: int) -> dict[str, float]:
    """Images/s of ``predict --engine ray`` with ``workers`` actors: over the whole run (with the actors' start,
    which loads TensorFlow and the models), and once every actor is up (from the first finished image on)."""
    from ecg_pipeline.archive import score_archive

    start = time.perf_counter()
    finished = []
    for _ in score_archive(paths, "auto", TWELVE_LEAD_SPEC.model_kinds, workers=workers):
        finished.append(time.perf_counter())
    # Rows arrive a batch at a time: the images of the first batch all finish at its end, so the steady rate
    # counts only the images that finished after it.
    later = [t for t in finished if t - finished[0] > 0.005]
    steady = len(later) / (finished[-1] - finished[0]) if later else float("nan")
    return {"images_per_s": len(paths) / (finished[-1] - start), "steady_images_per_s": steady}


def ray_scaling(paths: list[Path]) -> dict[str, float]:
    """``ray_throughput`` with 1 and 2 workers on a local Ray of 2 CPUs, and the ratio of their steady rates."""
    from ecg_pipeline.archive import start_ray

    start_ray(None, 2)
    one, two = ray_throughput(paths, 1), ray_throughput(paths, 2)
    return {"1 worker images/s": one["images_per_s"], "1 worker steady images/s": one["steady_images_per_s"],
            "2 workers images/s": two["images_per_s"], "2 workers steady images/s": two["steady_images_per_s"],
            "scaling, 2 workers / 1 (steady)": two["steady_images_per_s"] / one["steady_images_per_s"]}


def soak_figures(runs: int) -> dict:
    """``scripts/soak.py --runs runs`` in its own process: resident memory after warm-up and after the analyses."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "soak.py"), "--runs", str(runs), "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (done.stderr or done.stdout)[-200:]}


def benchmark_page(image: str | None, shared: list[Path]) -> tuple[bytes, str]:
    """The page timed: the one given, else the first shared printout, else a synthetic page at its size."""
    if image:
        return read_bytes(image), image
    if shared:
        return read_bytes(shared[0]), str(shared[0].relative_to(ROOT.parent))
    import io

    from PIL import Image

    from ecg_pipeline.synth import render_twelve_lead_page

    buffer = io.BytesIO()
    Image.fromarray(render_twelve_lead_page("normal", seed=0)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), "synthetic 2213 x 1572 page"


def stage_medians(data: bytes, rgb: np.ndarray, repeats: int) -> dict[str, float]:
    """Median milliseconds of decoding, each stage, each measurement step, the gate, each model, the whole
    analysis and the reference recipe, measured in this process."""
    from ecg_pipeline.models.inference import analyze, load_model

    rows: dict[str, float] = {}
    rows["decode"] = median_ms(lambda: load_image(data), repeats)
    stage_times: dict[str, list[float]] = {}
    for _ in range(repeats):
        for stage, ms in run_pipeline(rgb).timings_ms.items():
            stage_times.setdefault(stage, []).append(ms)
    for stage, values in stage_times.items():
        rows[f"stage: {stage}"] = statistics.median(values)
    rows["run_pipeline (decoded image)"] = median_ms(lambda: run_pipeline(rgb), repeats)
    result = run_pipeline(rgb)
    measure_times: dict[str, list[float]] = {}
    for _ in range(repeats):
        for step, ms in measure_page(result).timings_ms.items():
            measure_times.setdefault(step, []).append(ms)
    for step, values in measure_times.items():
        rows[f"measure: {step}"] = statistics.median(values)
    rows["measure_page (the added measurements)"] = median_ms(lambda: measure_page(result), repeats)
    measured = measure_page(result)
    rows["evidence gate (given the measurements)"] = median_ms(lambda: check_evidence(result, measured), repeats)
    for kind in TWELVE_LEAD_SPEC.model_kinds:
        model = load_model(TWELVE_LEAD, kind)
        if kind == MEASUREMENT_KIND:
            rows[f"{kind} on the page's measurements"] = median_ms(lambda m=model: m.predict_page(measured),
                                                                  repeats)
        else:
            rows[f"{kind} on 13 leads"] = median_ms(lambda m=model: m.predict(result.model_inputs), repeats)
    rows["analyze, every model (from file bytes)"] = median_ms(lambda: analyze(data), repeats)
    rows["reference recipe preprocessing (from file bytes)"] = median_ms(lambda: reference_preprocess(data),
                                                                      max(5, repeats // 3))
    rows["float-resize variant of it (not the reference)"] = median_ms(lambda: float_resize_variant(data),
                                                                     max(5, repeats // 3))

    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", help="a 2213 x 1572 printout (default: the first shared printout, "
                        "else a synthetic page at that size)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=20, help="images for the predict throughput")
    parser.add_argument("--json", default=str(ROOT / "docs" / "benchmark.json"),
                        help="the report (the README's speed table is generated from docs/benchmark.json)")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="ray: also time predict --engine ray with 1 and 2 workers (needs Ray)")
    parser.add_argument("--ray-images", type=int, default=60, help="images for the Ray scaling")
    parser.add_argument("--soak", type=int, default=200, help="analyses for the memory growth (0: skip)")
    args = parser.parse_args(argv)

    shared = sorted((ROOT.parent / "shared" / "data" / "ecg-images").glob("*/*.jpg"))
    data, source = benchmark_page(args.image, shared)
    rgb = load_image(data)
    rows = stage_medians(data, rgb, args.repeats)

    from ecg_pipeline.cli import predict_files

    paths = (shared * 2)[: args.batch] if shared else [ROOT / "data" / "samples" / "twelve_lead_normal_1.jpg"] * 4
    start = time.perf_counter()
    for _ in predict_files([Path(p) for p in paths], "auto", TWELVE_LEAD_SPEC.model_kinds):
        pass
    batch_s = time.perf_counter() - start
    throughput = len(paths) / batch_s

    ray = {}
    if args.engine == "ray":
        images = [Path(p) for p in shared[: args.ray_images]] if shared else [Path(p) for p in paths]
        ray = ray_scaling(images)
    # one printout of each class, none of them seen by the server before
    uploads = [next(p for p in shared if p.parent.name == c) for c in sorted({p.parent.name for p in shared})]
    dashboard = {} if args.no_dashboard else dashboard_seconds(uploads)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    soak = soak_figures(args.soak) if args.soak else {}
    ratio = rows["analyze, every model (from file bytes)"] / rows["reference recipe preprocessing (from file bytes)"]

    print(f"image: {source} ({rgb.shape[1]} x {rgb.shape[0]}), medians over {args.repeats} runs, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'measure':52s} {'median ms':>10s}")
    for name, value in rows.items():
        print(f"{name:52s} {value:10.1f}")
    print(f"{'ratio analyze / reference preprocessing':52s} {ratio:10.2f}")
    print(f"{'predict throughput, every model (images/s)':52s} {throughput:10.2f}")
    for name, value in dashboard.items():
        shown = value if isinstance(value, str) else f"{value:10d}" if isinstance(value, int) else f"{value:10.2f}"
        print(f"{'dashboard ' + name:52s} {shown}")
    for name, value in ray.items():
        print(f"{'ray ' + name:52s} {value:10.2f}")
    print(f"{'peak resident memory (MB)':52s} {peak_mb:10.0f}")
    if "growth_mb" in soak:
        print(f"{'memory growth over ' + str(soak['analyses']) + ' analyses (MB)':52s} {soak['growth_mb']:10.1f}")
    elif soak:
        print(f"{'memory growth':52s} not measured: {soak['error']}")
    report = {"image": source, "repeats": args.repeats, "cpu_cores": os.cpu_count(), "median_ms": rows,
              "ratio_analyze_to_reference": ratio, "predict_images_per_s": throughput,
              "predict_images": len(paths), "dashboard": dashboard, "ray": ray, "peak_rss_mb": peak_mb,
              "soak": soak}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=1))
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
