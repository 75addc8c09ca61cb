"""Find mentions of concepts and entities in a passage's text.

Rule-based, over the labels of the lexicon:

- **Tokens** are runs of letters and digits; matching compares *keys*: the
  lower-cased, accent-folded word, its lemma in English and in French
  (simplemma, cached) and a plain plural-stripped form, so ``threats``
  matches the label ``threat``, ``réfugiée`` matches ``réfugiés``.
  Abbreviations (``IDPs``, ``PoC``, ``GBV``) compare case-sensitively, with
  an optional plural ``s``.
- **Function words** (``of``, ``the``, ``de``, ``la`` ...) are skipped on both
  sides, and commas, slashes and hyphens do not interrupt a mention, so
  ``ethnic/religious/political affiliation`` matches ``ethnic, religious or
  political affiliation``; a sentence or clause boundary (``. ; : ( )``) does.
- **Overlaps**: when mentions overlap or nest, the one covering more words
  wins (``gender-based violence`` over ``gender``); mentions with exactly the
  same extent are all kept.
- **Shared heads**: in ``financial and human resources`` or ``responsive,
  remedial and preventive action`` each listed word takes the shared last
  word, so two-word labels (``financial resources``) match inside such a
  list (at a slightly lower score).
- **Resolutions** are found by pattern in their usual written forms:
  ``resolution 1894 (2009)``, ``Resolutions 1612 and 1882``, ``S/RES/1894``,
  ``résolution 1894``, ``SCR 1894``.

Each mention carries its exact text and character offsets into the passage
text, and a score in [0, 1]; ``suggest`` folds the mentions of one passage
into one scored suggestion per target.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simplemma

from pockg.linking.lexicon import ALT, HIDDEN, NOTATION, PREF, Entry, Lexicon

DEFAULT_THRESHOLD = 0.5

TOKEN_RE = re.compile(r"[^\W_]+")
# Text between two tokens that ends a mention: a sentence or clause boundary,
# a bracket, a bullet, an empty line.
BREAK_RE = re.compile(r"[.;:!?()\[\]{}•\u2022]|\n\s*\n|\n\s*[-*–]\s")
MAX_SKIP = 3  # function words skipped in a row inside one mention

CONJUNCTIONS = frozenset({"and", "or", "nor", "et", "ou"})
STOPWORDS = frozenset("""
a an the of for to in on at by with from and or nor as into onto upon within
its their his her this that these those be is are was were been being due
le la les l un une des du de d et ou à au aux en dans par pour sur avec sa son
ses leur leurs ce cette ces qu que
""".split())

# Base score of a mention by the kind of label it matched.
KIND_SCORE = {
    PREF: 0.90, ALT: 0.85, HIDDEN: 0.80, NOTATION: 0.70,
    "acronym": 0.90, "name": 0.90,
}
SINGLE_WORD_FACTOR = 0.8    # one ordinary word ("age", "equipment") says less than a phrase
INFLECTED_PENALTY = 0.03    # matched through a lemma or plural, not as written
AMBIGUITY_FACTOR = 0.85     # per extra target sharing exactly the same words
ELLIPSIS_FACTOR = 0.9       # "financial [and human] resources": the head is shared
MAX_LIST = 5                # words between the first word and the shared head

RESOLUTION_RE = re.compile(
    r"(?:\bS/RES/(?P<sym>\d{1,4})(?:\s*\((?P<symyear>\d{4})\))?)"
    r"|(?:\b(?:(?:UN)?SCR|[Rr][eé]solutions?|R[EÉ]SOLUTIONS?)\s+(?:[Nn]o\.?\s*|n[o°]\s*)?"
    r"(?P<num>\d{1,4})(?P<year>\s*\(\d{4}\))?"
    r"(?P<more>(?:\s*(?:,|and|et|&)\s*(?:\d{1,4})(?:\s*\(\d{4}\))?)*))"
)
_MORE_RE = re.compile(r"(\d{1,4})(?:\s*\(\d{4}\))?")


@dataclass(frozen=True)
class Mention:
    """One span of the passage text that names a target."""

    target: str       # concept or entity IRI
    start: int        # character offsets into the passage text
    end: int
    exact: str        # text[start:end]
    score: float
    label: str        # the label it matched
    kind: str         # label kind (pref, alt, acronym, resolution ...)


@dataclass(frozen=True)
class Suggestion:
    """All mentions of one target in one passage, with one score."""

    target: str
    score: float
    mentions: tuple[Mention, ...]


def fold(text: str) -> str:
    """Lower case without accents: ``Réfugiés`` -> ``refugies``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _is_abbreviation(word: str) -> bool:
    """``IDPs``, ``PoC``, ``GBV``, ``AoR``: two capitals, or a capital after the first letter."""
    upper = sum(1 for c in word if c.isupper())
    return upper >= 2 or (upper == 1 and not word[0].isupper())


