"""Metrics: pure figures over records and plain rows, never storage or the UI. `ratings` (the one
rating rule), `stats` (percentiles), `model_stats` (per-model latency and cost), `analytics` (tables
and figures over runs), `planner` (the article's cost and latency models, projected from measured
figures). Call and run cost and the critical path are on the ground floor (`moa_core.costs`): the
records' own totals use them.
"""
