"""The generated suites: determinism, sizes, metadata, and answers recomputed independently.

Each family's answers are re-derived here without the generator's code: arithmetic by
evaluating the expression parsed from the question, word problems from separate formulas
over the structured quantities, logic puzzles by brute force over clues re-parsed from the
text, fiction from the facts as stated in the passage.
"""

from __future__ import annotations

import ast
import itertools
import json
import operator
import re
from collections import Counter

import pytest

from assay.core.format import OptionStyle, PromptFormat
from assay.core.hashing import stable_hash
from assay.core.responses import Completion
from assay.core.task import TaskKind
from assay.errors import ConfigError, UnknownNameError
from assay.scoring.instructions import CHECKS, InstructionFollowing
from assay.tasks import builtin
from assay.tasks.resolve import resolve_tasks
from assay.tasks.suites import arithmetic, fiction, instructions, logic, word_problems

MC_FAMILIES = {"arithmetic": arithmetic, "word_problems": word_problems, "logic": logic, "fiction": fiction}
VARIANTS = [(name, mc) for name in MC_FAMILIES for mc in (False, True)] + [("instructions", None)]


def make(family: str, mc: bool | None, n: int, seed: int):
    if family == "instructions":
        return instructions.generate(n, seed)
    return MC_FAMILIES[family].generate(n, seed, multiple_choice=mc)


def dicts(samples):
    return [s.to_dict() for s in samples]


# ---------------------------------------------------------------- common properties

@pytest.mark.parametrize("family,mc", VARIANTS)
def test_same_seed_same_items_and_prefix_stable(family, mc):
    first = dicts(make(family, mc, 30, 7))
    assert first == dicts(make(family, mc, 30, 7))
    assert dicts(make(family, mc, 12, 7)) == first[:12]  # n is a size knob, not a different draw


@pytest.mark.parametrize("family,mc", VARIANTS)
def test_different_seed_different_items(family, mc):
    a = [s.input for s in make(family, mc, 30, 0)]
    b = [s.input for s in make(family, mc, 30, 1)]
    assert len(set(a) & set(b)) <= 3


@pytest.mark.parametrize("family,mc", VARIANTS)
@pytest.mark.parametrize("n", [0, 1, 7, 23])
def test_size_knob(family, mc, n):
    assert len(make(family, mc, n, 3)) == n


@pytest.mark.parametrize("family,mc", VARIANTS)
def test_ids_metadata_and_levels(family, mc):
    samples = make(family, mc, 40, 5)
    ids = [s.id for s in samples]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z]+-\d{5}", i) for i in ids)
    levels = Counter()
    for s in samples:
        meta = s.metadata
        assert meta["family"] == family
        assert isinstance(meta["group"], str) and meta["group"]
        assert meta["skills"] and all(isinstance(k, str) for k in meta["skills"])
        assert meta["difficulty"] in (1, 2, 3, 4, 5)
        levels[meta["difficulty"]] += 1
        json.dumps(s.to_dict())  # metadata must be JSON-serialisable
        assert (s.choices is not None) == bool(mc)
    assert set(levels) == {1, 2, 3, 4, 5} and max(levels.values()) - min(levels.values()) <= 1


def test_generators_reject_bad_sizes():
    with pytest.raises(ValueError):
        arithmetic.generate(-1, 0)


# ---------------------------------------------------------------- multiple choice

def assert_mc(sample, right: str, n_options: tuple[int, ...] = (4,)):
    choices = sample.choices
    assert len(choices) in n_options
    assert len(set(choices)) == len(choices), choices
    assert 0 <= sample.target < len(choices)
    assert choices.count(right) == 1 and choices[sample.target] == right, (choices, right)


@pytest.mark.parametrize("module", [arithmetic, word_problems, fiction])
def test_right_option_position_is_uniform(module):
    counts = Counter(s.target for seed in range(8) for s in module.generate(60, seed, multiple_choice=True))
    total = sum(counts.values())
    assert set(counts) == {0, 1, 2, 3}
    assert all(0.17 < c / total < 0.33 for c in counts.values()), counts


