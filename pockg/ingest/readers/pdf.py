"""PDF, read by pypdf in a child process that is killed when over its limits.

``read`` starts ``python -m pockg.ingest.readers.pdf`` with the bytes on
standard input, an address-space limit (``MEMORY_BYTES``, RLIMIT_AS), a CPU
limit and a wall-clock ``TIMEOUT_S``; the child prints the text lines of each
page (with their height, size and boldness) as JSON. A decompression bomb,
a circular or truncated file, a huge page count or an encrypted file gives
an ``IngestError``, never a hung or swollen server.

The parent turns lines into blocks: running headers, footers and page
numbers dropped; small lines at the foot of a page that start with a number
are footnotes; small digits inside a line are footnote references; larger or
bold short lines are headings; a wider gap, a number or a bullet starts a
new block; a page break between pages (the splitter joins what continues).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path
from statistics import median

from pockg.errors import IngestError
from pockg.ingest.inline import plain
from pockg.ingest.readers import Parsed
from pockg.ingest.structure import DOTTED, INTEGER, Block, running_lines

TIMEOUT_S = float(os.environ.get("POCKG_INGEST_PDF_TIMEOUT_S", "60"))
MEMORY_BYTES = int(os.environ.get("POCKG_INGEST_PDF_MEMORY_BYTES", str(1024 ** 3)))
MAX_PAGES = 5000
BULLET = re.compile(r"^\s*(?:[•\-–▪●◦·*]|\((?:[a-z]{1,2}|[ivx]{1,5}|\d{1,2})\))\s+", re.IGNORECASE)
_ROOT = Path(__file__).resolve().parents[3]


# -- the child -------------------------------------------------------------
def _lines_of(page) -> list[dict]:
    runs = []

    def visit(text, cm, tm, font, size):
        text = text.replace("\n", " ")
        if not text.strip():
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        name = str((font or {}).get("/BaseFont", ""))
        runs.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], round(size * scale, 1),
                     "Bold" in name or "Black" in name or "Heavy" in name))

    page.extract_text(visitor_text=visit)
    lines: list[list] = []
    for run in runs:
        if lines and abs(run[2] - lines[-1][0][2]) <= 0.4 * max(run[3], lines[-1][0][3], 1):
            lines[-1].append(run)
        else:
            lines.append([run])
    out = []
    for line in lines:
        line.sort(key=lambda r: r[1])
        sizes = Counter()
        for text, _x, _y, size, _bold in line:
            sizes[size] += len(text.strip())
        main = sizes.most_common(1)[0][0]
        parts = []
        for text, _x, _y, size, _bold in line:
            small = size < 0.85 * main
            parts.append(f"<sup>{text.strip()}</sup>" if small and text.strip().isdigit() else text)
        out.append({"t": re.sub(r"\s+", " ", "".join(parts)).strip(), "y": round(line[0][2], 1),
                    "s": main, "b": all(r[4] for r in line)})
    return [line for line in out if line["t"]]


def _child() -> None:  # pragma: no cover - runs in the worker process
    def answer(obj) -> None:
        sys.stdout.write(json.dumps(obj))
        sys.stdout.flush()

    _limit(int(sys.argv[1]), int(sys.argv[2]))
    try:
        from io import BytesIO

        import pypdf
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except MemoryError:
        return answer({"error": "the PDF reader ran out of memory before it started"})
    data = sys.stdin.buffer.read()
    try:
        reader = pypdf.PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:
                return answer({"error": f"the PDF is encrypted and cannot be read ({exc})"})
            if not ok:
                return answer({"error": "the PDF is encrypted (password-protected); "
                                        "save an unprotected copy and ingest that"})
        declared = reader.trailer["/Root"]["/Pages"].get("/Count", 0)
        count = max(len(reader.pages), int(declared) if isinstance(declared, int) else 0)
        if count > MAX_PAGES:
            return answer({"error": f"the PDF has {count:,} pages (limit {MAX_PAGES:,})"})
        title = None
        try:
            meta = reader.metadata
            title = str(meta.title) if meta and meta.title else None
        except Exception:  # noqa: BLE001 - broken metadata is not a reason to refuse the text
            title = None
        pages = []
        for number in range(count):
            try:
                page = reader.pages[number]
                contents = page.get_contents()
                if contents is not None:
                    contents.get_data()  # decompression limits surface here, not hidden in extract_text
                pages.append(_lines_of(page))
            except FileNotDecryptedError:
                return answer({"error": "the PDF is encrypted (password-protected)"})
            except (MemoryError, RecursionError) as exc:
                return answer({"error": f"page {number + 1} cannot be read within the limits "
                                        f"({type(exc).__name__}): a PDF bomb?", "page": number + 1})
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types on corrupt input
                if type(exc).__name__ == "LimitReachedError":
                    return answer({"error": f"page {number + 1} decompresses past the limit "
                                            f"(a PDF bomb): {exc}"[:500], "page": number + 1})
                return answer({"error": f"page {number + 1} is corrupt ({type(exc).__name__}: {exc})"[:500],
                               "page": number + 1})
        answer({"title": title, "pages": pages})
    except MemoryError:
        answer({"error": "the PDF needs more memory than allowed: a decompression bomb?"})
    except RecursionError:
        answer({"error": "the PDF's objects nest or loop too deeply (circular references?)"})
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on corrupt input
        kind = type(exc).__name__
        what = "over a decompression limit (a PDF bomb?)" if kind == "LimitReachedError" else \
            "corrupt or truncated"
        answer({"error": f"the PDF is {what} ({kind}: {exc})"[:500]})


# -- the parent ------------------------------------------------------------
def _limit(memory_bytes: int, cpu_s: int) -> None:  # pragma: no cover - runs in the child
    """Bound the child itself, first thing (no preexec_fn: the server has threads)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))


