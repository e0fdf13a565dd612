"""Nothing is written to disk by the library or the CLI unless the user asks for it (stages --out)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ecg_pipeline import analyze

from .conftest import ROOT, sample_path

IGNORED_PARTS = {".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".git", ".cache"}


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    files = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_PARTS]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                files[path] = (stat.st_size, stat.st_mtime_ns)
    return files


def changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p, v in after.items() if before.get(p) != v)


def test_analyze_and_predict_write_nothing(sample_manifest, tmp_path, monkeypatch):
    # A temp folder of the test's own: the machine's shared /tmp also holds other programs' files.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    work = tmp_path / "work"
    work.mkdir()
    watched = (ROOT, private_tmp, Path.home())
    image = sample_path(sample_manifest, "twelve_lead")
    before = snapshot(*watched)
    analyze(image.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(private_tmp)}
    done = subprocess.run([sys.executable, "-m", "ecg_pipeline", "predict", str(image)], cwd=work,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    after = snapshot(*watched)
    assert changed(before, after) == []
    assert list(work.iterdir()) == []  # not even in the working folder


def test_the_app_keeps_uploads_in_memory():
    # Any upload reaches the app as bytes through one helper; the pages never open a file for writing.
    sources = [p for p in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard").glob("*.py")]]
    for source in sources:
        text = source.read_text()
        for forbidden in ("open(", ".write_bytes(", ".write_text(", "tempfile", "NamedTemporaryFile", ".save("):
            assert forbidden not in text.replace("zipfile.ZipFile(", ""), f"{source.name} uses {forbidden}"
