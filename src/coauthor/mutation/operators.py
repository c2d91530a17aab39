"""Mutants of a reference solution: small, valid, deterministic source edits.

Why a small ``ast`` operator set of our own rather than a mutation-testing library:
mutmut 3 rewrites the whole module into "trampolined" form and runs mutants through its
own runner and stats database, and cosmic-ray drives mutants through its session database
and worker processes; neither hands back the plain source of one mutant that we could run
in our sandbox behind our signed report. libcst keeps formatting but brings no operators.
Here the edits are made on the source text at the positions ``ast`` gives, so a mutant
differs from the solution only in the changed token (comments and layout are kept, the
diff is one or two lines) and every mutant is checked to parse.

Operators: ``arithmetic`` (+ - * / // % ** swapped, unary minus removed), ``comparison``
(== != is in ... negated), ``boundary`` (< <= > >= moved by one), ``boolean`` (and/or,
``not`` removed, True/False), ``constant`` (numbers +1/-1, strings emptied), ``condition``
(an if/while/ternary/assert condition negated or replaced by True), ``statement`` (a
statement in a function removed, a return turned into ``return None``) and ``arguments``
(the first two positional arguments of a call swapped).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from coauthor.schemas.mutation import DEFAULT_MUTANTS, Mutant, MutantStatus

OPERATORS = (
    "arithmetic",
    "arguments",
    "boolean",
    "boundary",
    "comparison",
    "condition",
    "constant",
    "statement",
)
_SNIPPET = 60
_DIFF_CHARS = 4000

_ARITHMETIC: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Mult,
    ast.Pow: ast.Mult,
}
_SYMBOL: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.And: "and",
    ast.Or: "or",
}
_BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}
_NEGATED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


@dataclass(frozen=True)
class MutantSource:
    """A mutant's metadata (status a placeholder until it is run) and its whole source."""

    mutant: Mutant
    source: str

    @property
    def id(self) -> str:
        return self.mutant.id


@dataclass(frozen=True)
class _Edit:
    operator: str
    start: int
    """Character offsets in the solution of the text replaced."""
    end: int
    new: str
    change: str


def generate(solution: str, limit: int = DEFAULT_MUTANTS) -> list[MutantSource]:
    """At most ``limit`` mutants of ``solution``, spread evenly over operators and lines.

    Candidates are taken in turn from each operator (in name order), and within an
    operator in an order that spreads any prefix over its lines; a candidate that does
    not parse, is the same program as the solution or as a mutant already taken is
    skipped and the next one taken instead. The same solution and limit give the same
    mutants, and a mutant's id does not depend on the limit. An empty list when the
    solution does not parse or ``limit`` is 0.
    """
    if limit <= 0:
        return []
    try:
        tree = ast.parse(solution)
    except (SyntaxError, ValueError):
        return []
    text = _Text(solution)
    named = _with_ids(list(_edits(tree, text)), text)
    groups: dict[str, list[tuple[_Edit, str]]] = {}
    for edit, mutant_id in named:
        groups.setdefault(edit.operator, []).append((edit, mutant_id))
    queues = {op: [groups[op][i] for i in _spread(len(groups[op]))] for op in sorted(groups)}
    statements = _Statements(tree, text)
    seen: set[str] = set()
    made: list[MutantSource] = []
    while len(made) < limit and any(queues.values()):
        for op in sorted(queues):
            while len(made) < limit and queues[op]:
                edit, mutant_id = queues[op].pop(0)
                source = solution[: edit.start] + edit.new + solution[edit.end :]
                key = statements.changed(edit, source)
                if key is not None and key not in seen:
                    seen.add(key)
                    made.append(_mutant_source(solution, source, edit, text, mutant_id))
                    break
    return sorted(made, key=lambda m: (m.mutant.line, m.mutant.operator, m.mutant.id))


def mutant_source(solution: str, mutant_id: str, limit: int = DEFAULT_MUTANTS) -> str | None:
    """The source of the mutant ``mutant_id`` among ``generate(solution, limit)``."""
    for made in generate(solution, limit):
        if made.id == mutant_id:
            return made.source
    return None


