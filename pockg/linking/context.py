"""Document-level rules: what a passage is about, beyond the words it contains.

The matcher finds mentions passage by passage; these rules use the document
around them, each a general rule about the schemes, never about one text:

1. **Resolutions carry their topics.** A mention of a resolution whose
   ``pockg:topic`` is a resolution-topic concept (1894 → protection of
   civilians, 1612 → children and armed conflict) tags the passage with it.
2. **Resolution topics need the Council.** The resolution-topic scheme is
   about the Security Council's agenda: a passage is tagged with one of its
   concepts only where it speaks of the Council or a resolution (a
   resolution, "Security Council", "Conseil de sécurité"), or belongs to a
   resolution (a document with operative paragraphs); "PoC" in a passage
   about a mission's strategy is not the Council's PoC agenda.
3. **Collective mentions.** "the three tiers" names every concept of a
   scheme whose title ends in "tiers" and that has three concepts.
4. **One scheme per document for matching concepts.** Where two concepts of
   different schemes are ``skos:closeMatch`` (the 2010 tiers and the 2015
   tiers), a document speaks in one scheme: the one with more mentions
   takes the other's mentions.
5. **Structural schemes live in headings.** The framework elements name
   the parts of a strategy ("protection risks", "monitoring and
   reporting"); in running prose those words are usually the ordinary
   phrase, so a mention there scores lower (``PROSE_FACTOR``) than in a
   heading or a list item that is nothing but the label.
6. **Coordination beyond the mission** (``LVL-EXTERNAL``, defined as
   coordination with the humanitarian community, government authorities
   and local communities): a sentence that joins a word of coordination or
   engagement with an actor outside the mission (``engagement with local
   communities, civil society and the host government``) tags the passage.
7. **Headings name the topic of their section.** A heading that is mostly a
   concept's label (``8.4 Protection Risks``) tags the passages under it,
   with a lower score (``prov:wasDerivedFrom`` the heading's link); footnotes
   do not inherit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pockg.linking.matcher import (STOPWORDS, TOKEN_RE, Matcher, Mention, Suggestion, _lemma,
                                   fold)

COUNCIL_RE = re.compile(r"\bSecurity\s+Council\b|\bConseil\s+de\s+s[ée]curit[ée]\b|\bS/RES/",
                        re.IGNORECASE)
COUNCIL_SCHEME = "resolution-topic"
TOPIC_SCORE = 0.85          # a resolution's topic, from the graph
INHERIT_FACTOR = 0.7        # a heading's concept, passed to the passages under it
HEADING_COVERAGE = 0.6      # the label covers this share of the heading's words
COLLECTIVE_SCORE = 0.75
STRUCTURAL_SCHEMES = frozenset({"framework-element"})
PROSE_FACTOR = 0.55
LINE_PREFIX_RE = re.compile(r"(?:^|\n)[ \t]*(?:[-*•–]|\(?\w{1,3}[.)])?[ \t]*$")
LINE_SUFFIX_RE = re.compile(r"^[ \t.,;:]*(?:\n|$)")
CUE_SCORE = 0.65
SENTENCE_RE = re.compile(r"[^.;:!?]+")
# (concept notation, words of coordination, actors outside the mission), English and French
CUE_RULES = (
    ("LVL-EXTERNAL",
     re.compile(r"\b(?:coordinat|engag|consult|cooperat|co-operat|collaborat|liais|partnership"
                r"|coordin|coordon|concert[ae]|coop[ée]r|collabor|dialogu)\w*", re.IGNORECASE),
     re.compile(r"\b(?:humanitarian\s+(?:community|actors?|agenc(?:y|ies)|organi[sz]ations?|partners?)"
                r"|host\s+(?:government|country|state)|government(?:al)?\s+(?:authorities|actors|officials"
                r"|counterparts)|the\s+government|national\s+authorities|local\s+authorities"
                r"|civil\s+society|local\s+communities|non-governmental\s+organi[sz]ations|NGOs?"
                r"|partners|stakeholders|Protection\s+Cluster|UN\s+agencies|country\s+team"
                r"|communaut[ée]\s+humanitaire|acteurs\s+humanitaires|gouvernement|autorit[ée]s"
                r"\s+(?:locales|nationales)|soci[ée]t[ée]\s+civile|communaut[ée]s\s+locales|ONG"
                r"|partenaires)\b", re.IGNORECASE)),
)
NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
}
NUMBER_RE = re.compile(r"\b(" + "|".join(NUMBERS) + r"|[2-9])\b((?:\s+[^\W\d_][\w'-]*){1,4})",
                       re.IGNORECASE)


@dataclass
class PassageInput:
    """What the document-level rules need to know about one passage."""

    id: str                       # passage IRI (or key)
    text: str
    kind: str = "paragraph"       # paragraph | heading | footnote | operative | passage
    section: str | None = None    # id of the heading it sits under


@dataclass
class Link:
    """A passage-level suggestion with its evidence, and which components proposed it."""

    target: str
    score: float
    mentions: list[Mention] = field(default_factory=list)
    inherited_from: tuple[str, Mention] | None = None   # (heading passage id, its mention)
    lexical: float | None = None       # the word matching's score, if it proposed the link
    semantic: object = None            # semantic.SemanticMatch, if meaning proposed it
    learned: float | None = None       # the learned layer's score, if it decided
    model: object = None               # learned.Model that decided


COMPONENTS = ("lexical", "semantic")
LEARNED = "learned"   # not a component: the layer that decides over both (learned.py)
LINK_RUN = COMPONENTS + (LEARNED,)   # what `pockg link run` uses (the layer when a model exists)


# How the components' scores combine into one: a logistic regression fitted on
# the project's own gold (the workshop report and the first unseen set) by
# benchmarks/calibrate_linker.py, over combination_features. Its output is the
# chance that the gold has the concept, so the threshold means the same for
# every concept and every mix of components.
COMBINATION = (0.821, 7.26, 2.574, 13.26, -4.298, -3.276)   # printed on 2026-12-07


def combination_features(lexical: float | None, semantic: float | None) -> list[float]:
    l, s = lexical or 0.0, semantic or 0.0
    return [1.0, l, s, l * s, float(lexical is not None), float(semantic is not None)]


def combine(lexical: float | None, semantic: float | None) -> float:
    """One score in [0, 1] from the components' scores (see COMBINATION)."""
    import math

    if lexical is None and semantic is None:
        return 0.0
    z = sum(w * x for w, x in zip(COMBINATION, combination_features(lexical, semantic)))
    return round(min(0.99, 1.0 / (1.0 + math.exp(-z))), 3)