def test_logic_option_position_is_uniform():
    samples = [s for seed in range(6) for s in logic.generate(80, seed, multiple_choice=True)]
    relative = [s.target / (len(s.choices) - 1) for s in samples]
    assert abs(sum(relative) / len(relative) - 0.5) < 0.06
    assert Counter(s.target for s in samples if len(s.choices) == 3).keys() == {0, 1, 2}


def test_mc_and_gen_variants_ask_the_same_question():
    for module in MC_FAMILIES.values():
        gen, mc = module.generate(10, 4), module.generate(10, 4, multiple_choice=True)
        assert [s.input for s in gen] == [s.input for s in mc]


# ---------------------------------------------------------------- arithmetic

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_EXPRESSION = re.compile(r"[\d(][\d\s+\-×()]*[\d)]")


def evaluate_question(question: str) -> tuple[int, int]:
    """(value, number of operations) of the expression in the question, via a safe AST walk."""
    expression = max(_EXPRESSION.findall(question), key=len).replace("×", "*")
    operations = 0

    def ev(node):
        nonlocal operations
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            operations += 1
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"unexpected syntax in {expression!r}")

    return ev(ast.parse(expression, mode="eval").body), operations


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arithmetic_answers(seed):
    for gen, mc in zip(arithmetic.generate(60, seed), arithmetic.generate(60, seed, multiple_choice=True)):
        value, operations = evaluate_question(gen.input)
        assert value > 0
        assert gen.target == str(value)
        assert_mc(mc, str(value))
        level = gen.metadata["difficulty"]
        assert operations == {1: 1, 2: 1, 3: 1, 4: 2}.get(level, operations)
        assert level < 5 or operations == 3 or "multi_digit" in gen.metadata["skills"]
        biggest = max(int(x) for x in re.findall(r"\d+", gen.input))
        assert level != 1 or biggest < 100


# ---------------------------------------------------------------- word problems

def solve_word_problem(scenario: str, q: dict) -> tuple[int, int]:
    """(answer, number of arithmetic steps), from the structured quantities only."""
    if scenario == "shopping":
        spent = sum(count * price for count, price in q["items"])
        steps = 2 * len(q["items"]) - 1 + (q["paid"] is not None)
        return (spent if q["paid"] is None else q["paid"] - spent), steps
    if scenario == "rates":
        good = sum(q["rates"]) * q["hours"] - (q["broken"] or 0)
        steps = len(q["rates"]) + (q["broken"] is not None) + (q["box"] is not None)
        if q["box"]:
            assert good % q["box"] == 0
            good //= q["box"]
        return good, steps
    if scenario == "ages":
        age = q["start"]
        for kind, k in q["chain"]:
            age = {"older": age + k, "younger": age - k, "times": age * k}[kind]
            assert age > 0
        return age + q["years_later"], len(q["chain"]) + (q["years_later"] > 0)
    if scenario == "sharing":
        pile = q["start"] + q["added"] - q["removed"]
        assert pile % q["people"] == 0
        steps = 1 + (q["added"] > 0) + (q["removed"] > 0) + (q["given_away"] > 0)
        return pile // q["people"] - q["given_away"], steps
    raise AssertionError(scenario)


def numbers_in(value) -> list[int]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [value] if value else []
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers_in(v)]
    if isinstance(value, list):
        return [x for v in value for x in numbers_in(v)]
    return []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_word_problem_answers(seed):
    scenarios = Counter()
    for gen, mc in zip(word_problems.generate(60, seed), word_problems.generate(60, seed, multiple_choice=True)):
        meta = gen.metadata
        answer, steps = solve_word_problem(meta["scenario"], meta["quantities"])
        assert answer > 0
        assert gen.target == str(answer)
        assert_mc(mc, str(answer))
        assert steps == min(meta["difficulty"], 4)
        in_text = {int(x) for x in re.findall(r"\d+", gen.input)}
        assert set(numbers_in(meta["quantities"])) <= in_text, gen.input
        assert ("irrelevant" in meta["quantities"]) == (meta["difficulty"] == 5)
        scenarios[meta["scenario"]] += 1
    assert set(scenarios) == {"shopping", "rates", "ages", "sharing"}


