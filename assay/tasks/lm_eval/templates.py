"""lm-eval's reading of `doc_to_text`, `doc_to_target`, `doc_to_choice` and `description`.

One YAML value can mean four things in lm-eval, decided per value exactly as its
`ConfigurableTask` decides (lm_eval/api/task.py, 0.4.x):

- an int: a literal (an index for `doc_to_target`);
- a list (or, for `doc_to_choice`, a mapping whose values are taken): a literal;
- a string naming a column of the evaluation split: that column's value;
- any other string: a Jinja template over the doc. A rendered `doc_to_text` or
  `doc_to_target` of digits only is an int when `doc_to_choice` is set; a rendered
  `doc_to_target` that looks like `[...]` is read as a Python literal; a rendered
  `doc_to_choice` is always read as a Python literal (`"{{choices.text}}"` renders
  `['a', 'b']`).

The Jinja environment is lm-eval's (StrictUndefined, trailing newlines kept, the
`regex_replace` filter), sandboxed here, so a template renders to the same text.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import jinja2
from jinja2.sandbox import SandboxedEnvironment


def _regex_replace(string: str, pattern: str, repl: str, count: int = 0) -> str:
    return re.sub(pattern, repl, string, count=count)


_ENV = SandboxedEnvironment(loader=jinja2.BaseLoader(), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
_ENV.filters["regex_replace"] = _regex_replace


class TemplateProblem(Exception):
    """A value that could not be computed for one doc; the caller adds file, line and doc."""


@dataclass(frozen=True)
class DocField:
    """One of doc_to_text / doc_to_target / doc_to_choice / description, compiled once."""

    key: str
    value: Any
    template: jinja2.Template | None

    @classmethod
    def compile(cls, key: str, value: Any, columns: Sequence[str]) -> "DocField":
        """Raises jinja2.TemplateSyntaxError for a broken template."""
        template = None
        if isinstance(value, str) and value not in columns:
            template = _ENV.from_string(value)
        return cls(key, value, template)

    def render(self, doc: Mapping[str, Any]) -> str:
        assert self.template is not None
        try:
            return self.template.render(**doc)
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(f"the template uses something this doc does not have: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"the template failed: {exc}") from None
        except Exception as exc:  # an error inside an expression (e.g. an index past a list's end)
            raise TemplateProblem(f"the template failed: {type(exc).__name__}: {exc}") from None

    def column(self, doc: Mapping[str, Any]) -> Any:
        if self.value not in doc:
            raise TemplateProblem(f"this doc has no column '{self.value}'")
        return doc[self.value]


def doc_to_text(f: DocField, doc: Mapping[str, Any], has_choices: bool) -> Any:
    """lm-eval's doc_to_text: text, or an int (a Winogrande-style multiple-input task)."""
    if isinstance(f.value, int) and not isinstance(f.value, bool):
        return f.value
    if f.template is None:
        return f.column(doc)
    text = f.render(doc)
    return ast.literal_eval(text) if text.isdigit() and has_choices else text


def doc_to_target(f: DocField, doc: Mapping[str, Any], has_choices: bool) -> Any:
    """lm-eval's doc_to_target: an index, a text, or a list of acceptable answers."""
    if isinstance(f.value, (int, list)) and not isinstance(f.value, bool):
        return f.value
    if f.template is None:
        return f.column(doc)
    text = f.render(doc)
    if text.isdigit() and has_choices:
        return ast.literal_eval(text)
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        try:
            return ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return text
    return text


def doc_to_choice(f: DocField, doc: Mapping[str, Any]) -> list[str]:
    """lm-eval's doc_to_choice: the options, each checked to be text."""
    if isinstance(f.value, list):
        choices: Any = f.value
    elif isinstance(f.value, dict):
        choices = list(f.value.values())
    elif f.template is None:
        choices = f.column(doc)
    else:
        text = f.render(doc)
        try:
            choices = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            raise TemplateProblem(f"the template rendered {text[:120]!r}, which is not a Python list literal") from None
    if not isinstance(choices, (list, tuple)) or not all(isinstance(c, str) for c in choices):
        raise TemplateProblem(f"doc_to_choice must give a list of texts, got {choices!r:.120}")
    if len(choices) < 1:
        raise TemplateProblem("doc_to_choice gave no options")
    return list(choices)


def resolve_description(f: DocField | None, doc: Mapping[str, Any]) -> str:
    """lm-eval's `resolve_field(doc, description) or ""`: a column's value or a template."""
    if f is None or not f.value:
        return ""
    if isinstance(f.value, str) and f.value in doc:
        return doc[f.value] or ""
    return f.render(doc) or ""
