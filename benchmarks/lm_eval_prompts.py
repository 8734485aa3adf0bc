"""Are assay's prompts for lm-eval task files byte-identical to lm-eval's own?

For each lm-eval task file under tests/data/lm_eval (or the files given), lm-eval 0.4.x
builds its instances (TaskManager + get_task_dict, fewshot seed 1234, as `lm_eval`
does), and assay plans the same file's samples; each request's arguments are compared:
(context, continuation) for log-likelihood requests, (context, until, max_gen_toks,
do_sample/temperature) for generation, (text,) for rolling log-likelihood.

lm-eval runs in its own virtual environment (it pins its own dependencies), so this
script calls that interpreter for lm-eval's side:

    python3 -m venv /tmp/lmeval && /tmp/lmeval/bin/pip install torch==2.13.0 lm-eval==0.4.13
    .venv/bin/python benchmarks/lm_eval_prompts.py --lm-eval-python /tmp/lmeval/bin/python

It also feeds both sides the same canned responses (a fixed log-likelihood per request, a
fixed text per doc) and compares lm-eval's `process_results` after its `filter_list` with
assay's scorers, metric by metric and doc by doc (corpus-level perplexities excluded: their
aggregation is tested in assay's own suite).

Prints one line per task and the totals; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "lm_eval"
# Files assay refuses on purpose (see docs/lm-eval-tasks.md) are left out.
DEFAULT_FILES = ("mmlu_letters.yaml", "arc_cloze.yaml", "arc_include.yaml", "gsm_regex.yaml",
                 "gsm_selfpool.yaml", "lambada_ll.yaml", "wikitext_rolling.yaml",
                 "piqa_csv.yaml", "boolq_gen.yaml", "text_rolling.yaml")


CANNED = ("The answer is 36.", " 12 * 3 = 36 pages.\n#### 36", " Yes ", "#### 1,4 and $14.", " no", "no idea", "")


def fake_loglikelihood(context: str, continuation: str) -> tuple[float, bool]:
    """A made-up but fixed answer to a log-likelihood request, the same in both interpreters."""
    import hashlib

    digest = hashlib.sha256((context + "\x00" + continuation).encode()).digest()
    return -int.from_bytes(digest[:4], "big") / 2**32 * 20.0, digest[4] % 2 == 0


def fake_generation(doc_id: int) -> str:
    return CANNED[doc_id % len(CANNED)]


def lm_eval_side(files: list[str]) -> None:
    """Runs under lm-eval's interpreter: print {task: [[doc_id, idx, args...], ...]} as JSON."""
    import logging

    import yaml
    from lm_eval.tasks import TaskManager, get_task_dict

    logging.disable(logging.WARNING)
    names = []
    for f in files:
        data = yaml.safe_load(Path(f).read_text())
        names.append(data["group"] if isinstance(data.get("task"), list) else data["task"])
    manager = TaskManager(include_path=str(Path(files[0]).parent), include_defaults=False)
    out: dict[str, list] = {}
    def flatten(tree):  # noqa: ANN001, ANN202 - a group maps to its members
        for value in tree.values():
            yield from ([value] if hasattr(value, "build_all_requests") else flatten(value))

    for task in flatten(get_task_dict(names, manager)):
        name = task.config.task
        if task.get_config("num_fewshot") is None:
            task.set_config(key="num_fewshot", value=0)
        task.set_fewshot_seed(seed=1234)
        task.build_all_requests(rank=0, world_size=1)
        rows = []
        for inst in task.instances:
            args = list(inst.args)
            if inst.request_type == "generate_until":
                ctx, kwargs = args
                args = [ctx, list(kwargs.get("until", [])), kwargs.get("max_gen_toks", 256),
                        bool(kwargs.get("do_sample", False)), float(kwargs.get("temperature", 0.0))]
            rows.append([inst.doc_id, inst.idx, inst.request_type, *args])
            if inst.request_type == "loglikelihood":
                inst.resps = [fake_loglikelihood(*inst.args[:2])]
            elif inst.request_type == "generate_until":
                inst.resps = [fake_generation(inst.doc_id)]
        scores: dict[str, dict[str, float]] = {}
        if task.instances[0].request_type != "loglikelihood_rolling":
            task.apply_filters()
            by_doc: dict[int, list] = {}
            for inst in task.instances:
                by_doc.setdefault(inst.doc_id, []).append(inst)
            for doc_id, requests in by_doc.items():
                requests.sort(key=lambda r: r.idx)
                for key in requests[0].filtered_resps:
                    result = task.process_results(requests[0].doc, [r.filtered_resps[key] for r in requests])
                    for metric, value in result.items():
                        if metric != "perplexity":  # a corpus-level aggregate, checked by assay's own tests
                            scores.setdefault(str(doc_id), {})[metric if key == "none" else f"{metric},{key}"] = float(value)
        out[name] = {"requests": rows, "scores": scores}
    print(json.dumps(out))


