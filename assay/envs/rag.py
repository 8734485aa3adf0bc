"""Questions over a generated document store, with and without retrieval (OmniBench-RAG).

The store holds short biographies of invented inventors (so no model knows them from
pre-training); each question is answerable from exactly one document. Three modes of the
same questions: `none` (closed book: the honest answer is that it is unknown), `bm25`
(the top-k documents by BM25, from `rank-bm25`, are put in the observation) and `tool`
(the agent may call `search`). Retrieval recall (was the gold document among those
retrieved) is reported beside answer accuracy, so a wrong answer can be blamed on the
retriever or on the reader.
"""

from __future__ import annotations

import random
import re

from assay.envs.base import Action, Environment, StepResult, tool_schema
from assay.envs.registry import register_env

_FIRST = ("Ada", "Boris", "Celine", "Dmitri", "Esme", "Farid", "Gwen", "Hakon", "Ilse", "Joaquin", "Kenji", "Liesel",
          "Marek", "Nadia", "Otto", "Priya", "Quentin", "Rosa", "Soren", "Tamsin")
_LAST = ("Varga", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Brandt", "Quispe", "Halloran", "Sato", "Petrov")
_DEVICES = ("tide clock", "wind loom", "glass kiln", "copper lens", "steam sieve", "salt press", "rope lift",
            "ice saw", "clay pump", "brass compass", "water wheel", "silk reel")
_TOWNS = ("Ardel", "Brisk", "Corvo", "Dunmore", "Emsby", "Frayle", "Gorsk", "Hythe")


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def build_store(seed: int, n_docs: int = 40) -> list[dict[str, str]]:
    """The document store of a seed: `n_docs` biographies with distinct names."""
    rng = random.Random(seed)
    names = rng.sample([f"{f} {l}" for f in _FIRST for l in _LAST], n_docs)
    docs = []
    for i, name in enumerate(names):
        device, town, year = rng.choice(_DEVICES), rng.choice(_TOWNS), rng.randrange(1700, 1900)
        docs.append({"id": f"doc{i}", "name": name, "device": device, "town": town, "year": str(year),
                     "text": f"{name} was an inventor from {town}. In {year}, {name} built the first {device}."})
    return docs


@register_env("rag")
class RetrievalQA(Environment):
    """One question about the store; retrieval per `retrieval` = none | bm25 | tool."""

    description = "questions over a generated document store, retrieval none|bm25|tool (recall beside accuracy)"
    metrics = ("retrieval_recall",)
    checkpoints = ("retrieved", "answer")

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self.mode = str(params.get("retrieval", "bm25"))
        if self.mode not in ("none", "bm25", "tool"):
            raise ValueError(f"retrieval must be none, bm25 or tool, not {self.mode!r}")
        self.k = int(params.get("k", 3))  # type: ignore[arg-type]
        self.tools = (tool_schema("search", "Search the document store; returns the best matching documents.",
                                  {"query": {"type": "string"}}, ("query",)),) if self.mode == "tool" else ()
        self.instructions = ("Answer the question in a few words. Use only the documents given"
                             + (" or found with the search tool" if self.mode == "tool" else "")
                             + ". If they do not contain the answer, say you do not know.")

    def reset(self, seed: int) -> str:
        from rank_bm25 import BM25Okapi

        self.docs = build_store(int(self.params.get("store_seed", 0)))  # type: ignore[arg-type]
        self.bm25 = BM25Okapi([_tokens(d["text"]) for d in self.docs])
        rng = random.Random(seed)
        self.gold = rng.choice(self.docs)
        if rng.random() < 0.5:
            self.question = f"In what year did {self.gold['name']} build the first {self.gold['device']}?"
            self.answer = self.gold["year"]
        else:
            self.question = f"Which town was {self.gold['name']}, the inventor of the {self.gold['device']}, from?"
            self.answer = self.gold["town"]
        self.retrieved: list[str] = []
        self.correct = False
        if self.mode == "bm25":
            found = self.search(self.question)
            return "Documents:\n" + found + f"\n\nQuestion: {self.question}"
        return f"Question: {self.question}"

    def search(self, query: str) -> str:
        scores = self.bm25.get_scores(_tokens(query))
        top = sorted(range(len(self.docs)), key=lambda i: (-scores[i], i))[: self.k]
        self.retrieved.extend(self.docs[i]["id"] for i in top)
        return "\n".join(f"[{self.docs[i]['id']}] {self.docs[i]['text']}" for i in top)

    def step(self, action: Action) -> StepResult:
        if action.is_tool_call:
            return StepResult(self.search(str(action.arguments["query"])),
                              info={"checkpoint": "retrieved" if self.gold["id"] in self.retrieved else None})
        self.correct = self.answer.lower() in (action.text or "").lower()
        return StepResult("", reward=float(self.correct), done=True,
                          info={"outcome": "solved" if self.correct else "wrong_answer"})

    def progress(self) -> float:
        return (float(self.gold["id"] in self.retrieved) + float(self.correct)) / 2

    def episode_metrics(self) -> dict[str, float]:
        recall = float(self.gold["id"] in self.retrieved) if self.mode != "none" else float("nan")
        return {"retrieval_recall": recall}
