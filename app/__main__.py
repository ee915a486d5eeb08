"""`python -m app` runs the noc-console commands that need no window (the core alone)."""

import sys

from app.cli import main

sys.exit(main())