def _content_words(text: str) -> list[str]:
    return [w for w in TOKEN_RE.findall(text) if w.lower() not in STOPWORDS]


def _collective(matcher: Matcher, text: str) -> list[Mention]:
    """"the three tiers" -> one mention per concept of each matching scheme."""
    lex = matcher.lexicon
    heads = getattr(matcher, "_collective_heads", None)
    if heads is None:
        heads = {}
        for scheme, titles in lex.scheme_titles.items():
            size = len(lex.scheme_members(scheme))
            for lang, title in titles.items():
                words = TOKEN_RE.findall(re.sub(r"\(.*?\)", "", title))
                if words and words[-1].lower().endswith(("s", "x")):
                    heads.setdefault((fold(_lemma(words[-1].lower(), lang)), size), set()).add(scheme)
        matcher._collective_heads = heads
    out = []
    for m in NUMBER_RE.finditer(text):
        word1 = m.group(1)
        number = int(word1) if word1.isdigit() else NUMBERS[word1.lower()]
        following = list(re.finditer(r"[^\W\d_][\w'-]*", m.group(2)))
        for word in following:
            low = word.group().lower()
            keys = {fold(_lemma(low, "en")), fold(_lemma(low, "fr")), fold(low)}
            schemes = set().union(*(heads.get((k, number), set()) for k in keys))
            if schemes:
                end = m.start(2) + word.end()
                for scheme in sorted(schemes):
                    for iri in lex.scheme_members(scheme):
                        out.append(Mention(iri, m.start(), end, text[m.start():end],
                                           COLLECTIVE_SCORE, word.group(), "collective"))
                break
    return out


