"""Values across the solution boundary: a codec that can carry data but never code.

Trusted, standard library only, used on both sides of the pipe between the solution's
process and the test process. Plain values travel as tagged JSON; numpy arrays (and the
columns of pandas objects) as ``.npy`` blobs read back with ``allow_pickle=False``. numpy
and pandas are imported only when such a value appears. Nothing is ever unpickled or
evaluated, so a hostile peer can at worst send wrong data. Anything else is refused with
:class:`CannotCrossError`.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import io
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NotRequired, TypeAlias, TypedDict

if TYPE_CHECKING or __package__:  # type checking, or imported on the host as a package
    from coauthor.sandbox._probe.sandbox_frames import (
        MAX_BYTES,
        CannotCrossError,
        PeerGoneError,
        pack,
        receive,
        send,
    )
else:  # inside the sandbox, from the helpers folder
    from sandbox_frames import MAX_BYTES, CannotCrossError, PeerGoneError, pack, receive, send

__all__ = ["MAX_BYTES", "CannotCrossError", "Encoder", "PeerGoneError", "decode", "pack"]
__all__ += ["receive", "send"]  # framing lives in sandbox_frames; both sides use it from here

Json: TypeAlias = "bool | int | float | str | list[Json] | dict[str, Json] | None"
"""The wire's free-form JSON: message headers and encoded value trees, as ``json`` reads them.

What arrives from the peer is untrusted, so readers narrow it (isinstance) before use."""

Foreign: TypeAlias = Any
"""A numpy or pandas object. Those libraries are imported only when such a value appears, so
their classes cannot be named here; the codec checks these values by type and duck typing."""


class ParamDesc(TypedDict):
    """One parameter of a function or method in the API description (``sandbox_proxy``)."""

    name: str
    kind: str
    """An ``inspect.Parameter`` kind, by name (``POSITIONAL_OR_KEYWORD``)."""
    default: NotRequired[Json]
    """The literal default, encoded; absent when the parameter has none."""


class FunctionDesc(TypedDict):
    name: str
    doc: str | None
    params: list[ParamDesc]


class ConstantDesc(TypedDict):
    name: str
    value: Json


class ExceptionDesc(TypedDict):
    name: str
    doc: str | None
    bases: list[str]


class ClassDesc(TypedDict):
    name: str
    doc: str | None
    bases: list[str]
    methods: list[FunctionDesc]
    class_level: list[FunctionDesc]
    """Static and class methods: called on the class in the solution's process."""
    constants: list[ConstantDesc]


class ApiDesc(TypedDict):
    """The solution's public API as the host reads it and the stand-in module rebuilds it."""

    doc: str | None
    functions: list[FunctionDesc]
    constants: list[ConstantDesc]
    exceptions: list[ExceptionDesc]
    classes: list[ClassDesc]


MAX_DEPTH = 100
_RESOLVERS: list[Callable[[dict[str, Json]], object]] = []


def resolve_handles_with(resolver: Callable[[dict[str, Json]], object]) -> None:
    """How this side turns a ``handle`` tag into an object (the real one, or a stand-in)."""
    _RESOLVERS[:] = [resolver]


_SCALARS = (type(None), bool, int, float, str)
_EXTENSION_DTYPES = frozenset(
    {"str", "string", "boolean", "category", "Float32", "Float64"}
    | {f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)}
)


def _module_of(value: object) -> str:
    return type(value).__module__.split(".")[0]


