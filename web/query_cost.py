"""A query's cost judged by its shape, before it runs: cheap or not, and why.

Fair shares (``web.fairness``) keep a worker for cheap queries. A client's
record cannot tell cheap from costly when the client is new (rotating
addresses: every query comes from an address never seen), so the query's own
shape decides too. Read at the token level (``web.query_check.tokens``), in
linear time; an estimate, on the safe side: a query is *cheap* unless one of
these shapes makes it costly whatever the data:

* a property path with ``*`` or ``+`` over a group (``(p|!p)*``), or over one
  predicate with nothing else narrowing its ends (a closure can walk the
  whole graph);
* basic graph patterns that share no variable where two or more of them fix
  at most one term: a cross product of large sets (``?a ?b ?c . ?d ?e ?f``);
* more than ``MAX_PATTERNS`` triple patterns;
* a pattern that fixes no term at all (``?s ?p ?o``: a scan of the store)
  and shares no variable with a selective one (two fixed terms), unless the
  query stops early (a LIMIT of at most ``SCAN_LIMIT``) and
  nothing makes it read every row first (ORDER BY, GROUP BY, DISTINCT,
  an aggregate, a FILTER, HAVING, MINUS, NOT EXISTS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from web.query_check import Token, tokens

SCAN_LIMIT = 10_000
READS_EVERY_ROW = {"ORDER", "GROUP", "DISTINCT", "REDUCED", "COUNT", "SUM", "AVG", "MIN", "MAX",
                   "SAMPLE", "GROUP_CONCAT", "FILTER", "HAVING", "MINUS", "EXISTS"}
EXPRESSION_KEYWORDS = {"FILTER", "BIND", "HAVING"}
SKIP_TO_BRACE = {"SELECT", "ORDER", "GROUP", "LIMIT", "OFFSET", "DESCRIBE", "ASK"}
TERMS = {"var", "iri", "pname", "string", "number", "bnode"}
CONSTANTS = {"iri", "pname", "string", "number", "path"}


@dataclass
class Cost:
    cheap: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Pattern:
    variables: set[str]
    constants: int          # fixed terms (an IRI, a literal, a path stands for one)
    closure: str = ""       # "one": p* or p+, "group": (…)* or (…)+


MAX_PATTERNS = 200    # more triple patterns than this is costly whatever they are


def estimate(text: str) -> Cost:
    """Whether ``text`` is cheap by its shape, with the reasons it is not.
    Linear in the query's length: it runs on every query, hostile ones too."""
    toks = tokens(text)
    words = {t.text.upper() for t in toks if t.kind == "word"}
    groups = _patterns(toks)
    every = [p for g in groups for p in g]
    if len(every) > MAX_PATTERNS:
        return Cost(False, [f"more than {MAX_PATTERNS} triple patterns"])
    uses: dict[str, int] = {}                  # variable -> patterns that use it
    anchored: set[str] = set()                 # variables of a selective pattern (2 fixed terms)
    for p in every:
        for v in p.variables:
            uses[v] = uses.get(v, 0) + 1
        if p.constants >= 2:
            anchored |= p.variables
    reasons = []
    if any(p.closure == "group" or p.closure and p.constants <= 1
           and all(uses[v] == 1 for v in p.variables) for p in every):
        reasons.append("a property path with * or + can walk the whole graph")
    if any(_cross_product(g) for g in groups):
        reasons.append("patterns that share no variable (a cross product)")
    if any(p.constants == 0 and not p.variables & anchored for p in every):
        limit = _limit(toks)
        if limit is None or limit > SCAN_LIMIT or words & READS_EVERY_ROW:
            reasons.append("a pattern that fixes no term scans the whole store")
    return Cost(not reasons, reasons)


def _limit(toks: Sequence[Token]) -> int | None:
    """The query's outermost LIMIT (the last one written; ASK stops at the first
    solution), or None."""
    first = next((t.text.upper() for t in toks if t.kind == "word"
                  and t.text.upper() not in ("PREFIX", "BASE")), "")
    if first == "ASK":
        return 1
    for i in range(len(toks) - 2, -1, -1):
        if toks[i].kind == "word" and toks[i].text.upper() == "LIMIT" and toks[i + 1].kind == "number":
            return int(float(toks[i + 1].text))
    return None


