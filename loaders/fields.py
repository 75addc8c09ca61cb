"""How the fields of each data/ kind map to RDF.

One table per kind: ``field -> Field(predicate, value)``. ``value`` says how
the YAML value becomes an RDF term:

- ``text``: language-tagged literal(s) from ``{en: ..., fr: ...}`` or a string
- ``string``, ``integer``, ``boolean``, ``date`` (xsd:date, or xsd:gYear /
  xsd:gYearMonth for partial dates), ``uri`` (an IRI value)
- ``ref:<kind>``: the IRI of another entity of that kind (checked to exist)
- ``concept``: the IRI of a SKOS concept, by notation (checked to exist)

``inverse`` adds the reverse edge as well (same graph, same sources), so that
both directions can be followed without property paths.
"""

from __future__ import annotations

from dataclasses import dataclass

from pockg import vocab as V


@dataclass(frozen=True)
class Field:
    predicate: str
    value: str
    inverse: str | None = None
    claim: bool = True  # False: identity data, needs no citation


def P(local: str) -> str:
    return V.POCKG + local


LABEL = Field(V.SKOS + "prefLabel", "text", claim=False)
NOTES = Field(V.SKOS + "note", "text", claim=False)

KIND_CLASS = {
    "operation": P("PeaceOperation"),
    "resolution": P("Resolution"),
    "strategy": P("ProtectionStrategy"),
    "actor": P("Actor"),
    "country": P("Country"),
    "source": P("Source"),
    "document": P("Document"),
    "recommendation": P("Recommendation"),
    "question": P("ContestedQuestion"),
    "reporting": P("ReportingRequirement"),
    "coordination": P("CoordinationMechanism"),
    "policy": P("PolicyDocument"),
}

FIELDS: dict[str, dict[str, Field]] = {
    "operation": {
        "acronym": Field(P("acronym"), "string", claim=False),
        "alt_acronyms": Field(V.SKOS + "altLabel", "text", claim=False),
        "name": Field(P("fullName"), "text"),
        "country": Field(P("country"), "ref:country"),
        "start": Field(P("startDate"), "date"),
        "end": Field(P("endDate"), "date"),
        "established_by": Field(P("establishedBy"), "ref:resolution", inverse=P("establishes")),
        "poc_mandate": Field(P("pocMandateBy"), "ref:resolution", inverse=P("givesPoCMandateTo")),
        "protection_authorised_by": Field(P("protectionAuthorisedBy"), "ref:resolution"),
        "predecessor": Field(P("hasPredecessor"), "ref:operation", inverse=P("hasSuccessor")),
        "successor": Field(P("hasSuccessor"), "ref:operation", inverse=P("hasPredecessor")),
        "status": Field(P("operationStatus"), "concept"),
        "un_operation": Field(P("isUNOperation"), "boolean"),
    },
    "resolution": {
        "number": Field(P("resolutionNumber"), "integer", claim=False),
        "year": Field(V.DCT + "date", "skip", claim=False),
        "date": Field(V.DCT + "date", "date"),
        "meeting": Field(P("meeting"), "integer"),
        "vote": Field(P("vote"), "string"),
        "chapter_vii": Field(P("chapterVII"), "boolean"),
        "subject": Field(P("subjectSummary"), "text"),
        "thematic": Field(P("thematic"), "boolean"),
        "topics": Field(P("topic"), "concept"),
        "poc_language": Field(P("hasPoCLanguage"), "boolean"),
    },
    "strategy": {
        "mission": Field(P("mission"), "ref:operation", inverse=P("hasStrategy")),
        "title": Field(V.DCT + "title", "text"),
        "scope": Field(P("scope"), "concept"),
        "drafting_lead": Field(P("draftingLead"), "ref:actor"),
        "custodian": Field(P("custodian"), "ref:actor"),
        "timeframe": Field(P("timeframe"), "text"),
        "revision_cycle": Field(P("revisionCycle"), "text"),
        "publicity": Field(P("publicity"), "concept"),
        "status": Field(P("strategyStatus"), "concept"),
        "completed_by": Field(P("completedBy"), "date"),
        "adopted": Field(V.DCT + "issued", "date"),
        "revises": Field(V.PROV + "wasRevisionOf", "ref:strategy"),
        "approaches": Field(P("approach"), "concept"),
        "addresses": Field(P("addresses"), "concept"),
        "coordination": Field(P("hasCoordinationMechanism"), "ref:coordination"),
        # action_plans: nested entities, handled by the strategies loader
    },
    "actor": {
        "abbrev": Field(V.SKOS + "altLabel", "text", claim=False),
        "category": Field(P("actorCategory"), "concept"),
        "part_of": Field(V.ORG + "subOrganizationOf", "ref:actor|operation"),
        # roles: nested, handled by the actors loader
    },
    "country": {
        "alpha3": Field(P("isoAlpha3Code"), "string"),
        "numeric": Field(P("isoNumericCode"), "string"),
    },
    "source": {
        "title": Field(V.DCT + "title", "text", claim=False),
        "issuer": Field(P("issuer"), "string", claim=False),
        "date": Field(V.DCT + "date", "date", claim=False),
        "url": Field(V.RDFS + "seeAlso", "uri", claim=False),
        "type": Field(P("sourceType"), "string", claim=False),
    },
    "document": {
        "title": Field(V.DCT + "title", "text"),
        "type": Field(P("documentType"), "string", claim=False),
        "creators": Field(V.DCT + "creator", "ref:actor"),
        "publisher": Field(V.DCT + "publisher", "ref:actor"),
        "date": Field(V.DCT + "date", "date"),
        "isbn": Field(P("isbn"), "string"),
        "rights": Field(V.DCT + "rights", "text"),
        "url": Field(V.RDFS + "seeAlso", "uri"),
        # passages: nested, handled by the documents loader
    },
    "recommendation": {
        "at": Field(P("atPassage"), "passage"),
        "text": Field(P("text"), "text"),
        "framework_element": Field(P("frameworkElement"), "concept"),
        "tiers": Field(P("tier"), "concept"),
        "risk_categories": Field(P("riskCategory"), "concept"),
        "about": Field(P("about"), "concept"),
        "topics": Field(P("topic"), "concept"),
        "contested": Field(P("contested"), "boolean"),
        "agreement": Field(P("agreement"), "concept"),
        "mentions": Field(P("mentions"), "ref:operation|resolution|actor"),
        "addressed_to": Field(P("addressedTo"), "ref:actor"),
    },
    "question": {
        "at": Field(P("atPassage"), "passage"),
        "question": Field(P("questionText"), "text"),
        "type": Field(P("questionType"), "concept"),
        "settled": Field(P("settled"), "boolean"),
        # positions: nested, handled by the questions loader
    },
    "reporting": {
        "subject": Field(P("subjectSummary"), "text"),
        "resolutions": Field(P("basedOnResolution"), "ref:resolution"),
        "report": Field(P("feedsReport"), "text"),
    },
    "coordination": {
        "level": Field(P("level"), "concept"),
        "status": Field(P("mechanismStatus"), "concept"),
        "mission": Field(P("mission"), "ref:operation", inverse=P("hasCoordinationMechanism")),
        "led_by": Field(P("ledBy"), "ref:actor"),
        "members": Field(P("member"), "ref:actor"),
        "supports": Field(P("supports"), "ref:coordination"),
        "purpose": Field(P("purpose"), "text"),
    },
    "policy": {
        "title": Field(V.DCT + "title", "text", claim=False),
        "kind": Field(P("policyKind"), "string", claim=False),
        "issuer": Field(V.DCT + "publisher", "ref:actor"),
        "date": Field(V.DCT + "issued", "date"),
        "symbol": Field(P("documentSymbol"), "string"),
        "revises": Field(V.PROV + "wasRevisionOf", "ref:policy"),
        "url": Field(V.RDFS + "seeAlso", "uri", claim=False),
    },
}

