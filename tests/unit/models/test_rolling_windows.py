"""Rolling windows score every token exactly once, with lm-eval's context rule (model-free)."""

import pytest

from assay.core import LoglikelihoodRolling
from assay.core.hashing import canonical_json
from assay.models.windows import rolling_windows

PREFIX = -1


def _check(n: int, max_length: int, stride: int | None) -> None:
    tokens = list(range(100, 100 + n))
    windows = rolling_windows(tokens, PREFIX, max_length, stride)
    scored = [t for w in windows for t in w.targets]
    assert scored == tokens  # every token once, in order
    for i, w in enumerate(windows):
        assert 1 <= len(w.inputs) <= max_length
        assert len(w.inputs) == len(w.context) + len(w.targets) - 1
        seen = list(w.context + w.targets)
        if i == 0:
            assert w.context == (PREFIX,)
        else:
            # the context is exactly the tokens before the window's targets, and the pass is full
            start = tokens.index(w.targets[0])
            assert list(w.context) == tokens[start - len(w.context):start]
            assert len(w.inputs) == max_length
            assert len(w.targets) <= (stride or max_length)
        assert seen[-len(w.targets):] == list(w.targets)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33])
@pytest.mark.parametrize("max_length,stride", [(1, None), (1, 1), (4, None), (4, 1), (4, 3), (8, None), (8, 5), (16, 16)])
def test_windows_cover_every_token_once(n: int, max_length: int, stride: int | None) -> None:
    _check(n, max_length, stride)


def test_hand_worked_windows_match_lm_eval_rule() -> None:
    # max_length 4, 10 tokens, disjoint (lm-eval's context_len=1): first window from the
    # prefix, then windows of 4 predictions each reading the 4 tokens before the last one.
    w = rolling_windows(list("abcdefghij"), "^", 4)  # type: ignore[arg-type]
    assert [(w_.context, w_.targets) for w_ in w] == [
        (("^",), tuple("abcd")),
        (("d",), tuple("efgh")),
        (tuple("fgh"), tuple("ij")),  # a short last window still reads a full context of 4
    ]
    assert w[2].inputs == tuple("fghi")


def test_text_that_fits_is_one_window_from_the_prefix() -> None:
    (only,) = rolling_windows([5, 6, 7], 0, 8)
    assert only.context == (0,) and only.targets == (5, 6, 7) and only.inputs == (0, 5, 6)


def test_empty_text_and_bad_arguments() -> None:
    assert rolling_windows([], 0, 4) == []
    with pytest.raises(ValueError):
        rolling_windows([1], 0, 0)
    with pytest.raises(ValueError):
        rolling_windows([1], 0, 4, stride=5)
    with pytest.raises(ValueError):
        rolling_windows([1], 0, 4, stride=0)


def test_rolling_request_key_is_canonical_json() -> None:
    r = LoglikelihoodRolling("We the People")
    assert r.canonical() == canonical_json({"kind": "loglikelihood_rolling", "text": "We the People"})
    assert r.key() != LoglikelihoodRolling("We the people").key()
    assert r == LoglikelihoodRolling("We the People") and hash(r) == hash(LoglikelihoodRolling("We the People"))
