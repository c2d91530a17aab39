"""Test cases a model proposes as data, and what running them on the solution found.

A case is one call of the step's function: its arguments as JSON values, then either
the expected result or the type of the exception it must raise. Co-Author renders
cases into pytest functions (``coauthor.pipeline.cases``) and also runs every case on
the reference solution: where the two disagree, one of them is wrong, and the
disagreement is evidence for the repair round.

JSON values are spelled out as a union of primitives and lists/objects nested at most
three levels deep rather than as "any": llama.cpp's JSON-schema grammar reads an empty
schema ``{}`` as "an object", so an any-typed field would let a model write only
objects. Every string stays within the 1,000 characters the grammars tolerate.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

MIN_CASES = 3
MAX_CASES = 8
ASKED_CASES = 5
"""At most this many cases in the schema a model is given (its grammar, on a local model):
a small model that writes on to the limit still closes the list within its tokens."""
ASKED_NAME = 40
ASKED_REASON = 80
"""The name and reason lengths the schema given to a model allows (validation keeps the
stored limits): a small model fills a long string field with chatter."""
ASKED_ITEMS = 6
ASKED_TEXT = 60
"""Items of a JSON list and characters of a JSON string in the schema given to a model."""
MAX_ITEMS = 12
"""Items of one JSON list or object in a case: enough for a small example, bounded."""

JsonText = Annotated[str, StringConstraints(max_length=200)]
JsonLeaf = TypeAliasType("JsonLeaf", bool | int | float | JsonText | None)
"""A JSON primitive. ``bool`` comes first so that ``true`` stays a bool, and ``int``
before ``float`` so that ``2`` and ``2.0`` stay apart (floats are compared with
``pytest.approx``, integers exactly)."""
Json1 = TypeAliasType(
    "Json1",
    JsonLeaf
    | Annotated[list[JsonLeaf], Field(max_length=MAX_ITEMS)]
    | Annotated[dict[str, JsonLeaf], Field(max_length=MAX_ITEMS)],
)
Json2 = TypeAliasType(
    "Json2",
    JsonLeaf
    | Annotated[list[Json1], Field(max_length=MAX_ITEMS)]
    | Annotated[dict[str, Json1], Field(max_length=MAX_ITEMS)],
)
JsonValue = TypeAliasType(
    "JsonValue",
    JsonLeaf
    | Annotated[list[Json2], Field(max_length=MAX_ITEMS)]
    | Annotated[dict[str, Json2], Field(max_length=MAX_ITEMS)],
)
"""A JSON value nested at most three levels deep (a list of records of lists)."""

CaseName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_]+$"
    ),
]
ExceptionName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"
    ),
]


class ValueKind(StrEnum):
    """How an expected value is built and compared, where its JSON shape is ambiguous."""

    auto = "auto"
    """Decided from the JSON shape and the function's return annotation."""
    value = "value"
    tuple = "tuple"
    set = "set"
    ndarray = "ndarray"
    series = "series"
    dataframe = "dataframe"


class TestCase(BaseModel):
    """One call of the function under test and what it must give."""

    __test__ = False  # not a pytest class, whatever its name says
    model_config = ConfigDict(extra="forbid")

    name: CaseName = Field(
        description="snake_case name of the case, e.g. empty_input_raises (becomes test_<name>)"
    )
    args: list[JsonValue] = Field(max_length=6, description="Positional arguments, as JSON values")
    kwargs: dict[str, JsonValue] = Field(
        default_factory=dict, max_length=6, description="Keyword arguments, as JSON values"
    )
    expected: JsonValue = Field(description="The result the call must return; null when it raises")
    raises: ExceptionName | None = Field(
        description="Exception type the call must raise, e.g. ValueError; null when it returns"
    )
    kind: ValueKind = Field(
        default=ValueKind.auto,
        description="What the result is when JSON cannot say: tuple, set, ndarray, series, "
        "dataframe; auto otherwise",
    )
    reason: str = Field(max_length=200, description="One line: what the case checks and why")


class CaseList(BaseModel):
    """The model's reply: the cases for one function."""

    model_config = ConfigDict(extra="forbid")

    cases: list[TestCase] = Field(min_length=MIN_CASES, max_length=MAX_CASES)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The schema a model is asked to follow: tighter than validation (fewer cases,
        shorter names, reasons, strings and lists, positional arguments only), so a
        grammar-bound small model closes its list before its token limit cuts it off."""
        schema = super().model_json_schema(*args, **kwargs)
        schema["properties"]["cases"]["maxItems"] = ASKED_CASES
        defs = schema["$defs"]
        fields = defs["TestCase"]["properties"]
        fields["name"]["maxLength"] = ASKED_NAME
        fields["reason"]["maxLength"] = ASKED_REASON
        del fields["kwargs"]  # positional arguments say every call; a small model pads these
        for name in ("Json1", "Json2", "JsonValue"):
            for branch in defs[name]["anyOf"]:
                if branch.get("type") == "array":
                    branch["maxItems"] = ASKED_ITEMS
        for branch in defs["JsonLeaf"]["anyOf"]:
            if branch.get("type") == "string":
                branch["maxLength"] = ASKED_TEXT
        return schema


class DisagreementKind(StrEnum):
    wrong_value = "wrong_value"
    """The call returned something other than the expected value."""
    unexpected_exception = "unexpected_exception"
    """The call raised where a value was expected."""
    no_exception = "no_exception"
    """The call returned where an exception was expected."""
    wrong_exception = "wrong_exception"
    """The call raised, but not the expected type."""
    timeout = "timeout"
    """The call did not return within the per-call time limit."""
    broken = "broken"
    """The case could not be run at all (the solution does not import, the function is
    missing, an exception type is unknown)."""


class CaseDisagreement(BaseModel):
    """A case whose expectation the reference solution does not meet: the case or the
    solution is wrong (dual execution)."""

    model_config = ConfigDict(extra="forbid")

    case: str = Field(max_length=60, description="The case's name")
    kind: DisagreementKind
    call: str = Field(default="", max_length=1000, description="The call, as the test writes it")
    expected: str = Field(default="", max_length=1000, description="What the case expects")
    actual: str = Field(
        default="", max_length=1000, description="What the solution returned or raised"
    )

    @property
    def line(self) -> str:
        """One line for a prompt or a report."""
        return f"{self.case}: {self.call} expected {self.expected}, got {self.actual}"


__all__ = [
    "MIN_CASES",
    "CaseDisagreement",
    "CaseList",
    "DisagreementKind",
    "JsonValue",
    "TestCase",
    "ValueKind",
]
