"""``pockg validate``: QC queries, SHACL shapes and OWL consistency.

Every problem is reported with the data file, the line and the entity it
concerns, where these are known. QC queries (``queries/qc/*-violation.rq``)
and SHACL run on every build; the OWL reasoner (HermiT through owlready2,
slower because it starts Java) runs in ``pockg validate``.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.build import Assembly, Progress, _quiet, assemble
from pockg.config import MEMORY, Settings
from pockg.errors import Problem
from pockg.store import EmbeddedStore


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    reasoning: object = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


def _problem(assembly: Assembly, iri: str | None, message: str, severity: str) -> Problem:
    file, line, key = assembly.locate(iri) if iri else (None, None, None)
    return Problem(message, file=file, line=line, entity=key or iri, severity=severity)


def run_qc(store: EmbeddedStore, qc_dir: Path, assembly: Assembly) -> list[Problem]:
    """Run every ``*-violation.rq``; each row is a problem."""
    problems = []
    for path in sorted(qc_dir.glob("*-violation.rq")):
        result = store.select(path.read_text(encoding="utf-8"))
        for row in result.rows:
            entity = row.get("entity")
            severity = row["severity"].value if "severity" in row else "error"
            message = f"{row['message'].value if 'message' in row else 'violation'} [{path.stem}]"
            problems.append(_problem(assembly, entity.value if entity is not None else None,
                                     message, severity))
    return problems


def run_shacl(assembly: Assembly, shapes_dir: Path) -> list[Problem]:
    """Validate the union graph against ``ontology/shapes/*.ttl`` with pySHACL."""
    shapes = sorted(shapes_dir.glob("*.ttl"))
    if not shapes:
        return []
    import rdflib
    from pyshacl import validate

    data = rdflib.Graph()
    data.parse(data=_ntriples(assembly.quads), format="nt")
    shacl = rdflib.Graph()
    for path in shapes:
        shacl.parse(path, format="turtle")
    _, results, _ = validate(data, shacl_graph=shacl, inference="none",
                             advanced=False, allow_warnings=True)
    SH = rdflib.Namespace(V.SH)
    problems = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = str(results.value(result, SH.resultMessage) or "does not match its shape")
        severity = results.value(result, SH.resultSeverity)
        level = "error" if severity == SH.Violation else "warning"
        where = f"{_short(path)}: " if isinstance(path, rdflib.URIRef) else ""
        problems.append(_problem(assembly, str(focus), f"{where}{message} [shacl]", level))
    return sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.message))


def _short(term) -> str:
    text = str(term)
    for prefix, ns in V.PREFIXES.items():
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def _ntriples(quads) -> str:
    return "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)


def validate_assembly(assembly: Assembly, settings: Settings,
                      progress: Progress = _quiet) -> list[Problem]:
    """QC queries and SHACL on an assembled (not yet written) graph."""
    store = EmbeddedStore(MEMORY)
    store.extend(assembly.quads)
    problems = run_qc(store, settings.queries_dir / "qc", assembly)
    progress(f"QC queries: {len(problems)} finding(s)")
    shacl = run_shacl(assembly, settings.ontology_dir / "shapes")
    progress(f"SHACL: {len(shacl)} finding(s)")
    return list(dict.fromkeys(problems + shacl))  # one line per distinct finding


def run_reasoner(assembly: Assembly, settings: Settings, timeout_s: float = 180):
    """HermiT on the ontology plus the built data; problems for inconsistency."""
    from pockg.reasoning import check_consistency

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.nt"
        keep = [q for q in assembly.quads if q.graph_name != ox.NamedNode(V.graph("ontology"))]
        data.write_text(_ntriples(keep), encoding="utf-8")
        report = check_consistency([settings.ontology_dir / "pockg.ttl", data], timeout_s=timeout_s)
    problems = []
    if not report.consistent:
        problems.append(Problem("the ontology with the data is inconsistent (HermiT)"
                                + (f": {report.error}" if report.error else ""), file="ontology/pockg.ttl"))
    for cls in report.unsatisfiable:
        problems.append(Problem(f"unsatisfiable class {cls} (HermiT)", file="ontology/pockg.ttl"))
    return report, problems


def validate(settings: Settings, reasoning: bool = True,
             progress: Progress = _quiet) -> ValidationReport:
    """Everything ``pockg validate`` checks; raises DataError if data/ does not load."""
    report = ValidationReport()
    t = time.perf_counter()
    assembly = assemble(settings, progress)
    report.seconds["assemble"] = time.perf_counter() - t
    t = time.perf_counter()
    report.problems += validate_assembly(assembly, settings, progress)
    report.seconds["qc+shacl"] = time.perf_counter() - t
    if reasoning:
        t = time.perf_counter()
        progress("OWL reasoning with HermiT (starts Java)...")
        report.reasoning, problems = run_reasoner(assembly, settings)
        report.problems += problems
        report.seconds["reasoning"] = time.perf_counter() - t
    return report
