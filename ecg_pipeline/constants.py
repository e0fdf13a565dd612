"""Facts about the world the pipeline works in: classes, leads, layout, paper, input sizes.

Everything else in the project imports these; nothing repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- The 12-lead report ---------------------------------------------------------------------------
LEAD_NAMES: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "rhythm",
)
#: The printed 3 x 4 layout, row by row: each column holds 2.5 s of three leads.
LAYOUT_ROWS: tuple[tuple[str, ...], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
RHYTHM_LEAD = "rhythm"
N_LAYOUT_COLUMNS = 4
PAPER_SPEED_MM_PER_S = 25.0
GAIN_MM_PER_MV = 10.0
#: The gains and paper speeds printers offer; the calibration pulse and the grid are read as one of these.
STANDARD_GAINS_MM_PER_MV: tuple[float, ...] = (5.0, 10.0, 20.0)
STANDARD_PAPER_SPEEDS_MM_PER_S: tuple[float, ...] = (25.0, 50.0)
#: A measured gain or speed within this share of a standard value is read as that value.
CALIBRATION_TOLERANCE = 0.15
#: Spacing of the grid's bold lines, in mm.
GRID_LINE_MM = 5.0
#: Width of the shared printouts' 1 mV pulse between the centres of its sides, in mm at 25 mm/s (84 ms): 2.094-2.097 mm
#: on all 1372 rows of the 343 shared printouts (10.03-10.04 mm tall; 2.09-2.10 mm and 9.97-10.09 mm on the 8 real
#: samples). The synthetic pages' pulse (``PrinterGeometry.calibration_pulse_x``) is wider, 3.2 mm.
REFERENCE_PULSE_WIDTH_MM = 2.1
LEAD_SECONDS = 2.5
RHYTHM_SECONDS = 10.0


@dataclass(frozen=True)
class LeadGrid:
    """How a printer arranges the 12 leads: ``rows`` of leads, each column holding the same
    ``RHYTHM_SECONDS / n_columns`` of the page's clock for every lead in it (3 x 4: 2.5 s; 6 x 2: 5 s; 12 x 1: 10 s).

    Examples
    --------
    >>> LEAD_GRIDS["6x2"].lead_seconds, LEAD_GRIDS["6x2"].rows[0]
    (5.0, ('I', 'V1'))
    """

    name: str
    title: str
    rows: tuple[tuple[str, ...], ...]

    @property
    def n_columns(self) -> int:
        return len(self.rows[0])

    @property
    def lead_seconds(self) -> float:
        return RHYTHM_SECONDS / self.n_columns


_LIMB_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF")
_CHEST_LEADS = ("V1", "V2", "V3", "V4", "V5", "V6")
#: The lead grids the layout step knows, by name; "3x4" is the shared printouts' (``LAYOUT_ROWS``).
LEAD_GRIDS: dict[str, LeadGrid] = {
    "3x4": LeadGrid("3x4", "3 x 4 leads of 2.5 s", LAYOUT_ROWS),
    "6x2": LeadGrid("6x2", "6 x 2 leads of 5 s", tuple(zip(_LIMB_LEADS, _CHEST_LEADS, strict=True))),
    "12x1": LeadGrid("12x1", "12 leads of 10 s", tuple((name,) for name in (*_LIMB_LEADS, *_CHEST_LEADS))),
}
STANDARD_GRID = "3x4"
#: Names of the 10 s rhythm strips under the lead rows, top to bottom. The first keeps the name the networks
#: learnt (``RHYTHM_LEAD``); the networks read only that one.
RHYTHM_LEADS: tuple[str, ...] = (RHYTHM_LEAD, "rhythm_2", "rhythm_3")
#: The leads printers usually repeat as 0, 1, 2 or 3 rhythm strips (the shared printouts: one, lead II or III).
USUAL_RHYTHM_STRIPS: tuple[tuple[str, ...], ...] = ((), ("II",), ("II", "V1"), ("II", "V1", "V5"))


def layout_name(grid: str, n_strips: int) -> str:
    """The name of a page layout: its lead grid and how many rhythm strips it has.

    Examples
    --------
    >>> layout_name("3x4", 1), layout_name("12x1", 0)
    ('3x4+1', '12x1')
    """
    return f"{grid}+{n_strips}" if n_strips else grid


#: The orders printers put the six limb leads in: the standard order (I, II, III, aVR, aVL, aVF) or Cabrera's, which
#: prints them in the frontal plane's angular sequence (aVL, I, -aVR, II, aVF, III), aVR upside down.
STANDARD_ORDER = "standard"
CABRERA_ORDER = "cabrera"
LEAD_ORDERS: tuple[str, ...] = (STANDARD_ORDER, CABRERA_ORDER)
#: What a Cabrera page prints in the place each limb lead has on a standard page, in every lead grid.
CABRERA_AT: dict[str, str] = {"I": "aVL", "II": "I", "III": "-aVR", "aVR": "II", "aVL": "aVF", "aVF": "III"}
#: A lead printed upside down, and the lead it is when turned back.
INVERTED_LEADS: dict[str, str] = {"-aVR": "aVR"}


#: How a person reads each order's name: the limb leads in the order printed.
LEAD_ORDER_TITLES: dict[str, str] = {
    STANDARD_ORDER: f"Standard ({', '.join(_LIMB_LEADS)})",
    CABRERA_ORDER: f"Cabrera ({', '.join(CABRERA_AT[name] for name in _LIMB_LEADS)})",
}


def check_lead_order(lead_order: str) -> None:
    """Raise ``ValueError`` for a lead order that is not one of ``LEAD_ORDERS``."""
    if lead_order not in LEAD_ORDERS:
        raise ValueError(f"Unknown lead order {lead_order!r}: use one of {', '.join(LEAD_ORDERS)}.")


def printed_lead(place: str, lead_order: str = STANDARD_ORDER) -> str:
    """The lead a page in ``lead_order`` prints in the place ``place`` has on a standard page.

    Examples
    --------
    >>> printed_lead("III", CABRERA_ORDER), printed_lead("V1", CABRERA_ORDER), printed_lead("III")
    ('-aVR', 'V1', 'III')
    """
    check_lead_order(lead_order)
    return CABRERA_AT.get(place, place) if lead_order == CABRERA_ORDER else place


def read_lead(place: str, lead_order: str = STANDARD_ORDER) -> str:
    """The lead read from the place ``place`` has on a standard page, on a page in ``lead_order``: what is printed
    there, an inverted lead turned back.

    Examples
    --------
    >>> read_lead("III", CABRERA_ORDER), read_lead("I", CABRERA_ORDER)
    ('aVR', 'aVL')
    """
    printed = printed_lead(place, lead_order)
    return INVERTED_LEADS.get(printed, printed)


#: The shared printouts' layout: 3 x 4 leads and one rhythm strip.
STANDARD_LAYOUT = layout_name(STANDARD_GRID, 1)
#: Sampling rate the digitized leads are measured at (the PhysioNet Challenge's 500 Hz).
MEASUREMENT_FS = 500.0
#: Scale of the printouts the models learnt from: every shared printout is 2213 px wide and measures
#: 7.87 px per mm (a lead column's width over its 62.5 mm). The pipeline's smoothing is set at this scale.
REFERENCE_PX_PER_MM = 7.87

@dataclass(frozen=True)
class PrinterGeometry:
    """Where the shared data's printer puts each part of its report, in pixels of its page (``page_size``); a page
    of another size scales these. The synthetic pages are drawn from it, the layout step falls back on its
    template, and the tests check the lead split against it. The values were read off the shared printouts to
    within a few pixels (the separator bars, for one, sit at x = 644, 1136, 1627 and 2118 on real pages); the
    synthetic pages reproduce them exactly.

    Examples
    --------
    >>> REFERENCE_PRINTER.lead_area("V4")
    (312.5, 613.5, 1625.75, 2117.0)
    """

    page_size: tuple[int, int] = (2213, 1572)  # (width, height)
    #: (top, bottom, left, right) of the pink grid's border.
    grid_box: tuple[float, float, float, float] = (283.0, 1517.0, 68.0, 2176.0)
    #: First and last x of the 10 s traces.
    trace_x: tuple[float, float] = (152.0, 2117.0)
    #: Baselines of the three lead rows, then of the rhythm strip.
    row_baselines: tuple[float, ...] = (463.0, 764.0, 1066.0, 1368.0)
    #: The 1 mV calibration pulse's x span, narrower than 0.2 s on this device.
    calibration_pulse_x: tuple[float, float] = (100.0, 125.0)
    #: Top and bottom of the separator bars between the lead columns.
    separator_y: tuple[float, float] = (415.0, 1110.0)
    #: The layout step's fallback template, as fractions of the grid area: the centres of the four rows (where a
    #: lead's band is centred, above its baseline) and the span of the traces.
    template_row_centres: tuple[float, ...] = (0.136, 0.378, 0.620, 0.869)
    template_trace_span: tuple[float, float] = (0.039, 0.969)

    @property
    def column_edges(self) -> tuple[float, ...]:
        """x of the left edge of each 2.5 s column, and of the last column's right edge."""
        left, right = self.trace_x
        return tuple(left + (right - left) * i / N_LAYOUT_COLUMNS for i in range(N_LAYOUT_COLUMNS + 1))

    def lead_area(self, name: str) -> tuple[float, float, float, float]:
        """(top, bottom, left, right) of the band where lead ``name`` is printed: one row pitch about its
        baseline, and its 2.5 s column (the whole width for the rhythm strip)."""
        pitch = self.row_baselines[1] - self.row_baselines[0]
        if name == RHYTHM_LEAD:
            row, (left, right) = len(LAYOUT_ROWS), self.trace_x
        else:
            row = next(i for i, names in enumerate(LAYOUT_ROWS) if name in names)
            column = LAYOUT_ROWS[row].index(name)
            left, right = self.column_edges[column], self.column_edges[column + 1]
        return self.row_baselines[row] - pitch / 2, self.row_baselines[row] + pitch / 2, left, right


