"""Batch runs over eval sets: import sets (`evalsets`), name the systems (`systems`), limit calls
(`limits`), run and resume (`runner`, `single`), judge (`judge`), estimate cost (`estimate`),
and summarise (`summary`, `report`). State lives in the database (`storage.batches`).
"""