def _whole_line(text: str, m: Mention) -> bool:
    """The mention is a line (or list item) of its own."""
    return bool(LINE_PREFIX_RE.search(text[:m.start]) and LINE_SUFFIX_RE.match(text[m.end:]))


def _cues(matcher: Matcher, text: str) -> list[Mention]:
    """Rule 6: a coordination word and an outside actor in one sentence."""
    out = []
    for notation, trigger, partner in CUE_RULES:
        iri = next((c.iri for c in matcher.lexicon.concepts.values() if c.notation == notation), None)
        if iri is None:
            continue
        for sentence in SENTENCE_RE.finditer(text):
            if not trigger.search(sentence.group()):
                continue
            p = partner.search(sentence.group())
            if p:
                start, end = sentence.start() + p.start(), sentence.start() + p.end()
                out.append(Mention(iri, start, end, text[start:end], CUE_SCORE, p.group(), "cue"))
                break
    return out


def passage_mentions(matcher: Matcher, text: str, kind: str = "paragraph",
                     council: bool = False) -> list[Mention]:
    """Mentions of one passage, with the passage-level rules 1-3, 5 and 6 applied;
    ``council``: the passage belongs to a Security Council document."""
    lex = matcher.lexicon
    mentions = matcher.mentions(text)
    if kind != "heading":
        mentions = [replace(m, score=round(m.score * PROSE_FACTOR, 3))
                    if m.target in lex.concepts and lex.concepts[m.target].scheme in STRUCTURAL_SCHEMES
                    and not _whole_line(text, m) else m for m in mentions]
    extra = []
    for m in mentions:
        for topic in lex.topics.get(m.target, ()):
            extra.append(Mention(topic, m.start, m.end, m.exact, TOPIC_SCORE, m.label, "topic"))
    mentions += extra + _collective(matcher, text) + _cues(matcher, text)
    council = council or bool(COUNCIL_RE.search(text)) or any(
        lex.entities.get(m.target) == "resolution" for m in mentions)
    if not council:
        mentions = [m for m in mentions
                    if not (m.target in lex.concepts and lex.concepts[m.target].scheme == COUNCIL_SCHEME)]
    return mentions


def _fold_score(mentions: list[Mention]) -> float:
    ordered = sorted((m.score for m in mentions), reverse=True)
    miss = 1.0 - ordered[0]
    for s in ordered[1:]:
        miss *= 1.0 - 0.5 * s
    return round(min(0.99, 1.0 - miss), 3)


def _one_scheme(matcher: Matcher, per_passage: dict[str, list[Mention]]) -> None:
    """Rule 4, in place."""
    lex = matcher.lexicon
    weight: dict[str, float] = {}
    for mentions in per_passage.values():
        spans: dict[tuple[int, int], set[str]] = {}
        for m in mentions:
            spans.setdefault((m.start, m.end), set()).add(m.target)
        for m in mentions:
            c = lex.concepts.get(m.target)
            if c and c.close and not (set(c.close) & spans[(m.start, m.end)]):
                weight[c.scheme] = weight.get(c.scheme, 0.0) + m.score
    if not weight:
        return
    for pid, mentions in per_passage.items():
        out, seen = [], set()
        for m in mentions:
            c = lex.concepts.get(m.target)
            if c and c.close:
                rivals = [x for x in c.close if weight.get(lex.concepts[x].scheme, 0.0)
                          > weight.get(c.scheme, 0.0)]
                if rivals:
                    best = max(rivals, key=lambda x: weight.get(lex.concepts[x].scheme, 0.0))
                    m = replace(m, target=best, score=round(m.score * 0.95, 3))
            key = (m.target, m.start, m.end)
            if key not in seen:
                seen.add(key)
                out.append(m)
        per_passage[pid] = out


