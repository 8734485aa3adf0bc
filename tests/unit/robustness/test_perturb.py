from assay.analyses.robustness import add_distractor, rename_entities, shuffle_options
from assay.core.sample import Sample
from assay.tasks.builtin import make_builtin
from assay.tasks.suites.logic import _NAMES


def test_shuffle_keeps_the_answer():
    s = Sample("x", "q", 2, ("a", "b", "c", "d"))
    t = shuffle_options(s, seed=5)
    assert t.choices[t.target] == "c" and sorted(t.choices) == list(s.choices)
    assert shuffle_options(s, seed=5) == t


def test_distractor_prepends_one_sentence():
    s = Sample("x", "What is 1+1?", 0, ("2", "3"))
    t = add_distractor(s)
    assert t.input.endswith(s.input) and t.choices == s.choices and t.target == 0


def test_rename_is_consistent_in_question_and_options():
    for s in make_builtin("logic-mc", 10, 0).load():
        t = rename_entities(s, _NAMES)
        mapping = t.metadata["renamed"]
        assert mapping
        assert t.choices[t.target] == mapping.get(s.choices[s.target], s.choices[s.target])
        for old in mapping:
            assert old not in t.input.split()
