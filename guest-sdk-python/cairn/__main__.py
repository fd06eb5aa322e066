"""``python -m cairn build app.py``."""

import sys

from .build import main

sys.exit(main())
