"""Plain-text hygiene shared by schemas and services."""

from __future__ import annotations

import re
import unicodedata

# NUL, other C0 controls but tab and newline, and the bidirectional overrides that can disguise text.
_STRIP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean_text(text: str) -> str:
    """Normalise user text: NFC, unix newlines, no control or bidi-override characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _STRIP.sub("", text))