def _solver_requests(task, planned):  # type: ignore[no-untyped-def]
    """The requests a task's own solver asks (lm-eval delimiters the format cannot hold)."""
    import asyncio

    from assay.core.responses import LoglikelihoodResult

    asked: list = []

    class _Recorder:
        async def loglikelihood(self, requests, *, model=None):  # noqa: ANN001
            asked.extend(requests)
            return [LoglikelihoodResult(0.0, True, 1) for _ in requests]

    asyncio.run(task.solver(planned, _Recorder()))
    return asked


def _compare(files: list[str], lm_eval_python: str) -> tuple[int, int, bool] | None:
    """(identical, total, any difference) for one lm-eval run over `files`; None if lm-eval failed."""
    # lm-eval resolves data_files against the working directory: run it from the files' folder.
    proc = subprocess.run([lm_eval_python, __file__, "--dump-lm-eval", *files], capture_output=True, text=True,
                          cwd=Path(files[0]).parent)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return None
    theirs = json.loads(proc.stdout.strip().splitlines()[-1])

    from assay.core.requests import Loglikelihood, LoglikelihoodRolling
    from assay.engine.prompts import plan_task
    from assay.tasks.lm_eval import load_lm_eval_file

    total = same = score_total = score_same = 0
    failed = False
    for f in files:
        for task in load_lm_eval_file(f):
            ours = []
            for planned in plan_task(task, task.load()):
                doc_id = planned.sample.metadata["doc_id"]
                requests = _solver_requests(task, planned) if task.solver is not None else list(planned.requests)
                for idx, req in enumerate(requests):
                    if isinstance(req, Loglikelihood):
                        ours.append([doc_id, idx, "loglikelihood", req.context, req.continuation])
                    elif isinstance(req, LoglikelihoodRolling):
                        ours.append([doc_id, idx, "loglikelihood_rolling", req.text])
                    else:
                        p = req.params
                        ours.append([doc_id, idx, "generate_until", req.prompt, list(p.stop), p.max_tokens,
                                     not p.greedy, p.temperature])
            lm = theirs.get(task.name, {}).get("requests", [])
            lm = [[r[0], r[1], "loglikelihood" if r[2] in ("loglikelihood", "multiple_choice") else r[2], *r[3:]] for r in lm]
            n = max(len(ours), len(lm))
            ok = sum(1 for a, b in zip(ours, lm) if a == b)
            total, same = total + n, same + ok
            agree, compared = _compare_scores(task, theirs.get(task.name, {}).get("scores", {}))
            score_total, score_same = score_total + compared, score_same + agree
            print(f"{task.name:28s} requests {n:4d}  identical {ok:4d}   scores {compared:3d}  equal {agree:3d}")
            failed = failed or agree != compared
            if ok != n:
                failed = True
                for a, b in zip(ours, lm):
                    if a != b:
                        print("  assay:  ", json.dumps(a)[:400])
                        print("  lm-eval:", json.dumps(b)[:400])
                        break
    print(f"  scores from the same canned responses: {score_same}/{score_total} equal")
    return same, total, failed


