"""`PromptFormat`: one point in the space of meaning-preserving prompt layouts.

Field names ("Question" / "Q"), the separator between a field and its value (": ", " - ",
newline), the separator between fields, label casing and the option enumerator ("A.",
"(a)", "1)", "I.") are all choices that should not change what is asked — FormatSpread
(Sclar et al.) shows they change accuracy anyway. The default format is one point; the
robustness analyses sample many. Rendering is pure string work, applied identically to the
few-shot examples and the query.

Two switches are not layout: `show_choices` (list the options in the prompt, or not: the
cloze style, where each option is only ever the scored continuation) and `verbatim` (the
sample's input already is the whole query block, as a task file's `template` is).

The default is cloze. Measured with benchmarks/prompt_style.py on the bundled 135M/270M
models, listing the options and then scoring the option text costs 37-43 points on easy
general-knowledge questions, and 3 (SmolLM2, not significant) to 12 points (Gemma) on the
built-in suites (docs/task-files.md, "Cloze or listed").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Sequence

from assay.core.hashing import stable_hash

_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


class Casing(str, Enum):
    AS_IS = "as_is"
    UPPER = "upper"
    LOWER = "lower"
    TITLE = "title"

    def apply(self, text: str) -> str:
        if self is Casing.UPPER:
            return text.upper()
        if self is Casing.LOWER:
            return text.lower()
        if self is Casing.TITLE:
            return text.title()
        return text


class OptionEnumerator(str, Enum):
    LETTER_DOT = "A."
    LETTER_PAREN = "(A)"
    LOWER_PAREN = "(a)"
    NUMBER_PAREN = "1)"
    ROMAN_DOT = "I."

    def label(self, index: int) -> str:
        if self is OptionEnumerator.LETTER_DOT:
            return f"{chr(65 + index)}."
        if self is OptionEnumerator.LETTER_PAREN:
            return f"({chr(65 + index)})"
        if self is OptionEnumerator.LOWER_PAREN:
            return f"({chr(97 + index)})"
        if self is OptionEnumerator.NUMBER_PAREN:
            return f"{index + 1})"
        return f"{_ROMAN[index]}."

    def key(self, index: int) -> str:
        """The label without its punctuation ("A" for "A." and "(A)", "1" for "1)"): what a
        model answers with when the options' letters are the scored continuations."""
        return self.label(index).strip("().")


class OptionStyle(str, Enum):
    """How a multiple-choice prompt presents its options. Either way each option's text is
    scored as the continuation after the answer label."""

    CLOZE = "cloze"  # options not shown: "Question: ...\nAnswer:" + " option"
    LISTED = "listed"  # options enumerated under "Choices:" before "Answer:"


@dataclass(frozen=True)
class PromptFormat:
    """How a sample is laid out as text. All fields are meaning-preserving choices.

    `verbatim`: the input is used as written, with no labels and no listed options (a task
    file's template is the prompt); a few-shot example is its input, `answer_lead` and
    answer. Only `shot_separator` and `label_separator` (through `answer_lead`) still apply.
    """

    question_label: str = "Question"
    choices_label: str = "Choices"
    answer_label: str = "Answer"
    label_separator: str = ": "
    field_separator: str = "\n"
    option_separator: str = "\n"
    option_enumerator: OptionEnumerator = OptionEnumerator.LETTER_DOT
    casing: Casing = Casing.AS_IS
    shot_separator: str = "\n\n"
    show_choices: bool = False
    verbatim: bool = False

    @property
    def id(self) -> str:
        """A short stable name for this format, for logs and result tables."""
        if self == PromptFormat():
            return "default"
        if self == PromptFormat(verbatim=True):
            return "verbatim"
        return "fmt-" + stable_hash(self.to_dict())[:8]

    def to_dict(self) -> dict[str, object]:
        """The fields as JSON values. `verbatim` appears only when set, so the ids (hashes
        of this) of formats from before it existed are unchanged."""
        data = asdict(self)
        data["option_enumerator"] = self.option_enumerator.value
        data["casing"] = self.casing.value
        if not self.verbatim:
            del data["verbatim"]
        return data

    @property
    def style(self) -> OptionStyle:
        return OptionStyle.LISTED if self.show_choices else OptionStyle.CLOZE

    def with_style(self, style: OptionStyle) -> "PromptFormat":
        """This format with the options listed or not, everything else unchanged."""
        return replace(self, show_choices=style is OptionStyle.LISTED)

    def _label(self, name: str) -> str:
        return self.casing.apply(name)

    @property
    def answer_lead(self) -> str:
        """Whitespace moved from the end of the prompt to the front of the answer.

        Tokenizers glue a leading space to the next word, so "Answer:" + " Paris" scores the
        natural tokens, where "Answer: " + "Paris" would not.
        """
        sep = self.label_separator
        return sep[len(sep.rstrip()):]

    def render(self, question: str, choices: Sequence[str] | None = None, answer: str | None = None) -> str:
        """One block: question, options when shown, and the answer label (plus the answer
        text for a few-shot example). A query block ends right after the answer label."""
        if self.verbatim:
            return question if answer is None else question + self.answer_lead + answer
        parts = [self._label(self.question_label) + self.label_separator + question]
        if choices is not None and self.show_choices:
            options = self.option_separator.join(
                f"{self.option_enumerator.label(i)} {c}" for i, c in enumerate(choices)
            )
            parts.append(self._label(self.choices_label) + self.label_separator.rstrip() + self.option_separator + options)
        head = self._label(self.answer_label) + self.label_separator.rstrip()
        parts.append(head if answer is None else head + self.answer_lead + answer)
        return self.field_separator.join(parts)

    def render_prompt(
        self,
        question: str,
        choices: Sequence[str] | None = None,
        shots: Sequence[tuple[str, Sequence[str] | None, str]] = (),
        instruction: str = "",
    ) -> str:
        """The whole prompt: optional instruction, few-shot blocks with answers, then the query."""
        blocks = [self.render(q, c, a) for q, c, a in shots]
        blocks.append(self.render(question, choices))
        body = self.shot_separator.join(blocks)
        return (instruction + self.shot_separator + body) if instruction else body
