"""The SPARQL endpoint's query check, at the token level: no SERVICE, no FROM outside.

The check must decide quickly on any query, hostile ones included, without
parsing all of SPARQL (rdflib's parser cost ~2.7 ms of CPU per term: a 2 KB
query held a server thread for seconds). It lexes the query once, in linear
time, the way Oxigraph's parser reads tokens, and decides:

* **SERVICE** anywhere outside strings, IRIs, comments, variables and the
  local part of prefixed names is refused: as a word (``SERVICE``, glued to
  what comes before it, ``1SERVICE``), or as the start of a prefix name
  (``SERVICE:x`` reads as SERVICE ``:x`` to a parser that needs no space);
* **FROM / FROM NAMED** must name, with an absolute IRI or a prefixed name
  whose prefix is known, a graph the public may query. A FROM the check cannot
  read for certain (glued to other words, a prefix declared twice with
  different IRIs, a relative IRI, an unknown prefix) is refused with 400:
  never passed on unchecked.

``\\u`` and ``\\U`` escapes are resolved inside strings and IRIs, as the
engine does; outside them the engine rejects them, and the check also scans
the query once more with them resolved, so an escape can never spell a
keyword past it. Comments are dropped as the engine drops them.

The check is a second line: the query workers run without network, and they
open only the public replica, which holds no private graph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pockg.vocab import PREFIXES

SERVICE_REFUSED = ("SERVICE (federated query) is not allowed: this endpoint only answers "
                   "from its own store and never contacts other servers")


class Refused(Exception):
    """A query this endpoint will not run (HTTP ``status``, reason in ``message``)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class QueryInfo:
    """What the check learnt: whether the query chooses its own dataset, and the graphs."""

    has_dataset_clause: bool = False        # FROM / FROM NAMED in the query
    dataset_iris: list[str] = field(default_factory=list)