# ---------------------------------------------------------------- logic

_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_ORDER_PATTERNS = [
    (r"(\w+) is (?:somewhere to the left of|further left than) (\w+)", lambda p, a, b: p[a] < p[b]),
    (r"(\w+) is (?:somewhere to the right of|further right than) (\w+)", lambda p, a, b: p[a] > p[b]),
    (r"(\w+) is (?:directly to the left of|just left of) (\w+)", lambda p, a, b: p[a] == p[b] - 1),
    (r"(\w+) is (?:directly to the right of|just right of) (\w+)", lambda p, a, b: p[a] == p[b] + 1),
    (r"(\w+) is next to (\w+)", lambda p, a, b: abs(p[a] - p[b]) == 1),
    (r"(\w+) and (\w+) are next to each other", lambda p, a, b: abs(p[a] - p[b]) == 1),
    (r"(\w+) is not next to (\w+)", lambda p, a, b: abs(p[a] - p[b]) > 1),
    (r"(\w+) and (\w+) are not next to each other", lambda p, a, b: abs(p[a] - p[b]) > 1),
    (r"(\w+) is at the far left", lambda p, a: p[a] == 0),
    (r"(\w+) is at the far right", lambda p, a: p[a] == len(p) - 1),
    (r"(\w+) is not at either end(?: of the row)?", lambda p, a: 0 < p[a] < len(p) - 1),
    (r"(\w+) is (first|second|third|fourth|fifth|sixth) from the left", lambda p, a, k: p[a] == _ORDINAL[k] - 1),
]
_ASSIGN_PATTERNS = [
    (r"(\w+) (?:lives in|owns|likes) (?:the )?(\w+)(?: house)?", lambda t, a, x: t[a] == x),
    (r"(\w+) does not (?:live in|own|like) (?:the )?(\w+)(?: house)?", lambda t, a, x: t[a] != x),
    (r"(\w+) (?:lives in|owns|likes) (?:the )?(\w+)(?: house)? or (?:the )?(\w+)(?: house)?",
     lambda t, a, x, y: t[a] in (x, y)),
]


def split_list(text: str) -> list[str]:
    return [re.sub(r"^(?:a|an) ", "", part) for part in re.split(r", | and ", text)]


def solve_logic_text(text: str, drop: int | None = None) -> list[str]:
    """The answer in every arrangement consistent with the clues as written (a unique puzzle
    gives one). `drop` leaves out the clue sentence with that index."""
    sentences = re.split(r"(?<=[.?])\s+", text)
    question = sentences[-1]
    names = split_list(re.search(r"Their names are (.+?)\.", text).group(1))
    things_match = re.search(r"The (?:houses|pets|drinks) are (.+?)\.", text)
    setup = re.compile(r"Their names are .*|Each of them .*|The \w+ are .*")  # after the scene sentence
    clue_sentences = [s for s in sentences[1:-1] if not setup.fullmatch(s)]
    patterns = _ASSIGN_PATTERNS if things_match else _ORDER_PATTERNS
    clues = []
    for i, sentence in enumerate(clue_sentences):
        matches = [(test, m.groups()) for pattern, test in patterns if (m := re.fullmatch(pattern + r"\.", sentence))]
        assert len(matches) == 1, f"clue not parsed exactly once: {sentence!r}"
        if i != drop:
            clues.append(matches[0])
    answers = []
    if things_match:
        things = split_list(things_match.group(1))
        asked = re.fullmatch(r"Who (?:lives in|owns|likes) (?:the )?(\w+)(?: house)?\?", question).group(1)
        for perm in itertools.permutations(things):
            owner = dict(zip(names, perm))
            if all(test(owner, *args) for test, args in clues):
                answers.append(next(n for n in names if owner[n] == asked))
    else:
        size = len(names)
        m = re.fullmatch(r"Who is (?:at the far (left|right)|(\w+) from the (left|right))\?", question)
        if m.group(1):
            index = 0 if m.group(1) == "left" else size - 1
        else:
            k = _ORDINAL[m.group(2)]
            index = k - 1 if m.group(3) == "left" else size - k
        for row in itertools.permutations(names):
            position = {name: i for i, name in enumerate(row)}
            if all(test(position, *args) for test, args in clues):
                answers.append(row[index])
    return answers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logic_puzzles_have_unique_solution_equal_to_target(seed):
    kinds = Counter()
    for gen, mc in zip(logic.generate(50, seed), logic.generate(50, seed, multiple_choice=True)):
        answers = solve_logic_text(gen.input)
        assert answers == [gen.target], gen.input
        assert_mc(mc, gen.target, n_options=(3, 4, 5))
        kinds[gen.metadata["puzzle"]] += 1
        sizes = {"assignment": (3, 3, 4, 4, 5), "ordering": (3, 4, 4, 5, 6)}[gen.metadata["puzzle"]]
        assert gen.metadata["size"] == sizes[gen.metadata["difficulty"] - 1]
        assert len(set(mc.choices)) == min(gen.metadata["size"], 5)
    assert set(kinds) == {"ordering", "assignment"}