def _cross_product(patterns: list[_Pattern]) -> bool:
    """Two or more unconnected sets of patterns, each holding a loose one (≤ 1 fixed
    term). Union-find over the patterns' variables: linear in the patterns."""
    parent: dict[str, str] = {}

    def root(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    loose_alone = 0                                  # loose patterns with no variable
    for p in patterns:
        names = sorted(p.variables)
        if not names:
            loose_alone += p.constants <= 1
            continue
        for v in names:
            parent.setdefault(v, v)
        first = root(names[0])
        for v in names[1:]:
            parent[root(v)] = first
    loose_roots = {root(sorted(p.variables)[0]) for p in patterns
                   if p.variables and p.constants <= 1}
    return len(loose_roots) + loose_alone >= 2


def _patterns(toks: Sequence[Token]) -> list[list[_Pattern]]:
    """The triple patterns of each group ``{ … }``, roughly: expressions, VALUES
    blocks, CONSTRUCT templates and solution modifiers are left out."""
    groups: list[list[_Pattern]] = []
    stack: list[list[_Pattern]] = []
    triple: list[Token] = []
    closure = ""
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        upper = tok.text.upper() if tok.kind == "word" else ""
        other = tok.text if tok.kind == "other" else ""
        if other == "{":
            stack.append([])
            triple = []
        elif other == "}":
            if stack:
                groups.append(stack.pop())
            triple = []
        elif upper in ("VALUES", "CONSTRUCT") or upper in EXPRESSION_KEYWORDS:
            i = _skip_block(toks, i + 1, braces=upper in ("VALUES", "CONSTRUCT"))
            triple = []
            continue
        elif upper in SKIP_TO_BRACE:
            while i + 1 < n and toks[i + 1].text not in ("{", "}"):
                i += 1
            triple = []
        elif upper == "GRAPH":
            i += 2                  # GRAPH ?g / <iri>: not a triple's term
            triple = []
            continue
        elif len(triple) == 1 and (tok.kind in ("iri", "pname") or tok.text == "a"
                                   or other in ("^", "!", "(")):
            i, closure, kind = _read_path(toks, i)
            triple.append(Token(kind, tok.text))
            continue
        elif tok.kind in TERMS or upper in ("A", "TRUE", "FALSE") or other == "[":
            triple.append(tok if tok.kind in ("var", "bnode") else
                          Token("bnode", "[]") if other == "[" else Token("iri", tok.text))
            if len(triple) == 3 and stack:
                stack[-1].append(_Pattern({t.text for t in triple if t.kind == "var"},
                                          sum(1 for t in triple if t.kind in CONSTANTS),
                                          closure))
                closure = ""
        elif other == "." or upper:
            triple, closure = [], ""
        elif other == ";":
            triple, closure = triple[:1], ""
        elif other == ",":
            triple = triple[:2]
        i += 1
    while stack:
        groups.append(stack.pop())
    return groups


def _read_path(toks: Sequence[Token], i: int) -> tuple[int, str, str]:
    """Read the predicate (an IRI or a property path) at ``i``: the index past it,
    its closure ("", "one" for ``p*``, "group" for ``(…)*``), and its kind:
    "iri", "path", or "negated" (``!p`` fixes nothing: any other predicate)."""
    depth, closure, simple, negated, n = 0, "", True, False, len(toks)
    while i < n:
        tok = toks[i]
        other = tok.text if tok.kind == "other" else ""
        if other == "(":
            depth += 1
            simple = False
        elif other == ")":
            depth -= 1
        elif other in ("*", "+"):
            closure = "group" if toks[i - 1].text == ")" or closure == "group" else "one"
            simple = False
        elif other in ("/", "|", "^", "!", "?"):
            simple = False
            negated = negated or other == "!"
        elif not (tok.kind in ("iri", "pname") or tok.text == "a"):
            break
        i += 1
        if depth <= 0 and i < n and other not in ("/", "|", "^", "!", "("):
            nxt = toks[i]
            if not (nxt.kind == "other" and nxt.text in ("/", "|", "*", "+", "?")):
                break
    return i, closure, "negated" if negated else "iri" if simple else "path"


def _skip_block(toks: Sequence[Token], i: int, braces: bool) -> int:
    """The index past a VALUES block / CONSTRUCT template (``braces``) or a bracketed
    expression (FILTER, BIND, HAVING: a group inside, as in EXISTS, is kept)."""
    n = len(toks)
    if braces:
        while i < n and toks[i].text != "{":
            i += 1
        depth = 0
        while i < n:
            depth += {"{": 1, "}": -1}.get(toks[i].text, 0) if toks[i].kind == "other" else 0
            i += 1
            if depth == 0:
                return i
        return i
    depth, opened = 0, False
    while i < n:
        text = toks[i].text if toks[i].kind == "other" else ""
        if text == "(":
            depth, opened = depth + 1, True
        elif text == ")":
            depth -= 1
        elif text in ("{", "}"):
            return i                # EXISTS { … }: its patterns are read as a group
        i += 1
        if opened and depth <= 0:
            return i
    return i


