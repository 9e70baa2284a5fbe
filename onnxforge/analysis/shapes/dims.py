"""The dim algebra: symbolic sizes as sympy expressions over nonnegative integer symbols.

A symbol is ``>= 0``, not ``>= 1``: a batch (or sequence) of 0 is a legal run,
so ``Equal(Shape(x)[0], 0)``, ``Size(x) == 0``, ``Max(n, 1)`` or ``Greater(n, 0)``
stay undecided rather than folding to the answer for ``n >= 1``.

A ``Dim`` is an ``int`` (static), a sympy expression (symbolic) or ``None``
(unknown). Every function here returns ``None`` rather than guess: shape-chain
folding trusts these results, so a wrong dim is a miscompile while an unknown
one only costs an optimisation.

Expressions stay canonical by construction: only ``+``, ``*``, exact
division by constants or factors, and ``Min``/``Max`` (a slice of a fixed
table up to a symbolic end, ``Min(64, sequence)``) are built, which sympy puts
in its automatic canonical form; ``simplify()`` (~15 ms) is never called. Results that are
integers are plain Python ``int`` so static dims never pay for sympy.

Symbols are interned by name in one table, so the same ``dim_param`` is the
same symbol everywhere, and so ``parse_dim`` can read back names that are not
Python identifiers (``"batch size"``).
"""

from __future__ import annotations

import functools
import re

import sympy

Dim = int | sympy.Expr | None

_SYMBOLS: dict[str, sympy.Symbol] = {}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FUNCTIONS = frozenset({"Min", "Max"})
"""Function names a printed dim may contain (never produced today; read for robustness)."""


def symbol(name: str) -> sympy.Symbol:
    """The symbol of a ``dim_param``: a nonnegative integer, the same object for the same name."""
    sym = _SYMBOLS.get(name)
    if sym is None:
        sym = _SYMBOLS[name] = sympy.Symbol(name, nonnegative=True, integer=True)
    return sym


MAX_EXPRESSION_SIZE = 64
"""Nodes a symbolic dim's expression tree may have (shared subtrees counted each time they occur)."""


@functools.lru_cache(maxsize=16384)
def expression_size(expr: sympy.Basic) -> int:
    """Nodes of the expression tree, capped just above ``MAX_EXPRESSION_SIZE``; an integer that no
    int64 holds counts as too big. Memoised per subexpression, so a DAG of shared subtrees (``s*s + s``
    repeated) is measured in time linear in its distinct nodes, though its tree is exponential."""
    if expr.is_Integer:
        return 1 if abs(int(expr)) < 1 << 63 else MAX_EXPRESSION_SIZE + 1
    total = 1
    for arg in expr.args:
        total += expression_size(arg)
        if total > MAX_EXPRESSION_SIZE:
            return MAX_EXPRESSION_SIZE + 1
    return total


def norm(value: object) -> Dim:
    """A Dim from an int, numpy integer or sympy expression (sympy integers become ``int``).

    An expression larger than ``MAX_EXPRESSION_SIZE`` becomes unknown: chained shape arithmetic
    (``x = Add(Mul(x, x), x)`` sixteen times) doubles a printed dim per step, so without the bound
    inference, printing and every comparison are exponential in the chain's length. Giving up
    there is always sound (an unknown dim), and keeps the algebra linear."""
    if value is None or type(value) is int:
        return value  # type: ignore[return-value]
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return int(value)
        if value.is_Number:  # a rational or float is no size
            return None
        if expression_size(value) > MAX_EXPRESSION_SIZE:
            return None
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


# --- arithmetic -----------------------------------------------------------------------------


def add(a: Dim, b: Dim) -> Dim:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a + b
    return norm(a + b)


def sub(a: Dim, b: Dim) -> Dim:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a - b
    return norm(a - b)


def mul(a: Dim, b: Dim) -> Dim:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a * b
    if a == 0 or b == 0:
        return 0
    return norm(a * b)


def neg(a: Dim) -> Dim:
    return None if a is None else (-a if type(a) is int else norm(-a))


