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
