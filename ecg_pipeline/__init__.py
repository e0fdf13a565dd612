"""ECG image pipeline: safe loading, lead layout, preprocessing stages, CNN and CRNN models."""

from .constants import BEAT, TASK_SPECS, TWELVE_LEAD
from .errors import (
    EcgError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    LayoutError,
    ModelUnavailableError,
)
from .models.inference import AnalysisResult, analyze
from .preprocess.pipeline import LeadStages, PipelineResult, run_pipeline

__all__ = [
    "AnalysisResult", "analyze", "BEAT", "TASK_SPECS", "TWELVE_LEAD", "EcgError", "ImageTooLargeError",
    "ImageTooSmallError", "InvalidImageError", "LayoutError", "LeadStages", "ModelUnavailableError", "PipelineResult",
    "run_pipeline",
]
