"""A small, safe expression language for the command line: `sqrt(x**2 + exp(x**2))`.

`parse(source)` reads the text with `ast.parse(mode="eval")` and accepts only a whitelist:
int and float literals, variable names, the constants `e` and `pi`, `+ - * / **`, unary `-`
and `+`, parentheses, and calls of one positional argument to `exp log tanh sigmoid relu
sin cos sqrt abs`. Anything else (attributes, indexing, strings, lambdas, comprehensions,
comparisons, keyword arguments, dunder names, unknown functions, ...) raises `ExprError`
naming the offending part, with the fix when there is an obvious one (`x^2` -> `x**2`). The
text is never evaluated as Python: the checked tree is turned into a short postfix program
that `evaluate` runs on `Value`s, so the result can be differentiated. Line breaks count as
spaces, so an expression pasted over several lines reads as one.

`e` and `pi` are constants unless `evaluate` is given a variable of that name: then they are
that variable (and `autograd-lite grad "e*x" x=1 e=2` prints df/de). Shadowing is allowed so
that a formula with its own `e` (an error, an energy) keeps working.

The work is bounded: sources longer than `MAX_LENGTH` characters or nesting parentheses
deeper than `MAX_DEPTH` are refused before the parser sees them, both passes over the tree
are iterative (no recursion), and arithmetic is on floats with the engine's IEEE rules, so
`9**9**9` is `inf` (computed in microseconds) and `log(-1)` is `nan`.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from autograd_lite import OPS, Value, no_grad

__all__ = ["CONSTANTS", "ExprError", "Expression", "FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH",
           "evaluate", "parse"]

# the op table's functions of one Value and no parameters (`Op.expr`): a new one is allowed
# here with no edit
FUNCTIONS = tuple(op.name for op in OPS.values() if op.expr)
CONSTANTS = {"e": math.e, "pi": math.pi}  # a variable of the same name takes precedence
MAX_LENGTH = 1000  # characters
MAX_DEPTH = 100  # levels of nested brackets

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos"}
_OTHER_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
_REFUSED = {  # node type -> what to call it in the message
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator (and, or)",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_SNIPPET = 60  # characters of the offending source quoted in a message

# ("const", 2.0), ("var", "x"), ("name", "pi") (a constant unless given as a variable),
# ("+", None), ("call", "exp")
Instruction = tuple[str, object]


class ExprError(ValueError):
    """The expression is malformed, uses something outside the whitelist, or is too large."""


@dataclass(frozen=True)
class Expression:
    """A checked expression: its source, its variables (in order of first use; `e` and `pi`
    are not listed: they are constants unless given) and the postfix program that
    `evaluate` runs."""

    source: str
    variables: tuple[str, ...]
    program: tuple[Instruction, ...]

    def __str__(self) -> str:
        return self.source


def parse(source: str) -> Expression:
    """Check `source` against the whitelist and compile it to a postfix program.

    Raises `ExprError` with a message naming the first part that is not allowed. Line breaks
    are read as spaces; a syntax error gives its column in `source`.
    """
    if not isinstance(source, str):
        raise ExprError(f"an expression must be a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExprError(f"the expression is too long ({len(source)} characters; the limit "
                        f"is {MAX_LENGTH})")
    if not source.strip():
        raise ExprError("the expression is empty")
    depth = _bracket_depth(source)
    if depth > MAX_DEPTH:
        raise ExprError(f"the expression nests brackets {depth} deep; the limit is {MAX_DEPTH}")
    text = source.translate(_LINE_BREAKS).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        detail = "" if e.msg == "invalid syntax" else f" ({e.msg})"
        where = f" at column {e.offset}" if e.offset else ""  # of the text quoted
        hint = (" (an expression has no '=': give the values after it, as NAME=VALUE)"
                if _ASSIGNMENT.match(text) else "")
        raise ExprError(f"invalid syntax{detail}{where}: {_excerpt(text, e.offset)}{hint}"
                        ) from None
    except ValueError as e:  # e.g. a null byte
        raise ExprError(f"invalid expression: {e}") from None
    except (RecursionError, MemoryError):
        raise ExprError("the expression is too deeply nested to parse") from None
    return _compile(tree.body, text)


def evaluate(expression: Expression | str, variables: Mapping[str, Value | float]) -> Value:
    """The expression's value as a `Value` whose graph reaches every variable it uses.

    `variables` maps names to `Value`s (to differentiate with respect to them) or numbers
    (taken as constants). Names the expression does not use are ignored; a missing one
    raises `ExprError` naming it. Parts without variables are folded to numbers with the
    same IEEE arithmetic as `Value` (`1/0 = inf`, `log(-1) = nan`, overflow gives `inf`).
    """
    expr = expression if isinstance(expression, Expression) else parse(expression)
    missing = [name for name in expr.variables if name not in variables]  # not e, pi
    if missing:
        raise ExprError(f"no value given for {_names(missing)} (pass "
                        + " ".join(f"{name}=NUMBER" for name in missing) + ")")
    stack: list[Value | float] = []
    for op, arg in expr.program:
        if op == "const":
            stack.append(arg)  # type: ignore[arg-type]
        elif op == "var" or (op == "name" and arg in variables):
            value = variables[arg]  # type: ignore[index]
            stack.append(value if isinstance(value, Value) else _number(value, str(arg)))
        elif op == "name":
            stack.append(CONSTANTS[arg])  # type: ignore[index]
        elif op == "call":
            stack.append(_call(str(arg), stack.pop()))
        elif op in ("neg", "pos"):
            operand = stack.pop()
            stack.append(-operand if op == "neg" else operand)
        else:
            right = stack.pop()
            stack.append(_binary(op, stack.pop(), right))
    (result,) = stack
    return result if isinstance(result, Value) else Value(result)


# --- checking and compiling ---------------------------------------------------------------


def _bracket_depth(source: str) -> int:
    """The deepest nesting of ( [ { in the text (strings are not special: a safe overcount)."""
    depth = deepest = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


_LINE_BREAKS = str.maketrans("\r\n", "  ")
_ASSIGNMENT = re.compile(r"[^\W\d]\w*\s*=(?!=)")  # `x=1`, `y = 2`, not `x == 1`


def _compile(root: ast.expr, source: str) -> Expression:
    """Check every node (outermost first) and emit a postfix program, without recursion."""
    program: list[Instruction] = []
    variables: dict[str, None] = {}  # ordered set
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            program.append(_instruction(node, variables))
            continue
        children = _check(node, source)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children))
    return Expression(source, tuple(variables), tuple(program))


def _check(node: ast.AST, source: str) -> list[ast.AST]:
    """Raise `ExprError` unless `node` is allowed; return the operands to check next."""
    text = _snippet(node, source)
    if isinstance(node, ast.Constant):
        _check_constant(node.value, text)
        return []
    if isinstance(node, ast.Name):
        _check_name(node.id, text)
        return []
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):  # x^2: Python's (and ours) power is x**2
            raise ExprError(f"operator ^ is not allowed: {text} (use ** for powers: "
                            f"{_shorten(source.replace('^', '**'))})")
        if type(node.op) not in _BINARY:
            raise ExprError(f"operator {_OTHER_OPERATORS.get(type(node.op), '?')} is not "
                            f"allowed: {text}")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise ExprError(f"operator {_OTHER_OPERATORS.get(type(node.op), '?')} is not "
                            f"allowed: {text}")
        return [node.operand]
    if isinstance(node, ast.Call):
        _check_call(node, source, text)
        return [node.args[0]]
    what = _REFUSED.get(type(node), type(node).__name__)
    raise ExprError(f"{what} is not allowed: {text}")


def _check_constant(value: object, text: str) -> None:
    if isinstance(value, bool) or value is None or value is Ellipsis:
        raise ExprError(f"only numbers are allowed as constants, not {text}")
    if isinstance(value, str):
        raise ExprError(f"strings are not allowed: {text}")
    if isinstance(value, bytes):
        raise ExprError(f"bytes are not allowed: {text}")
    if isinstance(value, complex):
        raise ExprError(f"complex numbers are not allowed: {text}")
    if not isinstance(value, (int, float)):
        raise ExprError(f"constant {text} is not allowed")


def _check_name(name: str, text: str) -> None:
    if name.startswith("__"):
        raise ExprError(f"dunder names are not allowed: {text}")
    if name in FUNCTIONS:
        raise ExprError(f"{name} is a function: call it with one argument, as in {name}(x)")


def _check_call(node: ast.Call, source: str, text: str) -> None:
    func = node.func
    if isinstance(func, ast.Attribute):
        raise ExprError(f"attribute access is not allowed: {_snippet(func, source)}")
    if not isinstance(func, ast.Name):
        raise ExprError(f"only the functions {', '.join(FUNCTIONS)} can be called, not "
                        f"{_snippet(func, source)}")
    if func.id.startswith("__"):
        raise ExprError(f"dunder names are not allowed: {func.id}")
    if func.id not in FUNCTIONS:
        raise ExprError(f"unknown function {func.id}: the functions are {', '.join(FUNCTIONS)}")
    if node.keywords:
        raise ExprError(f"keyword arguments are not allowed: {text}")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ExprError(f"starred arguments are not allowed: {text}")
    if len(node.args) != 1:
        raise ExprError(f"{func.id} takes exactly one argument, got {len(node.args)}: {text}")


def _instruction(node: ast.AST, variables: dict[str, None]) -> Instruction:
    """The postfix instruction for a node already checked by `_check`."""
    if isinstance(node, ast.Constant):
        return "const", _to_float(node.value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return "name", node.id
        variables[node.id] = None
        return "var", node.id
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)], None
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)], None
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return "call", node.func.id


def _to_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int literal beyond the float range
        return math.inf


def _snippet(node: ast.AST, source: str) -> str:
    return _shorten(ast.get_source_segment(source, node) or type(node).__name__)


def _excerpt(text: str, column: int | None) -> str:
    """The text as typed (spacing kept, so the column can be counted), or, when it is long,
    the part around `column` (1-based), marked with … where cut."""
    if len(text) <= _SNIPPET:
        return text
    start = max(0, min((column or 1) - 1 - _SNIPPET // 2, len(text) - _SNIPPET))
    part = text[start:start + _SNIPPET]
    return ("…" if start else "") + part + ("…" if start + _SNIPPET < len(text) else "")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET - 1] + "…"


def _names(names: list[str]) -> str:
    return ("variable " if len(names) == 1 else "variables ") + ", ".join(names)


# --- evaluation -----------------------------------------------------------------------------


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"the value of {name} must be a number, got {value!r:.40}")
    return _to_float(value)


def _binary(op: str, left: Value | float, right: Value | float) -> Value | float:
    if op == "**" and not isinstance(right, Value):
        right = _exponent(right)  # x ** 2 records one "**2" op, as Value does
    if isinstance(left, Value) or isinstance(right, Value):
        return _apply(op, left, right)
    with no_grad():  # both constants: fold with the engine's IEEE arithmetic
        return _apply(op, Value(left), right).data


def _apply(op: str, left: Value | float, right: Value | float) -> Value:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    return left ** right


def _exponent(x: float) -> int | float:
    """Integral exponents as ints (so a diagram says `**2`, not `**2.0`)."""
    return int(x) if math.isfinite(x) and x.is_integer() and abs(x) < 2**53 else x


def _call(name: str, operand: Value | float) -> Value | float:
    if isinstance(operand, Value):
        return getattr(operand, name)()
    with no_grad():
        return getattr(Value(operand), name)().data
