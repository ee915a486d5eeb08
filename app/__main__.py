"""`python -m app` runs the noc-console command."""

import sys

from app.cli import main

sys.exit(main())
