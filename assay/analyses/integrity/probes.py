"""Texts whose membership is known, to measure a detector before trusting it.

- `seen_passages`: text a web-trained model has surely read: the Zen of Python, the licence
  texts Debian ships under /usr/share/common-licenses (GPL, Apache-2.0, ...) and the
  docstrings of long-standing Python standard-library modules. Each is cut into passages of
  about `words` words.
- `unseen_passages`: text that cannot be in any training set: random but well-formed
  sentences from a seeded grammar, optionally mixed with passages of the seeded fiction suite
  (invented animals, planets, glands, made today from `seed`).

The two sets differ in domain as well as in membership (licences and docstrings against
short declarative sentences), so a high AUROC here shows a score *can* separate; it does not
show that it separates a benchmark's items for the right reason (see docs/integrity.md).
"""

from __future__ import annotations

import ast
import codecs
import importlib
import importlib.util
import random
import re
from pathlib import Path

LICENCES = ("GPL-3", "Apache-2.0", "GPL-2", "LGPL-2.1", "MPL-2.0", "Artistic", "BSD", "CC0-1.0", "GFDL-1.3")
STDLIB = ("os", "json", "re", "subprocess", "argparse", "logging", "collections", "threading", "pickle",
          "socket", "datetime", "unittest", "random", "functools", "itertools", "shutil", "tempfile", "csv",
          "heapq", "bisect", "textwrap", "string", "difflib", "inspect", "typing", "decimal", "fractions",
          "contextlib", "dataclasses", "pathlib", "enum", "abc", "copy", "pprint", "glob", "fnmatch")


def zen_of_python() -> str:
    """PEP 20, read from the `this` module's source (importing it would print it)."""
    spec = importlib.util.find_spec("this")
    source = Path(spec.origin).read_text() if spec and spec.origin else ""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "s":
            return codecs.decode(ast.literal_eval(node.value), "rot13")
    raise RuntimeError("the Zen of Python was not found in the `this` module")


def _passages(text: str, words: int) -> list[str]:
    parts = text.split()
    return [" ".join(parts[i:i + words]) for i in range(0, len(parts) - words + 1, words)]


def _docstring(module: str) -> str:
    try:
        return importlib.import_module(module).__doc__ or ""
    except ImportError:
        return ""


def seen_passages(n: int, words: int = 100, seed: int = 0,
                  licences_dir: str | Path = "/usr/share/common-licenses") -> list[tuple[str, str]]:
    """Up to `n` (id, passage) pairs of surely-seen text, sources interleaved, seeded order."""
    pools: list[list[tuple[str, str]]] = []
    zen = zen_of_python()
    pools.append([("zen", zen)])
    for name in LICENCES:
        path = Path(licences_dir) / name
        if path.is_file():
            text = re.sub(r"\s+", " ", path.read_text(errors="replace"))
            pools.append([(f"{name}-{i}", p) for i, p in enumerate(_passages(text, words))])
    docs = []
    for module in STDLIB:
        doc = " ".join(_docstring(module).split())
        docs += [(f"py-{module}-{i}", p) for i, p in enumerate(_passages(doc, min(words, max(48, len(doc.split())))))]
    pools.append(docs)
    rng = random.Random(seed)
    for pool in pools:
        rng.shuffle(pool)
    out: list[tuple[str, str]] = []
    while len(out) < n and any(pools):
        for pool in pools:
            if pool and len(out) < n:
                out.append(pool.pop())
    return out


