"""Work the app submits to the database's job queue and `moa worker` processes run (`storage/jobs.py` holds the
queue's rules): `runs` and `batches` say what a run job and a batch job carry and how each is run, `runner` is
the worker's loop."""
