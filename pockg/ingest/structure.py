"""The shared splitter: blocks of text in reading order → numbered passages.

Readers turn a file into ``Block`` s (a heading, a run of text, a list item,
a footnote, a page break); ``split(blocks)`` finds the document's own
structure in them:

* ``8.4.1 text`` is paragraph 8.4.1; ``12. Decides ...`` is operative
  paragraph 12 (a resolution's verbs), ``12. text`` otherwise paragraph 12;
* ``8. Recommendations`` / ``8.2 Key Drafting Considerations`` (short, no
  closing full stop) and explicit headings are headings, keyed by their
  number; a paragraph sits in the section of the longest heading number that
  prefixes its own (8.2.1 → 8.2), else under the last heading;
* footnote *N* is ``fnN``; list items join the paragraph they follow;
* text that goes on after a page break or a footnote (it starts in lower
  case, or the paragraph before stopped mid-sentence at a page break) joins
  the paragraph it continues, a hyphen split at the line end mended;
* a passage with no number of its own is ``#N``, N its place in the document;
  a number seen twice gets ``-2``, ``-3`` … on its later passages.

``drop_running_lines(pages)`` removes running headers, footers and page
numbers from page-structured text before the blocks are made.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pockg.ingest.model import Passage

DOTTED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})+)\.?\s+(?=[\"'“‘(\[A-ZÀ-ÖØ-Þ])(.+)$", re.DOTALL)
INTEGER = re.compile(r"^(\d{1,3})\.\s+(?=\S)(.+)$", re.DOTALL)
HEADING_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*\.?|[IVXLC]{1,6}\.)\s+(?=\S)(.+)$", re.DOTALL)
OPERATIVE_VERBS = {
    "decides", "requests", "calls", "urges", "authorizes", "authorises", "demands", "reaffirms",
    "expresses", "encourages", "condemns", "welcomes", "emphasizes", "emphasises", "stresses",
    "underlines", "notes", "recognizes", "recognises", "reiterates", "invites", "affirms",
    "endorses", "acknowledges", "commends", "deplores", "directs", "extends", "approves",
    "takes", "underscores", "strongly", "further", "also", "again", "reminds", "recalls",
    "declares", "insists", "highlights", "appeals", "supports", "renews", "looks",
    "décide", "prie", "demande", "exige", "autorise", "condamne", "souligne", "engage",
    "encourage", "réaffirme", "salue", "exhorte", "invite", "rappelle", "se", "note",
}
TERMINAL = tuple(".;:!?")
PAGE_NUMBER = re.compile(
    r"^(?:[-–—]\s*)?(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:/|of|sur)\s*\d{1,4})?(?:\s*[-–—])?$", re.IGNORECASE)


@dataclass
class Block:
    """One block of a file in reading order, its inline text already plain.

    ``kind``: ``text``, ``heading``, ``item`` (list item), ``footnote`` or
    ``break`` (a page break or a rule before footnotes). ``number`` is an
    explicit number the markup gave (an ordered-list item, a footnote id).
    """

    kind: str
    text: str = ""
    level: int = 0
    page: int | None = None
    line: int | None = None
    number: str | None = None
    refs: tuple[str, ...] = ()
    guess_headings: bool = False  # a short title-like line may be a heading


@dataclass
class _Draft:
    number: str | None
    kind: str
    text: str
    page: int | None
    level: int = 0
    refs: list[str] = field(default_factory=list)
    section: _Draft | None = None
    footnote: str | None = None


def _join(before: str, after: str) -> str:
    if not before:
        return after
    if before.endswith("-") and len(before) > 1 and before[-2].isalpha() and before[-2].islower() \
            and after[:1].islower():
        return before[:-1] + after
    return f"{before} {after}"


DANGLING = {"the", "a", "an", "of", "and", "or", "to", "in", "on", "for", "with", "by", "that", "which",
            "from", "at", "as", "is", "are", "was", "were", "be", "its", "their", "de", "la", "le", "les",
            "des", "du", "et", "à"}


def _heading_like(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= 14 and words[-1].lower() not in DANGLING and len(text) <= 110 and "\n" not in text
            and not text.endswith(TERMINAL + (",",)) and text[:1].isupper()
            and not re.search(r"[a-z][.;!?]\s", text))


def _title_like(text: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", text)]
    if not words or len(words) > 10 or len(text) > 80 or not _heading_like(text):
        return False
    if text.isupper():
        return True
    small = {"of", "and", "the", "in", "on", "for", "to", "a", "an", "at", "by", "with", "de", "la",
             "et", "des", "du", "le", "les", "en"}
    return all(w[0].isupper() or w.lower() in small for w in words)


def _operative(text: str) -> bool:
    first = re.findall(r"[^\W\d_]+", text[:60].lower())[:2]
    return bool(first) and first[0] in OPERATIVE_VERBS and text[:1].isupper()


def split(blocks: list[Block]) -> list[Passage]:
    """Passages of a document from its blocks; see the module docstring."""
    drafts: list[_Draft] = []
    headings: dict[str, _Draft] = {}
    stack: list[_Draft] = []          # open headings, outermost first
    current: _Draft | None = None     # the innermost heading so far
    last: _Draft | None = None        # the paragraph that may go on
    broken = False                    # a page break since ``last`` was last extended

    def section_for(number: str | None) -> _Draft | None:
        if number and "." in number:
            parts = number.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                found = headings.get(".".join(parts[:cut]))
                if found is not None:
                    return found
        return current

    def add(draft: _Draft) -> _Draft:
        drafts.append(draft)
        return draft

    def heading(number: str | None, title: str, level: int, page) -> None:
        nonlocal current, last, stack
        draft = _Draft(number, "heading", title, page, level)
        if number and number[0].isdigit():
            parts = number.split(".")
            draft.section = next((headings[".".join(parts[:c])] for c in range(len(parts) - 1, 0, -1)
                                  if ".".join(parts[:c]) in headings), None)
        else:
            if level:
                stack = [h for h in stack if h.level and h.level < level]
            draft.section = stack[-1] if stack else None
        stack = [*stack, draft] if level else stack
        if number:
            headings.setdefault(number, draft)
        current, last = add(draft), None

    def numbered_heading(text: str, level: int, page) -> None:
        m = HEADING_NUMBER.match(text)
        if m and (m.group(1)[0].isdigit() or m.group(2)[:1].isupper()):
            heading(m.group(1).rstrip("."), m.group(2).strip(), level, page)
        else:
            heading(None, text, level, page)

    def continued(index: int) -> bool:
        """Does the next block of text (past breaks and footnotes) go on in lower case?"""
        for later in blocks[index + 1:]:
            if later.kind in ("break", "footnote") or not later.text.strip():
                continue
            return later.kind == "text" and later.text.strip()[:1].islower()
        return False

    for index, block in enumerate(blocks):
        text = block.text.strip()
        if block.kind == "break":
            broken = True
            continue
        if not text:
            continue
        if block.kind == "footnote":
            number = (block.number or "").lstrip("0") or str(len(drafts) + 1)
            add(_Draft(None, "footnote", text, block.page, refs=list(block.refs),
                       footnote=number, section=current))
            continue
        if block.kind == "heading":
            numbered_heading(text, block.level, block.page)
            continue
        if block.kind == "item":
            if last is not None:
                last.text += "\n- " + text
                last.refs += block.refs
                broken = False
            else:
                last = add(_Draft(None, "passage", "- " + text, block.page, refs=list(block.refs),
                                  section=current))
            continue
        numbered = None
        if block.number:
            numbered = (block.number, text)
        else:
            m = DOTTED.match(text) or INTEGER.match(text)
            if m:
                numbered = (m.group(1), m.group(2).strip())
        if numbered:
            number, rest = numbered
            if not block.number and _heading_like(rest) and not _operative(rest) and not continued(index):
                heading(number, rest, 0, block.page)
                continue
            kind = "paragraph" if "." in number or not _operative(rest) else "operative"
            last = add(_Draft(number, kind, rest, block.page, refs=list(block.refs),
                              section=section_for(number)))
            broken = False
            continue
        if last is not None and (text[:1].islower() or (
                broken and not last.text.rstrip("”’\"')").endswith(TERMINAL)
                and not (block.guess_headings and _title_like(text)))):
            last.text = _join(last.text, text)
            last.refs += block.refs
            broken = False
            continue
        if block.guess_headings and _title_like(text):
            numbered_heading(text, 0, block.page)
            continue
        last = add(_Draft(None, "passage", text, block.page, refs=list(block.refs), section=current))
        broken = False
    return _finish(drafts)


def _finish(drafts: list[_Draft]) -> list[Passage]:
    keys: dict[int, str] = {}
    seen: Counter = Counter()
    for order, draft in enumerate(drafts, start=1):
        key = f"fn{draft.footnote}" if draft.footnote else draft.number or f"#{order}"
        seen[key] += 1
        keys[id(draft)] = key if seen[key] == 1 else f"{key}-{seen[key]}"
    footnote_keys = {f"fn{d.footnote}" for d in drafts if d.footnote}
    citing: dict[str, _Draft] = {}
    for draft in drafts:
        for ref in draft.refs:
            citing.setdefault(f"fn{ref}", draft)
    passages = []
    for order, draft in enumerate(drafts, start=1):
        section = draft.section
        if draft.footnote and f"fn{draft.footnote}" in citing:
            cite = citing[f"fn{draft.footnote}"]
            section = cite.section if cite.kind != "heading" else cite
        passages.append(Passage(
            key=keys[id(draft)], kind=draft.kind, text=draft.text.strip(), order=order,
            section=keys[id(section)] if section is not None else None, page=draft.page,
            footnotes=tuple(dict.fromkeys(f"fn{r}" for r in draft.refs
                                          if f"fn{r}" in footnote_keys and not draft.footnote))))
    return passages


def running_lines(pages: list[list[str]]) -> list[set[int]]:
    """Per page, the indexes of page numbers and of lines repeated at the top or bottom of pages."""
    def norm(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    edges: Counter = Counter()
    for lines in pages:
        present = [line for line in lines if line.strip()]
        for line in {norm(x) for x in present[:2] + present[-2:] if len(x) <= 120}:
            edges[line] += 1
    need = max(3, (len(pages) + 1) // 2)
    running = {line for line, count in edges.items() if count >= need and line}
    out = []
    for lines in pages:
        present = [i for i, line in enumerate(lines) if line.strip()]
        edge = set(present[:2] + present[-2:])
        out.append({i for i in edge if norm(lines[i]) in running or PAGE_NUMBER.match(lines[i].strip())})
    return out


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers and lines repeated at the top or bottom of pages."""
    return [[line for i, line in enumerate(lines) if i not in drop]
            for lines, drop in zip(pages, running_lines(pages))]