def test_logic_every_clue_is_needed():
    """Without any one clue, more than one arrangement fits (the generator prunes redundancy)."""
    for sample in logic.generate(30, 9):
        for i in range(len(sample.metadata["clues"])):
            assert len(solve_logic_text(sample.input, drop=i)) > 1, (sample.input, i)


# ---------------------------------------------------------------- fiction

def fact_stated(passage: str, *parts: object) -> bool:
    return any(all(str(p) in s for p in parts) for s in re.split(r"(?<=\.)\s+", passage))


def fiction_answer(sample) -> str:
    """The answer, derived from the question text and the passage's stated facts."""
    passage, question = sample.input.split("\n\n")
    meta = sample.metadata
    entities = meta["entities"]
    for e in entities:
        assert fact_stated(passage, e["name"], e["place"])
        assert fact_stated(passage, e["name"], e["number"])
        assert fact_stated(passage, e["name"], e["product"])
        assert fact_stated(passage, e["product"], e["effect"])
    named = [e for e in entities if re.search(rf"\b{e['name']}\b", question)]
    kind = meta["question_kind"]
    if kind == "reverse":
        (owner,) = [e for e in entities if e["product"] in question]
        return owner["name"]
    if kind == "compare":
        assert len(named) == 2
        return max(named, key=lambda e: e["number"])["name"]
    (entity,) = named
    unit = re.search(r"\d+ (grams|hours|years)", passage).group(1)
    return {"product": entity["product"], "number": f"{entity['number']} {unit}", "place": entity["place"],
            "two_hop": entity["effect"]}[kind]


@pytest.mark.parametrize("seed", [0, 1])
def test_fiction_answers_come_from_the_passage(seed):
    kinds = Counter()
    for gen, mc in zip(fiction.generate(60, seed), fiction.generate(60, seed, multiple_choice=True)):
        right = fiction_answer(gen)
        assert gen.target[0] == right
        assert_mc(mc, right)
        kinds[gen.metadata["question_kind"]] += 1
        names = [e["name"] for e in gen.metadata["entities"]]
        assert len(set(names)) == 2
    assert set(kinds) == {"product", "number", "place", "reverse", "compare", "two_hop"}


def test_fiction_groups_are_passages():
    samples = fiction.generate(20, 0)
    by_group = Counter(s.metadata["group"] for s in samples)
    assert list(by_group.values()) == [5, 5, 5, 5]
    for s in samples:
        same = [t for t in samples if t.metadata["group"] == s.metadata["group"]]
        assert {t.input.split("\n\n")[0] for t in same} == {s.input.split("\n\n")[0]}


# ---------------------------------------------------------------- instructions

