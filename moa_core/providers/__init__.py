"""Providers: everything about reaching a model. `llm` is the single door to litellm (offline-safe
import, one streamed call, error classification); `endpoints` turns a lineup seat into a reachable
target; `discovery` finds keyed providers and servers; `local_model` runs the embedded model;
`default_lineups` builds the lineups a fresh install starts with; `prices` prices tokens.
"""
