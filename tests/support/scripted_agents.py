"""Scripted agents: deterministic policies that read the conversation and reply, used as the
`reply` of an `InstantModel` so whole episodes run through the real engine (cache, steps,
records) without a language model. They are agents under test of the environments and the
loop, not stand-ins for a model's quality."""

from __future__ import annotations

import json
import re

from assay.core.requests import Generate


def _last_user(request: Generate) -> str:
    return next(m.content for m in reversed(request.messages or ()) if m.role == "user")


def _first_user(request: Generate) -> str:
    return next(m.content for m in request.messages or () if m.role == "user")


def _call(tool: str, **arguments: object) -> str:
    return json.dumps({"tool": tool, "arguments": arguments})


def tools_oracle(request: Generate) -> str:
    """Solves every solvable `tools` episode with the fewest tool calls; says UNSOLVABLE otherwise."""
    question, last = _first_user(request), _last_user(request)
    result = last.split("): ", 1)[1].split("\n")[0] if last.startswith("Tool result") else None
    if last.startswith("Tool error"):
        return "UNSOLVABLE: the tools cannot answer this."
    if m := re.match(r"What is (\d+) \* (\d+) - (\d+)\?", question):
        return _call("calculator", expression=f"{m[1]} * {m[2]} - {m[3]}") if result is None else f"The answer is {result}."
    if m := re.match(r"What is the capital of (\w+)\?", question):
        return _call("lookup", country=m[1], field="capital") if result is None else f"The capital is {result}."
    if m := re.match(r"What date is (\d+) days after ([\d-]+)\?", question):
        return _call("calendar", date=m[2], add_days=int(m[1])) if result is None else result.split()[0]
    if m := re.match(r"Read the file (\S+)\. What is its budget figure multiplied by (\d+)\?", question):
        if result is None:
            return _call("read_file", path=m[1])
        if "credits" in result:
            figure = re.search(r"(\d+) credits", result)[1]  # type: ignore[index]
            return _call("calculator", expression=f"{figure} * {m[2]}")
        return f"It is {result}."
    return "UNSOLVABLE: no tool can do that."


def chat_oracle(request: Generate) -> str:
    first, last = _first_user(request), _last_user(request)
    name, city = re.match(r"Hi! My name is (\w+) and I live in (\w+)\.", first).groups()  # type: ignore[union-attr]
    if last.startswith("Hi!"):
        return f"Hello {name}, nice to meet you!"
    if last.startswith("Pick"):
        return "4"
    if last.startswith("Which city"):
        return f"You live in {city}."
    return str(4 + int(re.search(r"Add (\d+)", last)[1]))  # type: ignore[index]


def memory_oracle(request: Generate) -> str:
    """Keeps the newest value of each fact it was told; answers questions from that."""
    facts: dict[str, str] = {}
    for m in request.messages or ():
        if m.role != "user":
            continue
        for pattern in (r"(\w+)'s favourite colour is (\w+)", r"(\w+)'s pet is a (\w+)", r"(\w+) lives in (\w+)"):
            if found := re.search(pattern, m.content):
                facts[found[1]] = found[2]
    last = _last_user(request)
    if last.endswith("?"):
        person = re.search(r"(?:What is |does |does )?(\b[A-Z][a-z]+)(?:'s| have| live)", last)
        return facts.get(person[1], "I do not know") if person else "I do not know"
    return "Noted."


def always_c(request: Generate) -> str:
    return "C"


def never_stops(request: Generate) -> str:
    return _call("list_files")


def bad_json(request: Generate) -> str:
    return '{"tool": "calculator", "arguments": {"expression": 1+2}'


def unknown_tool(request: Generate) -> str:
    return _call("send_email", to="mayor")


def bad_arguments(request: Generate) -> str:
    return _call("calculator", expr="1+2")


def _pick(params: dict) -> dict:
    """The first possible value of each parameter (nested dicts are possible answers too);
    a first option "" means "may be left out"."""
    return {k: _pick(v[0]) if isinstance(v[0], dict) else v[0] for k, v in params.items() if v and v[0] != ""}


def bfcl_oracle(answers: dict[str, list]):  # type: ignore[no-untyped-def]
    """An agent that makes the calls of each BFCL item's first possible answer, one per turn,
    then says done (`answers`: item question text -> ground truth)."""

    def reply(request: Generate) -> str:
        question = _first_user(request)
        truth = answers[question]
        made = sum(1 for m in request.messages or () if m.role == "assistant")
        if made >= len(truth):
            return "done"
        (name, params), = truth[made].items()
        return _call(name.replace(".", "_"), **_pick(params))

    return reply


