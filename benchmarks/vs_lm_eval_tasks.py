"""assay against lm-eval 0.4.13 on lm-eval task files, item by item, on the same model and data.

    .venv/bin/python benchmarks/vs_lm_eval_tasks.py --lm-eval-python /tmp/lmeval/bin/python

The subjects are task files in lm-eval's own style under benchmarks/lm_eval_tasks/, on local
rows in the real benchmarks' column layouts (a few dozen each): a cloze multiple choice
(ARC's prompt, 3-shot, acc and acc_norm), a letters one (MMLU's prompt, Jinja description,
2-shot first_n), a generate_until with GSM8K's regex filters (strict and flexible), and a
loglikelihood_rolling (30 public-domain passages; word/byte perplexity, bits per byte).
The built-in catalog's tasks need their Hub data, absent offline, so they are not measured.

For each file:
- prompts: lm_eval_prompts.py's check, every request's arguments byte-identical;
- assay (`assay.evaluate("smollm2", [file], cache=None)`) and lm-eval (`lm-eval run --model
  hf` on assay's converted fp32 safetensors, `--batch_size 1`, `--log_samples`) each run in a
  fresh process, alternately; wall-clock is process start to exit (imports + load included);
- per-item agreement: the argmax and every per-doc metric (multiple choice), the extracted
  answer of every filter (generation), the document's log-likelihood within 1e-3 relative
  (rolling); the metric of each, in points (perplexities: relative difference in %).

lm-eval runs in its own virtual environment (python3 -m venv /tmp/lmeval && /tmp/lmeval/bin/pip
install torch==2.13.0 lm-eval==0.4.13); transformers is borrowed from assay's venv.
Prints one table; exits 1 when a target (prompts identical, agreement >= 99%, metric within
0.5 points) is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TASKS = HERE / "lm_eval_tasks"
DEFAULT_FILES = ("science_cloze.yaml", "science_letters.yaml", "arith_regex.yaml", "prose_rolling.yaml")
ROLLING_TOLERANCE = 1e-3  # relative, per document
PERPLEXITIES = ("word_perplexity", "byte_perplexity")


def _assay_child(path: str) -> None:
    """One assay run in this (fresh) process; prints per-doc results and metrics as JSON."""
    import assay

    run = assay.evaluate("smollm2", [path], cache=None)
    (name, report), = run.tasks.items()
    docs = {}
    for s in run.samples:
        doc_id = str(s.metadata["doc_id"])
        scores = {k: float(v) for k, v in (s.scores or {}).items()}
        if isinstance(s.extracted, dict):  # generation: one extracted answer per filter
            docs[doc_id] = {"raw": s.response, "answers": {k.split(",", 1)[1]: v for k, v in s.extracted.items()},
                            "scores": scores}
        elif "logprob" in scores:
            docs[doc_id] = {"logprob": scores["logprob"], "scores": scores}
        else:
            docs[doc_id] = {"lls": [float(x) for x in s.response], "scores": scores}
    print(json.dumps({"task": name, "docs": docs, "metrics": {k: m.value for k, m in report.metrics.items()}}))


def run_assay(path: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "_assay", str(path)], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def run_lm_eval(lm_eval_python: str, model_dir: str, path: Path, task: str, batch: int) -> tuple[dict, float]:
    out = Path(tempfile.mkdtemp(prefix="vs-lm-eval-tasks-"))
    site = next(p for p in sys.path if p.endswith("site-packages"))  # transformers, from assay's venv
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=site)
    lm_eval = str(Path(lm_eval_python).parent / "lm-eval")
    started = time.perf_counter()
    # lm-eval resolves data_files against the working directory: run it from the files' folder.
    proc = subprocess.run(
        [lm_eval, "run", "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32",
         "--tasks", task, "--include_path", str(path.parent), "--batch_size", str(batch), "--device", "cpu",
         "--output_path", str(out), "--log_samples"],
        env=env, cwd=path.parent, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"][task]
    docs: dict[str, dict] = {}
    for line in next(out.rglob(f"samples_{task}_*.jsonl")).read_text().splitlines():
        s = json.loads(line)
        doc = docs.setdefault(str(s["doc_id"]), {"scores": {}})
        key = "" if s["filter"] == "none" else f",{s['filter']}"
        for metric in s.get("metrics", []):
            if not isinstance(s.get(metric), list):  # perplexity metrics log [logprob, weight] pairs
                doc["scores"][metric + key] = float(s[metric])
        args = s["arguments"]["gen_args_0"]  # lm-eval logs responses as strings
        if isinstance(s["resps"][0][0], list):  # multiple choice: (logprob, is_greedy) per option
            doc["lls"] = [float(r[0][0]) for r in s["resps"]]
        elif "arg_1" in args:  # generate_until: (context, generation kwargs)
            doc["raw"] = s["resps"][0][0]
            doc.setdefault("answers", {})[s["filter"]] = s["filtered_resps"][0]
        else:  # loglikelihood_rolling: (text,)
            doc["logprob"] = float(s["resps"][0][0])
    shutil.rmtree(out)
    metrics = {k.replace(",none", ""): v for k, v in results.items() if "," in k and "_stderr" not in k}
    return {"docs": docs, "metrics": metrics}, wall


def agreement(ours: dict, theirs: dict) -> tuple[int, int, list[str]]:
    """(docs that agree, docs, notes on the first few that do not)."""
    same, notes = 0, []
    for doc_id, a in ours.items():
        b = theirs.get(doc_id, {})
        if "lls" in a:
            argmax = lambda lls: max(range(len(lls)), key=lls.__getitem__)  # noqa: E731
            ok = "lls" in b and argmax(a["lls"]) == argmax(b["lls"]) and all(
                abs(a["scores"].get(k, float("nan")) - v) < 1e-9 for k, v in b["scores"].items())
            why = lambda: f"lls {a['lls']} vs {b.get('lls')}"  # noqa: E731
        elif "answers" in a:
            ok = a["answers"] == b.get("answers")
            why = lambda: f"raw {a['raw']!r} vs {b.get('raw')!r}; answers {a['answers']} vs {b.get('answers')}"  # noqa: E731
        else:
            ok = "logprob" in b and abs(a["logprob"] - b["logprob"]) <= ROLLING_TOLERANCE * abs(b["logprob"])
            why = lambda: f"logprob {a['logprob']} vs {b.get('logprob')}"  # noqa: E731
        same += ok
        if not ok and len(notes) < 3:
            notes.append(f"doc {doc_id}: {why()}")
    return same, len(ours), notes


def generations_identical(ours: dict, theirs: dict) -> tuple[int, int]:
    raws = [(a["raw"], theirs.get(k, {}).get("raw")) for k, a in ours.items() if "raw" in a]
    return sum(x == y for x, y in raws), len(raws)


def prompt_check(files: list[Path], lm_eval_python: str) -> dict[str, tuple[int, int]]:
    """lm_eval_prompts.py's byte-identity check: {task: (identical, requests)}."""
    sys.path.insert(0, str(HERE))
    import lm_eval_prompts

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = lm_eval_prompts._compare([str(f) for f in files], lm_eval_python)
    if result is None:
        raise RuntimeError("lm-eval could not build the tasks' requests")
    found = re.findall(r"^(\S+)\s+requests\s+(\d+)\s+identical\s+(\d+)", buffer.getvalue(), re.M)
    return {name: (int(ok), int(n)) for name, n, ok in found}