def compliant_response(checks: list[dict]) -> str:
    """A response written to satisfy every check: proves each item's checks are compatible."""
    by_type = {c["type"]: c for c in checks}
    banned = {c["word"] for c in checks if c["type"] == "exclude_word"}
    needed = [w for c in checks if c["type"] == "include_keywords" for w in c["keywords"]]
    needed += [c["word"] for c in checks if c["type"] == "keyword_frequency" for _ in range(c["n"])]
    if "json_keys" in by_type:
        return json.dumps({k: " ".join(needed) or "calm" for k in by_type["json_keys"]["keys"]})
    filler = [w for w in "the sun rose over the hills and the town woke up slowly".split() if w not in banned]
    length = by_type["min_words"]["n"] + 3 if "min_words" in by_type else 12
    body = needed + (filler * 10)[: max(length - len(needed), 6)]
    parts = by_type.get("bullet_points", by_type.get("paragraphs", {"n": 1}))["n"]
    chunks = [" ".join(body[i::parts]) for i in range(parts)]
    if "bullet_points" in by_type:
        text = "\n".join("* " + c for c in chunks)
    else:
        text = "\n\n".join(chunks)
    if "start_with" in by_type:
        text = by_type["start_with"]["phrase"] + ("\n" if "bullet_points" in by_type else " ") + text
    if "end_with" in by_type:
        text += ("\n" if "bullet_points" in by_type else " ") + by_type["end_with"]["phrase"]
    if "title" in by_type:
        text = "<<Morning Notes>>\n" + text
    if "quotation" in by_type:
        text = f'"{text}"'
    if "lowercase" in by_type:
        text = text.lower()
    if "uppercase" in by_type:
        text = text.upper()
    return text


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_instruction_checks_are_known_and_satisfiable(seed):
    scorer = InstructionFollowing()
    for sample in instructions.generate(60, seed):
        checks = sample.metadata["checks"]
        assert len(checks) == sample.metadata["difficulty"]
        assert len({c["type"] for c in checks}) == len(checks)
        assert all(c["type"] in CHECKS for c in checks)
        assert len(sample.metadata["instructions"]) == len(checks)
        for sentence in sample.metadata["instructions"]:
            assert sentence in sample.input
        score = scorer(sample, Completion(texts=(compliant_response(checks),)))
        assert score.values["prompt_strict"] == 1.0, (sample.input, compliant_response(checks), score.explanation)


def test_instruction_prompts_mention_their_parameters():
    for sample in instructions.generate(40, 0):
        for check in sample.metadata["checks"]:
            for key in ("n", "word", "phrase"):
                if key in check:
                    assert str(check[key]) in sample.input
            for word in check.get("keywords", []) + check.get("keys", []):
                assert f'"{word}"' in sample.input


# ---------------------------------------------------------------- golden items

# sha256 of the first five items (as dicts) for seed 0. If one of these fails, generation
# changed: that is only allowed together with a bump of the family's VERSION (the same
# seed must always yield the same items), and then update the hash here.
GOLDEN = {
    ("arithmetic", False): "423b4ea9ffcbc1ca365605cdc45afb65f7e95bbc7b372e5939d751b2b0d4c727",
    ("arithmetic", True): "92ae00e8464788348e51341f94035fdef6d8bd2a42c31e6974707b9f98b175ed",
    ("word_problems", False): "6cbdd15ee9ba2cc746b6d90a2f6f0b6d7a5a73f4eac4e613228c31b68e82847e",
    ("word_problems", True): "7c5479f610ef06e115a71c5fa9e4257f5a3e745e148fd07481a74102ed5249f0",
    ("logic", False): "37332032f54134617f1a6e41a51248d98414fbea394668cfd93a4e1523a49656",
    ("logic", True): "9572193874e4cacd732fce647415441e54345d888066c58d439d715d9d172d1b",
    ("fiction", False): "bd596538ddf6bc628ab363fb4090bef6f795204b7b5c12cbcb34d5f030676d2f",
    ("fiction", True): "a34e6d322870933d9363e76a149d118abe19bce711b995d95dcd889774059664",
    ("instructions", None): "7827b042aeaca1f5a403091cc4f252ec2e6a8edfdd378a06ed058a60ee0051b6",
}
GOLDEN_VERSIONS = {"arithmetic": "1", "word_problems": "1", "logic": "1", "fiction": "1", "instructions": "1"}


