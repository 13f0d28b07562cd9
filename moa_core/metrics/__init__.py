"""Metrics: pure figures over records and plain rows, never storage or the UI. `ratings` (the one
rating rule), `stats` (percentiles), `model_stats` (per-model latency and cost), `run_breakdown` (one
run's timeline, cost and multiples of its baseline), `run_tables` (stored runs as run and call tables),
`analytics` (the Analytics page's figures over those tables), `preference` (blind votes and win rates),
`leaderboard`, `style_control` and `rating_intervals` (ratings from votes), `synthesis_gain`, `planner`
(the article's cost and latency models, projected from measured figures). Call and run cost and the
critical path are on the ground floor (`moa_core.costs`): the records' own totals use them.
"""
