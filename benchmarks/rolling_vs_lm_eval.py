"""Does assay's whole-text log-likelihood equal lm-eval's `loglikelihood_rolling`, number for number?

lm-eval 0.4.13's `HFLM.loglikelihood_rolling` and assay's hf adapter score the same texts (the
public-domain perplexity fixture, or a JSONL with a `text` column) with the same fp32 weights
(the converted SmolLM2 directory), at the model's full context and at a tiny `max_length` that
forces many windows. Prints, per window length, whether the token counts agree, the largest
per-document difference in nats and both totals, and the word perplexity both give.

lm-eval runs in its own virtual environment; its side needs transformers, which it can borrow
from assay's:

    python3 -m venv /tmp/lmeval && /tmp/lmeval/bin/pip install torch==2.13.0 lm-eval==0.4.13
    .venv/bin/python benchmarks/rolling_vs_lm_eval.py --lm-eval-python /tmp/lmeval/bin/python

Measured 2026-11-30 (SmolLM2-135M-Instruct, 10 passages, 704 tokens): token counts equal;
largest difference 1.5e-4 nats at max_length 8192 (one batched pass against lm-eval's
batch of one), 0 at max_length 16 (many windows per text); totals -2021.3018 / -2021.3020 and
-3102.1180 / -3102.1180.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "perplexity" / "public_domain.jsonl"

_LM_EVAL_SIDE = """
import json, sys
from lm_eval.api.instance import Instance
from lm_eval.models.huggingface import HFLM
path, max_length, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
texts = [json.loads(line)["text"] for line in open(data)]
lm = HFLM(pretrained=path, batch_size=1, max_length=max_length, dtype="float32", device="cpu")
reqs = [Instance(request_type="loglikelihood_rolling", doc={}, arguments=(t,), idx=i) for i, t in enumerate(texts)]
print(json.dumps({"logprobs": lm.loglikelihood_rolling(reqs, disable_tqdm=True),
                  "ntok": [len(lm.tok_encode(t)) for t in texts]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm-eval-python", required=True, help="interpreter of a venv with lm-eval 0.4.13")
    parser.add_argument("--data", type=Path, default=FIXTURE, help="JSONL with a `text` column")
    parser.add_argument("--lengths", default="8192,16", help="window lengths to compare, comma-separated")
    args = parser.parse_args()

    from assay.core.requests import LoglikelihoodRolling
    from assay.models import load_model
    from assay.scoring.perplexity import count_words

    model = load_model("smollm2")
    converted = str(model.info.details["converted"])
    texts = [json.loads(line)["text"] for line in args.data.read_text().splitlines() if line.strip()]
    words = sum(count_words(t) for t in texts)
    env = {**os.environ, "PYTHONPATH": next(p for p in sys.path if p.endswith("site-packages"))}
    worst = 0.0
    for length in (int(x) for x in args.lengths.split(",")):
        out = subprocess.run([args.lm_eval_python, "-c", _LM_EVAL_SIDE, converted, str(length), str(args.data)],
                             capture_output=True, text=True, env=env, check=True).stdout
        ref = json.loads(out.strip().splitlines()[-1])
        model.rolling_max_length = length
        mine = model.loglikelihood_rolling([LoglikelihoodRolling(t) for t in texts])
        diff = max(abs(a.logprob - b) for a, b in zip(mine, ref["logprobs"]))
        worst = max(worst, diff)
        ours, theirs = sum(a.logprob for a in mine), sum(ref["logprobs"])
        print(f"max_length {length}: tokens equal {[a.n_tokens for a in mine] == ref['ntok']}, "
              f"max |diff| {diff:.2e} nats, total {ours:.4f} vs {theirs:.4f}, "
              f"word perplexity {math.exp(-ours / words):.4f} vs {math.exp(-theirs / words):.4f}")
    return 0 if worst < 1e-2 else 1


if __name__ == "__main__":
    sys.exit(main())