@pytest.mark.parametrize("family,mc", VARIANTS)
def test_golden_items(family, mc):
    module = instructions if family == "instructions" else MC_FAMILIES[family]
    assert module.VERSION == GOLDEN_VERSIONS[family], "VERSION bumped: update GOLDEN and GOLDEN_VERSIONS"
    assert stable_hash(dicts(make(family, mc, 5, 0))) == GOLDEN[(family, mc)], (
        f"{family} items for seed 0 changed: bump {module.__name__}.VERSION and update GOLDEN"
    )


# ---------------------------------------------------------------- registry

EXPECTED_SUITES = {"arith-gen", "arith-mc", "word-gen", "word-mc", "logic-mc", "logic-gen", "fiction-mc",
                   "fiction-qa", "instructions"}


def test_registry_lists_suites_and_groups():
    suites = builtin.builtin_suites()
    assert set(suites) == EXPECTED_SUITES
    for name, suite in suites.items():
        assert suite.name == name and suite.default_n > 0 and suite.description
        assert (suite.kind is TaskKind.MULTIPLE_CHOICE) == name.endswith("-mc")
    groups = builtin.SUITE_GROUPS
    assert set(groups) >= {"quick", "mc", "gen", "all"}
    assert set(groups["all"]) == EXPECTED_SUITES
    assert all(set(members) <= EXPECTED_SUITES for members in groups.values())
    assert {suites[s].kind for s in groups["mc"]} == {TaskKind.MULTIPLE_CHOICE}
    assert {suites[s].kind for s in groups["gen"]} == {TaskKind.GENERATE}
    quick = groups["quick"]
    assert {suites[s].family for s in quick if suites[s].kind is TaskKind.MULTIPLE_CHOICE} == set(MC_FAMILIES)
    assert any(suites[s].kind is TaskKind.GENERATE for s in quick)
    assert builtin.GROUP_DEFAULT_N["quick"] <= 30


def test_unknown_suite_and_group():
    with pytest.raises(UnknownNameError, match="arith-gen"):
        builtin.make_builtin("no-such-suite")
    with pytest.raises(UnknownNameError):
        builtin.make_group("no-such-group")


def scorers_available() -> bool:
    try:
        import assay.scoring.f1  # noqa: F401
        import assay.scoring.match  # noqa: F401
        import assay.scoring.multiple_choice  # noqa: F401
        import assay.scoring.numeric  # noqa: F401
    except ImportError:
        return False
    return True


needs_scorers = pytest.mark.skipif(not scorers_available(), reason="scorer modules not written yet")


def test_instructions_task_builds_without_other_scorers():
    task = builtin.make_builtin("instructions", n=10, seed=2)
    assert task.metric_names == ("prompt_strict", "instruction_strict")
    assert [s.to_dict() for s in task.load()] == dicts(instructions.generate(10, 2))
    assert task.generation.max_tokens <= 256 and task.fewshot.k == 0
    with pytest.raises(ConfigError):
        builtin.make_builtin("instructions", n=0)


@needs_scorers
@pytest.mark.parametrize("name", sorted(EXPECTED_SUITES))
def test_make_builtin_builds_each_task(name):
    suite = builtin.builtin_suites()[name]
    task = builtin.make_builtin(name, n=10, seed=3)
    samples = task.load()
    assert len(samples) == 10 and task.load() is samples
    assert task.name == name and task.kind is suite.kind and task.family == suite.family
    module = {"arithmetic": arithmetic, "word_problems": word_problems, "logic": logic, "fiction": fiction,
              "instructions": instructions}[suite.family]
    source = {"builtin": name, "n": 10, "seed": 3, "version": module.VERSION}
    if task.kind is TaskKind.MULTIPLE_CHOICE:
        assert task.format == PromptFormat()  # the default style, whichever it is
        source["style"] = task.format.style.value
        assert task.version == module.VERSION + ("-cloze" if task.format.style is OptionStyle.CLOZE else "")
    else:
        assert task.version == module.VERSION
    assert task.source == source
    assert task.scorers and task.metric_names
    assert task.fewshot.k <= 2
    pool = task.fewshot_pool()
    assert pool and not {s.input for s in pool} & {s.input for s in samples}
    assert not {s.id for s in pool} & {s.id for s in samples}
    if task.kind is TaskKind.MULTIPLE_CHOICE:
        assert all(s.choices for s in samples)
        assert set(task.metric_names) >= {"acc"}
    else:
        assert task.generation.max_tokens <= 256


