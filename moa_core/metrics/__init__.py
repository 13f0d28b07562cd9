"""Metrics: pure figures over records and plain rows, never storage or the UI. `cost` (critical path,
call and run cost), `ratings` (the one rating rule), `stats` (percentiles), `model_stats`
(per-model latency and cost), `analytics` (tables and figures over runs), `planner` (the
article's cost and latency models, projected from measured figures).
"""
