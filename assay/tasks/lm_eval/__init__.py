"""lm-evaluation-harness 0.4.x task and group YAML files, run unchanged with lm-eval's prompts.

`looks_like_lm_eval(path)` tells an lm-eval file from an assay task file;
`load_lm_eval_file(path)` gives its tasks (a group gives each member). See docs/lm-eval-tasks.md.
"""

from assay.tasks.lm_eval.config import looks_like_lm_eval
from assay.tasks.lm_eval.group import load_lm_eval_file

__all__ = ["load_lm_eval_file", "looks_like_lm_eval"]
