"""`python -m ui` runs the noc-console command, windows included."""

import sys

from ui.launch import main

sys.exit(main())
