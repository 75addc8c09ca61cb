"""Test documents made on the fly: a report PDF with running headers, page
numbers, numbered paragraphs, bullet lists and footnotes (fpdf2), and Word
documents (python-docx), so no binary test file needs to be kept."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

LOREM = ("the mission shall monitor threats to civilians and report on them to the "
         "Security Council, working with the humanitarian country team and the host government ")


class ReportPDF(FPDF):
    """Pages with a running header, a page number and the page's footnotes at the foot."""

    def __init__(self, header_text="Protection of Civilians - Draft Report"):
        super().__init__(format="A4")
        self.header_text = header_text
        self.notes: list[tuple[int, str]] = []
        self.set_auto_page_break(True, margin=45)
        self.set_margins(20, 20, 20)

    def header(self):
        self.set_font("Helvetica", "", 8)
        self.set_y(8)
        self.cell(0, 5, self.header_text, align="C")
        self.set_y(20)

    def footer(self):
        if self.notes:
            self.set_y(-15 - 4 * len(self.notes) - 4)
            self.set_font("Helvetica", "", 8)
            for number, text in self.notes:
                self.multi_cell(0, 4, f"{number} {text}", new_x="LMARGIN", new_y="NEXT")
            self.notes = []
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, str(self.page_no()), align="C")

    def heading(self, text: str):
        self.set_font("Helvetica", "B", 14)
        self.ln(3)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def paragraph(self, text: str, notes: list[tuple[int, str]] = ()):
        """A paragraph; each footnote's marker goes at the end of the paragraph's first sentence."""
        self.set_font("Helvetica", "", 11)
        first, dot, rest = text.partition(". ")
        self.write(6, first + (dot.strip() if dot else ""))
        for number, note in notes:
            self.char_vpos = "SUP"
            self.write(6, str(number))
            self.char_vpos = "LINE"
            self.notes.append((number, note))
        if rest:
            self.write(6, " " + rest)
        self.ln(6)
        self.ln(4)

    def bullets(self, items: list[str]):
        self.set_font("Helvetica", "", 11)
        for item in items:
            self.multi_cell(0, 6, f"- {item}", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)


def report_pdf(path: Path, sections: int = 3, paragraphs: int = 3, long_paragraph: str | None = None,
               encrypt_password: str | None = None) -> Path:
    """A report: headings ``N. Section N``, paragraphs ``N.M``, a list in 1.1, footnotes."""
    pdf = ReportPDF()
    pdf.add_page()
    note = 0
    for s in range(1, sections + 1):
        pdf.heading(f"{s}. Section {s}")
        for p in range(1, paragraphs + 1):
            key = f"{s}.{p}"
            notes = []
            if p == 2:
                note += 1
                notes = [(note, f"Source for paragraph {key}, S/2009/{note:03d}.")]
            body = f"{key} Paragraph {key} says that {LOREM * 2}end of {key}."
            if long_paragraph == key:
                body = f"{key} Paragraph {key} is long. " + "and " .join([LOREM] * 18) + f"end of {key}."
            pdf.paragraph(body, notes)
            if key == "1.1":
                pdf.bullets(["protection through political process;",
                             "protection from physical violence; and",
                             "establishing a protective environment."])
    if encrypt_password:
        pdf.set_encryption(owner_password="owner", user_password=encrypt_password)
    pdf.output(str(path))
    return path
