"""`assay judge audit` and `assay arena ratings` on battles files (the CLI's `main` in
process, to keep the suite fast; tests/unit/test_cli.py runs it as a subprocess); `assay arena
run` with real bundled models is in tests/integration/test_judges_real.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from assay.cli import main
from assay.core.pairwise import Battle, Outcome


@pytest.fixture
def assay(capsys):  # type: ignore[no-untyped-def]
    def call(*args: str) -> SimpleNamespace:
        code = main(list(args))
        captured = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)
    return call


def write_battles(path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for k in range(80):  # "a" is better; the judge also likes position A a lot
        for first, second in (("a", "b"), ("b", "a")):
            outcome = Outcome.FIRST if rng.random() < 0.8 else (
                Outcome.FIRST if (first == "a") == (rng.random() < 0.7) else Outcome.SECOND)
            rows.append(Battle(f"i{k}", first, second, outcome, "qwen", 100 + k, 120))
    path.write_text("".join(json.dumps(b.to_dict()) + "\n" for b in rows))


def test_judge_audit_flags_position_bias_and_reports_human_agreement(tmp_path: Path, assay) -> None:
    battles = tmp_path / "battles.jsonl"
    write_battles(battles)
    labels = tmp_path / "human.jsonl"
    labels.write_text("".join(json.dumps({"id": f"i{k}::a::b", "label": "A", "category": "chat"}) + "\n"
                              for k in range(20)))
    done = assay("judge", "audit", str(battles), "--human", str(labels), "--baseline", "b",
                 "--json", str(tmp_path / "audit.json"))
    assert done.returncode == 0, done.stderr
    assert "FLAGGED" in done.stdout and "first answer wins" in done.stdout and "length-controlled" in done.stdout
    assert "agreement with human labels" in done.stdout
    report = json.loads((tmp_path / "audit.json").read_text())
    assert report["position"]["flagged"] and report["position"]["p_value"] < 0.01
    assert report["human_agreement"][0]["n"] == 20

    labels.write_text(json.dumps({"id": "nope::a::b", "label": "A"}) + "\n")
    bad = assay("judge", "audit", str(battles), "--human", str(labels))
    assert bad.returncode == 2 and "human.jsonl:1" in bad.stderr and "never judged" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_arena_ratings_prints_a_leaderboard_with_intervals(tmp_path: Path, assay) -> None:
    battles = tmp_path / "battles.jsonl"
    write_battles(battles)
    done = assay("arena", "ratings", str(battles), "--n-boot", "100", "--judge-noise", "--json", str(tmp_path / "r.json"),
                 "--html", str(tmp_path / "arena.html"))
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert rows[0]["model"] == "a" and rows[0]["ci_low"] < rows[0]["rating"] < rows[0]["ci_high"]
    assert "judge" in done.stdout and "noise" in done.stdout and "online Elo" in done.stdout
    page = (tmp_path / "arena.html").read_text()
    assert page.count("<circle") == 2 and "Judge audit" in page and "FLAGGED" in page

    battles.write_text('{"item": "i", "first": "a", "second": "b", "outcome": "sideways"}\n')
    bad = assay("arena", "ratings", str(battles))
    assert bad.returncode == 2 and "battles.jsonl:1" in bad.stderr and "outcome" in bad.stderr


def test_arena_section_escapes_model_names_and_draws_every_interval() -> None:
    from assay.analyses.judge_audit import audit_judge
    from assay.report.arena_html import arena_section
    from assay.stats.rating import bradley_terry

    evil = '<script>alert("x")</script>'
    battles = [Battle(f"i{k}", evil, "b", Outcome.FIRST if k % 3 else Outcome.SECOND, "j", 10, 20) for k in range(30)]
    ratings = bradley_terry(battles, n_boot=50)
    html = str(arena_section(ratings, audit=audit_judge(battles), human=ratings))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<circle") == 4 and html.count("<line x1") >= 4  # two boards, two models each


def test_judge_preference_needs_exactly_one_reward(assay) -> None:  # type: ignore[no-untyped-def]
    data = Path(__file__).resolve().parents[1] / "data" / "preference" / "dpo_en_demo_shortest40.json"
    done = assay("judge", "preference", str(data), "--policy", "smollm2")
    assert done.returncode == 2 and "exactly one reward" in done.stderr
    done = assay("judge", "preference", str(data), "--reference", "gemma3-270m")
    assert done.returncode == 2 and "--policy" in done.stderr


def test_judge_audit_self_preference(tmp_path: Path, assay) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    rows = []
    for k in range(120):
        for judge, p_self in (("a", 0.85), ("other", 0.5)):  # judge "a" favours model "a"
            for first, second in (("a", "b"), ("b", "a")):
                a_wins = rng.random() < p_self
                rows.append(Battle(f"i{k}", first, second, Outcome.FIRST if a_wins == (first == "a") else Outcome.SECOND,
                                   judge))
    path = tmp_path / "battles.jsonl"
    path.write_text("".join(json.dumps(b.to_dict()) + "\n" for b in rows))
    done = assay("judge", "audit", str(path), "--self-preference", "a=a", "--json", str(tmp_path / "a.json"))
    assert done.returncode == 0, done.stderr
    assert "FLAGGED" in done.stdout[done.stdout.index("self-preference"):]
    (result,) = json.loads((tmp_path / "a.json").read_text())["self_preference"]
    assert result["flagged"] and result["difference"] > 0.2 and result["p_value"] < 0.01
    bad = assay("judge", "audit", str(path), "--self-preference", "nobody")
    assert bad.returncode == 2 and "JUDGE=MODEL" in bad.stderr
