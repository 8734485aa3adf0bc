"""Arena leaderboards and judge audits as terminal tables (rich); the HTML versions are in
`assay.report.arena_html`."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from rich.table import Table

from assay.analyses.judge_audit import Agreement, JudgeAudit, Rate, SelfPreference
from assay.analyses.preference import PreferenceReport
from assay.stats.rating import Ratings


def _r(x: float, digits: int = 0) -> str:
    return "—" if not math.isfinite(x) else f"{x:.{digits}f}"


def _pct(rate: Rate) -> str:
    if rate.n == 0:
        return "—"
    return f"{100 * rate.value:.1f}% [{100 * rate.low:.1f}, {100 * rate.high:.1f}] (n={rate.n})"


def _p(p: float) -> str:
    return "—" if not math.isfinite(p) else (f"{p:.2g}" if p >= 1e-4 else "<1e-4")


def leaderboard_table(ratings: Ratings, online: Mapping[str, float] | None = None, title: str = "leaderboard") -> Table:
    """Rank, model, Bradley–Terry rating (Elo scale) with its interval, battles, win rate."""
    table = Table(title=f"{title} — {ratings.method}, {int(100 * ratings.level)}% intervals ({ratings.n_boot} resamples)")
    for col in ("#", "model", "rating", "interval", "battles", "win rate") + (("online Elo",) if online else ()):
        table.add_column(col, justify="left" if col == "model" else "right")
    for k, row in enumerate(ratings.ranked(), start=1):
        cells = [str(k), row["model"], _r(row["rating"]), f"[{_r(row['ci_low'])}, {_r(row['ci_high'])}]",
                 str(row["n_battles"]), f"{100 * row['win_rate']:.1f}%"]
        if online:
            cells.append(_r(online.get(row["model"], math.nan)))
        table.add_row(*cells)
    return table


def audit_table(audit: JudgeAudit) -> Table:
    """One row per audit: figure, interval, p-value, flag."""
    table = Table(title=f"judge audit — {audit.judge or 'all judges'} ({audit.n_battles} verdicts)",
                  caption="flagged: p < 0.01 (null model: it won at all, lower bound > 0)")
    for col in ("audit", "figure", "p", "flag"):
        table.add_column(col, justify="left" if col in ("audit", "figure") else "right")
    flag = lambda f: "[bold red]FLAGGED[/]" if f else "ok"  # noqa: E731
    if audit.position is not None:
        table.add_row("position: verdict flips when the order is swapped", _pct(audit.position.flip_rate), "", "")
        table.add_row("position: first answer wins", _pct(audit.position.first_win_rate), _p(audit.position.p_value),
                      flag(audit.position.flagged))
    if audit.length is not None:
        lb = audit.length
        table.add_row("length: longer answer wins", _pct(lb.longer_win_rate), "", "")
        table.add_row("length: logit slope per sd of length difference",
                      f"{_r(lb.slope, 2)} [{_r(lb.slope_low, 2)}, {_r(lb.slope_high, 2)}]", _p(lb.p_value),
                      flag(lb.flagged))
    for w in audit.win_rates:
        table.add_row(f"win rate of {w.model} vs {w.baseline}",
                      f"{w.win_rate:.1f}% [{w.win_low:.1f}, {w.win_high:.1f}]", "", "")
        table.add_row(f"length-controlled win rate of {w.model}",
                      f"{w.lc_win_rate:.1f}% [{w.lc_low:.1f}, {w.lc_high:.1f}]" + (f" ({w.note})" if w.note else ""),
                      "", "")
    for nm in audit.null_models:
        table.add_row(f"null model {nm.null_model} wins", _pct(nm.win_rate), "", flag(nm.flagged))
    return table


def agreement_table(rows: Sequence[Agreement]) -> Table:
    """Judge vs human labels: accuracy, Cohen's κ with its interval, Spearman ρ, per category."""
    table = Table(title="agreement with human labels")
    for col in ("category", "n", "accuracy", "Cohen κ", "Spearman ρ"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for a in rows:
        table.add_row(a.category or "(all)", str(a.n), _pct(a.accuracy),
                      f"{_r(a.kappa, 2)} [{_r(a.kappa_low, 2)}, {_r(a.kappa_high, 2)}]", _r(a.spearman, 2))
    return table


def preference_table(report: PreferenceReport) -> Table:
    """Reward accuracy overall, per split and per category, and the ID − OOD gap."""
    table = Table(title="preference accuracy (chosen ranked above rejected; ties ½)",
                  caption=f"{report.n_failed} pairs failed (not counted)" if report.n_failed else None)
    for col in ("group", "n", "accuracy", "95% interval"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for label, acc in [("(all)", report.overall)] + [(f"split {a.group}", a) for a in report.by_split] + [
            (f"category {a.group}", a) for a in report.by_category]:
        table.add_row(label, str(acc.n), f"{100 * acc.accuracy:.1f}%" if math.isfinite(acc.accuracy) else "—",
                      f"[{100 * acc.low:.1f}, {100 * acc.high:.1f}]" if math.isfinite(acc.low) else "—")
    if report.gap is not None:
        d, lo, hi = report.gap
        table.add_row("gap: in − out of distribution", "", f"{100 * d:+.1f} points",
                      f"[{100 * lo:+.1f}, {100 * hi:+.1f}]" if math.isfinite(lo) else "—")
    return table


def self_preference_table(rows: Sequence[SelfPreference]) -> Table:
    """Each judge's score for its own model vs the other judges' score for it."""
    table = Table(title="self-preference", caption="flagged: the judge scores its own model higher, p < 0.01")
    for col in ("judge", "model", "by itself", "by other judges", "difference", "p", "flag"):
        table.add_column(col, justify="left" if col in ("judge", "model") else "right")
    for r in rows:
        table.add_row(r.judge, r.model, _pct(r.self_rate), _pct(r.others_rate), f"{100 * r.difference:+.1f} pts",
                      _p(r.p_value), "[bold red]FLAGGED[/]" if r.flagged else "ok")
    return table