def extract(data: bytes, file: str) -> dict:
    """Run the child on ``data``; its JSON answer, or an ``IngestError``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen(
        [sys.executable, "-m", "pockg.ingest.readers.pdf", str(MEMORY_BYTES), str(int(TIMEOUT_S) + 1)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        start_new_session=True)
    try:
        out, err = proc.communicate(data, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise IngestError(f"reading the PDF took over {TIMEOUT_S:g} s and was stopped "
                          "(a PDF bomb or a circular file?)", file=file) from None
    except BaseException:
        _kill(proc)
        raise
    try:
        result = json.loads(out.decode("utf-8")) if out else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        result = None
    if not isinstance(result, dict):
        why = "it ran out of memory (a PDF bomb?)" if b"MemoryError" in err or proc.returncode in (
            -signal.SIGKILL, -signal.SIGXCPU, -signal.SIGSEGV) or proc.returncode == 1 and not out \
            else f"exit code {proc.returncode}"
        raise IngestError(f"the PDF could not be read within the limits: {why}", file=file)
    if "error" in result:
        raise IngestError(result["error"], file=file)
    return result


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text.endswith("-") and len(text) > 1 and text[-2].islower() and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _blocks(pages: list[list[dict]]) -> list[Block]:
    sizes: Counter = Counter()
    for lines in pages:
        for line in lines:
            sizes[line["s"]] += len(line["t"])
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    heading_sizes = sorted({s for s in sizes if s >= 1.15 * body}, reverse=True)
    def footnote_like(line: dict) -> bool:  # never a running line, however alike the notes are
        return line["s"] < 0.9 * body and bool(re.match(r"^(?:<sup>)?\d{1,3}(?:</sup>)?\s*\S", line["t"])) \
            and not re.fullmatch(r"\d{1,4}", line["t"].strip())

    drops = running_lines([["" if footnote_like(line) else plain(line["t"]).text for line in lines]
                           for lines in pages])
    blocks: list[Block] = []
    for number, (lines, drop) in enumerate(zip(pages, drops), start=1):
        lines = [line for i, line in enumerate(lines) if i not in drop]
        notes_from = len(lines)
        while notes_from > 0 and lines[notes_from - 1]["s"] < 0.9 * body:
            notes_from -= 1
        zone = lines[notes_from:]
        if not any(re.match(r"^(?:<sup>)?\d{1,3}", line["t"]) for line in zone):
            notes_from = len(lines)
        gaps = [a["y"] - b["y"] for a, b in pairwise(lines[:notes_from]) if a["y"] > b["y"]]
        usual = median(gaps) if gaps else body * 1.2
        group: list[str] = []
        kind, previous_y = "text", None

        def flush(page: int = number):
            nonlocal group, kind
            if group:
                inline = plain(_join(group))
                if inline.text:
                    blocks.append(Block(kind, inline.text, page=page, refs=inline.refs,
                                        guess_headings=False))
            group, kind = [], "text"

        for line in lines[:notes_from]:
            text = line["t"]
            bare = plain(text).text
            big = line["s"] >= 1.15 * body
            if big or (line["b"] and len(bare) < 100 and not bare.endswith((".", ";", ","))):
                flush()
                level = heading_sizes.index(line["s"]) + 1 if line["s"] in heading_sizes else len(heading_sizes) + 1
                if blocks and blocks[-1].kind == "heading" and blocks[-1].page == number \
                        and previous_y is not None and previous_y - line["y"] < 1.6 * line["s"]:
                    blocks[-1].text += " " + bare
                else:
                    blocks.append(Block("heading", bare, level=level, page=number))
                previous_y = line["y"]
                continue
            gap = previous_y - line["y"] if previous_y is not None else 0
            starts = DOTTED.match(bare) or INTEGER.match(bare)
            bullet = BULLET.match(bare)
            if group and (starts or bullet or gap > usual * 1.45 + 0.5 or gap < 0):
                flush()
            if bullet:
                kind = "item"
                text = text[BULLET.match(text).end():] if BULLET.match(text) else text
            group.append(text)
            previous_y = line["y"]
        flush()
        note: list[str] | None = None
        for line in lines[notes_from:]:
            inline = plain(line["t"])
            lead = re.match(r"^(\d{1,3})\s+", inline.text)
            if inline.defines or lead:
                if note:
                    blocks.append(_note(note, number))
                note = [inline.defines or lead.group(1), inline.text[lead.end():] if lead and not inline.defines
                        else inline.text]
            elif note:
                note[1] = _join([note[1], inline.text])
        if note:
            blocks.append(_note(note, number))
        blocks.append(Block("break", page=number))
    return blocks


def _note(note: list[str], page: int) -> Block:
    return Block("footnote", note[1], number=note[0], page=page)


def read(data: bytes, file: str) -> Parsed:
    result = extract(data, file)
    pages = result.get("pages") or []
    if not any(pages):
        raise IngestError("the PDF has no text layer (a scan?); run OCR first", file=file)
    blocks = _blocks(pages)
    title = (result.get("title") or "").strip() or next((b.text for b in blocks if b.kind == "heading"), None)
    return Parsed(blocks, title or None)


if __name__ == "__main__":  # pragma: no cover
    _child()