# -- the lexer -------------------------------------------------------------------
_HEX4, _HEX8 = r"[0-9A-Fa-f]{4}", r"[0-9A-Fa-f]{8}"
_UCHAR = rf"\\u{_HEX4}|\\U{_HEX8}"
_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_TOKEN = re.compile(rf'''
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>"{{3}}(?:[^"\\]|\\.|"(?!""))*"{{3}}
             | '{{3}}(?:[^'\\]|\\.|'(?!''))*'{{3}}
             | "(?:[^"\\\n\r]|\\.)*"
             | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<bnode>_:[\w.\-]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?P<prefix>[^\W\d_][\w.\-]*)?:(?P<local>(?:[\w:%\-.]|{_PN_LOCAL_ESC})*))
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL | re.UNICODE)

_ESCAPE = re.compile(_UCHAR)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Token:
    kind: str            # word, pname, iri, string, var, number, other ...
    text: str
    prefix: str = ""     # pname: the part before the colon
    local: str = ""      # pname: the part after it


def unescape(text: str) -> str:
    """``\\uXXXX`` and ``\\UXXXXXXXX`` replaced by the characters they name."""
    def one(match: re.Match) -> str:
        code = int(match.group()[2:], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()
    return _ESCAPE.sub(one, text)


@lru_cache(maxsize=16)
def tokens(text: str) -> tuple[Token, ...]:
    """The query's tokens, whitespace and comments left out (linear time; the
    check and the cost estimate of one request share one lexing)."""
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind in ("prefix", "local"):        # inner groups: the token is the pname
            kind = "pname"
        if kind == "pname":
            found.append(Token("pname", match.group(), match.group("prefix") or "",
                               match.group("local") or ""))
        else:
            found.append(Token(kind, match.group()))
    return tuple(found)


def skeleton(text: str) -> str:
    """The query outside strings, IRIs and comments, with escapes resolved there:
    what a parser that resolved escapes first (as SPARQL 1.1 says) would read."""
    stand_in = {"string": ' "" ', "iri": f" <{STAND_IN_IRI}> ", "comment": " "}
    parts = [stand_in.get(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    return unescape("".join(parts))


STAND_IN_IRI = "urn:x-pockg:iri"     # an IRI's place in the skeleton (its value is checked
#                                      on the query as written)


# -- the rules ---------------------------------------------------------------------
def check_query(text: str, store_graphs: set[str] | None, base_iri: str | None = None,
                prefixes: dict[str, str] | None = None) -> QueryInfo:
    """Refuse SERVICE anywhere, and FROM/FROM NAMED not naming a public graph.

    ``store_graphs`` are the graphs the public may query (None: the caller
    checks ``dataset_iris`` with ``check_graphs`` itself); ``prefixes`` the
    prefixes the engine knows without a declaration (pockg's own, by default).
    Raises ``Refused`` (400); otherwise says whether the query has FROM.
    ``base_iri`` is accepted for symmetry with the engine: a relative IRI in
    FROM is refused rather than resolved, so it is not needed.
    """
    from pockg.rdf_gate import MAX_SPARQL_NESTING, max_nesting

    depth = max_nesting(text)      # deep nesting crashes parsers: refuse it first
    if depth > MAX_SPARQL_NESTING:
        raise Refused(f"the query nests brackets {depth} deep, over the limit of "
                      f"{MAX_SPARQL_NESTING}")
    known = PREFIXES if prefixes is None else prefixes
    info = _check(tokens(text), store_graphs, known)
    _check(tokens(skeleton(text)), None, known)   # escapes cannot spell a keyword either
    return info


def _check(toks: Sequence[Token], store_graphs: set[str], known: dict[str, str]) -> QueryInfo:
    declared = _declarations(toks)
    iris: list[str] = []
    has_from = False
    for i, tok in enumerate(toks):
        if tok.kind == "word":
            upper = tok.text.upper()
            if "SERVICE" in upper:
                raise Refused(SERVICE_REFUSED)
            if "FROM" in upper:
                has_from = True
                iris.append(_dataset_iri(toks, i, declared, known))
        elif tok.kind == "pname":
            upper = tok.prefix.upper()
            for keyword in ("SERVICE", "FROM"):
                if keyword in upper:
                    raise Refused(f"the prefix name '{tok.prefix}:' contains the keyword "
                                  f"{keyword}, which a SPARQL parser may read as {keyword} "
                                  f"'{tok.prefix[upper.index(keyword) + len(keyword):]}:'; "
                                  "rename the prefix")
    if store_graphs is not None:
        check_graphs(iris, store_graphs)
    return QueryInfo(has_dataset_clause=has_from, dataset_iris=iris)


def check_graphs(iris: list[str], store_graphs: set[str]) -> None:
    """Refused unless every FROM / FROM NAMED IRI names a graph the public may query."""
    for iri in iris:
        if iri not in store_graphs:
            raise Refused(f"FROM <{iri}> is not allowed: it names no graph this endpoint "
                          "serves, and this endpoint never loads data from elsewhere (see the "
                          "service description for the graphs it holds)")


def _declarations(toks: Sequence[Token]) -> dict[str, set[str]]:
    """Every prefix the query declares, with each IRI it is declared with
    (``PREFIX ex: <…>``, and ``PREFIXex: <…>``, which a parser reads the same)."""
    declared: dict[str, set[str]] = {}
    for i, tok in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if tok.kind == "pname" and not tok.local and nxt.kind == "iri":
            if i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "PREFIX":
                declared.setdefault(tok.prefix, set()).add(_iri_value(nxt.text))
            elif tok.prefix.upper().startswith("PREFIX"):
                declared.setdefault(tok.prefix[6:], set()).add(_iri_value(nxt.text))
    return declared


UNDECIDED = ("the query's FROM clause could not be read for certain ({why}); write it as "
             "FROM <absolute IRI> or FROM NAMED <absolute IRI>, with spaces between the words")


def _dataset_iri(toks: Sequence[Token], i: int, declared, known) -> str:
    """The graph IRI of the FROM [NAMED] at ``toks[i]``, or Refused when unclear."""
    word = toks[i].text.upper()
    if word not in ("FROM", "FROMNAMED"):
        raise Refused(UNDECIDED.format(why=f"'{toks[i].text}' holds the word FROM"))
    j = i + 1
    if word == "FROM" and j < len(toks) and toks[j].kind == "word":
        if toks[j].text.upper() != "NAMED":
            raise Refused(UNDECIDED.format(why=f"FROM is followed by '{toks[j].text}'"))
        j += 1
    if j >= len(toks):
        raise Refused(UNDECIDED.format(why="nothing follows FROM"))
    target = toks[j]
    if target.kind == "iri":
        iri = _iri_value(target.text)
    elif target.kind == "pname":
        if target.prefix.upper().startswith("NAMED"):
            raise Refused(UNDECIDED.format(why=f"'{target.prefix}:' may be read as NAMED"))
        candidates = declared.get(target.prefix) or (
            {known[target.prefix]} if target.prefix in known else set())
        if len(candidates) != 1:
            why = ("its prefix is declared more than once" if candidates
                   else f"the prefix '{target.prefix}:' is not declared")
            raise Refused(UNDECIDED.format(why=why))
        iri = next(iter(candidates)) + _local_value(target.local)
    else:
        raise Refused(UNDECIDED.format(why=f"FROM is followed by '{target.text}'"))
    if not _SCHEME.match(iri):
        raise Refused(UNDECIDED.format(why=f"<{iri}> is a relative IRI"))
    return iri


def _iri_value(token: str) -> str:
    return unescape(token[1:-1])


def _local_value(local: str) -> str:
    return re.sub(r"\\(.)", r"\1", local)


# -- small helpers the endpoint shares ----------------------------------------------------
def first_keyword(text: str) -> str:
    """The first word after the prologue (PREFIX/BASE), upper-cased, or ''."""
    for tok in tokens(text):
        if tok.kind == "word" and tok.text.upper() not in {"PREFIX", "BASE", "VERSION"}:
            return tok.text.upper()
    return ""


def keyword_tokens(text: str) -> set[str]:
    """The bare words of a query, upper-cased, outside strings, IRIs and comments."""
    return {tok.text.upper() for tok in tokens(text) if tok.kind == "word"}
