"""The judge prompts: Jinja2 templates a user may replace (in Python or a task file's
`judge: template:`). Each default asks for a verdict in a fixed, parseable form — MT-Bench's
`[[A]]` / `[[B]]` / `[[C]]` for pairs, `[[n]]` for a rating — so parsing never guesses.

Fields every template may use: `question`, `answer` (pointwise), `answer_a` / `answer_b`
(pairwise, in the order shown), `reference` (reference-guided), `scale` (the top of the
rating scale) and `skills` (FLASK-style skill names, pointwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from assay.errors import ConfigError

POINTWISE = """\
Please act as an impartial judge and evaluate the quality of the response provided by an AI \
assistant to the user question below. Rate it on a scale of 1 to {{ scale }}.
{%- if reference %}
Compare it with the reference answer; an answer that contradicts the reference is wrong.

[Reference answer]
{{ reference }}
{%- endif %}

[Question]
{{ question }}

[The assistant's answer]
{{ answer }}

{% if skills -%}
Rate each skill on its own line, exactly in the form "skill: [[rating]]":
{% for s in skills %}{{ s }}: [[rating]]
{% endfor %}
{%- else -%}
Give a short explanation, then your rating strictly in this format: "Rating: [[rating]]", \
for example "Rating: [[{{ scale // 2 + 1 }}]]".
{%- endif %}
"""

PAIRWISE = """\
Please act as an impartial judge and evaluate the two AI assistants' answers to the user \
question below. Choose the assistant that follows the instructions and answers the question \
better. Do not let the order of the answers, their length or the assistants' names influence you.
{%- if reference %}
Compare both with the reference answer.

[Reference answer]
{{ reference }}
{%- endif %}

[Question]
{{ question }}

[Assistant A's answer]
{{ answer_a }}

[Assistant B's answer]
{{ answer_b }}

After a short explanation, output your final verdict strictly in this format: "[[A]]" if \
assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.
"""

_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


def render_judge_prompt(template: str, **fields: Any) -> str:
    """The template filled with `fields` (sandboxed; a field the template names but that is
    not given is an error, not an empty string)."""
    return _ENV.from_string(template).render(**fields)


def read_template(path: str | Path) -> str:
    """A judge template from a file, checked; a missing file or a syntax error is a
    ConfigError naming the file (and line)."""
    from jinja2 import TemplateSyntaxError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the judge template: {exc.strerror}", file=path) from None
    try:
        check_template(text)
    except TemplateSyntaxError as exc:
        raise ConfigError(f"the judge template does not parse: {exc.message}", file=path, line=exc.lineno) from None
    return text


def check_template(template: str) -> None:
    """Raise jinja2's TemplateSyntaxError for a template that does not parse (at load time)."""
    _ENV.parse(template)
