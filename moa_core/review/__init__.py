"""Human review: which answers to put side by side (pairs), blind sides, and queue order."""
from .pairs import (KINDS, Pair, pair_key, pairs_between_runs, pairs_for_run, prompt_id_for, run_system,
                    shown_swapped)

__all__ = ["KINDS", "Pair", "pair_key", "pairs_between_runs", "pairs_for_run", "prompt_id_for", "run_system",
           "shown_swapped"]
