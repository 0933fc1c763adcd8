"""The `esorm` logger: one line per commit (and per migration step), never any document
content or credential at INFO."""

from __future__ import annotations

import logging

logger = logging.getLogger("esorm")
"""esorm's logger; add a handler or set its level to see what commits do."""