def _compare_scores(task, theirs: dict) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Score each doc from the same canned responses with assay's scorers; count the
    (doc, metric) values equal to lm-eval's process_results."""
    from assay.core.requests import Loglikelihood
    from assay.core.responses import ChoiceOutput, Completion, LoglikelihoodResult
    from assay.engine.prompts import plan_task

    agree = compared = 0
    for planned in plan_task(task, task.load()):
        doc_id = str(planned.sample.metadata["doc_id"])
        if doc_id not in theirs:
            continue
        requests = _solver_requests(task, planned) if task.solver is not None else list(planned.requests)
        if all(isinstance(r, Loglikelihood) for r in requests):
            output = ChoiceOutput(tuple(LoglikelihoodResult(*fake_loglikelihood(r.context, r.continuation), 1)
                                        for r in requests))
        else:
            output = Completion((fake_generation(int(doc_id)),))
        values: dict = {}
        for scorer in task.scorers:
            values.update(scorer(planned.sample, output).values)
        for metric, value in theirs[doc_id].items():
            compared += 1
            agree += metric in values and abs(values[metric] - value) < 1e-12
    return agree, compared


# lm-eval's own task files, pointed at the fixtures' local copies of their data (same
# columns as the Hub datasets): wrapper files include the real file unchanged and override
# only where the data comes from, and the task's name.
REAL = {
    "arc_easy": ("arc/arc_easy.yaml", {"train": "arc_train.jsonl", "validation": "arc_train.jsonl", "test": "arc_test.jsonl"}),
    "mmlu_abstract_algebra": ("mmlu/default/mmlu_abstract_algebra.yaml", {"test": "mmlu_test.jsonl", "dev": "mmlu_dev.jsonl"}),
    "gsm8k": ("gsm8k/gsm8k.yaml", {"train": "gsm_train.jsonl", "test": "gsm_test.jsonl"}),
    "gsm8k_cot": ("gsm8k/gsm8k-cot.yaml", {"train": "gsm_train.jsonl", "test": "gsm_test.jsonl"}),
    "lambada_openai": ("lambada/lambada_openai.yaml", {"test": "lambada_test.jsonl"}),
}


def real_task_files(lm_eval_python: str, folder: Path) -> list[str]:
    """Copy lm-eval's task folders for REAL into `folder` and write one wrapper per task."""
    import shutil

    tasks_dir = Path(subprocess.run([lm_eval_python, "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
                                    capture_output=True, text=True, check=True).stdout.strip()) / "tasks"
    files = []
    for name, (real, splits) in REAL.items():
        top = real.split("/")[0]
        if not (folder / top).exists():
            shutil.copytree(tasks_dir / top, folder / top)
        data_files = {split: str(FIXTURES / "data" / f) for split, f in splits.items()}
        wrapper = folder / f"{name}_local.yaml"
        wrapper.write_text(json.dumps({"include": real, "task": f"{name}_local", "dataset_path": "json",
                                       "dataset_name": None, "dataset_kwargs": {"data_files": data_files}}, indent=1))
        files.append(str(wrapper))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="lm-eval task files (default: the fixtures)")
    parser.add_argument("--lm-eval-python", default="/tmp/lmeval/bin/python")
    parser.add_argument("--dump-lm-eval", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = [str(Path(f).resolve()) for f in args.files] or [str(FIXTURES / f) for f in DEFAULT_FILES]
    if args.dump_lm_eval:
        lm_eval_side(files)
        return 0

    batches = [files] if args.files else [files, [str(FIXTURES / "group.yaml")]]  # a group's tasks share names with the files
    if not args.files:
        import tempfile

        batches.append(real_task_files(args.lm_eval_python, Path(tempfile.mkdtemp(prefix="lm_eval_real_"))))
    total = same = 0
    failed = False
    for batch in batches:
        result = _compare(batch, args.lm_eval_python)
        if result is None:
            return 2
        same, total, failed = same + result[0], total + result[1], failed or result[2]
    print(f"total: {same}/{total} requests byte-identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