def _singular(low: str) -> str:
    if len(low) > 4 and low.endswith("ies"):
        return low[:-3] + "y"
    if len(low) > 3 and low.endswith(("s", "x")) and not low.endswith(("ss", "us", "is")):
        return low[:-1]
    return low


@lru_cache(maxsize=200_000)
def _lemma(low: str, lang: str) -> str:
    try:
        return simplemma.lemmatize(low, lang=lang).lower()
    except (ValueError, KeyError):  # pragma: no cover - an unknown language
        return low


@lru_cache(maxsize=200_000)
def text_keys(word: str) -> tuple[str, ...]:
    """Every key a word of the passage text can match (cached per word form)."""
    low = word.lower()
    keys = {fold(low), fold(_lemma(low, "en")), fold(_lemma(low, "fr")), fold(_singular(low))}
    if any(c.isupper() for c in word):
        keys.add("\x00" + word)
        if len(word) > 2 and word.endswith("s") and _is_abbreviation(word[:-1]):
            keys.add("\x00" + word[:-1])
    return tuple(sorted(keys))


def label_key(word: str, lang: str | None) -> str:
    """The one key a word of a label is indexed under."""
    if _is_abbreviation(word):
        return "\x00" + word
    low = word.lower()
    return fold(_lemma(low, lang) if lang in ("en", "fr") else low)


def tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


@dataclass(frozen=True)
class _Label:
    entry: Entry
    size: int          # content words
    conjunction: bool  # the label joins words with "and"/"or": the text may too
    single_word: bool  # one ordinary (not abbreviated) word
    surface: str       # folded label, to tell "as written" from "inflected"


