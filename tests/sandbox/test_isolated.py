"""The stand-in solution in the test process: values, exceptions, limits and the fallback."""

from __future__ import annotations

import textwrap

from coauthor.sandbox import BubblewrapSandbox, Limits, Sandbox, run_pytest
from coauthor.sandbox.boundary import IN_PROCESS, ISOLATED, Mode
from coauthor.sandbox.pytest_runner import PytestReport

LIMITS = Limits(cpu_seconds=20, wall_seconds=40, call_seconds=2)


def _run(sandbox: Sandbox, solution: str, tests: str, mode: Mode = "auto") -> PytestReport:
    files = {"solution.py": textwrap.dedent(solution), "test_step.py": textwrap.dedent(tests)}
    return run_pytest(sandbox, files, limits=LIMITS, isolate="solution.py", mode=mode)


EXCEPTIONS_SOLUTION = """
import builtins

import numpy as np


def boom(name, message):
    raise getattr(builtins, name)(message)


def singular():
    return np.linalg.inv(np.zeros((2, 2)))


def missing(mapping):
    return mapping["absent"]
"""
EXCEPTIONS_TESTS = """
import builtins

import pytest

from solution import boom, missing, singular

SPECIAL = {"UnicodeDecodeError", "UnicodeEncodeError", "UnicodeTranslateError",
           "BaseExceptionGroup", "ExceptionGroup"}
NAMES = sorted(
    name for name, kind in vars(builtins).items()
    if isinstance(kind, type) and issubclass(kind, Exception) and name not in SPECIAL
)


@pytest.mark.parametrize("name", NAMES)
def test_builtin_exceptions_keep_type_and_message(name):
    kind = getattr(builtins, name)
    with pytest.raises(kind) as info:
        boom(name, f"message of {name}")
    assert type(info.value) is kind and info.value.args == (f"message of {name}",)


def test_other_exceptions_get_a_named_stand_in():
    with pytest.raises(ValueError, match="Singular") as info:
        singular()
    assert type(info.value).__name__ == "LinAlgError"


def test_key_error_keeps_its_args():
    with pytest.raises(KeyError) as info:
        missing({})
    assert info.value.args == ("absent",)
"""


def test_exceptions_cross_as_the_same_types(sandbox: Sandbox) -> None:
    report = _run(sandbox, EXCEPTIONS_SOLUTION, EXCEPTIONS_TESTS)
    assert report.mode == ISOLATED
    assert report.all_passed, report.output
    assert len(report.expected) == 3 and report.counts == {"passed": 3}


def test_a_hanging_call_times_out_and_ends_the_solution(bwrap_sandbox: BubblewrapSandbox) -> None:
    solution = """
    def slow():
        while True:
            pass

    def fast():
        return 1
    """
    tests = """
    from solution import fast, slow

    def test_slow():
        assert slow() is None

    def test_then_fast():
        assert fast() == 1
    """
    report = _run(bwrap_sandbox, solution, tests)
    assert report.mode == ISOLATED and report.finished
    assert report.outcomes == {
        "test_step.py::test_slow": "failed",
        "test_step.py::test_then_fast": "failed",
    }
    assert "did not answer in time" in report.details["test_step.py::test_slow"]
    assert report.duration_s < 15


def test_printing_100_mb_from_the_solution_is_trimmed(bwrap_sandbox: BubblewrapSandbox) -> None:
    solution = """
    import sys

    def loud():
        for _ in range(100):
            sys.stdout.write("x" * 1_000_000)
        return 7
    """
    tests = "from solution import loud\n\ndef test_loud():\n    assert loud() == 7\n"
    report = _run(bwrap_sandbox, solution, tests)
    assert report.mode == ISOLATED and report.all_passed, report.output
    assert len(report.output) < 100_000


GENERATOR_SOLUTION = """
def numbers(n):
    return (i for i in range(n))


def apply(function, value):
    return function(value)
"""
GENERATOR_TESTS = """
from solution import apply, numbers

def test_numbers():
    assert list(numbers(3)) == [0, 1, 2]

def test_apply():
    assert apply(lambda v: v + 1, 1) == 2
"""


def test_values_that_cannot_cross_fall_back_to_in_process(sandbox: Sandbox) -> None:
    report = _run(sandbox, GENERATOR_SOLUTION, GENERATOR_TESTS)
    assert report.mode == IN_PROCESS and report.all_passed, report.output
    assert "fell back" in report.mode_reason and "cannot cross" in report.mode_reason


def test_forced_isolation_refuses_them_with_a_clear_message(
    bwrap_sandbox: BubblewrapSandbox,
) -> None:
    report = _run(bwrap_sandbox, GENERATOR_SOLUTION, GENERATOR_TESTS, mode=ISOLATED)
    assert report.mode == ISOLATED and not report.all_passed
    numbers = report.details["test_step.py::test_numbers"]
    assert "generator object cannot cross" in numbers and "falls back" in numbers
    assert "function object cannot cross" in report.details["test_step.py::test_apply"]


