"""Scores stored on each comment row so the debate sorts through an index."""

from __future__ import annotations

import math

Z = 1.959963984540054  # 95 % two-sided


def wilson_lower_bound(up: int, down: int) -> float:
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    z2 = Z * Z
    centre = p + z2 / (2 * n)
    margin = Z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
    return (centre - margin) / (1 + z2 / n)


def controversy(up: int, down: int) -> float:
    """Many votes, evenly split, rank highest; one-sided votes do not count as controversy."""
    if up <= 0 or down <= 0:
        return 0.0
    magnitude = up + down
    balance = min(up, down) / max(up, down)
    return float(magnitude**balance)
