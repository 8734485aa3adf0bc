"""Multiple-choice scoring options (issue 12, item 3): letter continuations, the chat template
on log-likelihood prompts, the unit of acc_norm, and calibrated scoring (acc_mutual_info).
Model-free: prompts and requests are pure, and runs use the InstantModel."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from assay.core.format import PromptFormat
from assay.core.messages import ChatMessage
from assay.core.requests import Loglikelihood
from assay.core.responses import ChoiceOutput, LoglikelihoodResult
from assay.core.sample import Sample
from assay.core.task import ChoiceScoring, Continuation, NormUnit, Task, TaskKind
from assay.engine.cache import ResponseCache
from assay.engine.prompts import chat_renderer, plan_sample
from assay.engine.run import RunOptions, evaluate
from assay.errors import ConfigError, TaskSpecError
from assay.scoring.multiple_choice import MultipleChoiceScorer
from assay.tasks.spec import parse_task_spec
from assay.testing.instant import InstantModel

SAMPLE = Sample(id="q1", input="What is the capital of France?", target=1, choices=("Lyon", "Paris", "Nice"))
SHOT = Sample(id="s1", input="2 + 2 =", target=0, choices=("4", "5", "6"))


def mc_task(options: ChoiceScoring = ChoiceScoring(), instruction: str = "", **kw) -> Task:  # type: ignore[no-untyped-def]
    return Task(name="mc", version="1", kind=TaskKind.MULTIPLE_CHOICE, load=lambda: [SAMPLE],
                scorers=(MultipleChoiceScorer.for_task(options),), choice_scoring=options,
                instruction=instruction, **kw)


def result(lp: float, n_tokens: int = 1) -> LoglikelihoodResult:
    return LoglikelihoodResult(lp, False, n_tokens)


def test_text_continuation_is_unchanged():
    planned = plan_sample(mc_task(), SAMPLE, [])
    assert planned.prompt == "Question: What is the capital of France?\nAnswer:"
    assert [r.continuation for r in planned.requests] == [" Lyon", " Paris", " Nice"]


def test_letter_continuation_lists_options_and_scores_letters():
    planned = plan_sample(mc_task(ChoiceScoring(continuation=Continuation.LETTER)), SAMPLE, [SHOT])
    assert planned.prompt == (
        "Question: 2 + 2 =\nChoices:\nA. 4\nB. 5\nC. 6\nAnswer: A\n\n"
        "Question: What is the capital of France?\nChoices:\nA. Lyon\nB. Paris\nC. Nice\nAnswer:"
    )
    assert [r.continuation for r in planned.requests] == [" A", " B", " C"]


def test_letter_keys_follow_the_enumerator():
    from assay.core.format import OptionEnumerator

    task = mc_task(ChoiceScoring(continuation=Continuation.LETTER),
                   format=PromptFormat(option_enumerator=OptionEnumerator.LOWER_PAREN))
    planned = plan_sample(task, SAMPLE, [])
    assert "(a) Lyon" in planned.prompt
    assert [r.continuation for r in planned.requests] == [" a", " b", " c"]


def test_calibrated_adds_one_neutral_request_per_option():
    planned = plan_sample(mc_task(ChoiceScoring(calibrate=True)), SAMPLE, [])
    assert len(planned.requests) == 6
    assert planned.requests[3:] == tuple(Loglikelihood("", c) for c in (" Lyon", " Paris", " Nice"))


def test_chat_template_renders_context_as_user_turn_and_drops_the_delimiter():
    seen: list[tuple[ChatMessage, ...]] = []

    def template(messages):  # type: ignore[no-untyped-def]
        seen.append(tuple(messages))
        return "".join(f"<|{m.role}|>{m.content}<|end|>" for m in messages) + "<|assistant|>"

    task = mc_task(ChoiceScoring(chat_template=True), instruction="Answer the question.")
    planned = plan_sample(task, SAMPLE, [], chat_template=template)
    assert seen[0] == (ChatMessage("system", "Answer the question."),
                       ChatMessage("user", "Question: What is the capital of France?\nAnswer:"))
    assert planned.prompt.endswith("<|assistant|>")
    assert [r.context for r in planned.requests] == [planned.prompt] * 3
    assert [r.continuation for r in planned.requests] == ["Lyon", "Paris", "Nice"]  # lm-eval: no delimiter


def test_chat_template_needs_a_model_that_has_one():
    task = mc_task(ChoiceScoring(chat_template=True))
    with pytest.raises(ConfigError, match="chat template"):
        chat_renderer(InstantModel(), [task])
    assert chat_renderer(InstantModel(), [mc_task()]) is None


def test_chat_renderer_uses_the_adapters_rendering():
    class Templated(InstantModel):
        def render_prompt(self, request):  # type: ignore[no-untyped-def]
            return "|".join(m.content for m in request.messages) + "|assistant|"

    model = Templated()
    model.info = replace(model.info, has_chat_template=True)
    render = chat_renderer(model, [mc_task(ChoiceScoring(chat_template=True))])
    assert render is not None and render([ChatMessage("user", "hi")]) == "hi|assistant|"


@pytest.mark.parametrize(
    ("unit", "expected_norm"),
    [(NormUnit.CHARS, 1.0), (NormUnit.BYTES, 0.0), (NormUnit.TOKENS, 0.0)],
)
def test_acc_norm_unit(unit, expected_norm):
    # "éé" is 2 chars but 4 bytes. By chars: -3.2/2 = -1.6 < -4/3, option 1 wins; by bytes:
    # -3.2/4 = -0.8 > -4/3, option 0 wins; by tokens (one each) option 0 wins.
    sample = Sample(id="x", input="q", target=1, choices=("éé", "abc"))
    results = (result(-3.2, n_tokens=1), result(-4.0, n_tokens=1))
    score = MultipleChoiceScorer(norm=unit)(sample, ChoiceOutput(results))
    assert score.values["acc"] == 0.0  # raw: option 0 (-3.2) beats option 1 (-4)
    assert score.values["acc_norm"] == expected_norm


def test_acc_norm_by_tokens_uses_the_models_token_counts():
    sample = Sample(id="x", input="q", target=1, choices=("a", "b"))
    results = (result(-3.0, n_tokens=1), result(-4.0, n_tokens=4))
    score = MultipleChoiceScorer(norm="tokens")(sample, ChoiceOutput(results))
    assert score.values == {"acc": 0.0, "acc_norm": 1.0}


def test_letter_continuation_normalises_by_the_letter():
    sample = Sample(id="x", input="q", target=0, choices=("a long option text", "b"))
    score = MultipleChoiceScorer(norm="chars", continuation="letter")(sample, ChoiceOutput((result(-2.0), result(-1.0))))
    assert score.values["acc_norm"] == score.values["acc"] == 0.0


def test_acc_mutual_info_subtracts_the_neutral_loglikelihood():
    sample = Sample(id="x", input="q", target=1, choices=("common", "rare"))
    # conditional: common -1, rare -2 (acc picks common); unconditional: common -0.5, rare -5
    results = (result(-1.0), result(-2.0), result(-0.5), result(-5.0))
    score = MultipleChoiceScorer(calibrated=True)(sample, ChoiceOutput(results))
    assert score.values == {"acc": 0.0, "acc_norm": 0.0, "acc_mutual_info": 1.0}
    with pytest.raises(ValueError, match="two per choice"):
        MultipleChoiceScorer(calibrated=True)(sample, ChoiceOutput(results[:2]))


def test_calibrated_letter_task_runs_end_to_end(tmp_path):
    options = ChoiceScoring(continuation=Continuation.LETTER, calibrate=True, norm=NormUnit.CHARS)
    run = evaluate(InstantModel(), [mc_task(options)], ResponseCache(tmp_path / "c.sqlite"), RunOptions(show_progress=False))
    (record,) = run.samples
    assert set(record.scores) == {"acc", "acc_norm", "acc_mutual_info"}
    assert len(record.response) == 6 and not any(math.isnan(v) for v in record.scores.values())


YAML = """\
name: caps
kind: multiple_choice
dataset: {path: capitals.jsonl}
fields: {input: question, choices: choices, target: answer}
multiple_choice:
  continuation: letter
  norm: chars
  calibrate: true
