"""Code scoring without running anything: extraction statuses, problem layouts, status
classification, options, DPE level matching and the generated suites' determinism."""

from __future__ import annotations

import math
import signal

import pytest

from assay.core.sample import Sample
from assay.errors import ConfigError, DataError
from assay.scoring.code import CodeProblem
from assay.scoring.code_extract import ExtractStatus, extract_code
from assay.scoring.dpe import match_level, separation
from assay.scoring.sandbox.limits import SandboxLimits
from assay.scoring.sandbox.result import Status, classify
from assay.tasks.code_tasks import parse_code_options
from assay.tasks.suites import code, code_perf


def test_fenced_bare_empty_invalid_and_several_blocks_are_told_apart() -> None:
    assert extract_code("```python\ndef f(x):\n    return x\n```", "f").status is ExtractStatus.OK
    bare = extract_code("def f(x):\n    return x\n", "f")
    assert bare.status is ExtractStatus.OK and not bare.fenced
    assert extract_code("   \n", "f").status is ExtractStatus.EMPTY
    assert extract_code("```python\n\n```", "f").status is ExtractStatus.EMPTY
    bad = extract_code("```python\ndef f(x) return x\n```", "f")
    assert bad.status is ExtractStatus.SYNTAX and "not valid Python" in bad.message
    two = "```python\ndef f(x):\n    return 1\n```\nor\n```python\ndef f(x):\n    return 2\n```"
    several = extract_code(two, "f")
    assert several.status is ExtractStatus.SEVERAL and "cannot tell" in several.message
    # a usage example beside the one definition is not ambiguous
    usage = "```python\ndef f(x):\n    return 1\n```\n```python\nprint(f(3))\n```"
    picked = extract_code(usage, "f")
    assert picked.status is ExtractStatus.OK and "return 1" in picked.code


def test_a_body_continues_the_prompt() -> None:
    prompt = "def add(a, b):\n    \"\"\"Add.\"\"\"\n"
    found = extract_code("    return a + b\n", "add", prompt)
    assert found.status is ExtractStatus.OK
    problem = CodeProblem("p", prompt, "assert add(1, 2) == 3\n", "add", None)
    assert problem.program(found.code).startswith(prompt + "    return a + b")


def test_problem_layouts_and_missing_tests() -> None:
    he = Sample("h", "x", "", metadata={"prompt": "def g():\n", "entry_point": "g", "test": "def check(c):\n    pass\n",
                                        "canonical_solution": "    return 1\n"})
    assert CodeProblem.from_sample(he).tests.endswith("check(g)\n")
    mbpp = Sample("m", "x", "", metadata={"test_list": ["assert g() == 1"], "code": "def g():\n    return 1\n"})
    assert CodeProblem.from_sample(mbpp).reference.startswith("def g")
    with pytest.raises(DataError, match="no tests"):
        CodeProblem.from_sample(Sample("z", "x", "", metadata={}))


@pytest.mark.parametrize("exit_code,stderr,timed_out,started,expected", [
    (0, "", False, True, Status.PASSED),
    (1, "Traceback\nAssertionError: bad", False, True, Status.FAILED),
    (None, "", True, True, Status.TIMEOUT),
    (1, "Traceback\nMemoryError", False, True, Status.MEMORY),
    (128 + signal.SIGKILL, "", False, True, Status.KILLED),
    (128 + signal.SIGXCPU, "", False, True, Status.TIMEOUT),
    (1, "bwrap: setting up uid map: Permission denied", False, False, Status.SANDBOX_ERROR),
])
def test_statuses(exit_code, stderr, timed_out, started, expected) -> None:
    status, message = classify(exit_code, stderr, timed_out=timed_out, started=started)
    assert status is expected
    assert expected is Status.PASSED or message
    assert Status.SANDBOX_ERROR.is_answer_fault is False and Status.FAILED.is_answer_fault


def test_limits_and_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="timeout_s"):
        SandboxLimits(timeout_s=0)
    assert "--nproc=64:64" in SandboxLimits().prlimit_args()
    opts = parse_code_options("humaneval", "n=40,samples=20,temperature=0.8,k=1+10")
    assert (opts.n, opts.samples, opts.k, opts.temperature) == (40, 20, (1, 10), 0.8)
    with pytest.raises(ConfigError, match="samples >= 10"):
        parse_code_options("humaneval", "k=1+10")
    with pytest.raises(ConfigError, match="bad option"):
        parse_code_options("humaneval", "shots=3")


def test_dpe_levels_match_by_geometric_midpoints() -> None:
    costs = [100.0, 10.0, 1.0]  # slowest level first
    assert match_level(120.0, costs).level == 1                  # within the slack of the slowest
    assert match_level(250.0, costs).score == 0.0                # slower than every reference
    assert match_level(20.0, costs).level == 2                   # sqrt(100*10)=31.6 > 20 > sqrt(10*1)=3.16
    assert match_level(0.5, costs).score == 1.0
    assert match_level(math.inf, costs).level == 0
    assert separation(costs) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="strictly"):
        match_level(1.0, [1.0, 2.0])


def test_generated_suites_are_seeded_and_prefix_stable() -> None:
    assert [s.to_dict() for s in code.generate(6, 3)] == [s.to_dict() for s in code.generate(12, 3)[:6]]
    assert code.generate(3, 1)[0].input != code.generate(3, 2)[0].input
    perf = code_perf.generate(5, 0)
    assert [len(s.metadata["perf_levels"]) for s in perf] == [3, 2, 2, 2, 2]
    assert all("def make_input" in s.metadata["perf_input"] for s in perf)


def test_mbpp_style_files_load_and_bad_rows_name_their_line(tmp_path) -> None:
    import json

    from assay.tasks.code_tasks import load_mbpp

    good = {"task_id": 11, "text": "Write a function to add two numbers.", "code": "def add(a, b):\n    return a + b\n",
            "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]}
    path = tmp_path / "mbpp.jsonl"
    path.write_text(json.dumps(good) + "\n")
    task = load_mbpp(path)
    (sample,) = task.load()
    assert "assert add(1, 2) == 3" in sample.input and CodeProblem.from_sample(sample).reference == good["code"]
    path.write_text(json.dumps(good) + "\n" + json.dumps({"text": "no tests"}) + "\n")
    with pytest.raises(DataError) as err:
        load_mbpp(path)
    assert "mbpp.jsonl:2" in str(err.value) and "test_list" in str(err.value)


def test_a_bare_assert_failure_names_the_failing_test_line() -> None:
    from assay.scoring.sandbox.result import failure_message

    tb = ("Traceback (most recent call last):\n  File \"/tmp/work/main.py\", line 9, in <module>\n"
          "    assert f(2) == 5\n           ^^^^^^^^^\nAssertionError\n")
    assert failure_message(tb) == "AssertionError at: assert f(2) == 5"
    assert failure_message("Traceback\nValueError: bad input") == "ValueError: bad input"
