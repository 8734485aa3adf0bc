"""`FormatGrammar`: the space of meaning-preserving prompt formats, and reproducible samples of it.

FormatSpread (Sclar et al., 2024) defines a grammar of plausible formats — descriptors
("Question" / "Q" / "QUESTION"), separators between a field and its value (": ", " - ", "::"),
separators between fields (newline, double newline, " || "), casing, and item enumerators
("A.", "(a)", "1)", "I.") — and samples K formats from it uniformly, each applied identically
to every few-shot example and the query. A format is only admissible when the prompt still
says the same thing: here, when the answer options can be read back from the rendered prompt
in their order, and the labels and separators keep the fields apart.

    grammar = FormatGrammar()
    formats = grammar.sample(10, seed=0)     # formats[0] is the default format

A grammar samples in one option style: the default format's (`PromptFormat().style`) unless
`style` says otherwise. In the cloze style no option is shown, so the option dimensions
(choices label, option separator, enumerator) collapse to the default's: two formats that
would render alike never count as two.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from assay.core.format import Casing, OptionEnumerator, OptionStyle, PromptFormat

_PROBE_QUESTION = "Which of these is the probe?"
_PROBE_CHOICES = ("alpha one", "beta two", "gamma three", "delta four", "epsilon five")


@dataclass(frozen=True)
class FormatGrammar:
    """The choices of each formatting dimension. Every combination is one `PromptFormat`."""

    descriptors: tuple[tuple[str, str, str], ...] = (
        ("Question", "Choices", "Answer"),
        ("Q", "Options", "A"),
        ("Input", "Options", "Output"),
        ("Problem", "Candidates", "Solution"),
    )
    label_separators: tuple[str, ...] = (": ", " - ", ":: ", ":\n", " = ")
    field_separators: tuple[str, ...] = ("\n", "\n\n", " ", " || ")
    option_separators: tuple[str, ...] = ("\n", "; ", " | ", "  ")
    enumerators: tuple[OptionEnumerator, ...] = tuple(OptionEnumerator)
    casings: tuple[Casing, ...] = (Casing.AS_IS, Casing.UPPER, Casing.LOWER)
    shot_separators: tuple[str, ...] = ("\n\n", "\n\n\n", "\n---\n")
    style: OptionStyle = PromptFormat().style

    @property
    def base(self) -> PromptFormat:
        """The default format in this grammar's style: the first of `sample(include_default=True)`."""
        return PromptFormat().with_style(self.style)

    def size(self) -> int:
        """How many formats the grammar spans (before the validity check)."""
        dims = self._dimensions()
        return int(np.prod([len(d) for d in dims]))

    def _dimensions(self) -> list[tuple[object, ...]]:
        if self.style is OptionStyle.CLOZE:  # options are not shown: their dimensions do nothing
            base = self.base
            descriptors = tuple(dict.fromkeys((q, base.choices_label, a) for q, _, a in self.descriptors))
            return [descriptors, self.label_separators, self.field_separators, (base.option_separator,),
                    (base.option_enumerator,), self.casings, self.shot_separators]
        return [self.descriptors, self.label_separators, self.field_separators, self.option_separators,
                self.enumerators, self.casings, self.shot_separators]

    def build(self, choice: Sequence[int]) -> PromptFormat:
        """The format at one index per dimension (in `_dimensions` order)."""
        dims = self._dimensions()
        d, ls, fs, os_, en, ca, ss = (dims[i][c] for i, c in enumerate(choice))
        question, choices, answer = d  # type: ignore[misc]
        return PromptFormat(
            question_label=question, choices_label=choices, answer_label=answer,
            label_separator=ls, field_separator=fs, option_separator=os_,  # type: ignore[arg-type]
            option_enumerator=en, casing=ca, shot_separator=ss,  # type: ignore[arg-type]
            show_choices=self.style is OptionStyle.LISTED,
        )

    def sample(self, k: int, seed: int = 0, include_default: bool = True,
               n_options: int = len(_PROBE_CHOICES)) -> list[PromptFormat]:
        """`k` distinct valid formats drawn uniformly from the grammar with `seed`.

        With `include_default` the first is `base` (`PromptFormat()` in the default style), so a
        spread always sits next to the score a plain run reports. The same (grammar, k, seed)
        always gives the same list.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        dims = self._dimensions()
        rng = np.random.default_rng(seed)
        out: list[PromptFormat] = [self.base] if include_default else []
        seen = {f.id for f in out}
        tries = 0
        while len(out) < k:
            tries += 1
            if tries > 200 * k + 1000:
                raise ValueError(f"the grammar has fewer than {k} distinct valid formats")
            fmt = self.build([int(rng.integers(len(d))) for d in dims])
            if fmt.id in seen or not is_valid_format(fmt, n_options):
                continue
            seen.add(fmt.id)
            out.append(fmt)
        return out

    def all_formats(self) -> list[PromptFormat]:
        """Every valid format (for small grammars; exhaustive search)."""
        dims = self._dimensions()
        fmts = (self.build(c) for c in itertools.product(*(range(len(d)) for d in dims)))
        return [f for f in fmts if is_valid_format(f)]


def sample_formats(k: int, seed: int = 0, include_default: bool = True,
                   style: OptionStyle | None = None) -> list[PromptFormat]:
    """`k` formats from the default grammar (the first is the default format), in `style`
    (default: the default format's)."""
    grammar = FormatGrammar() if style is None else FormatGrammar(style=style)
    return grammar.sample(k, seed, include_default)


def parse_options(fmt: PromptFormat, rendered: str, n_options: int) -> list[str] | None:
    """Read the option texts back out of a rendered query block, or None when they cannot be.

    The options block starts after the choices label and ends where the answer label begins;
    each option is found by its enumerator label in order.
    """
    head = fmt.casing.apply(fmt.choices_label) + fmt.label_separator.rstrip() + fmt.option_separator
    tail = fmt.field_separator + fmt.casing.apply(fmt.answer_label) + fmt.label_separator.rstrip()
    start = rendered.find(head)
    end = rendered.rfind(tail)
    if start < 0 or end < 0 or end < start:
        return None
    block = rendered[start + len(head):end]
    labels = [fmt.option_enumerator.label(i) + " " for i in range(n_options)]
    pattern = "".join(
        (re.escape(fmt.option_separator) if i else "") + re.escape(label) + "(.+?)"
        for i, label in enumerate(labels)
    )
    match = re.fullmatch(pattern, block, flags=re.DOTALL)
    return None if match is None else list(match.groups())


def is_valid_format(fmt: PromptFormat, n_options: int = len(_PROBE_CHOICES)) -> bool:
    """Whether `fmt` keeps a question answerable: the field labels it shows stay distinct after
    casing, no separator is empty, and (when options are listed) they read back intact and in
    order."""
    if not fmt.label_separator or not fmt.field_separator or not fmt.option_separator:
        return False
    shown = (fmt.question_label, fmt.choices_label, fmt.answer_label) if fmt.show_choices else (
        fmt.question_label, fmt.answer_label)
    if len({fmt.casing.apply(x) for x in shown}) < len(shown) or n_options > 12:
        return False
    if not fmt.show_choices:
        return True
    choices = _PROBE_CHOICES[:n_options] if n_options <= len(_PROBE_CHOICES) else tuple(
        f"option {i}" for i in range(n_options))
    rendered = fmt.render(_PROBE_QUESTION, list(choices))
    return parse_options(fmt, rendered, len(choices)) == list(choices)


def with_enumerator(fmt: PromptFormat, enumerator: OptionEnumerator) -> PromptFormat:
    """`fmt` with another option enumerator (one grammar dimension moved)."""
    return replace(fmt, option_enumerator=enumerator)