_LEX = {
    "name": ("Brenna", "Tovik", "Salme", "Oduya", "Kestrel", "Mirabai", "Fennick", "Ilsabet", "Quorra", "Daven",
             "Ostrid", "Lumo", "Petrana", "Jossel", "Ysolde", "Harvick", "Nellary", "Corwen", "Amsel", "Tibor"),
    "place": ("the salt marsh", "the old quarry", "a rented attic", "the night ferry", "the hill orchard",
              "a tin-roofed workshop", "the river archive", "the glass market", "the north platform",
              "a flooded cellar", "the copper mill", "the school kitchen", "a lighthouse stair", "the bus depot"),
    "verb": ("repaired", "counted", "painted", "measured", "borrowed", "sorted", "labelled", "carried",
             "weighed", "folded", "polished", "buried", "traded", "sketched", "mislaid", "returned"),
    "thing": ("eleven copper kettles", "a crate of blue lanterns", "the broken loom", "three maps of the coast",
              "a bundle of reed pens", "the winter ledgers", "forty clay tiles", "a drum of lamp oil",
              "a cracked violin", "two sacks of barley", "the brass compass", "a roll of green felt",
              "nine chipped saucers", "the tide tables", "a basket of quinces", "the spare bicycle chain"),
    "adj": ("damp", "crooked", "patient", "noisy", "faded", "stubborn", "narrow", "cheerful", "hollow", "bitter",
            "gentle", "rusty", "silver", "careless", "tidy", "restless"),
    "feeling": ("annoyed", "relieved", "puzzled", "delighted", "tired", "suspicious", "calm", "embarrassed"),
    "time": ("before dawn", "after the storm", "on a Thursday", "late in March", "during the fair",
             "at half past four", "the day the power failed", "when the bells stopped"),
}
_TEMPLATES = (
    "{time}, {name} {verb} {thing} in {place}.",
    "{name} was {feeling} to find {thing} beside a {adj} door in {place}.",
    "Nobody in {place} remembered who had {verb} {thing} {time}.",
    "The {adj} clerk told {name} that {thing} could not be {verb} until {number} more forms were signed.",
    "{name} and {name2} argued for {number} minutes about {thing}, then went home {feeling}.",
    "It took {name} {number} tries to get {thing} up the {adj} stairs of {place}.",
    "When {name2} arrived, {name} had already {verb} {thing} and looked {feeling}.",
    "A {adj} dog followed {name} from {place} all the way to {place2}.",
    "According to {name2}, {thing} had been {verb} {time} by someone wearing {adj} boots.",
    "{name} wrote the number {number} on a card and left it under {thing}.",
    "Since {time}, the {adj} lamp in {place} has flickered whenever {name} walks past.",
    "Why {name2} kept {thing} in {place} was a question {name} never asked.",
)


def _sentence(rng: random.Random) -> str:
    name, name2 = rng.sample(_LEX["name"], 2)
    place, place2 = rng.sample(_LEX["place"], 2)
    fields = {k: rng.choice(v) for k, v in _LEX.items()}
    fields |= {"name": name, "name2": name2, "place": place, "place2": place2, "number": rng.randint(2, 97)}
    text = rng.choice(_TEMPLATES).format(**fields)
    return text[0].upper() + text[1:]


def unseen_passages(n: int, words: int = 100, seed: int = 0, fiction: float = 0.0) -> list[tuple[str, str]]:
    """`n` (id, passage) pairs that no model can have seen, each about `words` words: random
    but well-formed sentences from a seeded grammar (12 sentence shapes, a lexicon of
    invented names and everyday words), and a `fiction` share of passages from the seeded
    fiction suite (invented animals and planets, made from `seed`; more repetitive text, so
    lower perplexity: a harder clean set)."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    n_fiction = int(round(n * fiction))
    if n_fiction:
        from assay.tasks.resolve import resolve_tasks

        suite = resolve_tasks([f"fiction-qa:n={5 * n_fiction + 20}"], seed=seed + 7919)[0]
        passages = list(dict.fromkeys(str(s.input).split("\n\n")[0] for s in suite.load()))
        joined = _passages(" ".join(passages), words)
        out += [(f"fiction-{i}", p) for i, p in enumerate(joined[:n_fiction])]
    while len(out) < n:
        text = ""
        while len(text.split()) < words:
            text += _sentence(rng) + " "
        out.append((f"sentences-{len(out)}", " ".join(text.split()[:words])))
    return out
