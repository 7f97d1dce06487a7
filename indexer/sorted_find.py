"""Binary search of many values in a sorted array, the one numpy idiom the index code repeats."""

from __future__ import annotations

import numpy as np


def find(sorted_values: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(position, found)`` of each of ``values`` in ``sorted_values`` (ascending): ``found``
    tells whether ``sorted_values[position]`` equals the value; a missing value's position is
    only clamped into range. Empty ``sorted_values``: nothing is found."""
    values = np.asarray(values)
    if not len(sorted_values):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return pos, np.asarray(sorted_values[pos]) == values
