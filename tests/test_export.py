"""Signal export: the digitized leads as CSV and as a WFDB record that reads back to the CSV's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_pipeline.constants import LAYOUT_ROWS, LEAD_NAMES, LEAD_SECONDS, MEASUREMENT_FS, RHYTHM_LEAD, RHYTHM_SECONDS

from .conftest import SAMPLES
from .test_cli import run_cli

PAGE = SAMPLES / "real_twelve_lead_normal_1.jpg"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("signals")
    for fmt in ("csv", "wfdb"):
        run = run_cli("digitize", str(PAGE), "--out", str(out), "--format", fmt)
        assert run.returncode == 0, run.stderr
    return out


def test_the_csv_has_every_lead_on_one_clock_each_where_it_was_printed(exported):
    table = pd.read_csv(exported / f"{PAGE.stem}.csv")
    assert list(table.columns) == ["time_s", *LEAD_NAMES]
    assert len(table) == int(RHYTHM_SECONDS * MEASUREMENT_FS)
    for row in LAYOUT_ROWS:  # column k of the 3 x 4 layout holds its leads from 2.5 k s to 2.5 (k + 1) s
        for column, lead in enumerate(row):
            times = table.time_s[table[lead].notna()]
            assert times.min() >= column * LEAD_SECONDS - 0.05 and times.max() <= (column + 1) * LEAD_SECONDS + 0.05
            assert len(times) > 0.6 * LEAD_SECONDS * MEASUREMENT_FS
    assert table[RHYTHM_LEAD].notna().mean() > 0.9
    assert 0.4 < table[list(LEAD_NAMES)].abs().max().max() < 5  # R waves in mV, not pixels


def test_the_wfdb_record_reads_back_to_the_csv(exported):
    wfdb = pytest.importorskip("wfdb")
    record = wfdb.rdrecord(str(exported / PAGE.stem))
    table = pd.read_csv(exported / f"{PAGE.stem}.csv")
    assert record.fs == MEASUREMENT_FS and record.sig_name == list(LEAD_NAMES)
    assert record.units == ["mV"] * record.n_sig and record.sig_len == len(table)
    expected = table[record.sig_name].to_numpy()
    assert np.array_equal(np.isnan(record.p_signal), np.isnan(expected))  # not printed: missing in both
    known = ~np.isnan(expected)
    assert np.abs(record.p_signal[known] - expected[known]).max() <= 0.0011  # 1 µV steps, the CSV's 3 decimals


def test_an_image_that_is_not_an_ecg_is_not_digitized(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (2213, 1572), "white").save(blank)
    run = run_cli("digitize", str(blank), "--out", str(tmp_path / "out"))
    assert run.returncode == 1 and "blank.png" in run.stderr
    assert not list((tmp_path / "out").iterdir())


def test_the_json_download_carries_the_csvs_signal(exported):
    import json

    from dashboard.tables import probabilities_json
    from ecg_pipeline import analyze

    document = json.loads(probabilities_json(analyze(PAGE.read_bytes(), models=()), PAGE.name, 1.0, "otsu"))
    signals, table = document["signals"], pd.read_csv(exported / f"{PAGE.stem}.csv")
    assert signals["sampling_hz"] == MEASUREMENT_FS and signals["units"] == "mV"
    assert list(signals["leads"]) == list(LEAD_NAMES)
    for lead in LEAD_NAMES:
        values = np.array([np.nan if v is None else v for v in signals["leads"][lead]])
        assert np.allclose(values, table[lead].to_numpy(), atol=1e-3, equal_nan=True), lead


def test_the_dashboards_wfdb_zip_is_the_clis_record_and_leaves_no_file(exported, tmp_path):
    import io
    import zipfile

    wfdb = pytest.importorskip("wfdb")
    from ecg_pipeline import analyze
    from ecg_pipeline.io.export import MEMORY_FOLDER, signal_table, wfdb_zip

    if not MEMORY_FOLDER.is_dir():
        pytest.skip("no memory-backed folder on this machine: the dashboard offers no WFDB download")
    before = set(MEMORY_FOLDER.iterdir())
    archive = wfdb_zip(signal_table(analyze(PAGE.read_bytes(), models=()).measurements.signals), "page")
    assert set(MEMORY_FOLDER.iterdir()) == before  # written in memory for wfdb's moment, and removed
    zipfile.ZipFile(io.BytesIO(archive)).extractall(tmp_path)
    mine, clis = wfdb.rdrecord(str(tmp_path / "page")), wfdb.rdrecord(str(exported / PAGE.stem))
    assert mine.sig_name == clis.sig_name and np.array_equal(mine.d_signal, clis.d_signal)


def test_no_memory_folder_means_no_wfdb_download(tmp_path):
    from ecg_pipeline.io.export import signal_table, wfdb_zip

    assert wfdb_zip(signal_table({}), "page", memory_folder=tmp_path / "absent") is None
