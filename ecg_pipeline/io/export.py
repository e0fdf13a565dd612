"""The digitized signal of a 12-lead page as files: CSV (time in s, one column per lead in mV) and a WFDB record
laid out as the PhysioNet Challenge 2024 lays out its signals (10 s at 500 Hz, each lead where it was printed and
NaN elsewhere, the rhythm strip as its own channel)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..constants import LEAD_NAMES, MEASUREMENT_FS, RHYTHM_SECONDS

#: A folder held in memory (tmpfs): the only place a download's WFDB files are written, for the moment wfdb needs,
#: since wfdb writes records to files only and nothing derived from an upload may reach the disk.
MEMORY_FOLDER = Path("/dev/shm")

#: WFDB stores samples as 16-bit integers: 1000 per mV keeps 1 µV steps over ±32 mV.
WFDB_ADC_GAIN = 1000.0


def signal_table(signals: dict, fs: float = MEASUREMENT_FS, seconds: float = RHYTHM_SECONDS) -> pd.DataFrame:
    """The page's leads on one clock: ``time_s`` then one column per lead in mV (the 12 leads, then the rhythm
    strip), NaN where a lead was not printed or not measured.

    Parameters
    ----------
    signals : dict of lead name -> ``measure.LeadSignal`` (``Measurements.signals``)

    Examples
    --------
    >>> from ecg_pipeline.measure.signals import LeadSignal
    >>> table = signal_table({"I": LeadSignal("I", 0.004, 500.0, np.array([0.1, 0.2]))})
    >>> table.loc[1:3, ["time_s", "I", "II"]].to_numpy().tolist()
    [[0.002, nan, nan], [0.004, 0.1, nan], [0.006, 0.2, nan]]
    """
    n = int(round(seconds * fs))
    table = pd.DataFrame({"time_s": np.round(np.arange(n) / fs, 6)})
    for name in LEAD_NAMES:  # the 12 leads, then the rhythm strip
        column = np.full(n, np.nan)
        signal = signals.get(name)
        if signal is not None and len(signal.millivolts):
            first = int(round(signal.start_s * fs))
            index = first + np.arange(len(signal.millivolts))
            inside = (index >= 0) & (index < n)
            column[index[inside]] = signal.millivolts[inside]
        table[name] = column
    return table


def signal_csv(table: pd.DataFrame) -> str:
    """``signal_table`` as CSV text, values in mV to the µV, empty where not measured."""
    return table.to_csv(index=False, float_format="%.3f")


def signal_document(table: pd.DataFrame, fs: float = MEASUREMENT_FS) -> dict:
    """``signal_table`` as JSON-ready data: the sampling rate, the unit and each lead's samples in mV to the µV,
    ``None`` where not measured (sample ``i`` is at ``i / sampling_hz`` seconds).

    Examples
    --------
    >>> from ecg_pipeline.measure.signals import LeadSignal
    >>> document = signal_document(signal_table({"I": LeadSignal("I", 0.004, 500.0, np.array([0.1, 0.2]))}))
    >>> document["sampling_hz"], document["leads"]["I"][1:4], document["leads"]["II"][2]
    (500.0, [None, 0.1, 0.2], None)
    """
    leads = {}
    for lead in (c for c in table.columns if c != "time_s"):
        values = np.round(table[lead].to_numpy(dtype=float), 3)
        leads[lead] = [None if np.isnan(v) else float(v) for v in values]
    return {"sampling_hz": float(fs), "units": "mV", "seconds": len(table) / fs, "leads": leads}


def write_wfdb(table: pd.DataFrame, record: str, directory: str | Path, fs: float = MEASUREMENT_FS) -> list[Path]:
    """``signal_table`` as a WFDB record (``record.hea`` and ``record.dat``, 16-bit, NaN kept as WFDB's missing
    sample) in ``directory``; the files written."""
    import wfdb

    leads = [c for c in table.columns if c != "time_s"]
    wfdb.wrsamp(record, fs=fs, units=["mV"] * len(leads), sig_name=leads,
                p_signal=table[leads].to_numpy(dtype=float), fmt=["16"] * len(leads),
                adc_gain=[WFDB_ADC_GAIN] * len(leads), baseline=[0] * len(leads), write_dir=str(directory))
    return [Path(directory) / f"{record}.hea", Path(directory) / f"{record}.dat"]


def wfdb_zip(table: pd.DataFrame, record: str, fs: float = MEASUREMENT_FS,
             memory_folder: Path = MEMORY_FOLDER) -> bytes | None:
    """``signal_table`` as a WFDB record's ``.hea`` and ``.dat`` in a ZIP, built in a memory-backed folder that is
    removed before returning; ``None`` where the machine has no such folder (the CLI's ``digitize --format wfdb``
    then writes the record).

    Examples
    --------
    >>> from ecg_pipeline.measure.signals import LeadSignal
    >>> archive = wfdb_zip(signal_table({"I": LeadSignal("I", 0.0, 500.0, np.array([0.1, 0.2]))}), "page")
    >>> archive is None or sorted(zipfile.ZipFile(io.BytesIO(archive)).namelist()) == ["page.dat", "page.hea"]
    True
    """
    if not memory_folder.is_dir():
        return None
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(dir=memory_folder) as folder, zipfile.ZipFile(buffer, "w") as archive:
        for path in write_wfdb(table, record, folder, fs):
            archive.write(path, path.name)
    return buffer.getvalue()


def record_name(name: str) -> str:
    """A WFDB record name from a file name (WFDB allows letters, digits, ``_`` and ``-``).

    Examples
    --------
    >>> record_name("HB(100) copy.jpg#page=2")
    'HB_100__copy_page_2'
    """
    stem = Path(name.split("#")[0]).stem + ("_" + name.split("#")[1] if "#" in name else "")
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in stem)
