"""Work the app submits to the database's job queue and `moa worker` processes run (`storage/jobs.py` holds the
queue's rules): `runs` says what a run job carries and how it is run, `runner` is the worker's loop."""
