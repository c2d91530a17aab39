"""The solution boundary on the host: the data-only codec and the choice of mode per step."""

from __future__ import annotations

import datetime
import math
import os
import textwrap
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coauthor.sandbox._probe import sandbox_wire as wire
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, plan, read_api


def round_trip(value: object) -> Any:
    """Through a real pipe, as between the two processes."""
    encoder = wire.Encoder()
    frame = wire.pack({"v": encoder.encode(value)}, encoder)
    read, write = os.pipe()

    def writer() -> None:
        wire.send(write, frame)
        os.close(write)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        message = wire.receive(read, 5)
    finally:
        thread.join()
        os.close(read)
    assert message is not None
    header, blobs = message
    return wire.decode(header["v"], blobs)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | st.complex_numbers(allow_nan=False)
    | st.datetimes()
    | st.dates()
    | st.timedeltas()
)
hashable = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(hashable, inner, max_size=4)
        | st.frozensets(hashable, max_size=4).map(set)
        | st.frozensets(hashable, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(values)
def test_plain_values_round_trip_with_their_types(value: object) -> None:
    back = round_trip(value)
    assert back == value and type(back) is type(value)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(max_dims=3, max_side=4)))
def test_numpy_arrays_round_trip(array: np.ndarray) -> None:
    back = round_trip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()  # bit for bit, NaN and NaT included


def test_numpy_scalars_nan_and_pandas_round_trip() -> None:
    assert type(round_trip(np.float32(1.5))) is np.float32
    assert math.isnan(round_trip(float("nan")))
    frame = pd.DataFrame(
        {
            "n": [1, 2],
            "s": ["a", None],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "i": pd.array([1, None], dtype="Int64"),
            "c": pd.Categorical(["x", "y"]),
        },
        index=pd.Index([10, 20], name="id"),
    )
    pd.testing.assert_frame_equal(round_trip(frame), frame)
    series = pd.Series([1.5, 2.5], index=["a", "b"], name="x")
    pd.testing.assert_series_equal(round_trip(series), series)
    moment = datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC)
    assert round_trip(moment) == moment


def _cycle() -> list[object]:
    looped: list[object] = []
    looped.append(looped)
    return looped


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (_cycle(), "cycle"),
        (lambda: 1, "function"),
        ((x for x in [1]), "generator"),
        (object(), "object"),
        (np.array([object()]), "Python objects"),
        ([[[[1]]]] * 1, None),
    ],
)
def test_code_cycles_and_objects_are_refused(value: object, message: str | None) -> None:
    if message is None:
        assert round_trip(value) == value
        return
    with pytest.raises(wire.CannotCrossError, match=message):
        wire.Encoder().encode(value)