# Nested entities.
ACTION_PLAN = {
    "label": LABEL,
    "cadence": Field(P("cadence"), "text"),
    "publicity": Field(P("publicity"), "concept"),
}
POSITION = {
    "label": LABEL,
    "argument": Field(P("argument"), "text"),
    "held_by": Field(P("heldBy"), "ref:actor"),
}
ROLE = {
    "role": Field(P("roleDescription"), "text"),
    "in": Field(P("roleIn"), "ref:operation"),
}
MANDATE = {
    "operation": Field(P("mandateOf"), "ref:operation"),
    "action": Field(P("mandateAction"), "concept"),
    "poc": Field(P("hasPoCLanguage"), "boolean"),
    "paragraph": Field(P("paragraphRef"), "string"),
    "until": Field(P("until"), "date"),
}
# Direct edge resolution -> operation per mandate action notation.
ACTION_EDGE = {
    "MA-ESTABLISHES": P("establishes"),
    "MA-EXTENDS": P("extends"),
    "MA-EXPANDS": P("expands"),
    "MA-RENAMES": P("renames"),
    "MA-TERMINATES": P("terminates"),
    "MA-WITHDRAWS": P("withdraws"),
    "MA-AUTHORISES": P("authorises"),
    "MA-REPRIORITISES": P("reprioritises"),
}
# YAML action word -> concept notation of scheme mandate-action.
ACTION_WORDS = {word[3:].lower(): notation for notation, word in
                ((n, n) for n in ACTION_EDGE)}

# YAML shorthand values -> concept notations.
SHORTHAND = {
    ("operation", "status"): {"active": "OST-ACTIVE", "closed": "OST-CLOSED"},
    ("coordination", "status"): {"recommended": "CMS-RECOMMENDED", "actual": "CMS-ACTUAL"},
}