REFERENCE_PRINTER = PrinterGeometry()

#: The leads facing each wall of the left ventricle.
TERRITORY_LEADS: dict[str, tuple[str, ...]] = {
    "anterior": ("V1", "V2", "V3", "V4"),
    "inferior": ("II", "III", "aVF"),
    "lateral": ("I", "aVL", "V5", "V6"),
}
#: Leads in the order of the heart's planes (Cabrera order for the limb leads, with aVR reversed), in which
#: neighbours are "contiguous" for the ST-elevation criterion.
CONTIGUOUS_LEADS: tuple[tuple[str, ...], ...] = (
    ("aVL", "I", "aVR", "II", "aVF", "III"),
    ("V1", "V2", "V3", "V4", "V5", "V6"),
)

# --- Standard criteria of the 12-lead ECG (Fourth Universal Definition of Myocardial Infarction) ---------
#: ST elevation at the J point in two contiguous leads, in mV; V2-V3 have a higher threshold.
ST_ELEVATION_MV = 0.1
ST_ELEVATION_V2_V3_MV = 0.2
#: New horizontal or down-sloping ST depression, in mV.
ST_DEPRESSION_MV = 0.05
#: A Q wave is pathological when at least this deep (mV), and at least this wide (ms) or at least this share of
#: the R wave.
PATHOLOGICAL_Q_MIN_MV = 0.1
PATHOLOGICAL_Q_MS = 40.0
PATHOLOGICAL_Q_SHARE = 0.25
#: Leads where a deep Q wave, or a QS complex, is the normal finding: aVR looks at the heart from the right.
NORMAL_Q_LEADS: tuple[str, ...] = ("aVR",)
#: T inversion: a negative T wave at least this deep, in mV.
T_INVERSION_MV = 0.1
#: A QRS at least this long (ms) is wide (bundle branch block, ventricular beats).
WIDE_QRS_MS = 120.0
#: A QTc (Bazett) at least this long (ms) is long.
LONG_QTC_MS = 470.0

