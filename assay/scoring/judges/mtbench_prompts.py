"""MT-Bench's single-answer grading prompts (Zheng et al., 2023): turn 1 rated alone, turn 2
rated in the context of the whole two-turn conversation, each 1-10, with the reference
answer for math, reasoning and coding. Shared by the `mt-bench` task and the `mtbench`
environment, so both ask the judge the same thing."""

TURN_1 = """\
You are judging an AI assistant's answer. Rate how helpful, relevant, accurate, deep and \
detailed it is, on a scale of 1 to 10.
{%- if reference %}
A reference answer is given: an answer that disagrees with it is wrong.

[Reference answer]
{{ reference }}
{%- endif %}

[Question]
{{ question }}

[The assistant's answer]
{{ answer }}

Explain briefly, then give your rating strictly as "Rating: [[n]]", for example "Rating: [[6]]".
"""

TURN_2 = """\
You are judging an AI assistant in a two-turn conversation. Rate ONLY its answer to the \
user's SECOND question, on a scale of 1 to 10.
{%- if reference %}
A reference answer to the second question is given: an answer that disagrees with it is wrong.

[Reference answer to the second question]
{{ reference }}
{%- endif %}

[User, first question]
{{ question }}

[Assistant, first answer]
{{ answer }}

[User, second question]
{{ question_2 }}

[Assistant, second answer]
{{ answer_2 }}

Explain briefly, then give your rating strictly as "Rating: [[n]]", for example "Rating: [[6]]".
"""
