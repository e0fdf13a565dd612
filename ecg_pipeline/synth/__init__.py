"""Synthetic ECGs of the project's own: a small wave model, 12-lead report pages and single-beat images, and
images that are not ECGs at all.

They exist for sample images, tests and demonstrations, so that the app can be tried without the real
data sets. They are drawings of textbook features, not patients: never train or evaluate a model on them.

``waves`` is the wave model, ``records`` the simulated 12-lead records, ``page`` the report page, ``beats`` the
single-beat images and ``non_ecg`` the images the evidence gate must refuse.
"""

from .beats import BEAT_CLASSES, BEAT_FS, BEAT_IMAGE_SIZE, describe_beat, render_beat_image, simulate_beat
from .page import REFERENCE_PAGE_SIZE, printed_signals, px_per_mm, render_twelve_lead_page
from .records import TWELVE_LEAD_CLASSES, Beat, beat_schedule, describe_record, simulate_twelve_lead
from .waves import (
    RHYTHM_SOURCE_LEAD,
    TERRITORIES,
    TWELVE_LEADS,
    Wave,
    ectopic_waves,
    infarct_waves,
    project,
    sinus_waves,
    wave_shape,
)

__all__ = [
    "BEAT_CLASSES", "BEAT_FS", "BEAT_IMAGE_SIZE", "Beat", "REFERENCE_PAGE_SIZE", "RHYTHM_SOURCE_LEAD", "TERRITORIES",
    "TWELVE_LEADS", "TWELVE_LEAD_CLASSES", "Wave", "beat_schedule", "describe_beat", "describe_record",
    "ectopic_waves", "infarct_waves", "printed_signals", "project", "px_per_mm", "render_beat_image",
    "render_twelve_lead_page", "simulate_beat", "simulate_twelve_lead", "sinus_waves", "wave_shape",
]
