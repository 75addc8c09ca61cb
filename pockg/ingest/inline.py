"""Inline text to plain text: footnote markers found, markup and scripts dropped.

``plain(raw)`` returns the text a reader sees, the footnote numbers it cites
(``<sup>3</sup>``, ``[^3]``, ``³``) and, when the text *starts* with such a
marker, the footnote it defines. Any HTML tag is removed (the content of
``<script>`` and ``<style>`` with it) and ``javascript:``-style URLs vanish,
so stored passage text is always plain text. With ``marks=True`` the light
Markdown that PDF-to-text converters leave (``**bold**``, ``[text](url)``)
is reduced to its text as well.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import nh3

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUP = re.compile(r"<sup>\s*(\d{1,3})\s*</sup>", re.IGNORECASE)
_MD_NOTE = re.compile(r"\[\^(\d{1,3})\](?!:)")
_UNI_NOTE = re.compile(r"(?<=[^\s\d⁰¹²³⁴⁵⁶⁷⁸⁹])([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})")
_LEAD = re.compile(r"^\s*(?:<sup>\s*(\d{1,3})\s*</sup>|\[\^(\d{1,3})\]:|([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}))\s*", re.IGNORECASE)
_BAD_URL = re.compile(r"(?:javascript|vbscript|livescript)\s*:\S*|\bdata\s*:[\w.+-]+/[\w.+-]+[;,]\S*", re.IGNORECASE)
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,2000}?)(?<=\S)\1", re.DOTALL)
_MD_EM = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_CODE = re.compile(r"`([^`\n]*)`")
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10)) | {0x7F: None}


@dataclass(frozen=True)
class Inline:
    text: str
    refs: tuple[str, ...] = ()
    defines: str | None = None  # the footnote number this text defines


def strip_tags(text: str) -> str:
    """Remove every HTML tag (and script/style content); keep the words."""
    for _ in range(3):  # entities may hide a second layer of tags
        if "<" not in text and "&" not in text:
            break
        cleaned = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
        if cleaned == text:
            break
        text = cleaned
    return text.replace("<", "‹") if "<script" in text.lower() else text


def plain(raw: str, marks: bool = False) -> Inline:
    """Plain text of one block of inline text (see the module docstring)."""
    text = unicodedata.normalize("NFC", raw).translate(_CONTROL)
    defines = None
    lead = _LEAD.match(text)
    if lead:
        defines = (lead.group(1) or lead.group(2) or lead.group(3).translate(SUPERSCRIPTS)).lstrip("0") or "0"
        text = text[lead.end():]
    refs: list[str] = []

    def note(match: re.Match) -> str:
        refs.append(match.group(1).translate(SUPERSCRIPTS).lstrip("0") or "0")
        return ""

    text = _SUP.sub(note, text)
    text = _MD_NOTE.sub(note, text)
    text = _UNI_NOTE.sub(note, text)
    if marks:
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_CODE.sub(r"\1", text)
        text = _MD_STRONG.sub(r"\2", text)
        text = _MD_EM.sub(r"\1", text)
    text = strip_tags(text)
    text = _BAD_URL.sub("", text)
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return Inline(" ".join(line for line in lines if line), tuple(dict.fromkeys(refs)), defines)
