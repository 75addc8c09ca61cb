"""The JSON Schemas of data/ (data/schemas/*.schema.json).

Checks that the schemas are valid, that every $ref resolves, that each kind's
schema allows exactly the fields of loaders/fields.py (plus the documented
extra keys), and that a few small examples are accepted or rejected.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loaders.fields import (  # noqa: E402
    ACTION_PLAN,
    ACTION_WORDS,
    FIELDS,
    MANDATE,
    POSITION,
    ROLE,
    SHORTHAND,
)

SCHEMAS = ROOT / "data" / "schemas"
BASE = "https://w3id.org/pockg/schema/"

# data folder -> kind (the singular used in fields.py and in IRIs)
FOLDER_KIND = {
    "sources": "source",
    "documents": "document",
    "countries": "country",
    "actors": "actor",
    "operations": "operation",
    "resolutions": "resolution",
    "strategies": "strategy",
    "recommendations": "recommendation",
    "questions": "question",
    "reporting": "reporting",
    "coordination": "coordination",
    "policy-documents": "policy",
}
GROUP_FOLDERS = {"countries", "actors", "recommendations", "questions", "reporting", "coordination",
                 "policy-documents"}
EXPECTED_FILES = {f"{name}.schema.json" for name in
                  [*FOLDER_KIND, "dataset", "schemes", "common", "lifecycle", "lessons", "links",
                   "training", "document-roles"]}

# Keys every entity has besides its FIELDS, and the nested lists per kind.
ENTITY_EXTRA = {"id", "label", "notes", "editorial_notes", "cite"}
NESTED_EXTRA = {
    "resolution": {"actions"},
    "strategy": {"action_plans"},
    "actor": {"roles"},
    "document": {"passages"},
    "question": {"positions"},
}
# folder -> ($defs name of the nested item, fields.py table, extra keys)
NESTED = {
    "strategies": ("action_plan", ACTION_PLAN, {"id", "cite"}),
    "questions": ("position", POSITION, {"id", "cite"}),
    "actors": ("role", ROLE, {"cite"}),
    "resolutions": ("action", MANDATE, {"cite", "note", "status"}),
}
DATASET_KEYS = {"id", "title", "description", "version", "license", "license_name", "creators",
                "citation", "publisher", "homepage", "sources", "cite"}
SCHEME_KEYS = {"id", "concept_class", "title", "definition", "cite", "concepts"}
CONCEPT_KEYS = {"notation", "label", "alt", "hidden", "definition", "scope_note", "broader",
                "close_match", "related", "tier", "note", "cite", "deprecated", "replaced_by"}
PASSAGE_KEYS = {"n", "kind", "section", "title", "gist", "quotes", "footnotes"}


def load(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    return {p.name: load(p.name) for p in sorted(SCHEMAS.glob("*.schema.json"))}


@pytest.fixture(scope="module")
def registry(schemas) -> Registry:
    return Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values()
    )


def validator(name: str, schemas, registry) -> Draft202012Validator:
    return Draft202012Validator(schemas[f"{name}.schema.json"], registry=registry)


def walk(node, path=()):
    """Yield (path, subschema) for every mapping in a schema document."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, (*path, i))


