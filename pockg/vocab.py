"""IRIs of the pockg ontology and of the vocabularies it reuses.

Every ``pockg:`` term used by the loaders and queries is named here once; a
test checks that each is declared in ``ontology/pockg.ttl``.
"""

from __future__ import annotations

BASE = "https://w3id.org/pockg/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
USER = BASE + "user/"

POCKG = BASE + "ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
OA = "http://www.w3.org/ns/oa#"
FOAF = "http://xmlns.com/foaf/0.1/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES = {
    "pockg": POCKG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCT,
    "prov": PROV,
    "org": ORG,
    "oa": OA,
    "foaf": FOAF,
    "void": VOID,
    "dcat": DCAT,
    "sh": SH,
    "id": ID,
}

# Classes defined by pockg (local names).
CLASSES = (
    "PeaceOperation", "Resolution", "Mandate", "ProtectionStrategy",
    "SystemWideStrategy", "MissionOnlyStrategy", "ActionPlan",
    "ProtectionTier", "RiskCategory", "Threat", "Perpetrator",
    "VulnerableGroup", "VulnerabilityFactor", "Actor", "MissionSection",
    "Person", "ActorRole", "ProtectionActivity", "ActivityType",
    "CoordinationMechanism", "CoordinationLevel", "CapacityType",
    "Benchmark", "Indicator", "ReportingRequirement", "Recommendation",
    "Lesson", "ContestedQuestion", "Position", "Document", "Passage",
    "Paragraph", "Heading", "Footnote", "Source", "Claim",
    "FrameworkElement", "AreaOfResponsibility", "Country", "Topic",
    "Approach", "VerificationStatus", "PoCMandatedOperation", "OtherPeaceOperation",
    "ThematicResolution", "SourceGraph",
    # ingested documents and links to concepts
    "DocumentVersion", "OperativeParagraph", "ConceptLink", "LinkStatus", "LinkerModel",
    "DocumentRole", "PolicyDocument",
    # lessons and their curation
    "LifecycleState", "LifecycleTransition", "CurationEvent",
)

# Object properties (value is a resource).
OBJECT_PROPERTIES = (
    "country", "establishedBy", "establishes", "pocMandateBy",
    "givesPoCMandateTo", "hasPredecessor", "hasSuccessor",
    "operationStatus", "topic", "hasMandate", "mandateOf", "givenBy",
    "mandateAction", "extends", "expands", "renames", "terminates",
    "withdraws", "authorises", "reprioritises", "mandates", "mission",
    "hasStrategy", "scope", "draftingLead", "custodian", "publicity",
    "strategyStatus", "approach", "hasActionPlan", "addresses",
    "hasCoordinationMechanism", "actorCategory", "hasRole", "roleIn",
    "inSection", "hasFootnote", "hasPassage", "atPassage", "frameworkElement",
    "tier", "riskCategory", "about", "agreement", "mentions",
    "questionType", "hasPosition", "heldBy", "basedOnResolution", "level",
    "mechanismStatus", "ledBy", "member", "supports", "correspondsToTier",
    "hasEvidence", "verificationStatus", "lifecycleState",
    # ingested documents and links to concepts
    "currentVersion", "linkStatus", "suggestedByModel",
    # documents declared about strategies, and the coverage read from them
    "isTextOf", "reportsOn", "evaluates", "documentRole", "basedOnLink",
    "protectionAuthorisedBy", "addressedTo",
    # lessons and their curation
    "actionBody", "strategy", "institutionalisedBy", "validatedBy", "fromState",
    "toState", "requiresField", "eventOf",
)

# Datatype properties (value is a literal).
DATATYPE_PROPERTIES = (
    "acronym", "fullName", "startDate", "endDate", "resolutionNumber",
    "symbol", "meeting", "vote", "chapterVII", "subjectSummary",
    "thematic", "hasPoCLanguage", "paragraphRef", "until", "timeframe",
    "revisionCycle", "completedBy", "cadence", "roleDescription", "number",
    "order", "gist", "quote", "text", "contested", "questionText",
    "settled", "argument", "feedsReport", "purpose", "issuer", "isbn",
    "sourceType", "documentType", "isUNOperation",
    # ingested documents and links to concepts
    "contentHash", "score", "softwareVersion", "componentScore", "lexicalScore", "semanticScore",
    "closestConceptText", "learnedScore", "trainingDecisions",
    # the policy around the strategies
    "documentSymbol", "policyKind", "isoAlpha3Code", "isoNumericCode",
    # lessons and their curation
    "observation", "discussion", "conclusion", "recommendationText", "remedialAction",
    "validatedOn", "allowedRole", "isPublishedState", "isInitialState", "revision", "eventKind",
    "addedTriples", "removedTriples", "snapshot",
)


def term(local: str) -> str:
    """Full IRI of a pockg ontology term."""
    return POCKG + local


def entity(kind: str, key: str) -> str:
    """IRI of a curated entity: ``id/<kind>/<key>``."""
    return f"{ID}{kind}/{key}"


def graph(name: str) -> str:
    """IRI of a named graph built from data/."""
    return GRAPH + name


def compact(iri: str) -> str:
    """``https://w3id.org/pockg/id/operation/MONUC`` → ``operation/MONUC`` (other IRIs unchanged)."""
    return iri[len(ID):] if iri.startswith(ID) else iri


def expand(value: str) -> str:
    """The inverse of ``compact``: a full IRI stays as it is."""
    value = value.strip()
    if "://" in value or value.startswith("urn:"):
        return value
    return ID + value.lstrip("/")
