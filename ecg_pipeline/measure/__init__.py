"""Clinical measurements of a digitized 12-lead page (ST, Q, R, S, T, QRS, rhythm), one step per module.

``measure_page(result)`` composes them: ``signals`` (leads on one clock), ``beats`` (R peaks, RR intervals,
ectopic beats), ``fiducials`` (median beats, QRS onset, J point, T end), ``values`` (per lead, page, territory).
"""

from .page import MEASURED_LEADS, Measurements, feature_names, measure_page, measure_signals

__all__ = ["MEASURED_LEADS", "Measurements", "feature_names", "measure_page", "measure_signals"]
