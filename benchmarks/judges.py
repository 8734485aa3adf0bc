"""Judges, ratings and tournaments, measured side by side with their references (issue 14).

Sections (all by default; pick with --only):
  bt          Bradley–Terry ratings and 95% intervals on the same battles: assay vs `choix`
              (the MLE) vs a FastChat-style computation (logistic regression in sklearn,
              ties as half, bootstrap over battles), with each one's time.
  tournament  Matches a Swiss and a single-elimination tournament (Varco Arena: a bracket per
              prompt) need against a full round robin to reach the same Kendall tau with the
              true order, on simulated Bradley–Terry models.
  lc          The length-controlled win rate (AlpacaEval 2.0) against the plain win rate, on
              answers of varied length judged by a judge with a planted length preference.
  null        The null-model attack on each bundled judge (in-process llama.cpp): SmolLM2's
              answers to MT-Bench questions against three constant non-answers.
  mtbench     MT-Bench (a stated subset) judged by Qwen2.5-Coder-0.5B-Instruct for the
              bundled models, with the wall-clock time.

    .venv/bin/python benchmarks/judges.py --only bt tournament lc
    .venv/bin/python benchmarks/judges.py --only null mtbench --items 4

The machine is shared: every timing line prints os.getloadavg() beside it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.analyses.judge_audit import length_controlled_win_rate  # noqa: E402
from assay.analyses.tournaments import round_robin, single_elimination, swiss  # noqa: E402
from assay.core.pairwise import Battle, Outcome  # noqa: E402
from assay.stats.rating import ELO_SCALE, battle_arrays, bradley_terry, fit_bradley_terry  # noqa: E402

console = Console(width=150)


def load() -> str:
    return "load avg " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def simulate(strength: dict[str, float], n: int, seed: int, tie_rate: float = 0.1) -> list[Battle]:
    rng = np.random.default_rng(seed)
    names = list(strength)
    out = []
    for k in range(n):
        a, b = rng.choice(len(names), 2, replace=False)
        p = 1 / (1 + np.exp(-(strength[names[a]] - strength[names[b]])))
        u = rng.random()
        outcome = Outcome.TIE if u < tie_rate else Outcome.FIRST if rng.random() < p else Outcome.SECOND
        out.append(Battle(f"i{k}", names[a], names[b], outcome))
    return out


def fastchat_style(battles: list[Battle], n_boot: int, seed: int) -> tuple[dict[str, float], dict[str, tuple]]:
    """FastChat's elo_analysis method, written here from its description: logistic
    regression without intercept or penalty on ±ln(10) design rows, every battle twice (a tie
    is a win in one copy and a loss in the other), Elo = 400·coef + 1000; bootstrap by
    resampling battles with replacement, percentile 2.5/97.5."""
    from sklearn.linear_model import LogisticRegression

    arrays = battle_arrays(battles)
    models = arrays.models

    def fit(idx: np.ndarray) -> np.ndarray:
        f, s, sc = arrays.first[idx], arrays.second[idx], arrays.score[idx]
        x = np.zeros((len(idx), len(models)))
        x[np.arange(len(idx)), f] = math.log(10)
        x[np.arange(len(idx)), s] = -math.log(10)
        y1 = (sc > 0.25).astype(int)  # win or tie
        y2 = (sc > 0.75).astype(int)  # win only
        lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-8, max_iter=1000)  # no penalty
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr.fit(np.vstack([x, x]), np.concatenate([y1, y2]))
        elo = 400 * lr.coef_[0]
        return elo - elo.mean() + 1000

    point = fit(np.arange(len(battles)))
    rng = np.random.default_rng(seed)
    boots = np.array([fit(rng.integers(0, len(battles), len(battles))) for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [0.025, 0.975], axis=0)
    return dict(zip(models, point)), {m: (lo[k], hi[k]) for k, m in enumerate(models)}


def section_bt(args: argparse.Namespace) -> None:
    import choix

    truth = {f"model-{k}": 0.4 * k - 1.2 for k in range(7)}
    battles = simulate(truth, args.battles, seed=1)
    t0 = time.perf_counter()
    ours = bradley_terry(battles, n_boot=args.n_boot, seed=0)
    t_ours = time.perf_counter() - t0
    arrays = battle_arrays(battles)
    decisive = [(f, s) if sc == 1 else (s, f) for f, s, sc in zip(arrays.first, arrays.second, arrays.score) if sc != 0.5]
    t0 = time.perf_counter()
    theirs = choix.opt_pairwise(len(arrays.models), decisive, alpha=1e-6)
    t_choix = time.perf_counter() - t0
    decisive_battles = [b for b in battles if b.outcome is not Outcome.TIE]
    ours_decisive = battle_arrays(decisive_battles)
    ours_theta = fit_bradley_terry(len(arrays.models), ours_decisive.first, ours_decisive.second, ours_decisive.score)
    t0 = time.perf_counter()
    fc_point, fc_ci = fastchat_style(battles, args.n_boot, seed=0)
    t_fc = time.perf_counter() - t0
    table = Table(title=f"Bradley–Terry on {len(battles)} simulated battles (10% ties), 7 models, "
                        f"{args.n_boot} bootstrap resamples — {load()}")
    for col in ("model", "true", "assay", "assay 95% CI", "FastChat-style", "FastChat-style 95% CI", "choix (no ties)",
                "assay (no ties)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    true_elo = {m: 1000 + ELO_SCALE * (v - np.mean(list(truth.values()))) for m, v in truth.items()}
    choix_elo = 1000 + ELO_SCALE * (theirs - theirs.mean())
    ours_nt = 1000 + ELO_SCALE * ours_theta
    for k, m in enumerate(ours.models):
        table.add_row(m, f"{true_elo[m]:.0f}", f"{ours.rating[k]:.1f}", f"[{ours.ci_low[k]:.0f}, {ours.ci_high[k]:.0f}]",
                      f"{fc_point[m]:.1f}", f"[{fc_ci[m][0]:.0f}, {fc_ci[m][1]:.0f}]", f"{choix_elo[k]:.2f}",
                      f"{ours_nt[k]:.2f}")
    console.print(table)
    diff_fc = max(abs(ours.rating[k] - fc_point[m]) for k, m in enumerate(ours.models))
    diff_choix = float(np.max(np.abs(choix_elo - ours_nt)))
    console.print(f"max |assay − choix| = {diff_choix:.4f} Elo points (decisive battles; choix has no ties); "
                  f"max |assay − FastChat-style| = {diff_fc:.4f} (ties as half)")
    console.print(f"time: assay fit + {args.n_boot} bootstrap fits {t_ours:.2f} s; FastChat-style {t_fc:.2f} s; "
                  f"choix one fit {t_choix * 1000:.1f} ms — {load()}")
    noisy = bradley_terry(paired_with_flips(truth, args.battles // 2, flip=0.25, seed=2), n_boot=args.n_boot,
                          judge_noise=True)
    plain = bradley_terry(paired_with_flips(truth, args.battles // 2, flip=0.25, seed=2), n_boot=args.n_boot)
    w_plain = np.mean(np.array(plain.ci_high) - np.array(plain.ci_low))
    w_noisy = np.mean(np.array(noisy.ci_high) - np.array(noisy.ci_low))
    console.print(f"judge noise (25% of verdicts flip under order swap): mean 95% CI width {w_plain:.0f} → "
                  f"{w_noisy:.0f} Elo points with --judge-noise")


def paired_with_flips(truth: dict[str, float], n: int, flip: float, seed: int) -> list[Battle]:
    rng = np.random.default_rng(seed)
    names = list(truth)
    out = []
    for k in range(n):
        a, b = rng.choice(len(names), 2, replace=False)
        p = 1 / (1 + np.exp(-(truth[names[a]] - truth[names[b]])))
        a_wins = rng.random() < p
        for first, second in ((names[a], names[b]), (names[b], names[a])):
            wins = a_wins if rng.random() > flip else not a_wins
            out.append(Battle(f"i{k}", first, second, Outcome.FIRST if wins == (first == names[a]) else Outcome.SECOND))
    return out


def sim_play(truth: dict[str, float], rng: np.random.Generator):  # type: ignore[no-untyped-def]
    def play(matches):  # type: ignore[no-untyped-def]
        out = []
        for item, a, b in matches:
            p = 1 / (1 + np.exp(-(truth[a] - truth[b])))
            a_wins = rng.random() < p
            for first, second in ((a, b), (b, a)):
                out.append(Battle(item, first, second, Outcome.FIRST if a_wins == (first == a) else Outcome.SECOND))
        return out
    return play


def _tau(truth: dict[str, float], fmt: str, budget: int, seed: int) -> tuple[float, int]:
    """Kendall τ of the BT ranking from `budget` matches played in format `fmt`."""
    models = list(truth)
    n = len(models)
    rng = np.random.default_rng(seed)
    play = sim_play(truth, rng)
    if fmt == "round-robin":
        items = [f"p{k}" for k in range(max(1, budget // (n * (n - 1) // 2)))]
        result = round_robin(models, items, play)
    elif fmt == "single-elimination":
        items = [f"p{k}" for k in range(max(1, budget // (n - 1)))]
        result = single_elimination(models, items, play, seed=seed)
    else:
        rounds = max(1, budget // (n // 2))
        result = swiss(models, [f"p{k}" for k in range(rounds * n)], play, rounds=rounds, seed=seed)
    r = bradley_terry(result.battles, n_boot=0)
    return float(kendalltau([truth[m] for m in models], [r.rating[r.models.index(m)] for m in models]).statistic), \
        result.matches


def section_tournament(args: argparse.Namespace) -> None:
    n_models = args.models
    truth = {f"m{k:02d}": 0.25 * k for k in range(n_models)}
    budgets = [56, 112, 224, 448, 896, 1792]
    formats = ("round-robin", "single-elimination", "swiss")
    t0 = time.perf_counter()
    taus = {f: [float(np.mean([_tau(truth, f, b, s)[0] for s in range(args.seeds)])) for b in budgets] for f in formats}
    table = Table(title=f"Mean Kendall τ with the true order of {n_models} simulated models (BT strengths 0.25 apart) at "
                        f"equal numbers of matches, {args.seeds} seeds; a match = one prompt judged in both orders")
    table.add_column("matches", justify="right")
    for f in formats:
        table.add_column(f"{f} τ", justify="right")
    for k, b in enumerate(budgets):
        table.add_row(str(b), *(f"{taus[f][k]:.3f}" for f in formats))
    console.print(table)

    def needed(f: str) -> float | None:
        """Matches for mean τ ≥ target, interpolated on log(matches)."""
        ys = taus[f]
        for k in range(len(budgets)):
            if ys[k] >= args.tau:
                if k == 0:
                    return float(budgets[0])
                x0, x1, y0, y1 = math.log(budgets[k - 1]), math.log(budgets[k]), ys[k - 1], ys[k]
                return math.exp(x0 + (args.tau - y0) / (y1 - y0) * (x1 - x0)) if y1 > y0 else float(budgets[k])
        return None

    rr = needed("round-robin")
    for f in formats:
        m = needed(f)
        ratio = f" ({m / rr:.2f}× round robin)" if m and rr else ""
        console.print(f"{f}: ~{m:.0f} matches for mean τ ≥ {args.tau}{ratio}" if m else
                      f"{f}: τ ≥ {args.tau} not reached within {budgets[-1]} matches")
    console.print(f"({time.perf_counter() - t0:.0f} s — {load()})")


def section_lc(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(7)
    table = Table(title="Plain vs length-controlled win rate (AlpacaEval 2.0 GLM) of model x against baseline y; the "
                        "judge adds 0.004 logits per character of length difference")
    for col in ("true quality gap (logits)", "x answers longer by (chars)", "plain win rate %", "LC win rate % [95% CI]",
                "true win rate at equal length %"):
        table.add_column(col, justify="right")
    for gap in (0.0, 0.5):
        for extra in (0, 150, 300):
            battles = []
            for k in range(args.lc_items):
                lx, ly = int(rng.integers(50, 400)) + extra, int(rng.integers(50, 400))
                noise = rng.logistic()
                x_wins = gap + 0.004 * (lx - ly) + noise > 0
                for first, lf, ls in (("x", lx, ly), ("y", ly, lx)):
                    battles.append(Battle(f"i{k}", first, "y" if first == "x" else "x",
                                          Outcome.FIRST if x_wins == (first == "x") else Outcome.SECOND, "j", lf, ls))
            w = length_controlled_win_rate(battles, "x", "y")
            table.add_row(f"{gap}", str(extra), f"{w.win_rate:.1f}", f"{w.lc_win_rate:.1f} [{w.lc_low:.1f}, {w.lc_high:.1f}]",
                          f"{100 / (1 + math.exp(-gap)):.1f}")
    console.print(table)


def _short_template() -> str:
    return ("Question: {{ question }}\n\nAnswer A: {{ answer_a }}\n\nAnswer B: {{ answer_b }}\n\n"
            "Which answer is better? Reply with only [[A]], [[B]] or [[C]] for a tie.")


def section_null(args: argparse.Namespace) -> None:
    from assay.analyses.arena import Answers, judge_matches
    from assay.analyses.judge_audit import NULL_ANSWERS, null_model_attack
    from assay.core.requests import GenerationParams
    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate, run_sync
    from assay.models import load_model
    from assay.tasks.mtbench import load_questions

    questions = load_questions()[:: max(1, 80 // args.items)][: args.items]
    from assay.core.task import Task, TaskKind

    cache = ResponseCache(Path(args.cache) if args.cache else Path(tempfile.mkdtemp()) / "judges.sqlite")
    task = Task(name="mt-turn1", version="1", kind=TaskKind.GENERATE, load=lambda: questions, scorers=(),
                generation=GenerationParams(max_tokens=96))
    smol = load_model("llamacpp:smollm2")
    t0 = time.perf_counter()
    run = evaluate(smol, [task], cache, RunOptions(show_progress=False))
    console.print(f"SmolLM2 answered {len(questions)} MT-Bench turn-1 questions in {time.perf_counter() - t0:.0f} s — {load()}")
    smol.close()
    answers = Answers(questions={q.id: str(q.input) for q in questions},
                      by_model={"smollm2": {r.sample_id: str(r.response) for r in run.samples if r.error is None}})
    answers.add_null_models(list(NULL_ANSWERS))
    matches = [(q.id, "smollm2", null) for q in questions for null in NULL_ANSWERS]
    table = Table(title=f"Null-model attack: {len(matches)} matches × 2 orders per judge (short verdict-only prompt, "
                        f"greedy); win rate of the non-answer [95% CI], unreadable verdicts apart")
    for col in ("judge", "null model", "null wins", "null score (ties ½)", "flag", "unreadable pairs", "seconds"):
        table.add_column(col, justify="left" if col in ("judge", "null model") else "right")
    for alias in ("smollm2", "gemma3-270m", "qwen2.5-coder-0.5b"):
        judge = load_model(f"llamacpp:{alias}")
        t0 = time.perf_counter()
        battles, failed = run_sync(judge_matches(judge, answers, matches, cache, RunOptions(show_progress=False),
                                                 judge_name=alias, template=_short_template(),
                                                 params=GenerationParams(max_tokens=8)))
        seconds = time.perf_counter() - t0
        judge.close()
        for null in NULL_ANSWERS:
            mine = [b for b in battles if null in (b.first, b.second)]
            if not mine:
                table.add_row(alias, null, "—", "—", "—", str(len(failed)), f"{seconds:.0f}")
                continue
            r = null_model_attack(mine, null)
            table.add_row(alias, null, f"{100 * r.win_rate.value:.0f}% [{100 * r.win_rate.low:.0f}, "
                          f"{100 * r.win_rate.high:.0f}] (n={r.win_rate.n})", f"{100 * r.score_rate:.0f}%",
                          "FLAGGED" if r.flagged else "ok", str(len(failed)), f"{seconds:.0f}")
    console.print(table)
    console.print(load())


def section_mtbench(args: argparse.Namespace) -> None:
    from rich.console import Console as _C

    from assay.engine.cache import ResponseCache
    from assay.engine.run import RunOptions, evaluate
    from assay.models import load_model
    from assay.tasks.resolve import resolve_tasks

    cache = ResponseCache(Path(args.cache) if args.cache else Path(tempfile.mkdtemp()) / "mtbench.sqlite")
    (task,) = resolve_tasks([f"mt-bench:n={args.items},judge=llamacpp:qwen2.5-coder-0.5b,max_tokens={args.max_tokens},"
                             f"judge_max_tokens={args.max_tokens}"])
    cats = sorted({s.metadata["category"] for s in task.load()})
    table = Table(title=f"MT-Bench subset: {args.items} questions ({', '.join(cats)}), both turns; answers ≤ "
                        f"{args.max_tokens} tokens; judge Qwen2.5-Coder-0.5B-Instruct (llama.cpp, greedy), 1–10")
    for col in ("model", "score [95% CI]", "turn 1", "turn 2", "judged / failed", "seconds", "load avg"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for alias in ("smollm2", "gemma3-270m", "qwen2.5-coder-0.5b"):
        model = load_model(f"llamacpp:{alias}")
        t0 = time.perf_counter()
        run = evaluate(model, [task], cache, RunOptions(show_progress=False), console=_C(quiet=True))
        seconds = time.perf_counter() - t0
        model.close()
        m = run.tasks["mt-bench"].metrics
        ok = sum(r.error is None for r in run.samples)
        table.add_row(alias, f"{m['score'].value:.2f} [{m['score'].ci_low:.2f}, {m['score'].ci_high:.2f}]",
                      f"{m['score_turn1'].value:.2f}", f"{m['score_turn2'].value:.2f}", f"{ok} / {len(run.samples) - ok}",
                      f"{seconds:.0f}", load())
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", default=["bt", "tournament", "lc", "null", "mtbench"])
    parser.add_argument("--battles", type=int, default=4000)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tau", type=float, default=0.85)
    parser.add_argument("--lc-items", type=int, default=400)
    parser.add_argument("--items", type=int, default=4, help="MT-Bench questions for null/mtbench")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--cache", help="a response cache file to reuse across runs (default: a fresh temporary one)")
    args = parser.parse_args()
    sections = {"bt": section_bt, "tournament": section_tournament, "lc": section_lc, "null": section_null,
                "mtbench": section_mtbench}
    for name in args.only:
        sections[name](args)


if __name__ == "__main__":
    main()
