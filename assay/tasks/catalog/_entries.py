"""The catalog: each benchmark's source, licence, size, pinned prompt and scoring, as data.

An entry names the Hub split it reads (and where its local copy goes), how a row becomes a
sample (`_prompts`), and the task recipe: request kind, prompt format, multiple-choice
options, generation settings and scorers. Every entry mirrors one lm-evaluation-harness
0.4 task (`lm_eval`), whose prompt it reproduces byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping, Sequence

from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.score import Scorer
from assay.core.task import ChoiceScoring, Continuation, NormUnit, TaskKind
from assay.tasks.catalog import _prompts as p
from assay.tasks.catalog._data import HubSource

Row = Mapping[str, Any]
VERBATIM = PromptFormat(verbatim=True)
"""The sample's input is the whole prompt; few-shot blocks are joined by "\n\n" and the
continuation is " " + the answer (lm-eval's default delimiters)."""


@dataclass(frozen=True)
class CatalogEntry:
    """One benchmark. `to_sample(row, index, shots)` returns None for a row the task skips
    (IFEval prompts with instructions assay cannot check); `shots` are the rows of
    `fewshot_source`, when there is one. With `shots=K` (up to `max_shots`), samples come from
    `with_shots(row, index, rows of shot_source, K)` instead. `needs` names a capability assay lacks, which makes
    the entry listed but not runnable."""

    name: str
    title: str
    source: HubSource
    licence: str
    size: int
    kind: TaskKind
    version: str
    lm_eval: str
    to_sample: Callable[[Row, int, Sequence[Row]], Sample | None]
    scorers: Callable[[ChoiceScoring], tuple[Scorer, ...]]
    choice_scoring: ChoiceScoring = ChoiceScoring(norm=NormUnit.CHARS)
    generation: GenerationParams = GenerationParams()
    instruction: str = ""
    fewshot_source: HubSource | None = None
    shot_source: HubSource | None = None
    """An optional few-shot pool, read only when `shots=K` is asked (MMLU's dev split)."""
    with_shots: Callable[[Row, int, Sequence[Row], int], Sample] | None = None
    max_shots: int = 0
    needs: str | None = None
    notes: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


def _rows_only(fn: Callable[[Row, int], Sample]) -> Callable[[Row, int, Sequence[Row]], Sample]:
    return lambda row, index, shots: fn(row, index)


def _mc(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.scoring.multiple_choice import MultipleChoiceScorer

    return (MultipleChoiceScorer.for_task(options),)


def _mc2(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.scoring.multiple_choice import TrueProbabilityMass

    return (TrueProbabilityMass(),)


def _last_word(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import LastWordScorer

    return (LastWordScorer(),)


def _wikitext(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import OriginalCountsPerplexity

    return (OriginalCountsPerplexity(),)


def _gsm8k(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import AnswerFilter, FilteredExactMatch

    return (FilteredExactMatch(
        (AnswerFilter("strict", r"The answer is (\-?[0-9\.\,]+)."),
         AnswerFilter("flexible", r"(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select=-1)),
        regexes_to_ignore=(",", r"\$", "(?s).*#### ", r"\.$"), ignore_case=True),)


def _mmlu_pro(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import AnswerFilter, FilteredExactMatch

    return (FilteredExactMatch((AnswerFilter("custom", r"answer is \(?([ABCDEFGHIJ])\)?"),),
                               ignore_case=True, ignore_punctuation=True),)


_BBH_FLEXIBLE = {
    "boolean_expressions": {"pattern": r"\b(True|False)\b"},
    "sports_understanding": {"mapping": ((r"\b(no|not plausible)\b", "no"), (r"\b(yes|plausible)\b", "yes"))},
    "web_of_lies": {"mapping": ((r"\b(no|does not tell the truth|is not telling the truth)\b", "no"),
                                (r"\b(yes|tells the truth|is telling the truth)\b", "yes"))},
}


def _bbh(subtask: str, options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import AnswerFilter, FilteredExactMatch

    return (FilteredExactMatch((AnswerFilter("strict"), AnswerFilter("flexible", **_BBH_FLEXIBLE[subtask])),
                               regexes_to_ignore=(r"\.$", ",", "\n", "\\\\", '"'), ignore_case=True),)


def _truthful_gen(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.tasks.catalog._scorers import ReferenceContrast

    return (ReferenceContrast(),)


def _ifeval_scorers(options: ChoiceScoring) -> tuple[Scorer, ...]:
    from assay.scoring.instructions import InstructionFollowing

    return (InstructionFollowing(),)


def _ifeval_sample(row: Row, index: int, shots: Sequence[Row]) -> Sample | None:
    from assay.tasks.catalog._ifeval import ifeval_checks

    checks, unmapped = ifeval_checks(row["instruction_id_list"], row["kwargs"])
    if unmapped:
        return None
    return Sample(id=f"ifeval-{row.get('key', index)}", input=row["prompt"], target="",
                  metadata={"checks": checks, "instruction_ids": list(row["instruction_id_list"])})


def _mmlu_pro_sample(row: Row, index: int, shots: Sequence[Row]) -> Sample:
    return p.mmlu_pro(row, index, shots)


_MMLU = HubSource("cais/mmlu", "all", "test", "mmlu")
_MMLU_DEV = HubSource("cais/mmlu", "all", "dev", "mmlu")
_ARC_E = HubSource("allenai/ai2_arc", "ARC-Easy", "test", "arc_easy")
_ARC_C = HubSource("allenai/ai2_arc", "ARC-Challenge", "test", "arc_challenge")
_TQA_MC = HubSource("truthfulqa/truthful_qa", "multiple_choice", "validation", "truthfulqa_mc")
_LETTER = ChoiceScoring(continuation=Continuation.LETTER, norm=NormUnit.CHARS)
_STOP_Q = ("Q:", "</s>", "<|im_end|>")

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry("mmlu", "MMLU, options listed, letter scored (0-shot; shots=5 for 5-shot)", _MMLU, "MIT", 14042,
                 TaskKind.MULTIPLE_CHOICE, "1.0", "mmlu (default)", _rows_only(p.mmlu_letter), _mc, _LETTER,
                 shot_source=_MMLU_DEV, with_shots=p.mmlu_letter, max_shots=5),
    CatalogEntry("mmlu_cloze", "MMLU, options not shown, option text scored (0-shot; shots=5)", _MMLU, "MIT", 14042,
                 TaskKind.MULTIPLE_CHOICE, "1.0", "mmlu_continuation", _rows_only(p.mmlu_cloze), _mc,
                 shot_source=_MMLU_DEV, with_shots=p.mmlu_cloze, max_shots=5),
    CatalogEntry("mmlu_pro", "MMLU-Pro, 5-shot chain of thought, letter extracted", HubSource(
                 "TIGER-Lab/MMLU-Pro", None, "test", "mmlu_pro"), "MIT", 12032, TaskKind.GENERATE, "3.1", "mmlu_pro",
                 _mmlu_pro_sample, _mmlu_pro, generation=GenerationParams(max_tokens=2048, stop=("Question:",)),
                 fewshot_source=HubSource("TIGER-Lab/MMLU-Pro", None, "validation", "mmlu_pro")),
    CatalogEntry("arc_easy", "ARC-Easy", _ARC_E, "CC-BY-SA-4.0", 2376, TaskKind.MULTIPLE_CHOICE, "1.0", "arc_easy",
                 _rows_only(p.arc), _mc),
    CatalogEntry("arc_challenge", "ARC-Challenge", _ARC_C, "CC-BY-SA-4.0", 1172, TaskKind.MULTIPLE_CHOICE, "1.0",
                 "arc_challenge", _rows_only(p.arc), _mc),
    CatalogEntry("hellaswag", "HellaSwag (lm-eval's ctx/ending clean-up)", HubSource(
                 "Rowan/hellaswag", None, "validation", "hellaswag"), "MIT", 10042, TaskKind.MULTIPLE_CHOICE, "1.0",
                 "hellaswag", _rows_only(p.hellaswag), _mc),
    CatalogEntry("piqa", "PIQA", HubSource("baber/piqa", None, "validation", "piqa"), "AFL-3.0", 1838,
                 TaskKind.MULTIPLE_CHOICE, "1.0", "piqa", _rows_only(p.piqa), _mc),
    CatalogEntry("winogrande", "WinoGrande (partial scoring)", HubSource(
                 "allenai/winogrande", "winogrande_xl", "validation", "winogrande"), "CC-BY-4.0", 1267,
                 TaskKind.MULTIPLE_CHOICE, "1.0", "winogrande", _rows_only(p.winogrande), _mc,
                 ChoiceScoring(continuation=Continuation.BLANK, norm=NormUnit.CHARS)),
    CatalogEntry("boolq", "BoolQ", HubSource("aps/super_glue", "boolq", "validation", "boolq"), "CC-BY-SA-3.0", 3270,
                 TaskKind.MULTIPLE_CHOICE, "2.0", "boolq", _rows_only(p.boolq), _mc),
    CatalogEntry("truthfulqa_mc1", "TruthfulQA MC1 (one true option)", _TQA_MC, "Apache-2.0", 817,
                 TaskKind.MULTIPLE_CHOICE, "2.0", "truthfulqa_mc1", _rows_only(p.truthfulqa_mc1), _mc),
    CatalogEntry("truthfulqa_mc2", "TruthfulQA MC2 (probability mass on the true options)", _TQA_MC, "Apache-2.0",
                 817, TaskKind.MULTIPLE_CHOICE, "3.0", "truthfulqa_mc2", _rows_only(p.truthfulqa_mc2), _mc2),
    CatalogEntry("truthfulqa_gen", "TruthfulQA generation (token-F1 contrast, not lm-eval's BLEU/ROUGE)", HubSource(
                 "truthfulqa/truthful_qa", "generation", "validation", "truthfulqa_gen"), "Apache-2.0", 817,
                 TaskKind.GENERATE, "3.0-f1", "truthfulqa_gen", _rows_only(p.truthfulqa_gen), _truthful_gen,
                 generation=GenerationParams(max_tokens=256, stop=("\n\n",))),
    CatalogEntry("gsm8k_cot", "GSM8K, 8-shot chain of thought (fixed exemplars), strict and flexible answers",
                 HubSource("openai/gsm8k", "main", "test", "gsm8k"), "MIT", 1319, TaskKind.GENERATE, "3.0",
                 "gsm8k_cot", _rows_only(p.gsm8k), _gsm8k, generation=GenerationParams(max_tokens=256, stop=_STOP_Q),
                 instruction=p.GSM8K_SHOTS),
    CatalogEntry("lambada", "LAMBADA (OpenAI's), last word: accuracy and perplexity", HubSource(
                 "EleutherAI/lambada_openai", "default", "test", "lambada_openai"), "MIT", 5153,
                 TaskKind.MULTIPLE_CHOICE, "1.0", "lambada_openai", _rows_only(p.lambada), _last_word),
    CatalogEntry("wikitext2", "WikiText-2 perplexity (document level, rolling)", HubSource(
                 "EleutherAI/wikitext_document_level", "wikitext-2-raw-v1", "test", "wikitext2"), "CC-BY-SA-3.0", 62,
                 TaskKind.PERPLEXITY, "2.0", "wikitext", _rows_only(p.wikitext), _wikitext),
    CatalogEntry("ifeval", "IFEval, the prompts whose every instruction assay can check", HubSource(
                 "google/IFEval", None, "train", "ifeval"), "Apache-2.0", 541, TaskKind.GENERATE, "4.0-subset",
                 "ifeval", _ifeval_sample, _ifeval_scorers, generation=GenerationParams(max_tokens=1280)),
) + tuple(
    CatalogEntry(f"bbh_{sub}", f"BIG-Bench Hard {sub.replace('_', ' ')} (zero-shot)", HubSource(
                 "SaylorTwift/bbh", sub, "test", f"bbh/{sub}"), "MIT", 250, TaskKind.GENERATE, "3.0",
                 f"bbh_zeroshot_{sub}", _rows_only(partial(p.bbh, subtask=sub)), partial(_bbh, sub),
                 generation=GenerationParams(max_tokens=256, stop=("</s>", "Q:", "<|im_end|>")))
    for sub in p.BBH_DESCRIPTIONS
)

CATALOG: dict[str, CatalogEntry] = {e.name: e for e in ENTRIES}