# --- Tasks and classes ----------------------------------------------------------------------------
TWELVE_LEAD = "twelve_lead"
BEAT = "beat"
TASKS: tuple[str, ...] = (TWELVE_LEAD, BEAT)
#: The networks, which read the lead images.
NETWORK_KINDS: tuple[str, ...] = ("cnn", "crnn")
#: The model that reads the clinical measurements of a digitized 12-lead page.
MEASUREMENT_KIND = "measurements"
MODEL_KINDS: tuple[str, ...] = (*NETWORK_KINDS, MEASUREMENT_KIND)
#: How each model is named on screen and in messages.
MODEL_TITLES: dict[str, str] = {"cnn": "CNN", "crnn": "CRNN", MEASUREMENT_KIND: "Measurement model"}


@dataclass(frozen=True)
class TaskSpec:
    """What a task classifies and how its model input is shaped."""

    name: str
    title: str
    classes: tuple[str, ...]
    display_names: dict[str, str]
    descriptions: dict[str, str]
    #: (height, width) of one lead image given to a model.
    input_shape: tuple[int, int]
    leads: tuple[str, ...]
    #: The models this task has, in the order they are shown.
    model_kinds: tuple[str, ...] = NETWORK_KINDS


TWELVE_LEAD_SPEC = TaskSpec(
    name=TWELVE_LEAD,
    title="12-lead report page",
    classes=("normal", "abnormal_heartbeat", "myocardial_infarction", "history_of_mi"),
    display_names={
        "normal": "Normal",
        "abnormal_heartbeat": "Abnormal heartbeat",
        "myocardial_infarction": "Myocardial infarction",
        "history_of_mi": "History of MI",
    },
    descriptions={
        "normal": "Regular sinus rhythm at 60-100 bpm, narrow QRS, flat ST segments and upright T waves "
        "in most leads.",
        "abnormal_heartbeat": "Irregular rhythm: premature (ectopic) beats, pauses, or an irregular RR "
        "interval; best seen on the 10 s rhythm strip.",
        "myocardial_infarction": "Acute infarction: ST elevation in the leads facing one territory "
        "(for example V1-V4 anterior, II/III/aVF inferior), often with reciprocal ST depression.",
        "history_of_mi": "An old infarction: pathological Q waves and inverted T waves in one territory, "
        "without acute ST elevation.",
    },
    input_shape=(96, 192),
    leads=LEAD_NAMES,
    model_kinds=MODEL_KINDS,
)