class _Statements:
    """The innermost statement around each edit, to tell a mutant that is the same
    program as the solution (or as another mutant) by comparing that statement alone."""

    def __init__(self, tree: ast.Module, text: _Text) -> None:
        self.found: list[tuple[tuple[tuple[str, int], ...], ast.stmt]] = []
        self._collect(tree, ())
        self.text = text

    def _collect(self, node: ast.AST, path: tuple[tuple[str, int], ...]) -> None:
        for name, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if isinstance(item, ast.stmt):
                    here = (*path, (name, index))
                    self.found.append((here, item))
                    self._collect(item, here)

    def changed(self, edit: _Edit, source: str) -> str | None:
        """A key for the program after ``edit``: None when it does not parse or is the
        solution itself."""
        try:
            mutated = ast.parse(source)
        except (SyntaxError, ValueError):
            return None
        around = [
            (path, stmt)
            for path, stmt in self.found
            if self.text.span(stmt)[0] <= edit.start and edit.end <= self.text.span(stmt)[1]
        ]
        if not around:
            return ast.dump(mutated)
        path, original = max(around, key=lambda item: len(item[0]))
        node: ast.AST = mutated
        for name, index in path:
            value = getattr(node, name, None)
            items = value if isinstance(value, list) else [value]
            found = items[index] if index < len(items) else None
            if not isinstance(found, ast.AST):
                return ast.dump(mutated)
            node = found
        after = ast.dump(node)
        if after == ast.dump(original):
            return None
        return f"{path}\n{after}"


def _spread(count: int) -> list[int]:
    """0..count-1 in van der Corput order: every prefix is spread evenly over the range."""
    order: list[int] = []
    taken: set[int] = set()
    step = 0
    while len(order) < count:
        fraction, denominator, value = 0.0, 1.0, step
        while value:
            denominator *= 2
            fraction += (value % 2) / denominator
            value //= 2
        index = int(fraction * count)
        if index not in taken:
            taken.add(index)
            order.append(index)
        step += 1
    return order


def _with_ids(edits: list[_Edit], text: _Text) -> list[tuple[_Edit, str]]:
    """A stable id per edit: a hash of the operator, the line before and after, the
    change, and how many identical edits come before it (so moving unrelated lines
    keeps it)."""
    keys: dict[str, int] = {}
    named: list[tuple[_Edit, str]] = []
    for edit in edits:
        line = text.line_of(edit.start)
        start = text.starts[line - 1]
        old_line = text.lines[line - 1]
        cut = text.source[start : edit.start] + edit.new + text.source[edit.end :]
        new_line = cut.split("\n", 1)[0]
        key = f"{edit.operator}\n{old_line.strip()}\n{new_line.strip()}\n{edit.change}"
        occurrence = keys.get(key, 0)
        keys[key] = occurrence + 1
        digest = hashlib.sha256(f"{key}\n{occurrence}".encode()).hexdigest()[:12]
        named.append((edit, f"{edit.operator[:4]}-{digest}"))
    return named


def _mutant_source(
    solution: str, source: str, edit: _Edit, text: _Text, mutant_id: str
) -> MutantSource:
    diff = "".join(
        difflib.unified_diff(
            solution.splitlines(keepends=True),
            source.splitlines(keepends=True),
            "solution.py",
            "mutant.py",
            n=1,
        )
    )
    mutant = Mutant(
        id=mutant_id,
        operator=edit.operator,
        line=text.line_of(edit.start),
        change=edit.change[:300],
        diff=diff[:_DIFF_CHARS],
        status=MutantStatus.survived,
    )
    return MutantSource(mutant, source)


