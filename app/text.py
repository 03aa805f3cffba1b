"""Plain-text hygiene shared by schemas and services."""

from __future__ import annotations

import re
import unicodedata

# NUL, other C0 controls but tab and newline, and the bidirectional overrides that can disguise text
# (as regular-expression escapes, which the OpenAPI document's patterns reuse).
STRIPPED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_STRIP = re.compile(f"[{STRIPPED}]")
# What str.strip() removes (str.isspace), spelt out: the OpenAPI document's patterns are read by clients
# with other ideas of \s (JavaScript's leaves out U+0085 and U+001C to U+001F, and adds U+FEFF).
SPACES = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def clean_text(text: str) -> str:
    """Normalise user text: NFC, unix newlines, no control or bidi-override characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _STRIP.sub("", text))


# The largest id a row can have (PostgreSQL's integer); a longer number is no id of ours.
MAX_ID = 2**31 - 1
_NUMBER = re.compile(r"[0-9]{1,10}")


def parse_number(text: str | None) -> int | None:
    """A row id or a numeric cursor sent as text: ASCII digits only, at most MAX_ID. None for anything
    else ("", " 1", "1e3", "²", "٣", a number too large): str.isdigit and int() take other scripts'
    digits, so "٣" would alias 3 and "²" would raise."""
    if text is None or _NUMBER.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def parse_id(text: str | None, refusal: Exception) -> int:
    """parse_number, raising refusal (a 404 or a 422 the caller chose) for anything that is not one."""
    value = parse_number(text)
    if value is None:
        raise refusal
    return value


def _digits_up_to(limit: int) -> str:
    """A regular expression for the strings of at most len(str(limit)) ASCII digits whose value is at
    most `limit` (leading zeros allowed): what parse_number accepts, for the OpenAPI document."""
    top = str(limit)
    width = len(top)
    parts = [f"[0-9]{{1,{width - 1}}}"] if width > 1 else []
    for i, digit in enumerate(top):
        if digit != "0":
            rest = width - i - 1
            below = "0" if digit == "1" else f"[0-{int(digit) - 1}]"
            parts.append(top[:i] + below + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(top)
    return "^(" + "|".join(parts) + ")$"


# The text of an id or a numeric cursor that parse_number accepts.
ID_PATTERN = _digits_up_to(MAX_ID)
