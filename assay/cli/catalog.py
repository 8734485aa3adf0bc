"""`assay tasks` and `assay models`: list the built-in suites, groups, benchmark catalog, model aliases and adapters."""

from __future__ import annotations

import argparse

from rich.table import Table

from assay.cli._console import out


def cmd_tasks(args: argparse.Namespace) -> int:
    from assay.tasks.builtin import GROUP_DEFAULT_N, SUITE_GROUPS, builtin_suites

    table = Table(title="built-in suites (generated, seeded; options: NAME:n=INT,seed=INT,style=cloze|listed, "
                        "and for -mc suites continuation=letter, calibrate=true, norm=chars|bytes|tokens)")
    for col in ("suite", "family", "kind", "default n", "description"):
        table.add_column(col)
    for name, suite in builtin_suites().items():
        table.add_row(name, suite.family, suite.kind.value, str(suite.default_n), suite.description)
    out.print(table)
    groups = Table(title="groups")
    groups.add_column("group")
    groups.add_column("suites")
    groups.add_column("items per suite")
    for name, members in SUITE_GROUPS.items():
        per = GROUP_DEFAULT_N.get(name)
        groups.add_row(name, ", ".join(members), str(per) if per else "each suite's default n")
    out.print(groups)
    _print_catalog(getattr(args, "data_dir", None))
    out.print("Also: a YAML task file (PATH.yaml) or a JSONL of {question, choices, answer} rows (PATH.jsonl).")
    return 0


def _print_catalog(data: str | None) -> None:
    """The benchmark catalog, with where each one's data would come from."""
    from assay.tasks.catalog import CATALOG, DATA_ENV, data_present
    from assay.tasks.catalog._data import data_dir

    folder = data_dir(data)
    where = f"local copies under {folder}" if folder else f"no local data folder (--data-dir or ${DATA_ENV})"
    table = Table(title=f"benchmark catalog (lm-eval prompts; options: NAME:n=INT,...; {where})")
    for col in ("task", "what", "source", "items", "licence", "data"):
        table.add_column(col)
    for name, entry in CATALOG.items():
        present = data_present(entry, data)
        if entry.needs:
            status = f"not runnable: needs {entry.needs}"
        elif present:
            status = "present"
        elif present is False:
            status = f"missing {entry.source.local_name()}: from the Hub if online"
        else:
            status = "from the Hub (online)"
        table.add_row(name, entry.title, entry.source.label, f"{entry.size:,}", entry.licence, status)
    out.print(table)


def cmd_models(args: argparse.Namespace) -> int:
    from assay.models import adapters, aliases
    from assay.models.registry import setting_infos

    table = Table(title="model aliases")
    table.add_column("alias")
    table.add_column("what it is")
    for name, alias in aliases().items():
        table.add_row(name, alias.description)
    out.print(table)
    ad = Table(title="adapters (MODEL = PREFIX:ARGUMENT)")
    ad.add_column("prefix")
    ad.add_column("what it loads")
    for prefix, description in adapters().items():
        ad.add_row(prefix, description)
    out.print(ad)
    settings = Table(title="adapter settings (--model-arg KEY=VALUE; a misspelled key is an error)")
    for col in ("adapter", "setting", "type", "default", "what it does"):
        settings.add_column(col)
    for info in setting_infos():
        settings.add_row(info.adapter, info.name, info.type, info.default, info.description)
    out.print(settings)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tasks = sub.add_parser("tasks", help="list built-in suites, groups and the benchmark catalog")
    tasks.add_argument("--data-dir", metavar="DIR", help="where local copies of catalog benchmarks are (default $ASSAY_DATA)")
    tasks.set_defaults(func=cmd_tasks)
    models = sub.add_parser("models", help="list model aliases and adapters")
    models.set_defaults(func=cmd_models)
