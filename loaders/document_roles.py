"""What stored documents are: the text of a strategy or mandate, or a report or
evaluation about a strategy, mandate or mission (``data/document-roles/``).

Each declaration becomes one edge in the graph ``graph/document-roles``::

    id:document/<doc> pockg:isTextOf | pockg:reportsOn | pockg:evaluates <target> .

The document may be one of data/documents/ or one ingested into the store
later (its id is then only checked for form); the target must exist.
``pockg.coverage`` turns a declared document's accepted links into evidence
of the strategy's coverage.
"""

from __future__ import annotations

from loaders.base import Loader
from loaders.context import Context, nn
from pockg import vocab as V
from pockg.coverage import CURATED_ROLES_GRAPH, ROLES, TARGET_KINDS

# id kind -> the roles a document may have for it (as pockg.coverage allows them)
KINDS = {kind: TARGET_KINDS[V.term(cls)][1] for kind, cls in
         (("strategy", "ProtectionStrategy"), ("resolution", "Resolution"),
          ("operation", "PeaceOperation"))}


class DocumentRolesLoader(Loader):
    name, kind = "document-roles", "document-roles"

    def index(self, ctx: Context) -> None:
        seen: dict[str, str] = {}
        for record in self.records:
            items = record.data["declarations"]
            for i, item in enumerate(items):
                doc = str(item["document"])
                if doc in seen:
                    ctx.problem(f"declarations: document {doc!r} is declared twice (first in "
                                f"{seen[doc]}); list all it concerns under one `about`",
                                record, line=items.item_lines[i])
                seen.setdefault(doc, f"{record.file}:{items.item_lines[i]}")

    def emit(self, ctx: Context) -> None:
        g = CURATED_ROLES_GRAPH
        for record in self.records:
            items = record.data["declarations"]
            for i, item in enumerate(items):
                line = items.item_lines[i]
                role = str(item["role"])
                doc = nn(V.entity("document", str(item["document"])))
                for about in item["about"]:
                    kind, _, key = str(about).partition("/")
                    if kind not in KINDS or not key:
                        ctx.problem(f"about: {about!r} is not an id path such as "
                                    f"strategy/UNMIS-2009, resolution/1925 or operation/MONUC",
                                    record, line=line)
                        continue
                    if key not in ctx.ids.get(kind, {}):
                        ctx.problem(f"about: {about!r} does not exist in data/", record,
                                    line=line)
                        continue
                    if role not in KINDS[kind]:
                        ctx.problem(f"role: a document cannot be the {role} of a {kind} "
                                    f"({about}); use report or evaluation", record, line=line)
                        continue
                    ctx.add(doc, V.term(ROLES[role][0]), nn(V.entity(kind, key)), g)
