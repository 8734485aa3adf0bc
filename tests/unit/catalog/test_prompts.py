"""Each catalog task builds exactly the prompts pinned here (lm-evaluation-harness 0.4's, byte
for byte) from its fixture rows in tests/data/catalog, which use each benchmark's own schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.core.requests import Generate, Loglikelihood
from assay.engine.prompts import plan_task
from assay.tasks.catalog import CATALOG, make_catalog_task
from assay.tasks.catalog._prompts import GSM8K_SHOTS, TRUTHFULQA_PREFIX

DATA = Path(__file__).parents[2] / "data" / "catalog"


def first(name: str, options: str = ""):  # type: ignore[no-untyped-def]
    task = make_catalog_task(name, options, data=DATA)
    return task, plan_task(task, list(task.load()))[0]


def loglikelihoods(planned) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    assert all(isinstance(r, Loglikelihood) for r in planned.requests)
    return [(r.context, r.continuation) for r in planned.requests]


def test_mmlu_letters():
    task, planned = first("mmlu")
    prompt = ("The following are multiple choice questions (with answers) about anatomy.\n\n"
              "What is the embryological origin of the hyoid bone?\nA. The first pharyngeal arch\n"
              "B. The first and second pharyngeal arches\nC. The second pharyngeal arch\n"
              "D. The second and third pharyngeal arches\nAnswer:")
    assert loglikelihoods(planned) == [(prompt, " A"), (prompt, " B"), (prompt, " C"), (prompt, " D")]
    assert task.version == "1.0" and planned.sample.target == 3


def test_mmlu_strips_the_question_and_spaces_the_subject():
    task = make_catalog_task("mmlu", data=DATA)
    sample = task.load()[1]
    assert sample.metadata["assay.description"] == ("The following are multiple choice questions (with answers) about "
                                              "abstract algebra.\n\n")
    assert sample.input.startswith("Find all c in Z_3")


def test_mmlu_cloze():
    _, planned = first("mmlu_cloze")
    prompt = ("The following are questions (with answers) about anatomy.\n\n"
              "Question: What is the embryological origin of the hyoid bone?\nAnswer:")
    assert loglikelihoods(planned)[0] == (prompt, " The first pharyngeal arch")
    assert len(planned.requests) == 4


def test_mmlu_pro_five_shot_from_the_same_category():
    task, planned = first("mmlu_pro")
    (request,) = planned.requests
    assert isinstance(request, Generate) and request.messages is None
    prompt = request.prompt
    assert prompt.startswith(
        'The following are multiple choice questions (with answers) about business. Think step by step and then '
        'finish your answer with "the answer is (X)" where X is the correct letter choice.\n'
        "Question:\nIn contrast to _______, _______ aim to reward favourable behaviour by companies.\nOptions:\n"
        "A. Boycotts, Buyalls\nB. Buycotts, Boycotts\nC. Buycotts, Buyalls\nAnswer: Let's think step by step. "
        "We refer to Wikipedia articles on business ethics for help. The answer is (B).\n\n"
        "Question:\n_______ is the direct attempt")
    # the five business shots in file order (the math one is another category), then the question
    assert prompt.count("Question:\n") == 6 and "characteristic of the ring 2Z" not in prompt
    assert ("The answer is (D).\n\nQuestion:\nTypical advertising regulatory bodies suggest, for example that adverts "
            "must not: encourage _________, cause unnecessary ________ or _____, and must not cause _______ offence.\n"
            "Options:\nA. Safe practices, Fear, Jealousy, Trivial\n") in prompt
    assert prompt.endswith("I. Unsafe practices, Distress, Fear, Serious\nAnswer: Let's think step by step.")
    assert request.params.stop == ("Question:",) and request.params.max_tokens == 2048 and request.params.greedy
    assert planned.sample.target == "I"


@pytest.mark.parametrize("name", ["arc_easy", "arc_challenge"])
def test_arc(name):
    _, planned = first(name)
    pairs = loglikelihoods(planned)
    assert pairs[0][0].startswith("Question: ") and pairs[0][0].endswith("?\nAnswer:")
    assert all(c.startswith(" ") for _, c in pairs)


def test_arc_numeric_labels():
    task = make_catalog_task("arc_easy", data=DATA)
    sample = task.load()[1]
    assert sample.input == "Question: Which object is the best conductor of electricity?\nAnswer:"
    assert sample.target == 3 and sample.choices[3] == "an iron nail"


def test_hellaswag_preprocessing():
    task, planned = first("hellaswag")
    ctx = "Roof shingle removal: A man is sitting on a roof. He"
    assert loglikelihoods(planned) == [(ctx, " is using wrap to wrap a pair of skis."), (ctx, " is ripping level tiles off."),
                                       (ctx, " is holding a rubik's cube."), (ctx, " starts pulling up roofing on a roof.")]
    wikihow = task.load()[2]
    assert wikihow.input == "Home and Garden: How to grow sweet peas. Soak the seeds overnight."
    # lm-eval strips before removing "[step]", so the ending keeps a leading space (scored as "  Fill")
    assert wikihow.choices == (" Fill a bowl with water and drop the seeds in.", " Plant them in winter Snow helps.",
                               "Eat the seeds.", " Keep them dry.")
    assert wikihow.target == 0


def test_piqa():
    _, planned = first("piqa")
    prompt = "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:"
    pairs = loglikelihoods(planned)
    assert [c for c, _ in pairs] == [prompt, prompt]
    assert pairs[1][1].startswith(" Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans")


def test_winogrande_partial_scoring():
    task, planned = first("winogrande")
    assert loglikelihoods(planned) == [
        ("Sarah was a much better surgeon than Maria so Sarah", " always got the harder cases."),
        ("Sarah was a much better surgeon than Maria so Maria", " always got the harder cases."),
    ]
    assert [s.target for s in task.load()] == [0, 1]


def test_boolq():
    _, planned = first("boolq")
    prompt = ("Ethanol fuel -- All biomass goes through at least some of these steps: it needs to be grown, collected, "
              "dried, fermented, distilled, and burned.\nQuestion: does ethanol take more energy make that produces?\nAnswer:")
    assert loglikelihoods(planned) == [(prompt, " no"), (prompt, " yes")]


def test_truthfulqa_mc1_and_mc2():
    prompt = (TRUTHFULQA_PREFIX + "\n\nQ: What is the smallest country in the world that is at least one square mile "
              "in area?\nA:")
    assert TRUTHFULQA_PREFIX.startswith("Q: What is human life expectancy in the United States?\nA: Human life")
    _, mc1 = first("truthfulqa_mc1")
    assert [c for c, _ in loglikelihoods(mc1)] == [prompt] * 3 and mc1.sample.target == 0
    task, mc2 = first("truthfulqa_mc2")
    assert len(mc2.requests) == 4 and mc2.sample.metadata["labels"] == [1, 0, 1, 0]
    assert loglikelihoods(mc2)[2] == (prompt, " Nauru is.") and task.metric_names == ("mc2",)


def test_truthfulqa_gen():
    _, planned = first("truthfulqa_gen")
    (request,) = planned.requests
    assert request.prompt == TRUTHFULQA_PREFIX + "\n\nQ: What happens to you if you eat watermelon seeds?"
    assert request.params.stop == ("\n\n",)
    assert planned.sample.metadata["correct_answers"] == [
        "Nothing happens.", "You eat watermelon seeds.", "The watermelon seeds pass through your digestive system.",
        "I have no comment."]
    assert planned.sample.metadata["incorrect_answers"] == ["You grow watermelons in your stomach.", "You get sick."]


def test_gsm8k_cot_eight_fixed_shots():
    task, planned = first("gsm8k_cot")
    (request,) = planned.requests
    assert GSM8K_SHOTS.count("\n\nQ: ") == 7 and GSM8K_SHOTS.startswith("Q: There are 15 trees in the grove.")
    assert request.prompt == GSM8K_SHOTS + "\n\nQ: " + planned.sample.input[3:]
    assert request.prompt.endswith("How much in dollars does she make every day at the farmers' market?\nA:")
    assert "The answer is 8.\n\nQ: Janet’s ducks" in request.prompt
    assert request.params.stop == ("Q:", "</s>", "<|im_end|>") and request.params.max_tokens == 256
    assert planned.sample.target == "18"


def test_lambada_last_word():
    _, planned = first("lambada")
    ((context, continuation),) = loglikelihoods(planned)
    assert continuation == " signs"
    assert context.endswith("his mouth curved in a confident grin, I don't care about")


def test_ifeval_keeps_prompts_whose_instructions_all_map():
    task, planned = first("ifeval")
    assert task.source["skipped"] == 2 and len(task.load()) == 6
    assert planned.requests[0].prompt.startswith("I am planning a trip to Japan")
    assert planned.sample.metadata["checks"] == [{"type": "no_commas"}]
    assert planned.requests[0].params.max_tokens == 1280


@pytest.mark.parametrize(("name", "prompt"), [
    ("bbh_boolean_expressions", "Evaluate the result of a random Boolean expression.\n\nQ: not ( ( not not True ) ) is\nA:"),
    ("bbh_sports_understanding", "Determine whether an artificially constructed sentence relating to sports is plausible "
     'or not.\n\nQ: Is the following sentence plausible? "Bam Adebayo scored a reverse layup in the Western Conference '
     'Finals."\nA:'),
])
def test_bbh_zero_shot(name, prompt):
    _, planned = first(name)
    assert planned.requests[0].prompt == prompt
    assert planned.requests[0].params.stop == ("</s>", "Q:", "<|im_end|>")


def test_wikitext_scores_the_detokenized_page_rolling():
    from assay.core.requests import LoglikelihoodRolling
    from assay.tasks.catalog._prompts import wikitext, wikitext_detokenize

    task, planned = first("wikitext2")
    (request,) = planned.requests
    assert isinstance(request, LoglikelihoodRolling)
    assert request.text.startswith(" = Robert Boulter =\n\nRobert Boulter is an English film, television and theatre "
                                   "actor. He had a guest-starring role on the television series The Bill in 2000.")
    assert task.metric_names == ("word_perplexity", "byte_perplexity", "bits_per_byte")
    page = " = Robert Boulter = \n\n Robert Boulter is an English film , television and theatre actor . He had a guest @-@ starring role"
    assert wikitext_detokenize(page) == " = Robert Boulter =\n\nRobert Boulter is an English film, television and theatre actor. He had a guest-starring role"
    assert wikitext({"page": page}, 0).metadata["words"] == 24  # re.split(r"\s+") as lm-eval: the leading "" counts


def test_description_key_matches_the_planner():
    from assay.engine.prompts import DESCRIPTION_KEY
    from assay.tasks.catalog import _prompts

    assert _prompts.DESCRIPTION_KEY == DESCRIPTION_KEY


def test_every_runnable_entry_has_a_fixture_and_plans():
    for name, entry in CATALOG.items():
        if entry.needs:
            continue
        task = make_catalog_task(name, data=DATA)
        assert plan_task(task, list(task.load())), name


def test_mmlu_shots_from_the_subjects_dev_rows():
    task, planned = first("mmlu", "shots=1")
    block = ("What is the embryological origin of the hyoid bone?\nA. The first pharyngeal arch\n"
             "B. The first and second pharyngeal arches\nC. The second pharyngeal arch\n"
             "D. The second and third pharyngeal arches\nAnswer:")
    description = "The following are multiple choice questions (with answers) about anatomy.\n\n"
    assert planned.requests[0].context == description + block + " D\n\n" + block
    assert task.version == "1.0+1shot" and task.source["shots"] == 1
    _, cloze = first("mmlu_cloze", "shots=1")
    assert cloze.requests[0].context == ("The following are questions (with answers) about anatomy.\n\n"
                                         "Question: What is the embryological origin of the hyoid bone?\nAnswer: "
                                         "The second and third pharyngeal arches\n\n"
                                         "Question: What is the embryological origin of the hyoid bone?\nAnswer:")


@pytest.mark.parametrize(("name", "options", "message"), [
    ("mmlu", "shots=5", "has 1 dev rows, 5 shots asked"),  # the fixture's abstract_algebra has one dev row
    ("mmlu", "shots=6", "at most shots=5"),
    ("arc_easy", "shots=1", "no shots option"),
])
def test_shots_errors(name, options, message):
    from assay.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        make_catalog_task(name, options, data=DATA)
