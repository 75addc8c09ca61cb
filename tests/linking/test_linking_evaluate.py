"""``pockg link evaluate``: the exact micro line, the other figures, a temporary store."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from pockg.cli import main
from pockg.linking.evaluate import GoldItem, read_gold, score
from pockg.linking.lexicon import CONCEPT
from support import require_report

from linking_docs import STRATEGY

MICRO = re.compile(r"^micro: precision (0(\.\d+)?|1(\.0+)?) recall (0(\.\d+)?|1(\.0+)?) "
                   r"f1 (0(\.\d+)?|1(\.0+)?)$", re.M)
WORKSHOP_GOLD = Path(__file__).resolve().parent.parent / "gold" / "workshop-2010.jsonl"


def write_gold(tmp_path, lines):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "strategy.md").write_text(STRATEGY, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return gold


def test_evaluate_prints_the_exact_micro_line_and_leaves_the_store_alone(tmp_path):
    gold = write_gold(tmp_path, [
        {"file": "docs/strategy.md", "passage": "1.1", "concepts": ["VG-IDP", "VG-REF", "AOR-GBV", "FE3"]},
        {"file": "docs/strategy.md", "passage": "2.1", "concepts": ["LVL-EXTERNAL", "LVL-HQ", "T1"]},
    ])
    store = tmp_path / "untouched-store"
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(gold), "-q"],
                                env={"POCKG_STORE": str(store)})
    assert result.exit_code == 0, result.output
    micro = [line for line in result.output.splitlines() if line.startswith("micro:")]
    assert len(micro) == 1 and MICRO.fullmatch(micro[0]), micro       # outside checks parse it
    components = re.findall(r"^component (\S+): precision \S+ recall \S+ f1 \S+$",
                            result.output, re.M)
    assert components == ["lexical", "semantic", "hybrid", "learned"]
    assert "configuration: learned" in result.output    # which one the micro line measures
    assert re.search(r"^model: learned layer [0-9a-f]{12}, trained .* left out of its training", result.output, re.M)
    assert re.search(r"^macro: precision \S+ recall \S+ f1 \S+$", result.output, re.M)
    assert "precision at 1/3/5:" in result.output and "ndcg at 5:" in result.output
    assert re.search(r"^T1 +1 +0 +0 +1 ", result.output, re.M)      # the per-concept table
    assert not store.exists()                                      # POCKG_STORE never opened


def test_evaluate_json_has_every_figure(tmp_path):
    gold = write_gold(tmp_path, [
        {"file": "docs/strategy.md", "passage": "1.1", "concepts": ["VG-IDP"]},
        {"file": "docs/strategy.md", "passage": "9.9", "concepts": ["FE1"]},
    ])
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(gold), "--format", "json", "-q"],
                                env={"POCKG_STORE": str(tmp_path / "s")})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"micro", "macro", "precision_at", "ndcg_at_5", "per_concept", "unresolved"}
    assert data["micro"]["recall"] == 0.5                   # the unknown passage 9.9 counts as missed
    assert data["unresolved"] == ["strategy.md ¶9.9"]


def test_a_bad_gold_file_is_a_clear_error(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"file": "nowhere.pdf", "passage": "1", "concepts": []}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(gold)])
    assert result.exit_code == 3 and "no file nowhere.pdf" in result.output


def test_a_2015_tier_does_not_count_as_the_2010_tier(tmp_path):
    f = tmp_path / "doc.txt"
    items = [GoldItem(f, "1", [CONCEPT + "T2"], 1)]
    report = score(items, {(f, "1"): {CONCEPT + "T2-2015": 0.9}}, 0.5)
    assert (report.counts["tp"], report.counts["fp"], report.counts["fn"]) == (0, 1, 1)
    report = score(items, {(f, "1"): {CONCEPT + "T2": 0.9, CONCEPT + "T3": 0.4}}, 0.5)
    assert report.micro.f1 == 1.0 and report.precision_at[1] == 1.0 and report.ndcg_at_5 == 1.0


def test_the_workshop_gold_keeps_its_floor_for_each_configuration():
    """The words-and-meaning rule keeps the 0.89 it reached on the report; the
    learned layer, which never learns the report's own reviewed links when it
    is scored on the report, keeps at least 0.78 (measured 0.80 on 2026-12-07;
    the report is a genre its training passages only imitate)."""
    require_report()
    assert len(read_gold(WORKSHOP_GOLD)) >= 80
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(WORKSHOP_GOLD), "-q"])
    assert result.exit_code == 0, result.output
    f1 = {name: float(value) for name, value in
          re.findall(r"^component (\S+): precision \S+ recall \S+ f1 (\S+)$", result.output, re.M)}
    assert f1["hybrid"] >= 0.89, result.output
    assert f1["learned"] >= 0.78, result.output
    assert float(MICRO.search(result.output).group(7)) == f1["learned"]


def test_link_run_stores_links_for_an_ingested_document(curated_store_path, tmp_path):
    import shutil

    from pockg.linking.annotations import existing_links
    from pockg.store import open_store

    store_dir = tmp_path / "store"
    shutil.copytree(curated_store_path, store_dir)
    doc = tmp_path / "strategy.md"
    doc.write_text(STRATEGY, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(doc), "--id", "test-strategy", "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["link", "run", "test-strategy", "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    assert re.search(r"linked 1 document: [1-9]\d* links", result.output)
    result = runner.invoke(main, ["link", "run", "--store", str(store_dir)])
    assert result.exit_code == 2 and "--all" in result.output
    store = open_store(store_dir)
    try:
        assert any(l.body.endswith("/VG-IDP") for l in existing_links(store))
    finally:
        store.close()
