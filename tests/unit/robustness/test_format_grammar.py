from dataclasses import replace

import pytest

from assay.core.format import Casing, OptionEnumerator, OptionStyle, PromptFormat
from assay.tasks.format_grammar import FormatGrammar, is_valid_format, parse_options, sample_formats


def test_sampling_is_reproducible_distinct_and_starts_with_default():
    a, b = sample_formats(12, seed=3), sample_formats(12, seed=3)
    assert a == b
    assert a[0] == PromptFormat()
    assert len({f.id for f in a}) == 12
    assert sample_formats(12, seed=4) != a


def test_every_sampled_format_keeps_options_parseable():
    for fmt in sample_formats(30, seed=0, style=OptionStyle.LISTED):
        text = fmt.render("What is 2 + 2?", ["3", "4", "5", "22"])
        assert parse_options(fmt, text, 4) == ["3", "4", "5", "22"]


def test_a_grammar_samples_in_one_style():
    """Each grammar stays in its option style; in cloze the option dimensions collapse, so no
    two sampled formats differ only in how options they never show would be listed."""
    listed = FormatGrammar(style=OptionStyle.LISTED)
    assert listed.base == PromptFormat(show_choices=True)
    assert all(f.show_choices for f in listed.sample(10, seed=0))
    cloze = FormatGrammar(style=OptionStyle.CLOZE)
    formats = cloze.sample(40, seed=0)
    assert formats[0] == PromptFormat(show_choices=False) and not any(f.show_choices for f in formats)
    shown = {(f.question_label, f.answer_label, f.label_separator, f.field_separator, f.casing, f.shot_separator)
             for f in formats}
    assert len(shown) == 40
    assert {(f.choices_label, f.option_separator, f.option_enumerator) for f in formats} == {
        (PromptFormat().choices_label, PromptFormat().option_separator, PromptFormat().option_enumerator)}
    assert cloze.size() == 4 * 5 * 4 * 3 * 3
    assert sample_formats(3, seed=0)[0] == PromptFormat()  # the default style is the default format's


def test_grammar_size_is_product_of_dimensions():
    g = FormatGrammar(label_separators=(": ", " - "), field_separators=("\n",), option_separators=("\n",),
                      enumerators=(OptionEnumerator.LETTER_DOT,), casings=(Casing.AS_IS,),
                      shot_separators=("\n\n",))
    assert g.size() == 4 * 2
    assert len(g.all_formats()) == 8


def test_invalid_formats_are_rejected():
    assert not is_valid_format(replace(PromptFormat(), option_separator=""))
    # labels that collide once cased cannot be told apart
    assert not is_valid_format(replace(PromptFormat(), question_label="Q", answer_label="q", casing=Casing.UPPER))
    assert not is_valid_format(PromptFormat(), n_options=13)  # no roman numeral past XII
    assert is_valid_format(PromptFormat())


def test_format_applies_to_shots_and_query_alike():
    fmt = sample_formats(5, seed=1)[3]
    prompt = fmt.render_prompt("Q2", ["x", "y"], shots=[("Q1", ["a", "b"], "a")])
    label = fmt.casing.apply(fmt.question_label) + fmt.label_separator
    assert prompt.count(label) == 2


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        sample_formats(0)