class _Text:
    """Offsets in the source from ``ast`` positions (whose columns count UTF-8 bytes)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_line = node.end_lineno  # type: ignore[attr-defined]
        return start, self.offset(end_line, node.end_col_offset)  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.source[start:end]

    def line_of(self, offset: int) -> int:
        low, high = 0, len(self.starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self.starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return low + 1


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET else flat[: _SNIPPET - 3] + "..."


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, f-string parts, ``__main__`` blocks,
    and the message strings of raised exceptions (tests rarely pin a message's wording,
    and a survivor there says nothing about what the code computes)."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(sub) for sub in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip(node.returns)
            for dec in node.decorator_list:
                skip(dec)
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                skip(arg.annotation)
            for extra in (node.args.vararg, node.args.kwarg):
                if extra is not None:
                    skip(extra.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.Constant):
                    skip(value)
                elif isinstance(value, ast.FormattedValue):
                    skip(value.format_spec)
        elif isinstance(node, ast.If) and _is_main_guard(node.test):
            skip(node)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            skipped.update(
                id(sub)
                for sub in ast.walk(node.exc)
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
            )
    return skipped


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


def _function_statements(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.stmt) and sub is not node:
                    inside.add(id(sub))
    return inside


def _edits(tree: ast.Module, text: _Text) -> Iterator[_Edit]:
    skipped = _skipped_nodes(tree)
    in_function = _function_statements(tree)
    nodes = [n for n in ast.walk(tree) if id(n) not in skipped and hasattr(n, "lineno")]
    nodes.sort(key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
    for node in nodes:
        if isinstance(node, ast.BinOp):
            yield from _binop(node, text)
        elif isinstance(node, ast.AugAssign):
            yield from _augassign(node, text)
        elif isinstance(node, ast.Compare):
            yield from _compare(node, text)
        elif isinstance(node, ast.BoolOp):
            yield from _boolop(node, text)
        elif isinstance(node, ast.UnaryOp):
            yield from _unary(node, text)
        elif isinstance(node, ast.Constant):
            yield from _constant(node, text)
        elif isinstance(node, ast.Call):
            yield from _call(node, text)
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            yield from _condition(node, text)
        if isinstance(node, ast.stmt) and id(node) in in_function:
            yield from _statement(node, text)


def _between(text: _Text, left: ast.AST, right: ast.AST, old: str, new: str) -> _Edit | None:
    """Replace the operator token ``old`` found between two nodes by ``new``."""
    start = text.span(left)[1]
    end = text.span(right)[0]
    gap = text.source[start:end]
    at = _token_at(gap, old)
    if at < 0:
        return None
    return _Edit("", start + at, start + at + len(old), new, f"`{old}` became `{new}`")


def _token_at(gap: str, token: str) -> int:
    """Where ``token`` stands in ``gap`` as a whole operator (not part of ``**`` or ``//``)."""
    code = gap.split("#", 1)[0]
    index = code.find(token)
    while index >= 0:
        before = code[index - 1] if index else " "
        after = code[index + len(token)] if index + len(token) < len(code) else " "
        symbol = not token[0].isalpha()
        glued = (before in "*/<>=!" or after in "*/<>=") if symbol else (before + after).strip()
        if not glued:
            return index
        index = code.find(token, index + 1)
    return -1


def _named(edit: _Edit | None, operator: str) -> Iterator[_Edit]:
    if edit is not None:
        yield _Edit(operator, edit.start, edit.end, edit.new, edit.change)


def _binop(node: ast.BinOp, text: _Text) -> Iterator[_Edit]:
    swap = _ARITHMETIC.get(type(node.op))
    if swap is not None:
        old, new = _SYMBOL[type(node.op)], _SYMBOL[swap]
        yield from _named(_between(text, node.left, node.right, old, new), "arithmetic")


def _augassign(node: ast.AugAssign, text: _Text) -> Iterator[_Edit]:
    swap = _ARITHMETIC.get(type(node.op))
    if swap is not None:
        old, new = _SYMBOL[type(node.op)] + "=", _SYMBOL[swap] + "="
        start, end = text.span(node.target)[1], text.span(node.value)[0]
        at = text.source[start:end].find(old)
        if at >= 0:
            yield _Edit(
                "arithmetic", start + at, start + at + len(old), new, f"`{old}` became `{new}`"
            )


def _compare(node: ast.Compare, text: _Text) -> Iterator[_Edit]:
    operands = [node.left, *node.comparators]
    for index, op in enumerate(node.ops):
        left, right = operands[index], operands[index + 1]
        old = _SYMBOL[type(op)]
        boundary = _BOUNDARY.get(type(op))
        if boundary is not None:
            yield from _named(_between(text, left, right, old, _SYMBOL[boundary]), "boundary")
        negated = _NEGATED[type(op)]
        yield from _named(_between(text, left, right, old, _SYMBOL[negated]), "comparison")


def _boolop(node: ast.BoolOp, text: _Text) -> Iterator[_Edit]:
    old = _SYMBOL[type(node.op)]
    new = "or" if old == "and" else "and"
    for left, right in zip(node.values, node.values[1:], strict=False):
        yield from _named(_between(text, left, right, old, new), "boolean")


def _unary(node: ast.UnaryOp, text: _Text) -> Iterator[_Edit]:
    start, end = text.span(node)
    operand = text.segment(node.operand)
    if isinstance(node.op, ast.Not):
        yield _Edit("boolean", start, end, operand, f"`not` removed before `{_short(operand)}`")
    elif isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        yield _Edit("arithmetic", start, end, operand, f"unary `-` removed before `{operand}`")


def _constant(node: ast.Constant, text: _Text) -> Iterator[_Edit]:
    start, end = text.span(node)
    old = text.source[start:end]
    value = node.value
    news: list[str] = []
    if isinstance(value, bool):
        news = [repr(not value)]
        operator = "boolean"
    elif isinstance(value, int):
        news = [repr(value + 1), repr(value - 1)] if value else ["1"]
        operator = "constant"
    elif isinstance(value, float):
        news = ["0.0", repr(value + 1.0)] if value else ["1.0"]
        operator = "constant"
    elif isinstance(value, str):
        news = ['""'] if value else ['"XX"']
        operator = "constant"
    for new in news:
        if new != old:
            yield _Edit(operator, start, end, new, f"`{_short(old)}` became `{new}`")


def _call(node: ast.Call, text: _Text) -> Iterator[_Edit]:
    args = node.args
    if len(args) < 2 or any(isinstance(a, ast.Starred) for a in args[:2]):
        return
    first, second = args[0], args[1]
    start, end = text.span(first)[0], text.span(second)[1]
    gap = text.source[text.span(first)[1] : text.span(second)[0]]
    a, b = text.segment(first), text.segment(second)
    if a == b:
        return
    name = _short(text.segment(node.func))
    yield _Edit(
        "arguments",
        start,
        end,
        b + gap + a,
        f"the arguments `{_short(a)}` and `{_short(b)}` of `{name}(...)` swapped",
    )


def _condition(node: ast.If | ast.While | ast.IfExp | ast.Assert, text: _Text) -> Iterator[_Edit]:
    test = node.test
    start, end = text.span(test)
    old = text.source[start:end]
    yield _Edit("condition", start, end, f"not ({old})", f"the condition `{_short(old)}` negated")
    if isinstance(node, ast.If) and not (isinstance(test, ast.Constant) and test.value is True):
        yield _Edit(
            "condition",
            start,
            end,
            "True",
            f"the condition `{_short(old)}` removed (always true)",
        )


def _statement(node: ast.stmt, text: _Text) -> Iterator[_Edit]:
    start, end = text.span(node)
    old = text.source[start:end]
    if isinstance(node, ast.Return):
        if node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            yield _Edit(
                "statement", start, end, "return None", f"`{_short(old)}` became `return None`"
            )
    elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return
        yield _Edit("statement", start, end, "pass", f"`{_short(old)}` removed")
    elif isinstance(node, (ast.Continue, ast.Break)):
        yield _Edit("statement", start, end, "pass", f"`{old}` removed")