def isoify(value):
    """What the loader does before validating: YAML dates become ISO strings."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: isoify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [isoify(v) for v in value]
    return value


def from_yaml(text: str):
    return isoify(yaml.safe_load(text))


def entity_schema(folder: str, schemas) -> dict:
    """The schema of one entity of a folder (the file itself, or an item of `items`)."""
    s = schemas[f"{folder}.schema.json"]
    if folder in GROUP_FOLDERS:
        ref = s["properties"]["items"]["items"]["$ref"]
        assert ref.startswith("#/$defs/")
        return s["$defs"][ref.removeprefix("#/$defs/")]
    return s


# ---------------------------------------------------------------- the schemas themselves

def test_one_schema_per_folder(schemas):
    assert set(schemas) == EXPECTED_FILES


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_schema_is_valid(name, schemas):
    s = schemas[name]
    Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"] == BASE + name


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_refs_resolve(name, schemas, registry):
    s = schemas[name]
    resolver = registry.resolver(base_uri=s["$id"])
    refs = [(path, node["$ref"]) for path, node in walk(s) if isinstance(node.get("$ref"), str)]
    if name != "common.schema.json":
        assert refs, "expected references to the common definitions"
    for path, ref in refs:
        resolved = resolver.lookup(ref)  # raises if unresolvable
        assert isinstance(resolved.contents, (dict, bool)), (path, ref)


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_closed_objects(name, schemas):
    """Every object schema is closed, so an unknown field (a typo) is an error.

    A `properties` next to a `$ref` only narrows the referenced (closed) schema,
    as in {"$ref": ".../claim", "properties": {"value": X}}; so does one under
    `if`/`then`/`else` of a closed object.
    """
    for path, node in walk(schemas[name]):
        if path and path[-1] in ("properties", "$defs", "if", "then", "else"):
            continue  # a mapping of names, or a narrowing of a closed object
        if "properties" in node and "$ref" not in node:
            assert node.get("additionalProperties") is False, path


# ---------------------------------------------------------------- schema <-> fields.py

@pytest.mark.parametrize("folder", sorted(FOLDER_KIND))
def test_properties_match_fields(folder, schemas):
    kind = FOLDER_KIND[folder]
    allowed = set(entity_schema(folder, schemas)["properties"])
    expected = set(FIELDS[kind]) | ENTITY_EXTRA | NESTED_EXTRA.get(kind, set())
    assert allowed == expected, (
        f"missing from schema: {sorted(expected - allowed)}; "
        f"not in fields.py: {sorted(allowed - expected)}")


@pytest.mark.parametrize("folder", sorted(NESTED))
def test_nested_properties_match_fields(folder, schemas):
    name, table, extra = NESTED[folder]
    allowed = set(schemas[f"{folder}.schema.json"]["$defs"][name]["properties"])
    assert allowed == set(table) | extra


def test_group_files(schemas):
    for folder in GROUP_FOLDERS:
        s = schemas[f"{folder}.schema.json"]
        assert s["required"] == ["items"]
        assert set(s["properties"]) == {"items", "cite"}
        assert s["properties"]["items"]["minItems"] == 1


def test_other_files(schemas):
    assert set(schemas["dataset.schema.json"]["properties"]) == DATASET_KEYS
    assert set(schemas["schemes.schema.json"]["properties"]) == SCHEME_KEYS
    assert set(schemas["schemes.schema.json"]["$defs"]["concept"]["properties"]) == CONCEPT_KEYS
    assert set(schemas["documents.schema.json"]["$defs"]["passage"]["properties"]) == PASSAGE_KEYS


def test_shorthand_and_action_words(schemas):
    def enum_of(prop):
        return prop["anyOf"][0]["enum"]

    op = schemas["operations.schema.json"]["properties"]["status"]
    assert set(enum_of(op)) == set(SHORTHAND[("operation", "status")])
    co = entity_schema("coordination", schemas)["properties"]["status"]
    assert set(enum_of(co)) == set(SHORTHAND[("coordination", "status")])
    action = schemas["resolutions.schema.json"]["$defs"]["action"]["properties"]["action"]
    assert set(action["enum"]) == set(ACTION_WORDS)


# ---------------------------------------------------------------- examples

OPERATION = """
id: MONUC
acronym: MONUC
alt_acronyms: [MONUC]
label: MONUC
name:
  en: United Nations Organization Mission in the Democratic Republic of the Congo
  fr: Mission de l'Organisation des Nations Unies en République démocratique du Congo
country: [COD]
start: {value: 1999-11-30, cite: un-press-sc6766}
end: 2010-06-30
established_by: "1279"
poc_mandate:
  - "1291"
  - {value: "1565", cite: {source: un-res-1565, quote: "to ensure the protection of civilians", status: V}}
  - {value: "1856", cite: [un-res-1856, workshop-2010 ¶8.2.1], note: Ch. VII}
