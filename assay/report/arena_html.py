"""The arena leaderboard (Bradley–Terry ratings with their intervals drawn) and the judge
audit as an HTML report section, and as a page of their own (`assay arena ratings --html`).

Model names are user data: every label goes through Jinja2's autoescape or `svg._e`."""

from __future__ import annotations

import math
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assay.analyses.judge_audit import Agreement, JudgeAudit, Rate
from assay.report.svg import _FONT, _e, color
from assay.stats.rating import Ratings


def _env() -> Environment:
    return Environment(loader=PackageLoader("assay.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                       lstrip_blocks=True)


def rating_plot(ratings: Ratings, *, width: int = 640, row_height: int = 22) -> str:
    """One row per model, best first: the rating as a dot, its interval as a line."""
    rows = ratings.ranked()
    finite = [v for r in rows for v in (r["ci_low"], r["ci_high"], r["rating"]) if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (900.0, 1100.0)
    pad = max(10.0, 0.05 * (hi - lo))
    lo, hi = lo - pad, hi + pad
    left, right = 170, 20
    height = row_height * len(rows) + 34

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (width - left - right)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="ratings with {int(100 * ratings.level)}% intervals" {_FONT}>']
    for k, r in enumerate(rows):
        y = 14 + k * row_height
        tip = f"{r['model']}: {r['rating']:.0f} [{r['ci_low']:.0f}, {r['ci_high']:.0f}], {r['n_battles']} battles"
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{_e(r["model"])}</text>')
        parts.append(f'<g class="rating"><title>{_e(tip)}</title>')
        if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"]):
            parts.append(f'<line x1="{x(r["ci_low"]):.1f}" x2="{x(r["ci_high"]):.1f}" y1="{y}" y2="{y}" '
                         f'stroke="{color(k)}" stroke-width="3"/>')
        parts.append(f'<circle cx="{x(r["rating"]):.1f}" cy="{y}" r="5" fill="{color(k)}"/></g>')
    axis_y = height - 14
    for tick in _ticks(lo, hi):
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y + 10}" text-anchor="middle" fill="#555">{tick:.0f}</text>')
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="4" y2="{axis_y - 2}" stroke="#ddd"/>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float) -> list[float]:
    step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9) / 4))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= 6:
            step *= mult
            break
    start = math.ceil(lo / step) * step
    return [start + k * step for k in range(int((hi - start) / step) + 1)]


def _rate(rate: Rate) -> str:
    if rate.n == 0:
        return "—"
    return f"{100 * rate.value:.1f}% [{100 * rate.low:.1f}, {100 * rate.high:.1f}] (n={rate.n})"


def _audit_rows(audit: JudgeAudit) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    p = lambda v: "—" if not math.isfinite(v) else (f"{v:.2g}" if v >= 1e-4 else "<1e-4")  # noqa: E731
    if audit.position is not None:
        rows.append({"what": "verdict flips when the order is swapped", "figure": _rate(audit.position.flip_rate),
                     "p": "", "flag": None})
        rows.append({"what": "answer shown first wins", "figure": _rate(audit.position.first_win_rate),
                     "p": p(audit.position.p_value), "flag": audit.position.flagged})
    if audit.length is not None:
        lb = audit.length
        rows.append({"what": "longer answer wins", "figure": _rate(lb.longer_win_rate), "p": "", "flag": None})
        slope = "—" if not math.isfinite(lb.slope) else f"{lb.slope:.2f}"
        if math.isfinite(lb.slope_low):
            slope += f" [{lb.slope_low:.2f}, {lb.slope_high:.2f}]"
        rows.append({"what": "logit slope per sd of length difference", "figure": slope, "p": p(lb.p_value),
                     "flag": lb.flagged})
    for w in audit.win_rates:
        rows.append({"what": f"win rate of {w.model} vs {w.baseline}",
                     "figure": f"{w.win_rate:.1f}% [{w.win_low:.1f}, {w.win_high:.1f}]", "p": "", "flag": None})
        rows.append({"what": f"length-controlled win rate of {w.model}",
                     "figure": f"{w.lc_win_rate:.1f}% [{w.lc_low:.1f}, {w.lc_high:.1f}]" + (f" — {w.note}" if w.note else ""),
                     "p": "", "flag": None})
    for nm in audit.null_models:
        rows.append({"what": f"null model {nm.null_model} wins", "figure": _rate(nm.win_rate), "p": "",
                     "flag": nm.flagged})
    return rows


