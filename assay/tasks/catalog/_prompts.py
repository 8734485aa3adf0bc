"""Each catalog benchmark's rows to samples, with lm-evaluation-harness 0.4's prompts.

Pure functions of a row (in the Hub dataset's own columns) and its index. Each sample's
`input` is the whole prompt as lm-eval builds it, so the task's format is verbatim: the
scored continuation is " " + the answer, as lm-eval's target delimiter makes it. A
multiple-choice item's per-subject description (MMLU) is `metadata["assay.description"]`, which
the planner writes before the prompt, or as the system turn under the chat template (as
lm-eval does); a generated task's description is part of its input. docs/benchmarks.md
pins each prompt.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

from assay.core.sample import Sample

DESCRIPTION_KEY = "assay.description"  # assay.engine.prompts.DESCRIPTION_KEY (tasks may not import the engine)

Row = Mapping[str, Any]
LETTERS = "ABCDEFGHIJ"


def _subject_text(subject: str) -> str:
    return subject.replace("_", " ")


# --- MMLU -------------------------------------------------------------------------------


def _mmlu_letter_text(row: Row) -> str:
    choices = [str(c) for c in row["choices"]]
    return row["question"].strip() + "".join(f"\n{LETTERS[i]}. {c}" for i, c in enumerate(choices)) + "\nAnswer:"


def _mmlu_shots(row: Row, shots: Sequence[Row], k: int, block: Callable[[Row], str]) -> str:
    """lm-eval's MMLU few-shot blocks: the first k dev rows of the item's subject (first_n),
    each its prompt, " ", its answer and "\n\n"."""
    same = [s for s in shots if s["subject"] == row["subject"]][:k]
    if len(same) < k:
        raise ValueError(f"MMLU subject '{row['subject']}' has {len(same)} dev rows, {k} shots asked")
    return "".join(block(s) + "\n\n" for s in same)


def mmlu_letter(row: Row, index: int, shots: Sequence[Row] = (), k: int = 0) -> Sample:
    """lm-eval `mmlu_<subject>` (default): options listed as "A. ...", the letter scored;
    `k` shots from the subject's dev rows (lm-eval's `--num_fewshot k`)."""
    description = f"The following are multiple choice questions (with answers) about {_subject_text(row['subject'])}.\n\n"
    prefix = _mmlu_shots(row, shots, k, lambda s: _mmlu_letter_text(s) + " " + LETTERS[int(s["answer"])]) if k else ""
    return Sample(id=f"mmlu-{index}", input=prefix + _mmlu_letter_text(row), target=int(row["answer"]),
                  choices=tuple(str(c) for c in row["choices"]),
                  metadata={"subject": row["subject"], "group": row["subject"], DESCRIPTION_KEY: description})


def mmlu_cloze(row: Row, index: int, shots: Sequence[Row] = (), k: int = 0) -> Sample:
    """lm-eval `mmlu_<subject>_continuation`: the options not shown, each option's text scored."""
    description = f"The following are questions (with answers) about {_subject_text(row['subject'])}.\n\n"
    text = lambda r: f"Question: {r['question'].strip()}\nAnswer:"  # noqa: E731
    prefix = _mmlu_shots(row, shots, k, lambda s: text(s) + " " + str(s["choices"][int(s["answer"])])) if k else ""
    return Sample(id=f"mmlu-{index}", input=prefix + text(row),
                  target=int(row["answer"]), choices=tuple(str(c) for c in row["choices"]),
                  metadata={"subject": row["subject"], "group": row["subject"], DESCRIPTION_KEY: description})


# --- MMLU-Pro (5-shot chain of thought, generated) -----------------------------------------


def _mmlu_pro_question(row: Row) -> str:
    """lm-eval's `format_cot_example(including_answer=False)`."""
    text = "Question:\n" + row["question"] + "\nOptions:\n"
    for i, option in enumerate(row["options"][: len(LETTERS)]):
        text += f"{LETTERS[i]}. {option.strip()}\n"
    return text + "Answer: Let's think step by step."


