"""IFEval's instruction ids to assay's instruction checks (`assay.scoring.instructions`).

A prompt is kept only when every one of its instructions maps: scoring a subset of a
prompt's instructions would change what prompt-level accuracy means. `UNSUPPORTED` lists
the ids assay has no faithful check for (docs/benchmarks.md gives the counts).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

UNSUPPORTED = (
    "change_case:capital_word_frequency", "combination:repeat_prompt", "combination:two_responses",
    "detectable_content:number_placeholders", "detectable_content:postscript",
    "detectable_format:constrained_response", "detectable_format:multiple_sections",
    "detectable_format:number_highlighted_sections", "keywords:letter_frequency", "language:response_language",
    "length_constraints:nth_paragraph_first_word",
    "length_constraints:number_paragraphs",  # IFEval splits paragraphs on "***", assay on blank lines
    "length_constraints:number_sentences",
)


def _relation(kwargs: Mapping[str, Any], count_key: str, at_least: str, at_most: str, extra: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    n = int(kwargs[count_key])
    relation = kwargs.get("relation")
    if relation == "at least":
        return [{"type": at_least, "n": n, **extra}] if at_least else None
    if relation == "less than":
        return [{"type": at_most, "n": n - 1, **extra}] if at_most else None
    return None


def checks_for(instruction_id: str, kwargs: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The assay checks for one IFEval instruction, or None when there is no faithful one."""
    kwargs = {k: v for k, v in (kwargs or {}).items() if v is not None}
    if instruction_id == "punctuation:no_comma":
        return [{"type": "no_commas"}]
    if instruction_id == "change_case:english_lowercase":
        return [{"type": "lowercase"}]
    if instruction_id == "change_case:english_capital":
        return [{"type": "uppercase"}]
    if instruction_id == "keywords:existence":
        return [{"type": "include_keywords", "keywords": list(kwargs["keywords"])}]
    if instruction_id == "keywords:forbidden_words":
        return [{"type": "exclude_word", "word": w} for w in kwargs["forbidden_words"]]
    if instruction_id == "keywords:frequency":
        # only "at least" has an assay check (keyword_frequency counts a minimum)
        return _relation(kwargs, "frequency", "keyword_frequency", "", {"word": kwargs["keyword"]})
    if instruction_id == "length_constraints:number_words":
        return _relation(kwargs, "num_words", "min_words", "max_words", {})
    if instruction_id == "detectable_format:number_bullet_lists":
        return [{"type": "bullet_points", "n": int(kwargs["num_bullets"])}]
    if instruction_id == "startend:end_checker":
        return [{"type": "end_with", "phrase": kwargs["end_phrase"]}]
    if instruction_id == "startend:quotation":
        return [{"type": "quotation"}]
    if instruction_id == "detectable_format:title":
        return [{"type": "title"}]
    if instruction_id == "detectable_format:json_format":
        return [{"type": "json_keys", "keys": []}]  # IFEval accepts any JSON value; assay wants an object
    return None


def ifeval_checks(instruction_ids: Sequence[str], kwargs: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """All the checks of one prompt, and the ids that did not map (the prompt is dropped if any)."""
    checks: list[dict[str, Any]] = []
    unmapped: list[str] = []
    for instruction_id, args in zip(instruction_ids, kwargs):
        mapped = checks_for(instruction_id, args)
        if mapped is None:
            unmapped.append(instruction_id)
        else:
            checks += mapped
    return checks, unmapped
