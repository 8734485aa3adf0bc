"""Texts whose membership is known, to measure a detector before trusting it.

- `seen_passages`: text a web-trained model has surely read: the Zen of Python, the licence
  texts Debian ships under /usr/share/common-licenses (GPL, Apache-2.0, ...) and the
  docstrings of long-standing Python standard-library modules. Each is cut into passages of
  about `words` words.
- `unseen_passages`: text that cannot be in any training set: passages of the seeded
  fiction suite (invented animals, planets, glands, made today from `seed`) and random but
  well-formed sentences from a small seeded grammar.

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


_NAMES = ("Brenna", "Tovik", "Salme", "Oduya", "Kestrel", "Mirabai", "Fennick", "Ilsabet", "Quorra", "Daven")
_PLACES = ("the salt marsh", "the old quarry", "a rented attic", "the night ferry", "the hill orchard",
           "a tin-roofed workshop", "the river archive", "the glass market")
_VERBS = ("repaired", "counted", "painted", "measured", "borrowed", "sorted", "labelled", "carried")
_THINGS = ("eleven copper kettles", "a crate of blue lanterns", "the broken loom", "three maps of the coast",
           "a bundle of reed pens", "the winter ledgers", "forty clay tiles", "a drum of lamp oil")
_LINKS = ("After that,", "Meanwhile,", "The next morning,", "Because of the rain,", "Later,", "By noon,")


def _sentence(rng: random.Random) -> str:
    who, other = rng.sample(_NAMES, 2)
    return (f"{rng.choice(_LINKS)} {who} {rng.choice(_VERBS)} {rng.choice(_THINGS)} in {rng.choice(_PLACES)} "
            f"while {other} waited for {rng.randint(2, 97)} minutes.")


def unseen_passages(n: int, words: int = 100, seed: int = 0) -> list[tuple[str, str]]:
    """`n` (id, passage) pairs that no model can have seen: half fiction-suite passages made
    from `seed`, half random sentences from a seeded grammar, each about `words` words."""
    from assay.tasks.resolve import resolve_tasks

    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    fiction = resolve_tasks([f"fiction-qa:n={5 * n}"], seed=seed + 7919)[0]
    passages = list(dict.fromkeys(str(s.input).split("\n\n")[0] for s in fiction.load()))
    joined = _passages(" ".join(passages), words)
    out += [(f"fiction-{i}", p) for i, p in enumerate(joined[: n // 2])]
    while len(out) < n:
        text = ""
        while len(text.split()) < words:
            text += _sentence(rng) + " "
        out.append((f"sentences-{len(out)}", " ".join(text.split()[:words])))
    return out
