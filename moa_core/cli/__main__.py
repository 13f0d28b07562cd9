"""`python -m moa_core.cli` = `moa`."""
import sys

from . import main

sys.exit(main())
