"""Errors a user can cause. Each message is meant for a person, not a developer."""

from __future__ import annotations


class EcgError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class InvalidImageError(EcgError):
    """The input is not a readable image (empty, another file type, truncated, corrupt)."""


class ImageTooLargeError(EcgError):
    """The file or its pixel count exceeds the safety limits."""


class ImageTooSmallError(EcgError):
    """The image has too few pixels to analyse."""


class LayoutError(EcgError):
    """The image cannot be split into the leads of the chosen task."""


class ModelUnavailableError(EcgError):
    """A trained model file is missing, corrupted, or does not match its card."""