def mmlu_pro(row: Row, index: int, shots: Sequence[Row]) -> Sample:
    """lm-eval `mmlu_pro_<category>`: the category's description, the first five validation
    rows of that category (question, " ", chain of thought without its "A: Let's think step
    by step. " lead, "\n\n"), then the question; the answer is a letter."""
    category = row["category"]
    description = (f"The following are multiple choice questions (with answers) about {category}. Think step by "
                   'step and then finish your answer with "the answer is (X)" where X is the correct letter choice.\n')
    examples = [s for s in shots if s["category"] == category][:5]
    blocks = "".join(_mmlu_pro_question(s) + " " + s["cot_content"].replace("A: Let's think step by step. ", "") + "\n\n"
                     for s in examples)
    return Sample(id=f"mmlu_pro-{row.get('question_id', index)}", input=description + blocks + _mmlu_pro_question(row),
                  target=str(row["answer"]), metadata={"category": category, "group": category})


# --- ARC, HellaSwag, PIQA, WinoGrande, BoolQ ---------------------------------------------------


def arc(row: Row, index: int) -> Sample:
    labels = list(row["choices"]["label"])
    return Sample(id=str(row.get("id", index)), input=f"Question: {row['question']}\nAnswer:",
                  target=labels.index(row["answerKey"]), choices=tuple(row["choices"]["text"]))


def hellaswag_preprocess(text: str) -> str:
    """lm-eval's HellaSwag clean-up: strip, WikiHow's " [title]" to ". ", other [brackets] dropped,
    double spaces made single."""
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def hellaswag(row: Row, index: int) -> Sample:
    ctx = row["ctx_a"] + " " + row["ctx_b"].capitalize()
    return Sample(id=f"hellaswag-{row.get('ind', index)}", input=hellaswag_preprocess(row["activity_label"] + ": " + ctx),
                  target=int(row["label"]), choices=tuple(hellaswag_preprocess(e) for e in row["endings"]),
                  metadata={"source_id": row.get("source_id")})


def piqa(row: Row, index: int) -> Sample:
    return Sample(id=f"piqa-{index}", input=f"Question: {row['goal']}\nAnswer:", target=int(row["label"]),
                  choices=(row["sol1"], row["sol2"]))


def winogrande(row: Row, index: int) -> Sample:
    """The sentence with its blank; each option fills it and the rest of the sentence is scored."""
    return Sample(id=f"winogrande-{index}", input=row["sentence"], target={"1": 0, "2": 1}[str(row["answer"])],
                  choices=(row["option1"], row["option2"]))


def boolq(row: Row, index: int) -> Sample:
    return Sample(id=f"boolq-{index}", input=f"{row['passage']}\nQuestion: {row['question']}?\nAnswer:",
                  target=int(row["label"]), choices=("no", "yes"))


# --- TruthfulQA ----------------------------------------------------------------------------

TRUTHFULQA_PREFIX = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain."
)


def truthfulqa_mc1(row: Row, index: int) -> Sample:
    return Sample(id=f"truthfulqa-{index}", input=TRUTHFULQA_PREFIX + "\n\nQ: " + row["question"] + "\nA:",
                  target=0, choices=tuple(row["mc1_targets"]["choices"]))


def truthfulqa_mc2(row: Row, index: int) -> Sample:
    targets = row["mc2_targets"]
    return Sample(id=f"truthfulqa-{index}", input=TRUTHFULQA_PREFIX + "\n\nQ: " + row["question"] + "\nA:",
                  target=0, choices=tuple(targets["choices"]), metadata={"labels": [int(x) for x in targets["labels"]]})


def _with_period(answers: Sequence[str]) -> list[str]:
    out = []
    for answer in answers:
        answer = answer.strip()
        if answer:
            out.append(answer if answer.endswith(".") else answer + ".")
    return out


def truthfulqa_gen(row: Row, index: int) -> Sample:
    """lm-eval `truthfulqa_gen`: references get a final period; "I have no comment." is true."""
    correct = _with_period(row["correct_answers"])
    if "I have no comment." not in correct:
        correct.append("I have no comment.")
    question = row["question"].strip()
    return Sample(id=f"truthfulqa-{index}", input=TRUTHFULQA_PREFIX + "\n\nQ: " + question, target=tuple(correct),
                  metadata={"correct_answers": correct, "incorrect_answers": _with_period(row["incorrect_answers"]),
                            "category": row.get("category")})


# --- GSM8K (8-shot chain of thought) -------------------------------------------------------