"""


def test_task_file_sets_the_options():
    spec = parse_task_spec(YAML, "caps.yaml").spec
    assert spec.multiple_choice.build() == ChoiceScoring(Continuation.LETTER, False, NormUnit.CHARS, True, "")


def test_task_file_builds_the_scorer_from_the_options(tmp_path):
    from assay.tasks.yaml_task import load_task_file

    (tmp_path / "capitals.jsonl").write_text('{"question": "Capital of France?", "choices": ["Lyon", "Paris"], "answer": 1}\n')
    (tmp_path / "caps.yaml").write_text(YAML)
    task = load_task_file(tmp_path / "caps.yaml")
    (scorer,) = task.scorers
    assert task.choice_scoring.calibrate and scorer.metrics == ("acc", "acc_norm", "acc_mutual_info")
    assert scorer.norm is NormUnit.CHARS and scorer.continuation is Continuation.LETTER


@pytest.mark.parametrize(("extra", "field"), [
    ("format: {show_choices: false}\n", "format.show_choices"),
    ("", None),
])
def test_task_file_letter_needs_listed_options(extra, field):
    if field is None:
        parse_task_spec(YAML + extra, "caps.yaml")
        return
    with pytest.raises(TaskSpecError) as info:
        parse_task_spec(YAML + extra, "caps.yaml")
    assert info.value.field == field


def test_task_file_rejects_options_on_a_generate_task():
    text = ("name: g\nkind: generate\ndataset: {path: d.jsonl}\nfields: {input: q, target: a}\n"
            "multiple_choice: {norm: chars}\n")
    with pytest.raises(TaskSpecError, match="kind multiple_choice") as info:
        parse_task_spec(text, "g.yaml")
    assert info.value.line == 5


def test_item_description_precedes_the_prompt_or_is_the_system_turn():
    from assay.engine.prompts import DESCRIPTION_KEY

    sample = replace(SAMPLE, metadata={DESCRIPTION_KEY: "About geography.\n\n"})
    plain = plan_sample(mc_task(), sample, [])
    assert plain.prompt == "About geography.\n\nQuestion: What is the capital of France?\nAnswer:"
    seen = []
    chat = plan_sample(mc_task(ChoiceScoring(chat_template=True)), sample, [],
                       chat_template=lambda m: seen.append(tuple(m)) or "rendered")
    assert seen[0][0] == ChatMessage("system", "About geography.\n\n") and chat.prompt == "rendered"
    # an ordinary "description" column of a task file's data is just metadata
    other = plan_sample(mc_task(), replace(SAMPLE, metadata={"description": "x"}), [])
    assert other.prompt.startswith("Question:")


def test_builtin_suites_take_the_options():
    from assay.tasks.resolve import resolve_task

    (task,) = resolve_task("arith-mc:n=3,continuation=letter,calibrate=true,norm=tokens")
    assert task.choice_scoring == ChoiceScoring(Continuation.LETTER, False, NormUnit.TOKENS, True)
    assert task.version == "1+letter+norm-tokens+calibrated" and task.format.show_choices
    assert task.scorers[0].metrics == ("acc", "acc_norm", "acc_mutual_info")
    planned = plan_sample(task, task.load()[0], [])
    assert [r.continuation for r in planned.requests[:4]] == [" A", " B", " C", " D"] and len(planned.requests) == 8
    (plain,) = resolve_task("arith-mc:n=3")
    assert plain.version == "1-cloze" and plain.choice_scoring == ChoiceScoring()  # unchanged default


@pytest.mark.parametrize("name", ["arith-gen:calibrate=true", "arith-mc:norm=words", "arith-mc:continuation=blank",
                                  "arith-mc:continuation=letter,style=cloze"])
def test_builtin_suite_option_errors(name):
    from assay.tasks.resolve import resolve_task

    with pytest.raises(ConfigError):
        resolve_task(name)
