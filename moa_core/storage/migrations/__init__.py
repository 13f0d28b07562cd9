"""Alembic migrations of the run store (a package, so wheels ship them)."""
