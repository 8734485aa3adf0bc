"""`assay arena run/ratings` and `assay judge audit`: LLM-judged arenas, leaderboards with
intervals, and audits of a judge's verdicts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assay.cli._console import console, out


def cmd_arena_run(args: argparse.Namespace) -> int:
    from assay.analyses.arena import run_arena
    from assay.analyses.tournaments import TournamentFormat
    from assay.api import resolve_task_args
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions
    from assay.paths import default_cache_path
    from assay.errors import ConfigError
    from assay.report.arena import leaderboard_table
    from assay.stats.rating import bradley_terry

    from assay.core.requests import GenerationParams
    from assay.scoring.judges.templates import PAIRWISE, read_template

    template = PAIRWISE if args.judge_template is None else read_template(args.judge_template)
    tasks = resolve_task_args(args.task)
    if len(tasks) != 1:
        raise ConfigError(f"--task names {len(tasks)} tasks; an arena runs on one", field="--task")
    cache = ResponseCache(None if args.no_cache else Path(args.cache) if args.cache else default_cache_path())
    try:
        result = run_arena(args.models, tasks[0], args.judge, cache,
                           options=RunOptions(limit=args.limit, seed=args.seed, show_progress=True),
                           tournament=TournamentFormat(args.tournament), null_models=args.null_model, seed=args.seed,
                           template=template, judge_params=GenerationParams(max_tokens=args.judge_max_tokens))
    finally:
        cache.close()
    where = result.save(args.out)
    if args.store is not None:
        from assay.store import ResultsStore
        from assay.store.votes import VoteStore

        with ResultsStore(args.store or None) as store:
            n = VoteStore(store).add_judge_battles(result.battles, source=str(where))
        console.print(f"stored {n} judge verdicts in the results store (the dashboard's Arena page shows them)")
    console.print(f"{len(result.battles)} verdicts from {result.matches} matches ({result.format.value}); "
                  f"{len(result.failed)} unreadable; wrote {where}")
    for message in result.failed[:5]:
        console.print(f"[yellow]unreadable[/] {message}", highlight=False)
    if result.battles:
        out.print(leaderboard_table(bradley_terry(result.battles, n_boot=args.n_boot, seed=args.seed)))
    return 0


def cmd_arena_ratings(args: argparse.Namespace) -> int:
    from assay.analyses.arena import read_battles
    from assay.report.arena import leaderboard_table
    from assay.stats.rating import bradley_terry, elo_online

    battles = read_battles(args.battles)
    if args.judge:
        battles = [b for b in battles if b.judge == args.judge]
    ratings = bradley_terry(battles, n_boot=args.n_boot, level=args.level, seed=args.seed, judge_noise=args.judge_noise)
    out.print(leaderboard_table(ratings, elo_online(battles)))
    if args.html:
        from assay.analyses.judge_audit import audit_judge
        from assay.report.arena_html import arena_page, arena_section

        section = arena_section(ratings, audit=audit_judge(battles, args.judge or ""))
        Path(args.html).write_text(arena_page(section), encoding="utf-8")
        console.print(f"wrote {args.html}")
    if args.json:
        Path(args.json).write_text(json.dumps(ratings.to_dict(), indent=2))
        console.print(f"wrote {args.json}")
    return 0


def cmd_judge_audit(args: argparse.Namespace) -> int:
    from assay.analyses.arena import read_battles
    from assay.analyses.judge_audit import audit_judge, human_agreement, read_human_labels
    from assay.report.arena import agreement_table, audit_table

    battles = read_battles(args.battles)
    audit = audit_judge(battles, args.judge or "", baseline=args.baseline, alpha=args.alpha)
    out.print(audit_table(audit))
    report = audit.to_dict()
    if args.self_preference:
        from assay.analyses.judge_audit import self_preference
        from assay.errors import ConfigError
        from assay.report.arena import self_preference_table

        results = []
        for pair in args.self_preference:
            judge, sep, model = pair.partition("=")
            if not sep or not judge or not model:
                raise ConfigError(f"'{pair}' is not JUDGE=MODEL", field="--self-preference")
            try:
                results.append(self_preference(battles, judge=judge, model=model, alpha=args.alpha))
            except ValueError as exc:
                raise ConfigError(str(exc), field="--self-preference") from None
        out.print(self_preference_table(results))
        report["self_preference"] = [r.to_dict() for r in results]
    if args.human:
        mine = [b for b in battles if not args.judge or b.judge == args.judge]
        labels = {f"{b.item}::{b.first}::{b.second}": b.outcome.value for b in mine}
        agreement = human_agreement(labels, read_human_labels(args.human), file=args.human, seed=args.seed)
        out.print(agreement_table(agreement))
        report["human_agreement"] = [a.to_dict() for a in agreement]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=float))
        console.print(f"wrote {args.json}")
    return 0


def cmd_judge_preference(args: argparse.Namespace) -> int:
    from assay.analyses.preference import (SequenceClassifierReward, dpo_reward_task, judge_reward_task,
                                           preference_report, read_preference_pairs, reward_records)
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate
    from assay.errors import ConfigError
    from assay.models import load_model
    from assay.paths import default_cache_path
    from assay.report.arena import preference_table

    chosen = [x for x in (args.reference, args.judge, args.reward_model) if x]
    if len(chosen) != 1:
        raise ConfigError("give exactly one reward: --reference (DPO implicit reward of --policy), --judge, or "
                          "--reward-model", field="--reference/--judge/--reward-model")
    if args.reference and not args.policy:
        raise ConfigError("the DPO implicit reward needs --policy as well as --reference", field="--policy")
    pairs = read_preference_pairs(args.data, split=args.split)
    if args.limit is not None:
        pairs = pairs[: args.limit]
    if args.reward_model:
        rm = SequenceClassifierReward(args.reward_model)
        records = reward_records(pairs, *rm.rewards(pairs), model=args.reward_model)
    else:
        cache = ResponseCache(None if args.no_cache else Path(args.cache) if args.cache else default_cache_path())
        model = load_model(args.policy if args.reference else args.judge)
        reference = load_model(args.reference) if args.reference else None
        try:
            task = (dpo_reward_task(pairs, reference, beta=args.beta) if reference is not None
                    else judge_reward_task(pairs))
            records = evaluate(model, [task], cache, RunOptions(show_progress=True)).samples
        finally:
            cache.close()
            model.close()
            if reference is not None:
                reference.close()
    report = preference_report(records, in_split=args.in_split, out_split=args.out_split)
    out.print(preference_table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2, default=float))
        console.print(f"wrote {args.json}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    arena = sub.add_parser("arena", help="LLM-judged arenas: answers compared pairwise, ratings with intervals")
    asub = arena.add_subparsers(dest="arena_command", required=True)
    run = asub.add_parser("run", help="every model answers the task; a judge compares answers pairwise (both orders)")
    run.add_argument("models", nargs="+", metavar="MODEL", help="model specs or aliases (smollm2, gemma3-270m, ...)")
    run.add_argument("--task", required=True, help="a generation task: built-in name or task file")
    run.add_argument("--judge", required=True, help="the judge model spec or alias")
    run.add_argument("--tournament", choices=["round-robin", "single-elimination", "swiss"], default="round-robin",
                     help="which matches to judge (single-elimination: a bracket per item, as Varco Arena)")
    run.add_argument("--null-model", action="append", default=[], metavar="NAME",
                     help="add a constant non-answer as a contestant: null:constant, null:empty-praise, null:injection")
    run.add_argument("--judge-template", metavar="FILE",
                     help="a Jinja2 judge prompt replacing the default (fields: question, answer_a, answer_b); "
                          "it must ask for [[A]], [[B]] or [[C]]")
    run.add_argument("--judge-max-tokens", type=int, default=192, help="the judge's token budget per verdict")
    run.add_argument("--limit", type=int, help="first N items")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the intervals")
    run.add_argument("--out", required=True, help="directory for battles.jsonl, answers.json, arena.json")
    run.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    run.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    run.add_argument("--store", nargs="?", const="", metavar="URL",
                     help="also store the verdicts in the results store (default store without a value), for the "
                          "dashboard's arena page")
    run.set_defaults(func=cmd_arena_run)

    ratings = asub.add_parser("ratings", help="Bradley-Terry leaderboard (Elo scale) with bootstrap intervals")
    ratings.add_argument("battles", help="an arena directory or a battles.jsonl file")
    ratings.add_argument("--judge", help="only this judge's verdicts")
    ratings.add_argument("--level", type=float, default=0.95, help="interval level (Arena-Hard reports 0.90)")
    ratings.add_argument("--n-boot", type=int, default=1000)
    ratings.add_argument("--judge-noise", action="store_true",
                         help="also resample the judge's own verdict flips (order swaps, re-judging) into the interval")
    ratings.add_argument("--seed", type=int, default=0)
    ratings.add_argument("--json", help="also write the leaderboard as JSON")
    ratings.add_argument("--html", help="also write the leaderboard (intervals drawn) and the judge audit as an HTML page")
    ratings.set_defaults(func=cmd_arena_ratings)

    judge = sub.add_parser("judge", help="audit an LLM judge's verdicts")
    jsub = judge.add_subparsers(dest="judge_command", required=True)
    audit = jsub.add_parser("audit", help="position bias, length bias (and LC win rate), null models, human agreement")
    audit.add_argument("battles", help="an arena directory or a battles.jsonl file")
    audit.add_argument("--judge", help="audit only this judge's verdicts")
    audit.add_argument("--baseline", help="also report each model's plain and length-controlled win rate against it")
    audit.add_argument("--human", help="JSON-lines file of human labels: {id: ITEM::MODEL_A::MODEL_B, label: A|B|tie, "
                                       "category}")
    audit.add_argument("--self-preference", action="append", default=[], metavar="JUDGE=MODEL",
                       help="test whether JUDGE favours MODEL (its own) more than the other judges do; repeatable")
    audit.add_argument("--alpha", type=float, default=0.01, help="flag a bias when p < alpha")
    audit.add_argument("--seed", type=int, default=0)
    audit.add_argument("--json", help="also write the audit as JSON")
    audit.set_defaults(func=cmd_judge_audit)

    pref = jsub.add_parser("preference", help="reward accuracy on (prompt, chosen, rejected) pairs: DPO implicit "
                                              "reward, an LLM judge, or a reward model")
    pref.add_argument("data", help="LLaMA-Factory DPO JSON (conversations/chosen/rejected) or JSON lines "
                                   "{id, prompt, chosen, rejected, category, split}")
    pref.add_argument("--policy", help="the DPO policy model (with --reference)")
    pref.add_argument("--reference", help="the DPO reference model: reward = beta * (log pi - log pi_ref)")
    pref.add_argument("--beta", type=float, default=0.1)
    pref.add_argument("--judge", help="an LLM rating both answers on a 1-10 rubric")
    pref.add_argument("--reward-model", help="a transformers sequence-classification reward model (path or id)")
    pref.add_argument("--split", help="the split of pairs that name none (e.g. id or ood)")
    pref.add_argument("--in-split", default="id", help="the in-distribution split's name")
    pref.add_argument("--out-split", default="ood", help="the out-of-distribution split's name")
    pref.add_argument("--limit", type=int, help="first N pairs")
    pref.add_argument("--cache", help="response cache file (default $ASSAY_HOME/responses.sqlite)")
    pref.add_argument("--no-cache", action="store_true")
    pref.add_argument("--json", help="also write the report as JSON")
    pref.set_defaults(func=cmd_judge_preference)