successor: MONUSCO
status: closed
un_operation: true
cite: [wikipedia-monuc, workshop-2010 ¶fn3]
notes: {en: a note, fr: une note}
"""


@pytest.fixture
def operation():
    return from_yaml(OPERATION)


def errors(v: Draft202012Validator, instance) -> list[str]:
    return [e.message for e in v.iter_errors(instance)]


def test_valid_operation(operation, schemas, registry):
    v = validator("operations", schemas, registry)
    assert errors(v, operation) == []


@pytest.mark.parametrize("change", [
    pytest.param({"poc_mandat": ["1291"]}, id="unknown-field"),
    pytest.param({"cite": {"source": "un-press-sc6766", "status": "U"}}, id="status-U"),
    pytest.param({"start": {"value": "1999-11-30", "cite": "x", "status": "U"}}, id="claim-status-U"),
    pytest.param({"cite": {"source": "un-press-sc6766", "quote": "x" * 300}}, id="quote-300"),
    pytest.param({"id": "a b"}, id="bad-id"),
    pytest.param({"successor": "a b"}, id="bad-ref"),
    pytest.param({"start": "30/11/1999"}, id="bad-date"),
    pytest.param({"end": "99-11-30"}, id="short-year"),
    pytest.param({"status": "ended"}, id="bad-status"),
    pytest.param({"established_by": 1279}, id="resolution-as-integer"),
    pytest.param({"cite": "workshop-2010 8.2.1"}, id="citation-without-pilcrow"),
    pytest.param({"cite": []}, id="empty-cite-list"),
    pytest.param({"name": {"en": "x", "de": "y"}}, id="text-unknown-language"),
    pytest.param({"name": {}}, id="text-empty"),
    pytest.param({"start": {"value": "1999-11-30", "source": "x"}}, id="claim-unknown-key"),
    pytest.param({"un_operation": "yes"}, id="bool-as-string"),
])
def test_invalid_operation(change, operation, schemas, registry):
    v = validator("operations", schemas, registry)
    operation.update(change)
    found = list(v.iter_errors(operation))
    assert found, f"accepted: {change}"
    # The rest of the example is valid: every error is about the changed field
    # (an unknown field is reported on the entity itself).
    (key,) = change
    expected = [] if key not in v.schema["properties"] else [key]
    for e in found:
        assert list(e.absolute_path)[:len(expected)] == expected, e.message


def test_operation_without_id(operation, schemas, registry):
    del operation["id"]
    assert errors(validator("operations", schemas, registry), operation)


def test_partial_dates(operation, schemas, registry):
    v = validator("operations", schemas, registry)
    for value in ("1999", "1999-11", "1999-11-30"):
        operation["start"] = value
        assert errors(v, operation) == [], value


def test_valid_examples(schemas, registry):
    examples = {
        "dataset": """
            id: pockg
            title: {en: PoC knowledge graph, fr: Graphe de connaissances PdC}
            version: 0.1.0
            license: https://creativecommons.org/licenses/by/4.0/
            license_name: CC BY 4.0
            creators: [pockg contributors]
            citation: pockg contributors (2024). pockg.
            homepage: https://w3id.org/pockg/
            sources: [workshop-2010, un-press-sc6742]
        """,
        "sources": """
            id: un-press-sc6742
            title: Security Council extends mandate
            issuer: UN DPI
            date: 1999-10-22
            url: https://press.un.org/en/1999/19991022.sc6742.html
            type: press-release
        """,
        "documents": """
            id: workshop-2010
            title: {en: Workshop report}
            type: workshop-report
            creators: [OCHA]
            date: "2010"
            isbn: 978-0-000-00000-2
            passages:
              - {n: "8.2", kind: heading, title: Key Drafting Considerations}
              - n: "8.2.1"
                kind: paragraph
                section: "8.2"
                gist: {en: the drafting lead is Civil Affairs}
                quotes: [to Civil Affairs in MONUC]
                footnotes: [fn4]
        """,
        "countries": """
            items:
              - {id: COD, label: Democratic Republic of the Congo}
              - {id: ABYEI, label: {en: Abyei}}
            cite: iso-3166
        """,
        "actors": """
            cite: workshop-2010 ¶8.2.1
            items:
              - id: MONUC-CA
                label: Civil Affairs Section (MONUC)
                category: AC-MISSION-SECTION
                part_of: MONUC
                roles: [{role: drafting lead of the PoC strategy, in: MONUC}]
              - {id: OCHA, abbrev: [OCHA], category: {value: AC-UN-DEPT, cite: ocha-web}}
        """,
        "resolutions": """
            id: "1270"
            number: 1270
            year: 1999
            date: 1999-10-22
            meeting: 4054
            vote: unanimous
            chapter_vii: true
            subject: establishes UNAMSIL
            topics: [RT-POC, RT-MISSION]
            poc_language: true
            cite: un-press-sc6742
            actions:
              - operation: UNAMSIL
                action: establishes
                poc: true
                paragraph: "op. 14"
                until: 2000-04-22
                status: V
        """,
        "strategies": """
            id: MONUC-2009
            mission: MONUC
            title: MONUC PoC strategy
            scope: SCOPE-MISSION
            drafting_lead: MONUC-CA
            publicity: PUB-INTERNAL
            status: SST-COMPLETED
            completed_by: "2009"
            approaches: [APP-CONDITIONALITY]
            addresses: [T1, {value: T2, cite: workshop-2010 ¶8.2.1}]
            action_plans: [{id: MONUC-2009-AP1, label: provincial plans, publicity: PUB-INTERNAL}]
            cite: workshop-2010 ¶8.2.1
        """,
        "recommendations": """
            items:
              - id: R01
                at: "8.2.1"
                text: Give the drafting to one section.
                framework_element: FE1
                tiers: [T1, T2]
                contested: false
                agreement: AGR-AGREED
                mentions: [MONUC, "1894"]
        """,
        "questions": """
            items:
              - id: X1
                at: "8.3"
                question: Who should lead the drafting?
                type: QT-DISAGREEMENT
                settled: false
                positions:
                  - {id: X1-a, label: Civil Affairs, argument: it has field reach, held_by: [MONUC-CA]}
            cite: workshop-2010 ¶8.3
        """,
        "reporting": """
            items:
              - {id: RR-1894, label: SG report on PoC, resolutions: ["1894"], report: SG report on PoC}
            cite: un-res-1894
        """,
        "coordination": """
            items:
              - {id: K1, label: PoC working group, level: LVL-FIELD, status: actual, mission: MONUC,
                 led_by: MONUC-CA, members: [OCHA, MONUC-CA], purpose: coordinate PoC}
            cite: workshop-2010 ¶8.2.1
        """,
        "schemes": """
            id: tier-2010
            concept_class: pockg:Tier
            title: {en: Tiers of protection}
            definition: {en: The three tiers.}
            cite: workshop-2010 ¶4.1
            concepts:
              - notation: T1
                label: {en: protection through political process}
                alt: {en: [Tier 1, Tier I]}
                close_match: [T1-2015]
                related: [R1]
              - {notation: T0, label: old tier, deprecated: true, replaced_by: T1}
        """,
    }
    for name, text in examples.items():
        v = validator(name, schemas, registry)
        assert errors(v, from_yaml(text)) == [], name


@pytest.mark.parametrize("name, text", [
    ("countries", "items: []"),
    ("countries", "items: [{label: Congo}]"),
    ("countries", "items: [{id: COD}]\nnotes: file notes are not a field"),
    ("actors", "items: [{id: OCHA, roles: [{in: MONUC}]}]"),
    ("resolutions", 'id: "1270"\nactions: [{operation: UNAMSIL, action: establish}]'),
    ("resolutions", 'id: "1270"\nactions: [{action: establishes}]'),
    ("resolutions", "id: S-RES-1270"),
    ("documents", 'id: d\npassages: [{n: "1", kind: chapter}]'),
    ("documents", "id: d\npassages: [{n: 8.2, kind: heading}]"),
    ("documents", f'id: d\npassages: [{{n: "1", kind: paragraph, quotes: ["{"x" * 201}"]}}]'),
    ("schemes", "id: s\nconcepts: [{notation: T1}]"),
    ("schemes", "id: s\nconcepts: [{notation: T1, label: x, replaced_by: T2}]"),
    ("dataset", "id: pockg\ntitle: x\nversion: '1.0'\nlicense: https://x.org/l"),
    ("strategies", "id: S\nscope: MISSION"),
    ("coordination", "items: [{id: K1, status: planned}]"),
    ("training", 'document: training-x\nlanguage: en\npassages: [{n: "1", text: t}]'),
    ("training", 'document: x\nlanguage: en\npassages: [{n: "1", text: t, concepts: []}]'),
    ("training", 'document: training-x\nlanguage: de\npassages: [{n: "1", text: t, concepts: []}]'),
    ("training", 'document: training-x\nlanguage: en\npassages: [{n: "1", text: t, concepts: [T1, T1]}]'),
])
def test_invalid_examples(name, text, schemas, registry):
    assert errors(validator(name, schemas, registry), from_yaml(text)), text


def test_lessons_schema_has_exactly_the_fields_of_the_lesson_shape(schemas):
    from pockg.curation.fields import lesson_fields

    keys = {f.key for f in lesson_fields(pathlib.Path(__file__).resolve().parents[1] / "ontology" / "shapes")}
    assert set(schemas["lessons.schema.json"]["properties"]) - {"id"} == keys