def bfcl_multi_turn_script(item: dict, truth: list[list[str]], *, skip_last: bool = False) -> list[str]:
    """The replies that replay a BFCL multi-turn item's ground truth: each turn's calls (as
    text-protocol JSON, positional arguments named from the function docs), then a plain
    reply ending the turn. `skip_last` leaves out the last call of every turn (a wrong agent)."""
    import ast

    docs = {d["name"]: d for d in item["function"]}
    for held in item["missed_function"].values():
        docs.update({d["name"]: d for d in held})
    script = []
    for calls in truth:
        for text in calls[:-1] if skip_last and calls else calls:
            node = ast.parse(text, mode="eval").body
            name = node.func.id  # type: ignore[attr-defined]
            order = list(docs[name]["parameters"].get("properties", {}))
            arguments = {order[i]: ast.literal_eval(a) for i, a in enumerate(node.args)}  # type: ignore[attr-defined]
            arguments.update({k.arg: ast.literal_eval(k.value) for k in node.keywords})  # type: ignore[attr-defined]
            script.append(_call(name, **arguments))
        script.append("Done.")
    return script


def bfcl_multi_turn_oracle(scripts: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """Plays the script of the item whose first user message opens the conversation
    (`scripts`: first message -> replies, see `bfcl_multi_turn_script`)."""

    def reply(request: Generate) -> str:
        script = scripts[_first_user(request)]
        made = sum(1 for m in request.messages or () if m.role == "assistant")
        return script[made] if made < len(script) else "Done."

    return reply


_STEPS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _last_board(request: Generate) -> list[str]:
    text = next(m.content for m in reversed(request.messages or ()) if m.role == "user" and "Current Board" in m.content)
    return text.rsplit("Current Board:", 1)[1].split("Available")[0].strip("\n").splitlines()


def _bfs(start, goal_test, moves):  # type: ignore[no-untyped-def]
    """The first move of a shortest path from `start` (None when there is none)."""
    from collections import deque

    seen, queue = {start}, deque([(start, None)])
    while queue:
        state, first = queue.popleft()
        if goal_test(state):
            return first
        for name, nxt in moves(state):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, first or name))
    return None


def frozenlake_solver(request: Generate) -> str:
    """Walks a shortest path around the holes to the goal (textarena's FrozenLake board)."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in _last_board(request) if line.startswith("|")]
    cells = {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)}
    start = next(p for p, v in cells.items() if v.startswith("P"))

    def moves(p):  # type: ignore[no-untyped-def]
        for name, (dr, dc) in _STEPS.items():
            q = (p[0] + dr, p[1] + dc)
            if q in cells and cells[q] != "H":
                yield name, q

    return f"[{_bfs(start, lambda p: cells[p] in ('G', 'P/G'), moves)}]"


def sokoban_solver(request: Generate) -> str:
    """Pushes every box onto a target by a shortest move sequence (BFS over player and box
    positions on textarena's Sokoban board: # wall, X box, √ box on target, O target, P player).
    The board draws a player standing on a target as P alone, so targets are gathered from
    every board seen so far."""
    grid = {(r, c): v for r, line in enumerate(_last_board(request)) for c, v in enumerate(line.split())}
    walls = {p for p, v in grid.items() if v == "#"}
    targets = frozenset(
        (r, c) for m in request.messages or () if m.role == "user" for board in m.content.split("Current Board:")[1:]
        for r, line in enumerate(board.split("Available")[0].strip("\n").splitlines())
        for c, v in enumerate(line.split()) if v in ("O", "√", "S"))
    boxes = frozenset(p for p, v in grid.items() if v in ("X", "√"))
    player = next(p for p, v in grid.items() if v in ("P", "S"))

    def moves(state):  # type: ignore[no-untyped-def]
        at, placed = state
        for name, (dr, dc) in _STEPS.items():
            q = (at[0] + dr, at[1] + dc)
            if q in walls or q not in grid:
                continue
            if q in placed:
                beyond = (q[0] + dr, q[1] + dc)
                if beyond in walls or beyond in placed or beyond not in grid:
                    continue
                yield name, (q, placed - {q} | {beyond})
            else:
                yield name, (q, placed)

    return f"[{_bfs((player, boxes), lambda s: s[1] <= targets, moves)}]"