def _heading_concepts(matcher: Matcher, text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions that make up most of a heading."""
    words = len(_content_words(text)) or 1
    out = []
    for m in mentions:
        if m.target in matcher.lexicon.concepts and len(_content_words(m.exact)) >= HEADING_COVERAGE * words:
            out.append(m)
    return out


def document_links(matcher: Matcher, passages: list[PassageInput], threshold: float,
                   space=None, components: tuple[str, ...] = COMPONENTS, model=None,
                   skip: frozenset[str] = frozenset()) -> dict[str, list[Link]]:
    """passage id -> links at or above ``threshold``, best first.

    ``space`` (a ``semantic.ConceptSpace``) adds the semantic component;
    ``components`` chooses which components run (to measure each alone);
    ``model`` (a ``learned.Model``) scores every candidate of both components
    when ``components`` includes ``LEARNED``; ``skip``: documents whose
    exemplars the model must not use (an evaluation's own)."""
    council = any(p.kind == "operative" for p in passages)   # a resolution
    lexical = "lexical" in components
    per: dict[str, list[Mention]] = {p.id: passage_mentions(matcher, p.text, p.kind, council)
                                     if lexical else [] for p in passages}
    _one_scheme(matcher, per)
    by_id = {p.id: p for p in passages}
    learned = model is not None and space is not None and LEARNED in components
    meanings: dict[str, list] = {}
    if space is not None and "semantic" in components and not learned:
        prose = [p for p in passages if p.kind != "heading"]
        meanings = dict(zip((p.id for p in prose), space.match_many([p.text for p in prose])))
    links: dict[str, dict[str, Link]] = {}
    for p in passages:
        own: dict[str, Link] = {}
        for m in per[p.id]:
            own.setdefault(m.target, Link(m.target, 0.0)).mentions.append(m)
        for link in own.values():
            link.score = link.lexical = _fold_score(link.mentions)
        for match in meanings.get(p.id, ()):
            link = own.get(match.target)
            if link is None:
                own[match.target] = link = Link(match.target, 0.0, [Mention(
                    match.target, match.start, match.end, p.text[match.start:match.end],
                    match.score, match.closest, "semantic")])
            link.semantic = match
            # measured alone, the semantic component keeps its own calibrated score
            link.score = combine(link.lexical, match.score) if lexical else match.score
        links[p.id] = own
    for p in passages:
        if p.kind == "footnote":
            continue
        section, factor, hops = p.section, INHERIT_FACTOR, 0
        while section and section in by_id and hops < 3:
            head = by_id[section]
            if head.kind == "heading":
                for m in _heading_concepts(matcher, head.text, per[head.id]):
                    score = round(m.score * factor, 3)
                    current = links[p.id].get(m.target)
                    if current is None:
                        links[p.id][m.target] = Link(m.target, score, [], (head.id, m))
                    elif current.score < score:
                        current.score = score
            section, factor, hops = head.section, factor * INHERIT_FACTOR, hops + 1
    if learned:
        from pockg.linking.learned import rescore

        links = rescore(model, matcher, passages, links, space, council, skip, threshold)
    out = {}
    for pid, own in links.items():
        kept = [link for link in own.values() if link.score >= threshold]
        kept.sort(key=lambda link: (-link.score, link.target))
        out[pid] = kept
    return out


def document_suggestions(matcher: Matcher, passages: list[tuple[str, str]],
                         threshold: float) -> dict[str, list[Suggestion]]:
    """The same for plain (id, text) pairs without structure: rules 1-4 only."""
    result = document_links(matcher, [PassageInput(pid, text) for pid, text in passages], threshold)
    return {pid: [Suggestion(l.target, l.score, tuple(l.mentions)) for l in links]
            for pid, links in result.items()}
