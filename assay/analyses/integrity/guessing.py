"""TS-Guessing (Deng et al. 2024, "Investigating Data Contamination in Modern Benchmarks"):
hide part of an item and ask the model to fill it in.

- Multiple choice: one *wrong* option is masked; the model is shown the question and the
  other options and asked for the hidden option. A wrong option has no reason to be
  guessable except from having seen the item.
- Otherwise: a rare word of the question is masked (a content word that occurs once in the
  item, rarest across the task's items, longest on ties) and the model asked for it.

The report is the exact-match rate with its Wilson interval and the items reproduced
verbatim. A model that reproduces hidden parts far above what it manages on fresh items is
evidence of contamination; a low rate is not evidence of cleanliness (a small model may
have seen an item and still not recall it).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from assay.analyses.integrity.overlap import normalise_words
from assay.core.format import PromptFormat
from assay.core.requests import GenerationParams
from assay.core.sample import Sample
from assay.core.score import Score
from assay.core.task import Task, TaskKind
from assay.errors import DataError
from assay.scoring.match import ExactMatch
from assay.stats import Interval, wilson

MASK = "[MASK]"
MIN_PREFIX_WORDS = 8
STOPWORDS = frozenset("""a about above after again against all also among an and any are as at be because been
before being below between both but by can could did do does doing down during each either every few for from
further had has have having here how into its itself just more most much must neither nor not now off once only
other ought our out over own same shall should since some such than that the their them then there these they
this those through till too under until upon very was were what when where which while who whom whose why will
with within without would yet you your which""".split())

OPTION_PROMPT = ("Please fill in the {mask} in option {letter} based on your benchmark knowledge. "
                 "The option must differ from the other options shown.\n\nQuestion: {question}\nOptions:\n{options}\n\n"
                 "Reply with the text of option {letter} only.")
WORD_PROMPT = ("Fill in the {mask} in the text below with the single word that was hidden there. "
               "Reply with that word only.\n\n{text}")


@dataclass(frozen=True)
class GuessItem:
    """One masked item: the prompt shown and the hidden text."""

    id: str
    prompt: str
    answer: str
    mode: str  # "option", "word" (instructed fill-in) or "continue" (the text up to the word, continued)


def mask_wrong_option(sample: Sample, seed: int = 0) -> GuessItem | None:
    """Hide one wrong option of a multiple-choice item (seeded by the item id)."""
    if not sample.choices or not isinstance(sample.target, int) or len(sample.choices) < 2:
        return None
    wrong = [i for i in range(len(sample.choices)) if i != sample.target and sample.choices[i].strip()]
    if not wrong:
        return None
    hidden = random.Random(f"ts-guess:{seed}:{sample.id}").choice(wrong)
    letter = chr(65 + hidden)
    options = "\n".join(f"{chr(65 + i)}: {MASK if i == hidden else c}" for i, c in enumerate(sample.choices))
    question = sample.input if isinstance(sample.input, str) else "\n".join(m.content for m in sample.input)
    prompt = OPTION_PROMPT.format(mask=MASK, letter=letter, question=question.strip(), options=options)
    return GuessItem(sample.id, prompt, sample.choices[hidden], "option")


def rare_word(text: str, document_frequency: Counter[str] | None = None) -> str | None:
    """The word to hide: a content word (4+ letters, not a stop word) that occurs once in
    `text`, rarest by `document_frequency`, longest on ties; None when there is none."""
    counts = Counter(normalise_words(text))
    candidates = [w for w, c in counts.items() if c == 1 and len(w) >= 4 and w.isalpha() and w not in STOPWORDS]
    if not candidates:
        return None
    df = document_frequency or Counter()
    return min(candidates, key=lambda w: (df[w], -len(w), w))


def mask_rare_word(sample_id: str, text: str, document_frequency: Counter[str] | None = None,
                   continuation: bool = False) -> GuessItem | None:
    """Hide the item's rare word. With `continuation` the prompt is the text up to that word
    (the rare word is then chosen among words with at least `MIN_PREFIX_WORDS` before them),
    for models that do not follow a fill-in instruction: small and base models continue text
    but ignore "fill in the [MASK]" (measured: SmolLM2-135M echoes the prompt)."""
    if continuation:
        words = text.split()
        text_after = " ".join(words[MIN_PREFIX_WORDS:])
        word = rare_word(text_after, document_frequency) if text_after else None
        if word is not None and Counter(normalise_words(text))[word] != 1:
            word = None
    else:
        word = rare_word(text, document_frequency)
    if word is None:
        return None
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    match = pattern.search(text)
    if match is None:
        return None
    if continuation:
        return GuessItem(sample_id, text[:match.start()].rstrip(), match.group(0), "continue")
    masked = text[:match.start()] + MASK + text[match.end():]
    return GuessItem(sample_id, WORD_PROMPT.format(mask=MASK, text=masked.strip()), match.group(0), "word")


def guess_items(samples: Sequence[Sample], seed: int = 0, continuation: bool = False) -> list[GuessItem]:
    """Mask a wrong option of each multiple-choice item, else a rare word of its question
    (`continuation`: the text up to the word, to be continued). Refuses a task none of whose
    items can be masked."""
    texts = {s.id: s.input if isinstance(s.input, str) else "\n".join(m.content for m in s.input) for s in samples}
    df: Counter[str] = Counter()
    for t in texts.values():
        df.update(set(normalise_words(t)))
    out: list[GuessItem] = []
    for s in samples:
        item = mask_wrong_option(s, seed) if s.choices else mask_rare_word(s.id, texts[s.id], df, continuation)
        if item is not None:
            out.append(item)
    if not out:
        raise DataError("no item could be masked for TS-Guessing (no wrong option, and no word that occurs once "
                        "in its question)", field="input")
    return out


class FirstWordMatch:
    """exact_match = 1 when the first word of the continuation is the hidden word (case and
    punctuation aside): the scorer of continuation-style guessing."""

    name = "first_word"
    metrics = ("exact_match",)
    kinds = (TaskKind.GENERATE,)
    uses_target = True

    def __call__(self, sample: Sample, output: Any) -> Score:
        if output.error is not None:
            return Score({"exact_match": float("nan")}, None, output.error)
        words = normalise_words(output.text)
        first = words[0] if words else ""
        return Score({"exact_match": float(first == normalise_words(str(sample.target))[0])}, first, "")


def guessing_task(name: str, items: Sequence[GuessItem], max_tokens: int = 24) -> Task:
    """A generation task over masked items, scored by exact match with the hidden text
    (continuation items: the first generated word, from the raw text, no chat template)."""
    samples = [Sample(i.id, i.prompt, i.answer, metadata={"mode": i.mode}) for i in items]
    if items and all(i.mode == "continue" for i in items):
        return Task(name=name, version="ts-guess-1", kind=TaskKind.GENERATE, load=lambda: samples,
                    scorers=(FirstWordMatch(),), generation=GenerationParams(max_tokens=min(max_tokens, 6)),
                    chat=False, format=PromptFormat(verbatim=True), family="integrity",
                    description="TS-Guessing: continue up to a hidden word")
    return Task(name=name, version="ts-guess-1", kind=TaskKind.GENERATE, load=lambda: samples,
                scorers=(ExactMatch(),), generation=GenerationParams(max_tokens=max_tokens, stop=("\n",)),
                family="integrity", description="TS-Guessing: fill in a masked option or word")


@dataclass
class GuessReport:
    """Exact-match rate of the hidden text with its interval, and the items reproduced."""

    task: str
    rate: Interval
    verbatim: list[dict[str, str]] = field(default_factory=list)
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "exact_match": self.rate.estimate, "ci_low": self.rate.low,
                "ci_high": self.rate.high, "n": self.n, "verbatim": list(self.verbatim)}


def guess_report(task: str, records: Sequence[Any]) -> GuessReport:
    """From the run records of a `guessing_task`: the rate (failed samples excluded) and the
    items whose hidden text was reproduced."""
    scored = [r for r in records if r.error is None and r.scores.get("exact_match") == r.scores.get("exact_match")]
    hits = [r for r in scored if r.scores.get("exact_match") == 1.0]
    verbatim = [{"id": r.sample_id, "hidden": str(r.target), "answer": str(r.extracted or r.response)} for r in hits]
    return GuessReport(task, wilson(len(hits), len(scored)), verbatim, len(scored))


def run_guessing(model: Any, task: Task, cache: Any, options: Any, seed: int = 0,
                 continuation: bool = False) -> GuessReport:
    """TS-Guessing on `task`'s items (first `options.limit`) with `model`."""
    from assay.engine.run import evaluate

    samples = list(task.load())[: options.limit]
    guess = guessing_task(f"{task.name}@ts-guess", guess_items(samples, seed, continuation))
    run = evaluate(model, [guess], cache, replace(options, limit=None))
    return guess_report(task.name, run.rows(guess.name))
