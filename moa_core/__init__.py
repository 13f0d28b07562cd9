"""MoA workbench engine: proposers, aggregator, records, storage. Never imports streamlit."""