def test_deep_nesting_and_huge_values_are_refused() -> None:
    deep: list[object] = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(wire.CannotCrossError, match="deeper"):
        wire.Encoder().encode(deep)
    with pytest.raises(wire.CannotCrossError, match="larger"):
        wire.Encoder().encode(np.zeros(wire.MAX_BYTES // 8 + 1))


def test_a_pickled_array_is_never_loaded() -> None:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(wire.PeerGoneError, match="allow_pickle"):
        wire.decode({"$": "ndarray", "b": 0}, [buffer.getvalue()])


SOLUTION = textwrap.dedent(
    '''
    """Module doc."""
    RATE = 0.5
    NAMES = ("a", "b")
    computed = sum([1, 2])

    def mean(values, /, scale=1.0, *rest, weights=None, **extra):
        """Mean."""
        return sum(values) / len(values)
    '''
)


def test_api_is_read_without_importing() -> None:
    api = read_api(SOLUTION)
    assert api.doc == "Module doc." and not api.obstacles
    assert [c["name"] for c in api.constants] == ["RATE", "NAMES"]
    (mean,) = api.functions
    kinds = [(p["name"], p["kind"]) for p in mean["params"]]
    assert kinds == [
        ("values", "POSITIONAL_ONLY"),
        ("scale", "POSITIONAL_OR_KEYWORD"),
        ("rest", "VAR_POSITIONAL"),
        ("weights", "KEYWORD_ONLY"),
        ("extra", "VAR_KEYWORD"),
    ]


@pytest.mark.parametrize(
    ("solution", "tests", "reason"),
    [
        (SOLUTION, "from solution import mean, RATE\n", ""),
        (SOLUTION, "import solution\nsolution.mean([1])\n", ""),
        (SOLUTION, "from solution import computed\n", "computed, which does not cross"),
        (SOLUTION, "import solution as s\ns.mean = None\n", "solution.mean"),
        (SOLUTION, "from unittest import mock\nmock.patch('solution.mean')\n", "patching"),
        (SOLUTION, "import solution\nf(solution)\n", "the solution module itself"),
        (SOLUTION, "def test_log(caplog):\n    pass\n", "caplog"),
        (SOLUTION, "import numpy as np\nnp.random.seed(0)\n", "random generator"),
        (SOLUTION, "def test_f(tmp_path):\n    pass\n", "use files"),
        (SOLUTION, "with open('x.csv', 'w') as f:\n    pass\n", "use files"),
        (SOLUTION, "import os\nos.environ['A'] = '1'\n", "environment"),
        (SOLUTION, "def test_m(monkeypatch):\n    pass\n", "monkeypatch"),
        (SOLUTION, "import dataclasses\ndataclasses.asdict(x)\n", "look inside objects"),
        ("class Model:\n    pass\n", "from solution import Model\n", ""),
        ("class Model(metaclass=M):\n    pass\n", "", "class Model has a metaclass"),
        ("@register\nclass Model:\n    pass\n", "", "class Model has a metaclass or decorators"),
        ("class A:\n    async def f(self):\n        pass\n", "", "f is async"),
        ("class A:\n    def f(self):\n        pass\n", "from solution import A\nA.f\n", ""),
        ("class A:\n    def f(self):\n        pass\n", "from solution import A\nA.g\n", "A.g"),
        ("class Bad(ValueError):\n    pass\n", "from solution import Bad\n", ""),
        ("class Bad(ValueError):\n    x = 1\n", "from solution import Bad\n", "class Bad"),
        ("def gen():\n    yield 1\n", "from solution import gen\n", "generator"),
        ("import functools\n@functools.lru_cache\ndef f(n):\n    return n\n", "", ""),
        ("@lru_cache(maxsize=2)\ndef f(n):\n    return n\n", "", ""),
        ("@register\ndef f(n):\n    return n\n", "", "decorated"),
        (SOLUTION, "from solution import mean\nmean.cache_info()\n", "mean.cache_info"),
        ("import os\ndef f(x=os.sep):\n    pass\n", "", "not a literal"),
        ("def f(:\n", "", "do not parse"),
    ],
)
def test_the_mode_follows_the_api_and_the_tests(solution: str, tests: str, reason: str) -> None:
    files = {"solution.py": solution, "test_step.py": tests}
    chosen = plan(files, solution_file="solution.py", test_file="test_step.py", mode="auto")
    assert chosen.mode == (IN_PROCESS if reason else ISOLATED)
    assert reason in chosen.reason
    forced = plan(files, solution_file="solution.py", test_file="test_step.py", mode=IN_PROCESS)
    assert forced.mode == IN_PROCESS


def test_the_stand_in_embeds_data_only() -> None:
    files = {"solution.py": SOLUTION + "\n__import__('os').system('x')\n", "test_step.py": ""}
    chosen = plan(files, solution_file="solution.py", test_file="test_step.py", mode="auto")
    assert chosen.mode == ISOLATED and "system" not in chosen.proxy
    compile(chosen.proxy, "solution.py", "exec")


def test_trusted_helpers_import_only_the_standard_library() -> None:
    """The launcher, server, stand-in, codec and watch run beside untrusted code."""
    import ast
    import sys
    from pathlib import Path

    from coauthor.sandbox.base import PROBE_DIR

    allowed = set(sys.stdlib_module_names) | {"__future__", "coauthor"}
    allowed |= {name.removesuffix(".py") for name in os.listdir(PROBE_DIR)}
    driver_only = {"pytest", "_pytest", "coverage"}
    for path in Path(PROBE_DIR).glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                extra = (
                    driver_only
                    if path.name in ("sandbox_probe.py", "sandbox_server.py", "sandbox_mutants.py")
                    else set()
                )
                assert top in allowed | extra, f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "tree",
    [
        {"$": "dict", "v": [[[1], 2]]},
        {"$": "nonsense"},
        {"$": "ndarray", "b": 7},
        {"$": "DataFrame", "columns": {}, "data": [], "index": {"$": "Index"}},
        {"$": "Series", "data": {"kind": "list", "dtype": "object; rm -rf /", "v": []}},
    ],
)
def test_malformed_replies_are_rejected_cleanly(tree: object) -> None:
    with pytest.raises(wire.PeerGoneError):
        wire.decode(tree, [])


@pytest.mark.parametrize(
    "extra", ["helper.py", "solution.cpython-311-x86_64-linux-gnu.so", "__pycache__/x.pyc"]
)
def test_importable_extra_files_are_never_isolated(extra: str) -> None:
    files = {"solution.py": SOLUTION, "test_step.py": "", extra: b"\0"}
    forced = plan(files, solution_file="solution.py", test_file="test_step.py", mode=ISOLATED)
    assert forced.mode == IN_PROCESS and extra in forced.reason
    data = {"solution.py": SOLUTION, "test_step.py": "", "data.csv": "a,b\n"}
    chosen = plan(data, solution_file="solution.py", test_file="test_step.py", mode="auto")
    assert chosen.mode == ISOLATED