class Matcher:
    """Compiled lexicon: ``mentions(text)`` and ``suggest(text)``."""

    space = None      # the semantic component (semantic.ConceptSpace), set by
    #                   annotations.matcher_for; None: words alone
    model = None      # the learned layer (learned.Model), set by matcher_for
    model_problem = None   # why the store's model could not be used, if it could not

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._trie: dict = {}
        for entry in lexicon.entries:
            self._add(entry)

    def _add(self, entry: Entry) -> None:
        words = [w for _, _, w in tokens(entry.label)]
        if not words:
            return
        if entry.kind == NOTATION and (len(entry.label) < 3 or not any(c.isdigit() for c in entry.label)):
            return  # "T1", "R2" are too short to look for; "RT-POC" is never written in prose
        content = [w for w in words if _is_abbreviation(w) or w.lower() not in STOPWORDS] or words
        keys = [label_key(w, entry.lang) for w in content]
        node = self._trie
        for key in keys:
            node = node.setdefault(key, {})
        single = len(content) == 1 and not _is_abbreviation(content[0])
        conj = any(w.lower() in CONJUNCTIONS for w in words)
        node.setdefault(None, []).append(
            _Label(entry, len(content), conj, single, " ".join(fold(w) for w in content)))

    # -- mentions ----------------------------------------------------------
    def _candidates(self, text: str, toks) -> list[tuple[int, int, int, int, _Label, str]]:
        n = len(toks)
        keys = [text_keys(w) for _, _, w in toks]
        stop = [w.lower() in STOPWORDS and not _is_abbreviation(w) for _, _, w in toks]
        brk = [False] * n   # brk[j]: a boundary between token j-1 and token j
        for j in range(1, n):
            gap = text[toks[j - 1][1]:toks[j][0]]
            if gap.strip() and BREAK_RE.search(gap):
                brk[j] = True
        trie = self._trie
        out = []
        for i in range(n):
            if stop[i]:
                continue
            states = [trie[k] for k in keys[i] if k in trie]
            j, skipped, fresh, conj = i, 0, True, False
            words = [toks[i][2]]
            while states:
                if fresh:
                    for node in states:
                        for lab in node.get(None, ()):
                            if lab.conjunction or not conj:
                                out.append((i, j, toks[i][0], toks[j][1], lab, " ".join(words)))
                j += 1
                if j >= n or brk[j]:
                    break
                nxt = [child for node in states for k in keys[j]
                       if (child := node.get(k)) is not None]
                if nxt:
                    states, skipped, fresh = nxt, 0, True
                    words.append(toks[j][2])
                elif stop[j] and skipped < MAX_SKIP:
                    # the same states wait for the next word
                    skipped, fresh = skipped + 1, False
                    conj = conj or toks[j][2].lower() in CONJUNCTIONS
                else:
                    break
        return out

    def mentions(self, text: str) -> list[Mention]:
        """Mentions in ``text``, overlaps resolved, in text order."""
        toks = tokens(text)
        title_case = _title_case(toks)
        cands = []
        for i, j, start, end, lab, words in self._candidates(text, toks):
            e = lab.entry
            if not title_case and e.target in self.lexicon.concepts and _inside_name(toks, i, j, text):
                continue
            score = KIND_SCORE.get(e.kind, 0.8)
            if lab.single_word and e.scheme not in ("operation", "actor"):
                score *= SINGLE_WORD_FACTOR
            if fold(words) != lab.surface:
                score -= INFLECTED_PENALTY
            cands.append((start, end, lab.size, score, e.target, e.label, e.kind))
        for m in RESOLUTION_RE.finditer(text):
            cands.extend(self._resolutions(m))
        kept = _resolve(cands, text)
        return _add_ellipses(kept, self._ellipses(text, toks), text)

    def _ellipses(self, text: str, toks) -> list[tuple]:
        """Two-word labels whose first word opens a list that ends in their second word."""
        pairs = getattr(self, "_pairs", None)
        if pairs is None:
            pairs = {}
            for key, node in self._trie.items():
                if key is None:
                    continue
                for key2, node2 in node.items():
                    if key2 is None:
                        continue
                    for lab in node2.get(None, ()):
                        if lab.size == 2 and lab.entry.target in self.lexicon.concepts:
                            pairs.setdefault(key, []).append((key2, lab))
            self._pairs = pairs
        out = []
        n = len(toks)
        for i in range(n - 2):
            firsts = [p for k in text_keys(toks[i][2]) for p in pairs.get(k, ())]
            if not firsts:
                continue
            # English order, "financial and human resources": a separator follows the
            # first word; French order, "ressources financières et humaines": the
            # first word is the shared head and the listed words follow it
            gap = text[toks[i][1]:toks[i + 1][0]]
            english = ("," in gap or "/" in gap) or toks[i + 1][2].lower() in CONJUNCTIONS
            if not english:
                firsts = [(k2, lab) for k2, lab in firsts if lab.entry.lang == "fr"]
                if not firsts or BREAK_RE.search(gap) or toks[i + 1][2].lower() in STOPWORDS:
                    continue
            conj = False
            for j in range(i + 1 + (0 if english else 1), min(n, i + 2 + MAX_LIST)):
                gap = text[toks[j - 1][1]:toks[j][0]]
                if gap.strip(" ,/") or BREAK_RE.search(gap):
                    break
                word = toks[j][2].lower()
                if word in CONJUNCTIONS:
                    conj = True
                    continue
                keys = set(text_keys(toks[j][2]))
                for key2, lab in firsts:
                    if conj and key2 in keys and j > i + 2:
                        # the word no other mention may cover: the listed one
                        own = toks[i] if english else toks[j]
                        out.append((own[0], own[1], toks[i][0], toks[j][1], lab))
        return out

    def _resolutions(self, m: re.Match):
        found = []
        if m.group("sym"):
            iri = self.lexicon.resolutions.get(int(m.group("sym")))
            if iri:
                found.append((m.start(), m.end(), 3, 0.95, iri, m.group(), "resolution"))
            return found
        head_end = m.end("year") if m.group("year") else m.end("num")
        iri = self.lexicon.resolutions.get(int(m.group("num")))
        if iri:
            found.append((m.start(), head_end, 3, 0.95, iri, m.group(), "resolution"))
        if m.group("more"):
            base = m.start("more")
            for more in _MORE_RE.finditer(m.group("more")):
                iri = self.lexicon.resolutions.get(int(more.group(1)))
                if iri:
                    found.append((base + more.start(), base + more.end(), 3, 0.9, iri,
                                  more.group(), "resolution"))
        return found

    def suggest(self, text: str, threshold: float = DEFAULT_THRESHOLD,
                concepts_only: bool = False) -> list[Suggestion]:
        """One suggestion per target, best first, at or above ``threshold``."""
        by_target: dict[str, list[Mention]] = {}
        for m in self.mentions(text):
            if concepts_only and not self.lexicon.is_concept(m.target):
                continue
            by_target.setdefault(m.target, []).append(m)
        out = []
        for target, ms in by_target.items():
            miss = 1.0
            for m in ms:
                miss *= 1.0 - m.score * 0.5 if m is not ms[0] else 1.0 - m.score
            score = round(min(0.99, 1.0 - miss), 3)
            if score >= threshold:
                out.append(Suggestion(target, score, tuple(ms)))
        out.sort(key=lambda s: (-s.score, s.target))
        return out


