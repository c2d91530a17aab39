"""Changes the solution made to its arguments, copied back onto the test's own objects.

In one process a function that sorts a list in place, fills a dict or adds a DataFrame
column changes the caller's object. Across the boundary the solution changed a copy, so the
server sends the changed arguments back and the stand-in writes them onto the originals:
lists, bytearrays, dicts and sets wholesale, numpy arrays element-wise (same shape and dtype),
DataFrames column by column (same rows), Series element-wise (same index and dtype). Anything
else returns the reason it cannot, and the step falls back to the in-process run.
Trusted, standard library only (numpy and pandas objects are handled through their methods).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coauthor.sandbox._probe.sandbox_wire import Foreign


def write_back(original: object, new: object) -> str | None:
    """Make ``original`` equal to ``new`` in place; the reason when that is impossible."""
    kind = type(original)
    if kind is not type(new):
        return f"an argument of type {kind.__name__} came back as {type(new).__name__}"
    if isinstance(original, list) and isinstance(new, list) and kind is list:
        original[:] = new
        return None
    if isinstance(original, bytearray) and isinstance(new, bytearray) and kind is bytearray:
        original[:] = new
        return None
    if isinstance(original, dict) and isinstance(new, dict) and kind is dict:
        original.clear()
        original.update(new)
        return None
    if isinstance(original, set) and isinstance(new, set) and kind is set:
        original.clear()
        original.update(new)
        return None
    library, name = kind.__module__.split(".")[0], kind.__name__
    if (library, name) == ("numpy", "ndarray"):
        return _array(original, new)
    if (library, name) == ("pandas", "DataFrame"):
        return _frame(original, new)
    if (library, name) == ("pandas", "Series"):
        return _series(original, new)
    return f"a {name} argument was changed in place"


def _array(original: Foreign, new: Foreign) -> str | None:
    if original.shape != new.shape or original.dtype != new.dtype:
        return "an array argument changed its shape or dtype in place"
    original[...] = new
    return None


def _series(original: Foreign, new: Foreign) -> str | None:
    if not original.index.equals(new.index) or original.dtype != new.dtype:
        return "a Series argument changed its index or dtype in place"
    original[:] = new.to_numpy()
    return None


def _frame(original: Foreign, new: Foreign) -> str | None:
    if not original.index.equals(new.index):
        return "a DataFrame argument changed its rows in place"
    for column in [c for c in original.columns if c not in set(new.columns)]:
        del original[column]
    for column in new.columns:
        original[column] = new[column]
    return None
