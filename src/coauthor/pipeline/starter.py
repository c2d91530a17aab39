"""The student's starter file, derived from the reference solution.

Deriving it keeps every signature and docstring identical to the solution the
tests were written against, which a separately generated file does not promise.
"""

from __future__ import annotations

import ast

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def stub(solution: str) -> str | None:
    """The solution with every function body replaced by its docstring and ``...``.

    None when the solution does not parse or defines no function, so the caller
    can fall back to asking the model.
    """
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return None
    functions = [node for node in ast.walk(tree) if isinstance(node, _Function)]
    if not functions:
        return None
    for function in functions:
        _hollow(function)
    return ast.unparse(_declarations_only(tree)) + "\n"


def _hollow(function: _Function) -> None:
    body: list[ast.stmt] = []
    docstring = ast.get_docstring(function, clean=False)
    if docstring is not None:
        body.append(ast.Expr(ast.Constant(docstring)))
    body.append(ast.Expr(ast.Constant(Ellipsis)))
    function.body = body


def _declarations_only(tree: ast.Module) -> ast.Module:
    """Drop the solution's top-level actions (calls, prints, ``__main__`` blocks):
    the student's file declares, and running it must not do the work."""
    tree.body = [node for node in tree.body if not _is_action(node)]
    return tree


def _is_action(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr):
        return not isinstance(node.value, ast.Constant)  # a docstring stays
    return isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.Try)
