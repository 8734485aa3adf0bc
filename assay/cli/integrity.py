"""`assay integrity CHECK`: contamination and leakage audits (overlap with a corpus,
membership scores, TS-Guessing, rewrite gap) and the report that joins them with runs.

Each check prints its table and adds its section to the audit file (`--audit`, default
./integrity.json); `assay integrity report RUN...` reads that file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from assay.cli._console import MODEL_HELP, console, out

AUDIT_HELP = "integrity audit JSON file the results are added to (default ./integrity.json)"


def _options(args: argparse.Namespace) -> Any:
    from assay.engine.run import RunOptions

    return RunOptions(limit=args.limit, seed=args.seed, show_progress=not args.quiet)


def cmd_overlap(args: argparse.Namespace) -> int:
    from assay.analyses.integrity import OverlapConfig, scan_overlap, task_items
    from assay.analyses.integrity.audit import save_section
    from assay.report.integrity import overlap_table
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed)
    items = task_items(tasks, args.limit)
    config = OverlapConfig(n=args.n, near_duplicates=not args.no_near, threshold=args.threshold,
                           text_field=args.text_field, strict=args.strict)
    report = scan_overlap(items, args.corpus, config, progress=not args.quiet,
                          warn=lambda m: console.print(f"[yellow]warning:[/] {m}", highlight=False))
    out.print(overlap_table(report, show=args.show))
    data = report.to_dict()
    per_task = {t.name: {**data, "items": [i for i in data["items"] if i["task"] == t.name]} for t in tasks}
    path = save_section(args.audit, "overlap", per_task)
    console.print(f"added to {path}", highlight=False)
    return 0


def cmd_membership(args: argparse.Namespace) -> int:
    from assay.analyses.integrity.audit import save_section
    from assay.analyses.integrity.corpus import read_texts
    from assay.analyses.integrity.membership import flag_items, score_membership, separation
    from assay.analyses.integrity.overlap import sample_text
    from assay.analyses.integrity.probes import seen_passages, unseen_passages
    from assay.models import load_model
    from assay.report.integrity import detection_table, flags_table
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed) if args.tasks else []
    if args.clean:
        clean_texts = read_texts(args.clean)
    else:
        clean_texts = unseen_passages(args.n_clean, seed=args.seed + 1)
        if tasks:
            console.print("[yellow]note:[/] the default clean items are generated narrative sentences, unlike most "
                          "tasks' items: flags and AUROCs against them measure style as well as membership. Pass "
                          "--clean with fresh items like the task's (paraphrases, or new items of the same kind).",
                          highlight=False)
    model = load_model(args.model)
    reference = load_model(args.reference) if args.reference else None
    show = not args.quiet
    try:
        def scores(pairs: list[tuple[str, str]]) -> Any:
            return score_membership(model, [t for _, t in pairs], [i for i, _ in pairs], k=args.k,
                                    reference=reference, progress=show)

        clean = scores(clean_texts)
        members = None
        if args.members:
            members = scores(read_texts(args.members))
        elif args.self_check:
            members = scores(seen_passages(args.self_check, seed=args.seed))
        entries: dict[str, Any] = {}
        if members is not None:
            reports = separation(members, clean, args.fpr, seed=args.seed)
            out.print(detection_table("known members vs known-clean items", reports))
            entries[f"(known members)|{args.model}"] = {"model": args.model,
                                                            "detection": [r.to_dict() for r in reports]}
        for task in tasks:
            samples = list(task.load())[: args.limit]
            items = scores([(s.id, sample_text(s)) for s in samples])
            flags = flag_items(items, clean, args.fpr, seed=args.seed)
            reports = separation(items, clean, args.fpr, seed=args.seed) if len(items) >= 2 else []
            out.print(flags_table(task.name, flags))
            if reports:
                out.print(detection_table(f"{task.name} items vs known-clean items", reports))
            entries[f"{task.name}|{args.model}"] = {
                "model": args.model, "flag_score": args.flag_score,
                "flags": [f.to_dict() for f in flags], "detection": [r.to_dict() for r in reports],
                "items": [i.to_dict() for i in items]}
    finally:
        model.close()
        if reference is not None:
            reference.close()
    path = save_section(args.audit, "membership", entries)
    console.print(f"added to {path}", highlight=False)
    return 0


def _cache(args: argparse.Namespace) -> Any:
    from assay.engine.cache import ResponseCache
    from assay.paths import default_cache_path

    return ResponseCache(Path(args.cache) if args.cache else default_cache_path())


def _each_task(args: argparse.Namespace, section: str, check: Callable[[Any, Any, Any], dict[str, Any]]) -> int:
    """Run one model check over each task (the model and cache opened once, closed whatever
    happens), then add every task's entry to the audit file's `section`."""
    from assay.analyses.integrity.audit import save_section
    from assay.models import load_model
    from assay.tasks.resolve import resolve_tasks

    tasks = resolve_tasks(args.tasks, seed=args.seed)
    model = load_model(args.model)
    cache = _cache(args)
    entries = {}
    try:
        for task in tasks:
            entries[f"{task.name}|{args.model}"] = {"model": args.model, **check(model, task, cache)}
    finally:
        cache.close()
        model.close()
    path = save_section(args.audit, section, entries)
    console.print(f"added to {path}", highlight=False)
    return 0


def cmd_guess(args: argparse.Namespace) -> int:
    from assay.analyses.integrity.guessing import run_guessing
    from assay.report.integrity import guess_table

    def check(model: Any, task: Any, cache: Any) -> dict[str, Any]:
        report = run_guessing(model, task, cache, _options(args), args.seed, args.continuation)
        out.print(guess_table(report))
        return report.to_dict()

    return _each_task(args, "guessing", check)


def cmd_rewrites(args: argparse.Namespace) -> int:
    from assay.analyses.integrity.rewrites import run_rewrite_gap
    from assay.report.robustness import perturbation_table

    def check(model: Any, task: Any, cache: Any) -> dict[str, Any]:
        reports = run_rewrite_gap(model, task, cache, _options(args), args.kinds, args.seed)
        out.print(perturbation_table(task.name, reports))
        return {"reports": [r.to_dict() for r in reports]}

    return _each_task(args, "rewrites", check)


def cmd_report(args: argparse.Namespace) -> int:
    from assay.analyses.integrity.audit import integrity_rows, load_audit
    from assay.api import load_run
    from assay.errors import ConfigError
    from assay.report.integrity import integrity_table

    audit = load_audit(args.audit)
    if not audit and not Path(args.audit).exists():
        raise ConfigError(f"no integrity audit at {args.audit}", file=args.audit,
                          hint="run `assay integrity overlap|membership|guess|rewrites` first, or pass --audit")
    runs = [load_run(r) for r in args.runs]
    rows = integrity_rows(audit, runs, args.flag_score, args.seed)
    out.print(integrity_table(rows))
    if args.html:
        from assay.report.html import write_report
        from assay.report.integrity import integrity_section

        if not runs:
            raise ConfigError("--html needs at least one RUN", field="runs")
        path = write_report(runs, args.html, sections=[integrity_section(rows)])
        console.print(f"wrote {path}", highlight=False)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("integrity", help="contamination audits: corpus overlap, membership scores, "
                                              "TS-Guessing, rewrite gap, clean-subset score")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--limit", type=int, help="first N items per task")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--audit", default="integrity.json", help=AUDIT_HELP)
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    checks = parser.add_subparsers(dest="check", metavar="CHECK", required=True)

    ov = checks.add_parser("overlap", parents=[common], help="n-gram and MinHash near-duplicate overlap with a corpus")
    ov.add_argument("tasks", nargs="+", metavar="TASK")
    ov.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                    help="files, folders, globs, .jsonl/.parquet (text field), .gz, or hf:DATASET[:SPLIT]")
    ov.add_argument("--n", type=int, default=13, help="n-gram length in words (default 13)")
    ov.add_argument("--threshold", type=float, default=0.5, help="exact Jaccard for a near-duplicate (default 0.5)")
    ov.add_argument("--no-near", action="store_true", help="exact n-grams only (no MinHash LSH)")
    ov.add_argument("--text-field", default="text", help="JSONL field / Parquet column holding the text")
    ov.add_argument("--strict", action="store_true", help="stop at a bad corpus file instead of skipping it")
    ov.add_argument("--show", type=int, default=20, help="flagged items to list")
    ov.set_defaults(func=cmd_overlap)

    mem = checks.add_parser("membership", parents=[common],
                            help="perplexity, Min-K%%, Min-K%%++, zlib and reference scores, calibrated on clean items")
    mem.add_argument("model", help=MODEL_HELP)
    mem.add_argument("tasks", nargs="*", metavar="TASK")
    mem.add_argument("--clean", nargs="+", metavar="FILE",
                     help="known-clean texts (.txt/.jsonl/...; default: freshly generated passages)")
    mem.add_argument("--n-clean", type=int, default=40, help="generated clean passages when --clean is absent")
    mem.add_argument("--members", nargs="+", metavar="FILE", help="known-seen texts, for AUROC against the clean set")
    mem.add_argument("--self-check", type=int, metavar="N",
                     help="measure AUROC on N surely-seen passages (licences, Zen of Python, docstrings)")
    mem.add_argument("--reference", metavar="MODEL", help="reference model for the reference score")
    mem.add_argument("--k", type=float, default=0.2, help="Min-K%% fraction (default 0.2)")
    mem.add_argument("--fpr", type=float, default=0.05, help="false-positive rate to calibrate to (default 0.05)")
    mem.add_argument("--flag-score", default="min_k_pp", help="score whose flags the report uses (default min_k_pp)")
    mem.set_defaults(func=cmd_membership)

    for name, func, help_text in (("guess", cmd_guess, "TS-Guessing: fill in a masked wrong option or rare word"),
                                  ("rewrites", cmd_rewrites, "accuracy on originals vs answer-preserving rewrites")):
        p = checks.add_parser(name, parents=[common], help=help_text)
        p.add_argument("model", help=MODEL_HELP)
        p.add_argument("tasks", nargs="+", metavar="TASK")
        p.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
        if name == "guess":
            p.add_argument("--continuation", action="store_true",
                           help="items without options: give the text up to the hidden word and score the next "
                                "word (for models that ignore a fill-in instruction)")
        if name == "rewrites":
            p.add_argument("--kinds", nargs="+", default=["distractor", "rename"],
                           help="rewrites: distractor, rename, shuffle-options")
        p.set_defaults(func=func)

    rep = checks.add_parser("report", parents=[common], help="flags, AUROCs, TS-Guessing, rewrite gap and "
                                                             "clean-subset score in one table")
    rep.add_argument("runs", nargs="*", metavar="RUN", help="run directories (for the clean-subset score)")
    rep.add_argument("--html", metavar="FILE", help="also write the HTML report with the integrity section")
    rep.add_argument("--flag-score", help="membership score whose flags count (default: the one saved)")
    rep.set_defaults(func=cmd_report)


