"""Training-run evaluation (issue 20): checkpoint series, ability curves, the stability gap,
benchmark signal quality (E2LM) and score prediction (PassUntil task law, COD).

    series = load_series("runs/pretrain")               # folder, glob or YAML
    manifest = run_series(series, tasks)                 # one stored run per checkpoint
    curves = series_curves(manifest, load_series_runs(manifest))
"""

from assay.analyses.series.curves import (Curve, QualityRow, SeriesCurves, TaskMatrix, recommend, series_curves,
                                          series_quality, task_matrices)
from assay.analyses.series.forecast import ForecastRow, forecast_larger, forecast_later, mean_errors
from assay.analyses.series.predict import Observations, Prediction, predict_score
from assay.analyses.series.runner import (SeriesEntry, SeriesManifest, list_series, load_manifest,
                                          load_series_runs, run_series_async)
from assay.analyses.series.spec import Checkpoint, Series, SeriesError, is_series_spec, load_series

__all__ = [
    "Checkpoint", "Curve", "ForecastRow", "Observations", "Prediction", "QualityRow", "Series", "SeriesCurves",
    "SeriesEntry", "SeriesError", "SeriesManifest", "TaskMatrix", "forecast_larger", "forecast_later",
    "is_series_spec", "list_series", "load_manifest", "load_series", "load_series_runs", "mean_errors",
    "predict_score", "recommend", "run_series_async", "series_curves", "series_quality", "task_matrices",
]