CLASS_SOLUTION = """
class Counter:
    \"\"\"Counts.\"\"\"

    START = 0

    def __init__(self, start=0):
        self.n = start

    def add(self, k=1):
        \"\"\"Add k.\"\"\"
        self.n += k
        return self

    @property
    def double(self):
        return 2 * self.n

    @staticmethod
    def zero():
        return Counter(0)

    @classmethod
    def from_list(cls, items):
        made = cls()
        made.n = len(items)
        return made

    def __len__(self):
        return self.n

    def __eq__(self, other):
        return isinstance(other, Counter) and other.n == self.n

    def __repr__(self):
        return f"Counter({self.n})"

    def steps(self):
        yield from range(self.n)


class Sub(Counter):
    def half(self):
        return self.n / 2


def total(counters):
    return sum(counter.n for counter in counters)
"""


def test_instances_stay_in_the_solution_behind_handles(bwrap_sandbox: BubblewrapSandbox) -> None:
    tests = """
    import inspect
    from solution import Counter, Sub, total

    def test_counter():
        counter = Counter(2)
        assert counter.add().add(2) is counter and counter.n == 5 and counter.double == 10
        assert len(counter) == 5 and str(inspect.signature(Counter.add)) == "(self, k=1)"
        counter.n = 7
        assert counter.n == 7 and repr(counter) == "Counter(7)" and Counter.add.__doc__
        assert Counter.zero() == Counter(0) and Counter.from_list([1, 2]).n == 2
        assert isinstance(Sub(4), Counter) and Sub(4).half() == 2.0
        assert total([Counter(1), Sub(2)]) == 3 and Counter.START == 0
        assert counter != Counter(1) and {Counter(1).n: 1}
    """
    report = _run(bwrap_sandbox, CLASS_SOLUTION, tests)
    assert report.mode == ISOLATED and report.all_passed, report.output


def test_a_method_returning_a_generator_falls_back(bwrap_sandbox: BubblewrapSandbox) -> None:
    tests = """
    from solution import Counter

    def test_steps():
        assert list(Counter(3).steps()) == [0, 1, 2]
    """
    report = _run(bwrap_sandbox, CLASS_SOLUTION, tests)
    assert report.mode == IN_PROCESS and report.all_passed, report.output
    assert "generator object cannot cross" in report.mode_reason


def test_the_solutions_own_exception_classes_cross(bwrap_sandbox: BubblewrapSandbox) -> None:
    solution = '''
    class EmptyInput(ValueError):
        """No data at all."""


    class NoRows(EmptyInput):
        pass


    def first(rows):
        if rows is None:
            raise EmptyInput("nothing")
        if not rows:
            raise NoRows("no rows", 0)
        return rows[0]
    '''
    tests = """
    import pytest
    import solution
    from solution import EmptyInput, NoRows, first

    def test_raises_its_own_classes():
        with pytest.raises(EmptyInput, match="nothing"):
            first(None)
        with pytest.raises(NoRows) as info:
            first([])
        assert info.value.args == ("no rows", 0)
        assert issubclass(NoRows, ValueError) and solution.EmptyInput.__doc__ == "No data at all."
    """
    report = _run(bwrap_sandbox, solution, tests)
    assert report.mode == ISOLATED and report.all_passed, report.output


INPLACE_SOLUTION = """
import numpy as np


def sort_in_place(values):
    values.sort()


def count_into(counts, word):
    counts[word] = counts.get(word, 0) + 1
    return len(counts)


def normalize(array):
    array /= array.sum()


def add_total(frame, *, column="total"):
    frame[column] = frame["a"] + frame["b"]


def drop_first(frame):
    frame.drop(frame.index[0], inplace=True)
"""
INPLACE_TESTS = """
import numpy as np
import pandas as pd
from solution import add_total, count_into, normalize, sort_in_place

def test_lists_and_dicts():
    values, counts = [3, 1, 2], {}
    assert sort_in_place(values) is None and values == [1, 2, 3]
    assert count_into(counts, "a") == 1 and count_into(counts, "a") == 1
    assert counts == {"a": 2}

def test_arrays_and_frames():
    array = np.array([1.0, 3.0])
    normalize(array)
    assert array.tolist() == [0.25, 0.75]
    frame = pd.DataFrame({"a": [1, 2], "b": [10, 20]})
    add_total(frame, column="sum")
    assert frame["sum"].tolist() == [11, 22]
"""


def test_arguments_changed_in_place_come_back(bwrap_sandbox: BubblewrapSandbox) -> None:
    report = _run(bwrap_sandbox, INPLACE_SOLUTION, INPLACE_TESTS)
    assert report.mode == ISOLATED and report.all_passed, report.output


def test_changes_that_cannot_be_copied_back_fall_back(bwrap_sandbox: BubblewrapSandbox) -> None:
    tests = """
    import pandas as pd
    from solution import drop_first

    def test_drop():
        frame = pd.DataFrame({"a": [1, 2]})
        drop_first(frame)
        assert frame["a"].tolist() == [2]
    """
    report = _run(bwrap_sandbox, INPLACE_SOLUTION, tests)
    assert report.mode == IN_PROCESS and report.all_passed, report.output
    assert "changed its rows in place" in report.mode_reason