def prod(dims: tuple[Dim, ...] | list[Dim]) -> Dim:
    result: Dim = 1
    for d in dims:
        if d == 0:
            return 0
    for d in dims:
        result = mul(result, d)
        if result is None:
            return None
    return result


def _int_poly(expr: sympy.Expr) -> bool:
    """A polynomial with integer coefficients: an integer for every integer binding."""
    if expr.is_Integer or expr.is_Symbol:
        return True
    if expr.is_Add or expr.is_Mul:
        return all(_int_poly(arg) for arg in expr.args)
    if expr.is_Pow:
        return bool(expr.exp.is_Integer and expr.exp > 0) and _int_poly(expr.base)
    return False


@functools.lru_cache(maxsize=8192)
def _exact_div_sym(a: sympy.Expr, b: sympy.Expr) -> Dim:
    quotient = a / b
    return norm(quotient) if _int_poly(quotient) else None


def exact_div(a: Dim, b: Dim) -> Dim:
    """``a / b`` when it is an integer for every binding of the symbols, else ``None``."""
    if a is None or b is None or b == 0:
        return None
    if type(a) is int and type(b) is int:
        return a // b if a % b == 0 else None
    return _exact_div_sym(sympy.sympify(a), sympy.sympify(b))


def trunc_div(a: Dim, b: Dim) -> Dim:
    """ONNX integer ``Div`` (truncates toward zero): exact for symbols, C-style for ints."""
    if type(a) is int and type(b) is int:
        if b == 0:
            return None
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b > 0) else -q
    return exact_div(a, b)


def floor_div(a: Dim, b: Dim) -> Dim:
    """Floor division (numpy ``//``): exact for symbols, Python semantics for ints."""
    if type(a) is int and type(b) is int:
        return None if b == 0 else a // b
    return exact_div(a, b)


def mod(a: Dim, b: Dim) -> Dim:
    """ONNX integer ``Mod`` with ``fmod=0``: the remainder takes the divisor's sign (Python's ``%``)."""
    if type(a) is int and type(b) is int and b != 0:
        return a % b
    if exact_div(a, b) is not None:
        return 0
    return None


def fmod(a: Dim, b: Dim) -> Dim:
    """ONNX ``Mod`` with ``fmod=1``: C's remainder, which takes the dividend's sign."""
    if type(a) is int and type(b) is int and b != 0:
        return a - b * trunc_div(a, b)  # type: ignore[operator]
    if exact_div(a, b) is not None:
        return 0
    return None


# --- decisions (True / False / None = undecidable) ----------------------------------------


@functools.lru_cache(maxsize=8192)
def _sign_of_diff(a: object, b: object) -> int | None:
    diff = sympy.sympify(a) - sympy.sympify(b)
    if diff == 0:
        return 0
    if diff.is_positive:
        return 1
    if diff.is_negative:
        return -1
    return None


def eq(a: Dim, b: Dim) -> bool | None:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a == b
    if a == b:
        return True
    diff = sympy.sympify(a) - sympy.sympify(b)
    if diff.is_zero is False:
        return False
    return None if diff.is_zero is None else True


def lt(a: Dim, b: Dim) -> bool | None:
    if a is None or b is None:
        return None
    if type(a) is int and type(b) is int:
        return a < b
    sign = _sign_of_diff(a, b)
    if sign is None:
        diff = sympy.sympify(a) - sympy.sympify(b)
        if diff.is_nonnegative:
            return False
        if diff.is_nonpositive and diff.is_zero is False:
            return True
        return None
    return sign < 0


def le(a: Dim, b: Dim) -> bool | None:
    result = lt(b, a)
    return None if result is None else not result


def dmax(a: Dim, b: Dim) -> Dim:
    order = lt(a, b)
    if order is None:
        return a if eq(a, b) else None
    return b if order else a


def dmin(a: Dim, b: Dim) -> Dim:
    order = lt(a, b)
    if order is None:
        return a if eq(a, b) else None
    return a if order else b


def dim_min(a: Dim, b: Dim) -> Dim:
    """The symbolic ``Min(a, b)`` (sympy evaluates it away where it can decide)."""
    if a is None or b is None:
        return None
    return norm(sympy.Min(sympy.sympify(a), sympy.sympify(b)))


