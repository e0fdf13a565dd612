"""Preprocessing: the page levelled, its leads found, each lead smoothed and thresholded, digitized, and
every stage drawn."""