def _capitalised(word: str) -> bool:
    return word[0].isupper()


def _title_case(toks) -> bool:
    """Most words capitalised: a heading or a list of names, not prose."""
    content = [w for _, _, w in toks if w.lower() not in STOPWORDS and w[0].isalpha()]
    return bool(content) and sum(map(_capitalised, content)) >= 0.9 * len(content)


def _inside_name(toks, i: int, j: int, text: str) -> bool:
    """Words i..j are capitalised ordinary words inside a longer capitalised
    name (``High Commissioner for Refugees``, ``Child Protection Officer``):
    a name, not a mention of the concept. Abbreviations are always capitals."""
    first = toks[i][2]
    if not _capitalised(first) or _is_abbreviation(first):
        return False

    def starts_sentence(k: int) -> bool:
        return k == 0 or bool(BREAK_RE.search(text[toks[k - 1][1]:toks[k][0]]))

    k = i - 1
    while k >= 0 and toks[k][2].lower() in STOPWORDS and i - k <= 2:
        k -= 1
    before = (k >= 0 and _capitalised(toks[k][2]) and not starts_sentence(k)
              and not BREAK_RE.search(text[toks[k][1]:toks[i][0]]))
    after = (j + 1 < len(toks) and _capitalised(toks[j + 1][2]) and toks[j + 1][2][0].isalpha()
             and not _is_abbreviation(toks[j + 1][2])
             and not BREAK_RE.search(text[toks[j][1]:toks[j + 1][0]]))
    return before or after


def _add_ellipses(kept: list[Mention], ellipses, text: str) -> list[Mention]:
    """Add shared-head mentions whose first word no kept mention covers."""
    extra = []
    for own_start, own_end, start, end, lab in ellipses:
        if any(m.start < own_end and own_start < m.end for m in kept):
            continue
        score = round(KIND_SCORE.get(lab.entry.kind, 0.8) * ELLIPSIS_FACTOR, 3)
        extra.append(Mention(lab.entry.target, start, end, text[start:end], score, lab.entry.label,
                             "ellipsis"))
    if not extra:
        return kept
    seen = {(m.target, m.start, m.end) for m in kept}
    out = list(kept)
    for m in extra:
        if (m.target, m.start, m.end) not in seen:
            seen.add((m.target, m.start, m.end))
            out.append(m)
    out.sort(key=lambda m: (m.start, m.end, m.target))
    return out


def _resolve(cands, text: str) -> list[Mention]:
    """Keep the widest mentions; drop those nested in or overlapping a wider one."""
    # more content words first, then longer text, then higher score
    cands.sort(key=lambda c: (-c[2], -(c[1] - c[0]), -c[3], c[0], c[4]))
    kept: list[tuple] = []
    for c in cands:
        start, end = c[0], c[1]
        clash = False
        for k in kept:
            if start < k[1] and k[0] < end and (k[0], k[1]) != (start, end):
                clash = True
                break
        if not clash:
            kept.append(c)
    # one mention per (span, target); same-span targets share the doubt
    spans: dict[tuple[int, int], dict[str, tuple]] = {}
    for c in kept:
        best = spans.setdefault((c[0], c[1]), {})
        if c[4] not in best or best[c[4]][3] < c[3]:
            best[c[4]] = c
    out = []
    for (start, end), targets in spans.items():
        factor = AMBIGUITY_FACTOR ** (len(targets) - 1)
        for c in targets.values():
            out.append(Mention(c[4], start, end, text[start:end], round(c[3] * factor, 3), c[5], c[6]))
    out.sort(key=lambda m: (m.start, m.end, m.target))
    return out