@needs_scorers
def test_make_group_uses_small_default_n():
    tasks = builtin.make_group("quick")
    assert [t.name for t in tasks] == list(builtin.SUITE_GROUPS["quick"])
    assert all(len(t.load()) == builtin.GROUP_DEFAULT_N["quick"] for t in tasks)
    assert len(builtin.make_builtin("arith-mc").load()) == builtin.builtin_suites()["arith-mc"].default_n


@needs_scorers
def test_quick_on_the_command_line_runs_25_per_suite():
    """`assay run MODEL quick` resolves through the group default (it once ran each suite's 100)."""
    assert builtin.GROUP_DEFAULT_N["quick"] == 25
    tasks = resolve_tasks(["quick"])
    assert [t.name for t in tasks] == list(builtin.SUITE_GROUPS["quick"])
    assert [len(t.load()) for t in tasks] == [25] * len(tasks)
    assert [len(t.load()) for t in resolve_tasks(["quick:n=7,seed=2"])] == [7] * len(tasks)
    assert len(resolve_tasks(["arith-mc"])[0].load()) == builtin.builtin_suites()["arith-mc"].default_n


@needs_scorers
@pytest.mark.parametrize("style", list(OptionStyle))
def test_style_option_picks_cloze_or_listed(style):
    (task,) = resolve_tasks([f"arith-mc:n=3,style={style.value}"])
    assert task.format == PromptFormat().with_style(style) and task.source["style"] == style.value
    sample = task.load()[0]
    prompt = task.format.render_prompt(sample.input, sample.choices)
    assert ("Choices:" in prompt) is (style is OptionStyle.LISTED)
    assert prompt.endswith("Answer:")
    # listed prompts are the ones version "1" always had; cloze ones are new, so named apart
    assert task.version == ("1" if style is OptionStyle.LISTED else "1-cloze")
    group = resolve_tasks([f"quick:n=2,style={style.value}"])
    assert {t.format.style for t in group if t.kind is TaskKind.MULTIPLE_CHOICE} == {style}
    assert all(t.format == PromptFormat() for t in group if t.kind is TaskKind.GENERATE)


def test_style_option_errors():
    with pytest.raises(ConfigError, match="multiple-choice suites"):
        resolve_tasks(["arith-gen:style=listed"])
    with pytest.raises(ConfigError, match="unknown style 'lists'") as err:
        resolve_tasks(["arith-mc:style=lists"])
    assert "cloze" in (err.value.hint or "")
    with pytest.raises(ConfigError, match="bad option 'shots=2'") as err:
        resolve_tasks(["arith-mc:shots=2"])
    assert "style=cloze|listed" in (err.value.hint or "")


@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_logic_clue_bits_match_brute_force(size):
    """The per-size clue truth tables the generator reads equal a direct check of each
    clue on each ordering, state by state (state s = the s-th itertools permutation)."""
    from assay.tasks.suites.logic import _order_bits, _owner_bits

    states = list(itertools.permutations(range(size)))
    truth = {"left_of": lambda pa, pb: pa < pb, "right_of": lambda pa, pb: pa > pb,
             "imm_left": lambda pa, pb: pa == pb - 1, "imm_right": lambda pa, pb: pa == pb + 1,
             "adjacent": lambda pa, pb: abs(pa - pb) == 1, "not_adjacent": lambda pa, pb: abs(pa - pb) > 1}
    bits = _order_bits(size)
    for s, state in enumerate(states):
        for (kind, *args), mask in bits.items():
            pa = state.index(args[0])
            if kind == "at_pos":
                expected = pa == args[1]
            elif kind == "not_end":
                expected = 0 < pa < size - 1
            else:
                expected = truth[kind](pa, state.index(args[1]))
            assert bool(mask >> s & 1) == expected, (kind, args, state)
        for (p, j), mask in _owner_bits(size).items():
            assert bool(mask >> s & 1) == (state[p] == j)
