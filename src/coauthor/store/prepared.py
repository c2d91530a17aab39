"""Statements a run executes per model call and per stage (the logbook row, the live
progress, the checkpoint), compiled once per dialect and set of values.

``Connection.execute`` looks the statement up in the compiled cache, builds an execution
context and processes every parameter on each call; for these short writes that was most
of their cost (bench/overhead.py). A prepared statement keeps the compiled SQL and its
column types' own bind processors (the same ones ``execute`` applies: JSON through the
engine's serializer, the clean-text and UTC types) and sends the SQL through
``exec_driver_sql``, which still wraps driver errors in SQLAlchemy's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: Mapping[str, Processor]

    def parameters(self, values: Mapping[str, object]) -> tuple[object, ...] | dict[str, object]:
        converted = {}
        for name in self.names:
            value = values[name]
            process = self.processors.get(name)
            converted[name] = value if process is None or value is None else process(value)
        if self.positional:
            return tuple(converted[name] for name in self.names)
        return converted


class Prepared:
    """A statement (or a function of the dialect's name giving one, for dialect-specific
    forms such as an upsert) executed with a mapping of values, one per bound name."""

    def __init__(self, statement: sa.ClauseElement | Callable[[str], sa.ClauseElement]) -> None:
        self._statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}
        self._lock = threading.Lock()

    def execute(
        self, connection: sa.Connection, values: Mapping[str, object]
    ) -> sa.CursorResult[Any]:
        dialect = connection.dialect
        key = (dialect.name, frozenset(values))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(key, self._compile(dialect, values))
        return connection.exec_driver_sql(compiled.sql, compiled.parameters(values))

    def _compile(self, dialect: sa.Dialect, values: Mapping[str, object]) -> _Compiled:
        statement = self._statement
        if not isinstance(statement, sa.ClauseElement):
            statement = statement(dialect.name)
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(values))
        if compiled.escaped_bind_names:
            raise ValueError(f"bound names that need escaping: {compiled.escaped_bind_names}")
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        processors = {}
        for name in names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        missing = set(names) - set(values)
        if missing:
            raise ValueError(f"no values for {sorted(missing)}")
        return _Compiled(compiled.string, names, bool(compiled.positional), processors)
