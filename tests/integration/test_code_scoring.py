"""Code scoring end to end with the real sandbox: HumanEval's own solutions pass, each bad
answer gets its own status, pass@k over several answers, retries expose flakiness, a
sandbox error is never counted wrong, DPE references land on their levels, the CLI prints
its JSON, and `assay run` scores a real model's programs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from assay.core.responses import Completion
from assay.core.sample import Sample
from assay.scoring.code import CodeExecution
from assay.scoring.efficiency import EfficiencyScorer
from assay.scoring.sandbox import Mechanism, Sandbox, SandboxLimits, SandboxUnavailableError, Status
from assay.scoring.sandbox.mechanisms import resolve
from assay.stats.passk import pass_at_k
from assay.tasks.code_tasks import make_code_task
from assay.tasks.suites import code_perf


@pytest.fixture(scope="module")
def humaneval() -> list[Sample]:
    return list(make_code_task("humaneval").load())


@pytest.fixture(scope="module")
def scorer() -> CodeExecution:
    return CodeExecution(k=(1, 2), timeout_s=5)


def _fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```\n"


def test_humaneval_ships_164_problems_and_its_solutions_pass(humaneval, scorer) -> None:
    assert len(humaneval) == 164
    for sample in humaneval[:4]:
        meta = sample.metadata
        whole = meta["prompt"] + meta["canonical_solution"]
        score = scorer(sample, Completion((_fenced(whole), whole)))
        assert score.values == {"pass@1": 1.0, "pass@2": 1.0}, score.explanation


def test_each_bad_answer_gets_its_own_status(humaneval, scorer) -> None:
    sample = humaneval[0]
    wrong = "def has_close_elements(numbers, threshold):\n    return True\n"
    answers = ("", "```python\ndef has_close_elements(:\n```", _fenced(wrong) + _fenced(wrong.replace("True", "False")),
               _fenced(wrong), _fenced("def has_close_elements(numbers, threshold):\n    while True:\n        pass\n"))
    statuses = [r[0] for r in scorer.run_answers(sample, answers)]
    assert statuses == ["empty_answer", "syntax_error", "several_blocks", "failed", "timeout"]
    score = scorer(sample, Completion(answers[:2]))
    assert score.values["pass@1"] == 0.0 and "empty_answer 1" in score.explanation


def test_pass_at_k_over_several_answers(humaneval, scorer) -> None:
    sample = humaneval[2]
    good = sample.metadata["prompt"] + sample.metadata["canonical_solution"]
    bad = sample.metadata["prompt"] + "    return 0.0\n"
    score = scorer(sample, Completion((good, bad, bad, good)))
    assert score.values["pass@1"] == pytest.approx(0.5)
    assert score.values["pass@2"] == pytest.approx(pass_at_k(4, 2, 2)) == pytest.approx(5 / 6)


def test_tests_that_fail_on_their_reference_are_not_blamed_on_the_answer(scorer) -> None:
    broken = Sample("broken", "x", "", metadata={"entry_point": "f", "tests": "assert f(1) == 3\n",
                                                  "reference": "def f(x):\n    return x + 1\n"})
    score = scorer(broken, Completion((_fenced("def f(x):\n    return x + 1\n"),)))
    assert math.isnan(score.values["pass@1"]) and "test_error" in score.explanation
    unparsable = Sample("unparsable", "x", "", metadata={"entry_point": "f", "tests": "assert f(1 ==\n"})
    assert "test code is not valid Python" in scorer(unparsable, Completion(("def f(x): return x",))).explanation


def test_a_sandbox_error_is_never_counted_wrong(humaneval) -> None:
    scorer = CodeExecution(timeout_s=5)
    scorer.sandbox.python = "/nonexistent/python3"  # the sandbox cannot start the interpreter
    result = scorer.sandbox.run("print(1)")
    assert result.status is Status.SANDBOX_ERROR and result.message
    score = scorer(humaneval[0], Completion(("def has_close_elements(n, t):\n    return True\n",)))
    assert math.isnan(score.values["pass@1"])


def test_retries_turn_a_flaky_failure_into_a_flagged_pass() -> None:
    box = Sandbox(SandboxLimits(timeout_s=5), retries=25)
    result = box.run("import os, sys\nsys.exit(os.urandom(1)[0] % 2)\n")  # fails half the time
    assert result.passed
    assert result.flaky == (result.attempts > 1)
    scorer = CodeExecution(retries=25)
    flaky = Sample("flaky", "x", "", metadata={"entry_point": "f", "tests": "import os\nassert os.urandom(1)[0] % 2\n"})
    score = scorer(flaky, Completion(("def f():\n    pass\n",) * 4))
    assert score.values["pass@1"] == 1.0 and 0.0 <= score.values["flaky"] <= 1.0
    assert "flaky" in scorer.metrics


def test_no_silent_fallback_without_network_isolation() -> None:
    with pytest.raises(SandboxUnavailableError, match="--unsafe"):
        resolve(Mechanism.NONE, unsafe=False)


def test_dpe_references_land_on_their_levels() -> None:
    sample = code_perf.generate(4, 0)[3]  # longest increasing subsequence: O(n^2) vs O(n log n)
    scorer = EfficiencyScorer()
    matches = scorer.match_references(sample)
    assert [m.level for m in matches] == [1, 2]
    fast = sample.metadata["perf_levels"][1]["reference"]
    score = scorer(sample, Completion((_fenced(fast),)))
    assert score.values["pass@1"] == 1.0 and score.values["dpe"] == 1.0, score.explanation
    wrong = scorer(sample, Completion((_fenced(fast.replace("return len(tails)", "return len(tails) + 1")),)))
    assert wrong.values["pass@1"] == 0.0 and math.isnan(wrong.values["dpe"])


def test_cli_prints_the_json_result(tmp_path: Path) -> None:
    program = tmp_path / "hello.py"
    program.write_text("print('hi')\nraise SystemExit(3)\n")
    done = subprocess.run([sys.executable, "-m", "assay", "sandbox", "run", str(program), "--timeout", "5",
                           "--memory-mb", "256", "--json"], capture_output=True, text=True, timeout=60)
    data = json.loads(done.stdout)
    assert {"status", "exit_code", "stdout", "stderr", "wall_s", "mechanism"} <= set(data)
    assert (data["status"], data["exit_code"], data["stdout"], data["mechanism"]) == ("failed", 3, "hi\n", "bwrap")
    assert done.returncode == 1


@pytest.mark.slow
def test_assay_run_scores_a_real_models_programs(tmp_path: Path) -> None:
    import assay

    run = assay.evaluate("llamacpp:smollm2", ["code-gen:n=2,max_tokens=48"], cache=tmp_path / "c.sqlite",
                         model_args={"n_threads": 1})
    assert [r.sample_id for r in run.samples] == ["code-00000", "code-00001"]
    for record in run.samples:
        assert record.scores["pass@1"] in (0.0, 1.0)  # a verdict, not a sandbox error
        assert record.metadata["score_note"]           # the status (and why) is in the log
    assert "pass@1" in run.metrics["code-gen"]


def test_the_report_shows_a_code_section_with_statuses() -> None:
    import assay
    from assay.report.code import status_counts
    from assay.report.html import build_report
    from assay.testing.instant import InstantModel

    assert status_counts("failed 2, passed 1 — failed: AssertionError") == {"failed": 2, "passed": 1}
    run = assay.evaluate(InstantModel(), ["code-gen:n=3"], cache=None)
    html = build_report([run])
    section = html[html.index('<section id="code">'):]
    assert "code-gen" in section and "pass@1" in section and "answer statuses" in section
