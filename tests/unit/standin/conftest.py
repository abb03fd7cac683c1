"""The stand-in's Python package lives with its image (tests/lab/images/odoo-standin): import it from there.

No bytecode is written next to it, so the image's build context (and its hash) stays as committed.
"""

from __future__ import annotations

import os
import sys

STANDIN_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "lab", "images", "odoo-standin"))

sys.dont_write_bytecode = True
if STANDIN_DIR not in sys.path:
    sys.path.insert(0, STANDIN_DIR)