BEAT_SPEC = TaskSpec(
    name=BEAT,
    title="single heartbeat",
    classes=(
        "normal",
        "left_bundle_branch_block",
        "right_bundle_branch_block",
        "premature_atrial_contraction",
        "premature_ventricular_contraction",
        "ventricular_fibrillation",
    ),
    display_names={
        "normal": "Normal beat",
        "left_bundle_branch_block": "Left bundle branch block",
        "right_bundle_branch_block": "Right bundle branch block",
        "premature_atrial_contraction": "Premature atrial contraction",
        "premature_ventricular_contraction": "Premature ventricular contraction",
        "ventricular_fibrillation": "Ventricular flutter / fibrillation",
    },
    descriptions={
        "normal": "A sinus beat: small P wave, narrow QRS, upright T wave.",
        "left_bundle_branch_block": "Wide QRS (> 120 ms) with a broad, notched R wave; conduction through "
        "the left bundle is blocked.",
        "right_bundle_branch_block": "Wide QRS with an rSR' ('rabbit ears') pattern; the right ventricle "
        "is activated late.",
        "premature_atrial_contraction": "A beat that comes early, with an abnormal or hidden P wave but a "
        "normal narrow QRS.",
        "premature_ventricular_contraction": "An early, wide and bizarre QRS without a P wave, usually "
        "with a T wave opposite to the QRS.",
        "ventricular_fibrillation": "No distinct beats: chaotic (fibrillation) or sine-like (flutter) "
        "waves; a medical emergency.",
    },
    input_shape=(64, 96),
    leads=("beat",),
)

TASK_SPECS: dict[str, TaskSpec] = {TWELVE_LEAD: TWELVE_LEAD_SPEC, BEAT: BEAT_SPEC}

# --- Image loading limits --------------------------------------------------------------------------
IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pdf")
#: A PDF with more pages than this is refused (an ECG export has one or a few).
MAX_PDF_PAGES = 20
#: A PDF page's size is in points, 72 to the inch.
MM_PER_INCH = 25.4
POINTS_PER_INCH = 72.0
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE_PX = 32
#: A 12-lead page narrower than this cannot be split into readable leads.
MIN_TWELVE_LEAD_WIDTH_PX = 600

# --- Data sources ----------------------------------------------------------------------------------
DATA_SOURCES: dict[str, dict[str, str]] = {
    TWELVE_LEAD: {
        "name": "ECG Images dataset of Cardiac Patients, version 2",
        "authors": "Ali Haider Khan and Muzammil Hussain",
        "publisher": "Mendeley Data",
        "doi": "10.17632/gwbz3fsgp8.2",
        "licence": "CC BY 4.0 (attribution required)",
    },
    BEAT: {
        "name": "MIT-BIH Arrhythmia Database, as six-class heartbeat images ('ECG Image Data')",
        "authors": "George B. Moody and Roger G. Mark",
        "publisher": "PhysioNet",
        "doi": "10.13026/C2F305",
        "licence": "ODC-By 1.0 (attribution required)",
    },
}
