"""Curated training passages of the linker's learned layer (``data/training/``).

Each file is one document of original passages, each with the concepts a
careful reader would tag. The build checks them (schema, unknown notations,
passages listed twice) so a mistake names its file and line, and emits
nothing: the passages are training material, not facts of the graph.
``pockg.linking.training`` reads the checked records.
"""

from __future__ import annotations

from loaders.base import Loader
from loaders.context import Context


class TrainingLoader(Loader):
    name, kind = "training", "trainingset"

    def read(self, ctx: Context) -> None:
        super().read(ctx)
        for record in self.records:
            record.id = str(record.data.get("document"))

    def index(self, ctx: Context) -> None:
        seen: set[str] = set()
        for record in self.records:
            if record.id in seen:
                ctx.problem(f"document: {record.id!r} is used by another file of data/training/",
                            record, "document")
            seen.add(record.id)

    def emit(self, ctx: Context) -> None:
        for record in self.records:
            passages = record.data["passages"]
            numbers: set[str] = set()
            for i, entry in enumerate(passages):
                line = passages.item_lines[i]
                n = str(entry["n"])
                if n in numbers:
                    ctx.problem(f"passages: passage ¶{n} is listed twice", record, line=line)
                numbers.add(n)
                for notation in entry["concepts"]:
                    if str(notation) not in ctx.concepts:
                        ctx.problem(f"passages: ¶{n}: unknown concept notation {notation!r}",
                                    record, line=line)