class Encoder:
    """One message: a JSON tree plus the binary blobs it points at."""

    def __init__(self, handles: Callable[[object], dict[str, Json] | None] | None = None) -> None:
        self.blobs: list[bytes] = []
        self.size = 0
        self._path: set[int] = set()
        self.handles = handles
        """Tags objects that stay in the solution's process (``{"$": "handle", ...}``)."""

    def blob(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > MAX_BYTES:
            raise CannotCrossError(f"the value is larger than {MAX_BYTES // 2**20} MiB")
        self.blobs.append(data)
        return len(self.blobs) - 1

    def encode(self, value: object) -> Json:
        """The JSON tree for ``value`` (its arrays go to ``blobs``), or CannotCrossError."""
        try:
            return self._value(value, 0)
        except CannotCrossError:
            raise
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            raise CannotCrossError(f"{type(value).__qualname__}: {exc}"[:300]) from exc
        except RecursionError as exc:
            raise CannotCrossError("the value is nested too deeply") from exc

    def _value(self, value: object, depth: int) -> Json:
        if type(value) in _SCALARS and (
            value is None or isinstance(value, (bool, int, float, str))
        ):
            if isinstance(value, str):
                self.size += len(value)
            return value
        if depth >= MAX_DEPTH:
            raise CannotCrossError(f"the value is nested deeper than {MAX_DEPTH} levels")
        if id(value) in self._path:
            raise CannotCrossError("the value contains a reference cycle")
        self._path.add(id(value))
        try:
            return self._container(value, depth + 1)
        finally:
            self._path.discard(id(value))

    def _container(self, value: object, depth: int) -> Json:
        kind = type(value)
        if isinstance(value, list) and kind is list:
            return [self._value(item, depth) for item in value]
        if isinstance(value, (tuple, set, frozenset)) and kind in (tuple, set, frozenset):
            return {"$": kind.__name__, "v": [self._value(item, depth) for item in value]}
        if isinstance(value, dict) and kind is dict:
            pairs: list[Json] = [
                [self._value(k, depth), self._value(v, depth)] for k, v in value.items()
            ]
            return {"$": "dict", "v": pairs}
        return self._atom(value, depth)

    def _atom(self, value: object, depth: int) -> Json:
        if isinstance(value, (bytes, bytearray)) and type(value) in (bytes, bytearray):
            return {"$": type(value).__name__, "v": base64.b64encode(value).decode()}
        if isinstance(value, complex) and type(value) is complex:
            return {"$": "complex", "v": [value.real, value.imag]}
        moments = (datetime.datetime, datetime.date, datetime.time)
        if isinstance(value, moments) and type(value) in moments:
            return {"$": type(value).__name__, "v": value.isoformat()}
        if isinstance(value, datetime.timedelta) and type(value) is datetime.timedelta:
            return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
        if _module_of(value) == "numpy":
            return self._numpy(value)
        if _module_of(value) == "pandas":
            return self._pandas(value, depth)
        tagged = self.handles(value) if self.handles is not None else None
        if tagged is not None:
            return tagged
        raise CannotCrossError(
            f"a {type(value).__qualname__} object cannot cross the process boundary"
        )

    def _numpy(self, value: Foreign) -> Json:
        np = sys.modules["numpy"]
        if isinstance(value, np.ndarray) and type(value) is np.ndarray:
            return {"$": "ndarray", "b": self._npy(value)}
        if isinstance(value, np.generic):
            return {"$": "npscalar", "b": self._npy(np.asarray(value))}
        raise CannotCrossError(
            f"a numpy {type(value).__qualname__} cannot cross the process boundary"
        )

    def _npy(self, array: Foreign) -> int:
        if array.dtype.hasobject:
            raise CannotCrossError(
                "numpy arrays of Python objects cannot cross the process boundary"
            )
        buffer = io.BytesIO()
        sys.modules["numpy"].save(buffer, array, allow_pickle=False)
        return self.blob(buffer.getvalue())

    def _pandas(self, value: Foreign, depth: int) -> Json:
        pd = sys.modules["pandas"]
        if type(value) is pd.DataFrame:
            columns = [self._column(value.iloc[:, i].array, depth) for i in range(value.shape[1])]
            return {
                "$": "DataFrame",
                "columns": self._index(value.columns, depth),
                "data": columns,
                "index": self._index(value.index, depth),
            }
        if type(value) is pd.Series:
            return {
                "$": "Series",
                "data": self._column(value.array, depth),
                "index": self._index(value.index, depth),
                "name": self._value(value.name, depth),
            }
        if type(value) is pd.Timestamp:
            return {"$": "Timestamp", "v": value.isoformat()}
        raise CannotCrossError(
            f"a pandas {type(value).__qualname__} cannot cross the process boundary"
        )

    def _index(self, index: Foreign, depth: int) -> Json:
        pd = sys.modules["pandas"]
        if type(index) is pd.RangeIndex:
            name = self._value(index.name, depth)
            return {"$": "RangeIndex", "v": [index.start, index.stop, index.step], "name": name}
        data = self._column(index.array, depth)
        return {"$": "Index", "data": data, "name": self._value(index.name, depth)}

    def _column(self, array: Foreign, depth: int) -> Json:
        dtype, kind = str(array.dtype), type(array).__name__
        plain = kind == "NumpyExtensionArray" and dtype != "object"
        if plain or (
            kind in ("DatetimeArray", "TimedeltaArray") and getattr(array, "tz", None) is None
        ):
            return {"kind": "npy", "b": self._npy(array.to_numpy())}
        if dtype != "object" and dtype not in _EXTENSION_DTYPES:
            raise CannotCrossError(
                f"a pandas column of dtype {dtype} cannot cross the process boundary"
            )
        items = [None if _missing(item) else self._value(item, depth) for item in array.tolist()]
        return {"kind": "list", "dtype": dtype, "v": items}


def _missing(item: object) -> bool:
    return _module_of(item) == "pandas" and type(item).__name__ in ("NAType", "NaTType")


def as_list(tree: Json) -> list[Json]:
    """``tree`` if the peer sent a list there (TypeError otherwise)."""
    if not isinstance(tree, list):
        raise TypeError(f"expected a list, not {type(tree).__name__}")
    return tree


def as_object(tree: Json) -> dict[str, Json]:
    """``tree`` if the peer sent an object there (TypeError otherwise)."""
    if not isinstance(tree, dict):
        raise TypeError(f"expected an object, not {type(tree).__name__}")
    return tree


def as_float(tree: Json) -> float:
    """``float(tree)`` for a number or a string (TypeError for anything else)."""
    if not isinstance(tree, (int, float, str)):
        raise TypeError(f"expected a number, not {type(tree).__name__}")
    return float(tree)


def as_int(tree: Json) -> int:
    """``int(tree)`` for a number or a string (TypeError for anything else)."""
    if not isinstance(tree, (int, float, str)):
        raise TypeError(f"expected an integer, not {type(tree).__name__}")
    return int(tree)


def _decode_list(items: Json, depth: int, blobs: list[bytes]) -> list[object]:
    if not isinstance(items, list):
        raise PeerGoneError("malformed message")
    return [decode(item, blobs, depth + 1) for item in items]


def decode(tree: Json, blobs: list[bytes], depth: int = 0) -> object:
    """Rebuild a value; only data constructors run, whatever the peer sent."""
    try:
        return _decode(tree, blobs, depth)
    except PeerGoneError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise PeerGoneError(f"malformed message: {exc!r}"[:200]) from exc


def _decode(tree: Json, blobs: list[bytes], depth: int = 0) -> object:
    if depth > MAX_DEPTH + 8:
        raise PeerGoneError("message nested too deeply")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return _decode_list(tree, depth, blobs)
    if not isinstance(tree, dict):
        raise PeerGoneError("malformed message")
    tag = tree.get("$")
    if tag == "tuple":
        return tuple(_decode_list(tree["v"], depth, blobs))
    if tag == "set":
        return set(_decode_list(tree["v"], depth, blobs))
    if tag == "frozenset":
        return frozenset(_decode_list(tree["v"], depth, blobs))
    if tag == "dict":
        return {
            decode(k, blobs, depth + 1): decode(v, blobs, depth + 1)
            for k, v in (as_list(pair) for pair in as_list(tree["v"]))
        }
    return _decode_atom(tag, tree, blobs, depth)


def _decode_atom(tag: object, tree: dict[str, Json], blobs: list[bytes], depth: int) -> object:
    if tag in ("bytes", "bytearray"):
        data = base64.b64decode(str(tree["v"]))
        return data if tag == "bytes" else bytearray(data)
    if tag == "complex":
        real, imag = as_list(tree["v"])[:2]
        return complex(as_float(real), as_float(imag))
    if tag == "datetime":
        return datetime.datetime.fromisoformat(str(tree["v"]))
    if tag == "date":
        return datetime.date.fromisoformat(str(tree["v"]))
    if tag == "time":
        return datetime.time.fromisoformat(str(tree["v"]))
    if tag == "timedelta":
        days, seconds, micro = (as_int(x) for x in as_list(tree["v"]))
        return datetime.timedelta(days=days, seconds=seconds, microseconds=micro)
    if tag == "ndarray":
        return _load_npy(blobs, tree["b"])
    if tag == "npscalar":
        return _load_npy(blobs, tree["b"])[()]
    if tag in ("DataFrame", "Series", "Timestamp"):
        return _decode_pandas(tag, tree, blobs, depth)
    if tag == "handle" and _RESOLVERS:
        return _RESOLVERS[0](tree)
    raise PeerGoneError(f"unknown value tag {tag!r}")


def _load_npy(blobs: list[bytes], index: object) -> Foreign:
    numpy = importlib.import_module("numpy")

    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise PeerGoneError("malformed message")
    return numpy.load(io.BytesIO(blobs[index]), allow_pickle=False)


def _decode_pandas(tag: object, tree: dict[str, Json], blobs: list[bytes], depth: int) -> Foreign:
    pandas = importlib.import_module("pandas")

    if tag == "Timestamp":
        return pandas.Timestamp(str(tree["v"]))
    index = _decode_index(tree["index"], blobs, depth)
    if tag == "Series":
        data = _decode_column(tree["data"], blobs, depth)
        return pandas.Series(data, index=index, name=decode(tree["name"], blobs, depth + 1))
    columns = _decode_index(tree["columns"], blobs, depth)
    data = [_decode_column(column, blobs, depth) for column in as_list(tree["data"])]
    frame = pandas.DataFrame(dict(enumerate(data)), index=index)
    frame.columns = columns
    return frame


def _decode_index(tree: Json, blobs: list[bytes], depth: int) -> Foreign:
    pandas = importlib.import_module("pandas")
    tree = as_object(tree)
    name = decode(tree["name"], blobs, depth + 1)
    if tree.get("$") == "RangeIndex":
        start, stop, step = (as_int(x) for x in as_list(tree["v"]))
        return pandas.RangeIndex(start, stop, step, name=name)
    return pandas.Index(_decode_column(tree["data"], blobs, depth), name=name)


def _decode_column(tree: Json, blobs: list[bytes], depth: int) -> Foreign:
    pandas = importlib.import_module("pandas")
    tree = as_object(tree)
    if tree.get("kind") == "npy":
        return _load_npy(blobs, tree["b"])
    dtype = str(tree["dtype"])
    items = _decode_list(tree["v"], depth, blobs)
    if dtype == "object":
        numpy = importlib.import_module("numpy")

        array = numpy.empty(len(items), dtype=object)
        array[:] = items
        return array
    if dtype not in _EXTENSION_DTYPES:
        raise PeerGoneError(f"refused dtype {dtype!r}")
    return pandas.array(items, dtype=dtype)