def dim_max(a: Dim, b: Dim) -> Dim:
    if a is None or b is None:
        return None
    return norm(sympy.Max(sympy.sympify(a), sympy.sympify(b)))


def is_positive(a: Dim) -> bool:
    """Provably > 0 (a size that cannot be a Reshape's 0 or -1)."""
    if a is None:
        return False
    if type(a) is int:
        return a > 0
    return bool(a.is_positive)


def broadcast(a: Dim, b: Dim) -> Dim:
    """One dim of multidirectional (numpy) broadcasting, assuming the model runs.

    ``1`` yields to the other side; an int other than 1 wins over anything
    (the other side must be it or 1); two different symbolic sizes stay
    unknown because either may be 1 at run time.
    """
    if a == 1:
        return b
    if b == 1:
        return a
    if a is None or b is None:
        other = b if a is None else a
        return other if type(other) is int else None
    if type(a) is int and type(b) is int:
        return a if a == b else None
    if a == b:
        return a
    if type(b) is int:
        return b
    if type(a) is int:
        return a
    if _one_when_one(a, b):
        return b
    if _one_when_one(b, a):
        return a
    return None


@functools.lru_cache(maxsize=8192)
def _one_when_one(a: sympy.Expr, b: sympy.Expr) -> bool:
    """``b`` is a symbol and ``a`` is 1 whenever ``b`` is: then broadcasting a with b gives b.

    (If b is 1 the result is a, which is then 1 = b; otherwise a valid model
    has a equal to b or 1, and the result is b.) This is what resolves
    ``Min(64, sequence)`` against ``sequence``.
    """
    if not b.is_Symbol:
        return False
    return a.xreplace({b: sympy.Integer(1)}) == 1


# --- text -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16384)
def _sym_text(expr: sympy.Expr) -> str:
    if expr.is_Symbol:
        return expr.name
    return str(expr)


def print_dim(d: Dim) -> int | str | None:
    """The TensorType form: ``int``, the symbol's name, ``str(expr)`` for a compound, or None."""
    if d is None or type(d) is int:
        return d
    return _sym_text(d)


@functools.lru_cache(maxsize=16384)
def parse_dim(text: str | int | None) -> Dim:
    """Inverse of ``print_dim``: a symbol name (any text) or a printed expression back to a Dim."""
    if text is None or type(text) is int:
        return text  # type: ignore[return-value]
    text = str(text)
    if text in _SYMBOLS or _IDENT.fullmatch(text):
        return symbol(text)
    stripped = text.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    return _parse_expression(text)


_ARITHMETIC = re.compile(r"[A-Za-z_][A-Za-z_0-9]*(\s*[-+*]\s*([A-Za-z_][A-Za-z_0-9]*|\d+))+")


def parse_declared(text: str) -> Dim:
    """A graph input's dim name: a symbol as written, or — when the name is arithmetic over other names,
    as Optimum writes ``past_sequence_length + sequence_length`` for a mask over past and new
    tokens — that expression, so it equals what the graph computes from the other inputs (the
    verifier binds such a dim to the same sum, ``runtime.dim_expression``)."""
    if _ARITHMETIC.fullmatch(text.strip()):
        parsed = _parse_expression(text)
        if not isinstance(parsed, sympy.Symbol) or parsed.name != text:
            return parsed
    return symbol(text)


def _parse_expression(text: str) -> Dim:
    odd_names = sorted((n for n in _SYMBOLS if not _IDENT.fullmatch(n) and n in text), key=len, reverse=True)
    pattern = "|".join([*(re.escape(n) for n in odd_names), _IDENT.pattern])
    local: dict[str, object] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(0)
        if name in _FUNCTIONS and text[match.end():match.end() + 1] == "(":
            local[name] = getattr(sympy, name)
            return name
        key = f"_p{len(local)}"
        local[key] = symbol(name)
        return key

    coded = re.sub(pattern, placeholder, text)
    try:
        expr = sympy.parse_expr(coded, local_dict=local, evaluate=True)
    except Exception:
        return symbol(text)
    if not isinstance(expr, sympy.Expr):
        return symbol(text)
    return norm(expr)