def compare_metric(metric: str, ours: float, theirs: float) -> tuple[str, str, str, bool]:
    """Both values as shown, how far apart, and whether within the target: 0.5 points for
    rates; perplexities and bits per byte have no points, their difference is shown only."""
    if metric in PERPLEXITIES:
        return f"{ours:.4f}", f"{theirs:.4f}", f"{100 * abs(ours - theirs) / theirs:.3f}% rel", True
    if metric == "bits_per_byte":
        return f"{ours:.4f}", f"{theirs:.4f}", f"{abs(ours - theirs):.4f}", True
    points = 100 * abs(ours - theirs)
    return f"{100 * ours:.1f}", f"{100 * theirs:.1f}", f"{points:.1f} pt", points <= 0.5


def converted_dir() -> str:
    from assay.models import load_model

    model = load_model("smollm2")
    path = str(model.info.details["converted"])
    model.close()
    return path


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_assay":
        _assay_child(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="lm-eval task files (default: benchmarks/lm_eval_tasks/)")
    parser.add_argument("--lm-eval-python", default="/tmp/lmeval/bin/python")
    parser.add_argument("--lm-eval-batch", type=int, default=1)
    args = parser.parse_args()
    files = [f.resolve() for f in args.files] or [TASKS / f for f in DEFAULT_FILES]

    model_dir = converted_dir()
    prompts = prompt_check(files, args.lm_eval_python)
    print(f"smollm2 ({model_dir}); lm-eval 0.4.13 hf, batch size {args.lm_eval_batch}; assay hf, batch auto")
    header = (f"| task | n | prompts identical | per-item agree | metric | assay | lm-eval | apart "
              f"| wall assay s | wall lm-eval s | lm-eval/assay |\n|{'---|' * 11}")
    rows, notes, missed = [], [], False
    for path in files:
        ours, a_wall = run_assay(path)
        task = ours["task"]
        theirs, l_wall = run_lm_eval(args.lm_eval_python, model_dir, path, task, args.lm_eval_batch)
        same, n, why = agreement(ours["docs"], theirs["docs"])
        ok_prompts, n_prompts = prompts.get(task, (0, 0))
        missed |= ok_prompts != n_prompts or n_prompts == 0 or same < 0.99 * n
        notes += [f"{task}: {w}" for w in why]
        raw_same, raw_n = generations_identical(ours["docs"], theirs["docs"])
        if raw_n:
            notes.append(f"{task}: generated texts identical {raw_same}/{raw_n}")
        for i, (metric, value) in enumerate(m for m in ours["metrics"].items() if m[0] in theirs["metrics"]):
            shown_ours, shown_theirs, apart, within = compare_metric(metric, value, theirs["metrics"][metric])
            missed |= not within
            lead = f"| {task} | {n} | {ok_prompts}/{n_prompts} | {same}/{n} ({100 * same / n:.0f}%)" if i == 0 else "| | | |"
            tail = f"| {a_wall:.1f} | {l_wall:.1f} | {l_wall / a_wall:.2f} |" if i == 0 else "| | | |"
            rows.append(f"{lead} | {metric} | {shown_ours} | {shown_theirs} | {apart} {tail}")
        print(f"  {task}: assay {a_wall:.0f} s, lm-eval {l_wall:.0f} s", file=sys.stderr, flush=True)
    print(header, *rows, sep="\n")
    for note in notes:
        print("  " + note)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
