"""Request keys: stable, equal for equal requests, memoized without touching equality."""

from assay.core import ChatMessage, Generate, GenerationParams, Loglikelihood
from assay.core.hashing import stable_hash


def test_keys_are_stable_and_memoized() -> None:
    a, b = Loglikelihood("ctx", " x"), Loglikelihood("ctx", " x")
    assert a.key() == b.key() == stable_hash(a.to_dict())
    assert a.key() is a.key()  # computed once
    assert a == b and hash(a) == hash(b) and a != Loglikelihood("ctx", " y")
    g = Generate(messages=(ChatMessage("user", "hi"),), params=GenerationParams(max_tokens=3))
    assert g.key() == stable_hash(g.to_dict()) != Generate(prompt="hi", params=g.params).key()


def test_loglikelihood_canonical_text_equals_generic_encoding() -> None:
    """The hand-assembled canonical JSON of a log-likelihood request is byte for byte the
    generic one, so cache keys written before it still match."""
    from assay.core.hashing import canonical_json

    awkward = ['', 'plain', 'quote " and \\ backslash', 'new\nline\ttab\r', '\x00\x1f\x7f control',
               'ünïcödé — “quotes” 😀', '\u2028\u2029 separators', '</script>', '{"json": [1, 2]}']
    for context in awkward:
        for continuation in awkward:
            request = Loglikelihood(context, continuation)
            assert request.canonical() == canonical_json(request.to_dict())
