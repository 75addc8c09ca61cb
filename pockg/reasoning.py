"""OWL consistency checking with HermiT (through owlready2), in a killable subprocess.

``check_consistency(paths)`` parses the inputs (Turtle or N-Triples) with
rdflib, refuses anything that would make owlready2 reach outside the process
(``owl:imports``, owlready2's ``python_module`` annotation), writes one
N-Triples file per input into a temporary folder and runs

    python -m pockg.reasoning FILE...

in a new process group. The child loads the files into a fresh owlready2
world, runs HermiT (``sync_reasoner``, ``infer_property_values=False``) and
prints one JSON object on stdout. The parent kills the whole process group
(the child and its Java process) once ``timeout_s`` has passed, so a runaway
reasoner cannot hang the caller.

An inconsistent input is a result, not an error: ``consistent`` is False.
``ReasoningError`` is raised only when the reasoner could not run (no Java,
timeout, unreadable or refused input). When Java ran but HermiT failed on the
input, the report has ``consistent=False`` and the message in ``error``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pockg.errors import ReasoningError

OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
# owlready2 imports the Python module named by this annotation when it loads an
# ontology: never let an input carry it (or anything else in that namespace).
OWLREADY_NS = "http://www.lesfleursdunormal.fr/static/_downloads/owlready_ontology.owl#"
JAVA = "java"
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ReasoningReport:
    """What HermiT found. ``seconds`` is the wall time of the reasoner process."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Consistent, with no unsatisfiable class and no reasoner error."""
        return self.consistent and not self.unsatisfiable and self.error is None


def _guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".nt", ".ntriples"):
        return "nt"
    if suffix in (".ttl", ".turtle"):
        return "turtle"
    raise ReasoningError(f"{path}: not a Turtle (.ttl) or N-Triples (.nt) file")


def _to_ntriples(paths: list[Path], folder: Path) -> list[Path]:
    """Parse each input with rdflib, refuse unsafe content, write N-Triples."""
    import rdflib

    outputs = []
    for index, path in enumerate(paths):
        path = Path(path)
        if not path.is_file():
            raise ReasoningError(f"{path}: no such file")
        graph = rdflib.Graph()
        try:
            graph.parse(path, format=_guess_format(path))
        except ReasoningError:
            raise
        except Exception as exc:  # rdflib raises many parser-specific types
            raise ReasoningError(f"{path}: cannot be parsed: {exc}") from exc
        imports = sorted(str(o) for o in graph.objects(None, rdflib.URIRef(OWL_IMPORTS)))
        if imports:
            raise ReasoningError(
                f"{path}: owl:imports is refused (imports are never followed, "
                f"nothing is fetched); merge the imported ontology into the input "
                f"instead: {', '.join(imports)}")
        for _s, p, _o in graph:
            if str(p).startswith(OWLREADY_NS):
                raise ReasoningError(f"{path}: owlready2 control property {p} is refused")
        out = folder / f"input-{index}.nt"
        graph.serialize(destination=str(out), format="nt", encoding="utf-8")
        outputs.append(out)
    return outputs


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie that will not die
        pass


def check_consistency(turtle_or_ntriples_paths: list[Path], timeout_s: float = 120) -> ReasoningReport:
    """Run HermiT over the union of the inputs; see the module docstring."""
    paths = [Path(p) for p in turtle_or_ntriples_paths]
    if not paths:
        raise ReasoningError("no input files to reason over")
    if shutil.which(JAVA) is None:
        raise ReasoningError("Java is not installed or not on PATH; HermiT needs it")
    with tempfile.TemporaryDirectory(prefix="pockg-reasoning-") as tmp:
        files = _to_ntriples(paths, Path(tmp))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        command = [sys.executable, "-m", "pockg.reasoning", *map(str, files)]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp, env=env,
            start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ReasoningError(
                f"HermiT did not finish within {timeout_s:g} s; the reasoner was stopped")
        except BaseException:
            _kill_group(proc)
            raise
        seconds = time.perf_counter() - started
    text = stdout.decode("utf-8", "replace").strip()
    try:
        result = json.loads(text.splitlines()[-1]) if text else None
    except json.JSONDecodeError:
        result = None
    if not isinstance(result, dict):
        tail = stderr.decode("utf-8", "replace").strip()[-2000:]
        raise ReasoningError(
            f"the reasoner process failed (exit code {proc.returncode}): {tail or 'no output'}")
    if result.get("fatal"):
        raise ReasoningError(result["fatal"])
    return ReasoningReport(
        consistent=bool(result.get("consistent")),
        unsatisfiable=list(result.get("unsatisfiable", [])),
        seconds=seconds,
        error=result.get("error"),
    )


# --------------------------------------------------------------------------
# Child process: python -m pockg.reasoning FILE...
# --------------------------------------------------------------------------

def _refuse_network(*_args, **_kwargs):
    raise OSError("pockg.reasoning: network access is disabled in the reasoner process")


def _reason(files: list[str]) -> dict:
    import urllib.request

    urllib.request.urlopen = _refuse_network  # owlready2 fetches through this
    for name in files:
        with open(name, encoding="utf-8") as handle:
            for line in handle:
                if OWL_IMPORTS in line or OWLREADY_NS in line:
                    return {"fatal": f"{name}: owl:imports or owlready2 control triples are refused"}

    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None:
        return {"fatal": "Java is not installed or not on PATH; HermiT needs it"}
    world = owlready2.World()
    for index, name in enumerate(files):
        onto = world.get_ontology(f"https://w3id.org/pockg/reasoning/input/{index}#")
        with open(name, "rb") as handle:
            onto.load(fileobj=handle, format="ntriples", only_local=True)
    try:
        owlready2.sync_reasoner_hermit(
            world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True)
    except owlready2.OwlReadyInconsistentOntologyError:
        return {"consistent": False, "unsatisfiable": []}
    except owlready2.OwlReadyJavaError as exc:
        return {"consistent": False, "unsatisfiable": [], "error": str(exc).strip()[-2000:]}
    except FileNotFoundError as exc:  # java vanished between the check and the call
        return {"fatal": f"cannot start Java: {exc}"}
    unsatisfiable = sorted(
        cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing)
    return {"consistent": True, "unsatisfiable": unsatisfiable}


def main(argv: list[str] | None = None) -> int:
    files = list(sys.argv[1:] if argv is None else argv)
    if not files:
        print("usage: python -m pockg.reasoning FILE.nt...", file=sys.stderr)
        return 2
    try:
        result = _reason(files)
    except Exception as exc:  # report, do not crash without JSON
        result = {"fatal": f"reasoner setup failed: {type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