def arena_section(ratings: Ratings, *, audit: JudgeAudit | None = None, human: Ratings | None = None,
                  agreement: Sequence[Agreement] = (), title: str = "Arena") -> Markup:
    """`<section id="arena">`: the leaderboard with its intervals drawn, the human-vote
    leaderboard apart from it when there is one, judge–human agreement, and the judge audit."""
    boards = [{"name": "judge", "ratings": ratings, "rows": ratings.ranked(), "plot": Markup(rating_plot(ratings))}]
    if human is not None:
        boards.append({"name": "human votes", "ratings": human, "rows": human.ranked(),
                       "plot": Markup(rating_plot(human))})
    agree = [{"category": a.category or "(all)", "n": a.n, "accuracy": _rate(a.accuracy),
              "kappa": "—" if not math.isfinite(a.kappa) else f"{a.kappa:.2f} [{a.kappa_low:.2f}, {a.kappa_high:.2f}]",
              "spearman": "—" if not math.isfinite(a.spearman) else f"{a.spearman:.2f}"} for a in agreement]
    return Markup(_env().get_template("arena.html.j2").render(
        title=title, boards=boards, audit=audit, audit_rows=_audit_rows(audit) if audit else [], agreement=agree))


def arena_page(section: Markup, *, title: str = "assay arena") -> str:
    """A self-contained page around an arena section (the report's stylesheet, no script)."""
    from importlib import resources

    css = resources.files("assay.report").joinpath("templates", "report.css").read_text(encoding="utf-8")
    return _env().from_string(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
        "<title>{{ title }}</title><style>{{ css }}</style></head><body><header><h1>{{ title }}</h1></header>"
        "<main>{{ section }}</main></body></html>").render(title=title, css=Markup(css), section=section)


def judge_audit_section(runs: Sequence[Any]) -> Markup | None:
    """`<section id="judges">` of the run report: for each pairwise-judged task, each judge's
    position and length audit and the plain and length-controlled win rate against the
    baseline; for a jury, Fleiss' κ. None when no run was judged."""
    from assay.analyses.judge_audit import audit_judge, battles_from_records
    from assay.scoring.judges.jury import jury_agreement

    blocks = []
    for run in runs:
        for task in run.tasks:
            records = [r for r in run.samples if r.task == task]
            judged = [r for r in records if isinstance(r.extracted, dict) and "judges" in r.extracted]
            if not judged:
                continue
            battles = battles_from_records(judged)
            audits = [{"judge": j, "rows": _audit_rows(audit_judge(battles, j, baseline="baseline"))}
                      for j in sorted({b.judge for b in battles})]
            kappa = None
            if len(judged[0].extracted.get("judges", {})) > 1:
                try:
                    agreement = jury_agreement(judged)
                    kappa = (f"{agreement.kappa:.2f}" if math.isfinite(agreement.kappa) else "undefined (one verdict)") + \
                        f" over {agreement.n_items} items, {agreement.n_judges} judges; unanimous {100 * agreement.unanimous:.0f}%"
                except ValueError:
                    kappa = None
            if audits or kappa:
                blocks.append({"run": f"{run.model} · {run.run_id}", "task": task, "mode": judged[0].extracted.get("mode"),
                               "audits": audits, "kappa": kappa, "n": len(judged)})
    if not blocks:
        return None
    return Markup(_env().get_template("judges.html.j2").render(blocks=blocks))