GSM8K_EXEMPLARS = (
    ("There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, "
     "there will be 21 trees. How many trees did the grove workers plant today?",
     "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have "
     "been 21 - 15 = 6. The answer is 6."),
    ("If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
     "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."),
    ("Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
     "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, "
     "they had 74 - 35 = 39. The answer is 39."),
    ("Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did "
     "Jason give to Denny?",
     "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. "
     "The answer is 8."),
    ("Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
     "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. "
     "The answer is 9."),
    ("There were nine computers in the server room. Five more computers were installed each day, from monday to "
     "thursday. How many computers are now in the server room?",
     "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers "
     "were added. 9 + 20 is 29. The answer is 29."),
    ("Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf "
     "balls did he have at the end of wednesday?",
     "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, "
     "he had 35 - 2 = 33 golf balls. The answer is 33."),
    ("Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
     "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars "
     "left. 23 - 15 is 8. The answer is 8."),
)
"""lm-eval `gsm8k_cot`'s fixed exemplars (Wei et al., 2022), in its order (first_n)."""

GSM8K_SHOTS = "\n\n".join(f"Q: {q}\nA: {a}" for q, a in GSM8K_EXEMPLARS)


def gsm8k(row: Row, index: int) -> Sample:
    return Sample(id=f"gsm8k-{index}", input=f"Q: {row['question']}\nA:",
                  target=row["answer"].split("####")[-1].strip(), metadata={"solution": row["answer"]})


# --- LAMBADA, WikiText ---------------------------------------------------------------------


def lambada(row: Row, index: int) -> Sample:
    """lm-eval `lambada_openai`: every word but the last is the context; " " + the last word
    is the one option (a single-choice item: only its log-likelihood and is_greedy matter)."""
    words = row["text"].split(" ")
    return Sample(id=f"lambada-{index}", input=" ".join(words[:-1]), target=0, choices=(words[-1],))


def wikitext_detokenize(page: str) -> str:
    """lm-eval's `wikitext_detokenizer`, step for step."""
    string = page
    string = string.replace("s '", "s'")
    string = re.sub(r"/' [0-9]/", r"/'[0-9]/", string)
    string = string.replace(" @-@ ", "-")
    string = string.replace(" @,@ ", ",")
    string = string.replace(" @.@ ", ".")
    string = string.replace(" : ", ": ")
    string = string.replace(" ; ", "; ")
    string = string.replace(" . ", ". ")
    string = string.replace(" ! ", "! ")
    string = string.replace(" ? ", "? ")
    string = string.replace(" , ", ", ")
    string = re.sub(r"\(\s*([^\)]*?)\s*\)", r"(\1)", string)
    string = re.sub(r"\[\s*([^\]]*?)\s*\]", r"[\1]", string)
    string = re.sub(r"{\s*([^}]*?)\s*}", r"{\1}", string)
    string = re.sub(r"\"\s*([^\"]*?)\s*\"", r'"\1"', string)
    string = re.sub(r"'\s*([^']*?)\s*'", r"'\1'", string)
    string = string.replace("= = = =", "====")
    string = string.replace("= = =", "===")
    string = string.replace("= =", "==")
    string = string.replace(" " + chr(176) + " ", chr(176))
    string = string.replace(" \n", "\n")
    string = string.replace("\n ", "\n")
    string = string.replace(" N ", " 1 ")
    return string.replace(" 's", "'s")


def wikitext(row: Row, index: int) -> Sample:
    """The detokenized page is the text scored; words and bytes are counted on the original
    page (lm-eval counts them before detokenizing)."""
    page = row["page"]
    return Sample(id=f"wikitext-{index}", input=wikitext_detokenize(page), target="",
                  metadata={"words": len(re.split(r"\s+", page)), "bytes": len(page.encode("utf-8"))})


# --- BBH (zero-shot) -------------------------------------------------------------------------

BBH_DESCRIPTIONS = {
    "boolean_expressions": "Evaluate the result of a random Boolean expression.",
    "sports_understanding": "Determine whether an artificially constructed sentence relating to sports is plausible or not.",
    "web_of_lies": "Evaluate a random boolean function expressed as a word problem.",
}


def bbh(row: Row, index: int, subtask: str) -> Sample:
    return Sample(id=f"bbh_{subtask}-{index}", input=f"{BBH_DESCRIPTIONS[subtask]}\n\nQ: {row['input']}\nA:",
                  target=str(row["target"]))
