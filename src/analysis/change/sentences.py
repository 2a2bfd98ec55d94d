"""Change over time, step 5: plain-English sentences and reader tables from the results.

Longer than 500 lines: every plain-English sentence about change is written here from one verdict
procedure, so that no sentence can contradict its interval; keeping the wording rules together is
the point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.change.contract import (
    ALL_GROUPS,
    SMALL_CHANGE_PP,
    TREND_TESTS,
    VERDICT_DOWN,
    VERDICT_NONE,
    VERDICT_UP,
)
from analysis.change.gaps import family_mdd, series_records
from analysis.change.verdicts import methods_text, quoted_trends, repeats_previous


# --------------------------------------------------------------------------- sentences
def _fmt_p(p: float, alpha: float = 0.05) -> str:
    """A p-value, with enough decimals that it never rounds across ``alpha`` (0.0497 is not "0.05")."""
    if p < 0.001:
        return "p < 0.001"
    digits = 3 if p < 0.01 else 2
    while digits < 6 and (round(p, digits) < alpha) != (p < alpha):
        digits += 1
    return f"p = {p:.{digits}f}"


def _pp(value: float, digits: int = 0) -> str:
    text = f"{value:+.{digits}f}" if round(value, digits) != 0 else "0"
    return f"{text} point" if text.lstrip("+-") == "1" else f"{text} points"


def _num(value: float, digits: int) -> str:
    """A signed-safe number: never '-0'."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _dp(low: float, high: float, unit: float = 1.0) -> int:
    """Decimals needed so that a narrow interval does not print as '30 to 30'."""
    width = abs(high - low) / unit
    return 0 if width >= 2 else 1 if width >= 0.2 else 2


#: Most decimals a sentence prints (beyond this an interval is a rounding artefact).
_MAX_DIGITS = 4


def _digits(estimate: float, low: float, high: float, *, null: float = 0.0, clear: bool, base: int = 0,
            unit: float = 1.0) -> tuple[int, int, int]:
    """Decimals for (estimate, low, high): from the interval's width, and enough that numbers never
    contradict the words.

    A clear change never prints as "0" (or an odds ratio as "1.00"), and the bound
    nearest no-change never rounds onto it (only that bound gets the extra decimals);
    a change without evidence never prints as "0.0 to 0.0".
    """
    d = base + _dp(low, high, unit)

    def on_null(value: float, digits: int) -> bool:
        return round(value, digits) == round(null, digits)

    d_est = d
    while clear and d_est < _MAX_DIGITS and on_null(estimate, d_est):
        d_est += 1
    if not clear:
        while d < _MAX_DIGITS and round(low, d) == round(high, d):
            d += 1
        return max(d, d_est), d, d
    near_is_low = estimate > null
    d_near = d
    while d_near < _MAX_DIGITS and on_null(low if near_is_low else high, d_near):
        d_near += 1
    return (d_est, d_near, d) if near_is_low else (d_est, d, d_near)


def _verdict(row: pd.Series, alpha: float) -> str:
    """The row's verdict (``verdict`` column), or the adjusted p's for tables made before it existed."""
    verdict = row.get("verdict")
    if verdict is not None and not pd.isna(verdict):
        return str(verdict)
    p = row["p_adjusted"] if pd.notna(row.get("p_adjusted")) else row["p_value"]
    if pd.isna(p) or p >= alpha:
        return VERDICT_NONE
    null = 1.0 if row["test"] in TREND_TESTS + ("ordinal_trend", "interaction_lrt") else 0.0
    return VERDICT_UP if row["estimate"] > null else VERDICT_DOWN


def _interval(row: pd.Series) -> tuple[float, float, str, int]:
    """The interval that made the verdict, its name and the family size (simultaneous across it, or 95%)."""
    m = row.get("family_size")
    low, high = row.get("ci_low_adj"), row.get("ci_high_adj")
    if low is not None and pd.notna(low) and pd.notna(high):
        size = int(m) if m is not None and pd.notna(m) else 1
        label = f"simultaneous 95% CI across {size} comparisons" if size > 1 else "95% CI"
        return float(low), float(high), label, size
    return float(row["ci_low"]), float(row["ci_high"]), "95% CI", 1


def _p_text(row: pd.Series, alpha: float = 0.05) -> str:
    m = row.get("family_size")
    p = row["p_adjusted"] if pd.notna(row.get("p_adjusted")) else row["p_value"]
    adjusted = m is None or pd.isna(m) or int(m) > 1
    return f"adjusted {_fmt_p(p, alpha)}" if adjusted else _fmt_p(p, alpha)


def _size_phrase(value: float, digits: int, rise: str, fall: str, what: str) -> str:
    """'up 16 percentage points' or, below SMALL_CHANGE_PP, 'a small but clear rise of 0.4 points'."""
    size = _num(abs(value), digits)
    unit = "point" if size == "1" else "points"
    if abs(value) < SMALL_CHANGE_PP:
        return f"a small but clear {rise if value > 0 else fall} of {size} {unit}"
    return f"{what} {size} percentage {unit}"


def _diff_clause(row: pd.Series, alpha: float, threshold: int, wording_changed: bool) -> str:
    since = f"since {row['comparison_wave']}"
    if row["suppressed"]:
        return (f"The change {since} is not shown because fewer than {threshold} people "
                "answered in one of the waves.")
    if pd.isna(row["estimate"]):
        return f"The change {since} could not be estimated."
    verdict = _verdict(row, alpha)
    low, high, label, m = _interval(row)
    clear = verdict in (VERDICT_UP, VERDICT_DOWN)
    d, d_low, d_high = _digits(row["estimate"], low, high, clear=clear)
    interval = f"{label} {_num(low, d_low)} to {_num(high, d_high)} points; {_p_text(row, alpha)}"
    caveat = " The question wording changed in between, so compare with care." if wording_changed else ""
    if clear:
        direction = "up" if row["estimate"] > 0 else "down"
        phrase = _size_phrase(row["estimate"], d, "rise", "fall", direction)
        return f"This is {phrase} {since} ({interval}).{caveat}"
    bounds = f"{_num(low, d_low)} to {_num(high, d_high)} points"
    across = f" allowing for the {m} comparisons," if m > 1 else ""
    return (f"There is no evidence of a change {since} ({_pp(row['estimate'], d)};{across} the true change could be "
            f"anywhere from {bounds}; {_p_text(row, alpha)}).{caveat}")


def _trend_clause(row: pd.Series, alpha: float, threshold: int, subject: str = "a positive answer") -> str:
    span = f"{row['comparison_wave']}-{row['wave']}"
    if row["suppressed"]:
        return f"The trend over {span} is not shown because fewer than {threshold} people answered."
    if pd.isna(row["estimate"]):
        return ""
    verdict = _verdict(row, alpha)
    low, high, label, _ = _interval(row)
    clear = verdict in (VERDICT_UP, VERDICT_DOWN)
    what = "respondents as clusters" if row["test"] == "gee_trend" else "all waves"
    note = str(row["note"]) if pd.notna(row["note"]) else ""
    shown_note = next((part for part in note.split("; ") if "not shown" in part and part.startswith("includes")),
                      None)
    if shown_note:
        what += "; " + shown_note
    d, d_low, d_high = _digits(row["estimate"], low, high, null=1.0, clear=clear, base=2, unit=0.01)
    interval = (f"odds ratio {_per(row)} {row['estimate']:.{d}f}, {label} {low:.{d_low}f} to "
                f"{high:.{d_high}f}; {_p_text(row, alpha)}; {what}")
    if clear:
        direction = "rose" if row["estimate"] > 1 else "fell"
        return f"Over {span} the odds of {subject} {direction} ({interval})."
    return f"Over {span} there is no evidence of a trend ({interval})."


def _per(row: pd.Series) -> str:
    years = all(1900 <= int(w) <= 2200 for w in (row["wave"], row["comparison_wave"]) if pd.notna(w))
    return "per year" if years else "per wave unit"


def change_sentences(
    results: pd.DataFrame,
    *,
    threshold: int,
    alpha: float = 0.05,
    item_labels: Mapping[str, str] | None = None,
    wording_changes: Mapping[str, Sequence[int]] | None = None,
    outcome_phrase: str = "answered positively",
) -> pd.DataFrame:
    """One plain-English paragraph per item x group, from the tidy results table.

    Each claim follows the row's ``verdict`` and prints the interval that made it
    (simultaneous across the family, :mod:`analysis.change.verdicts`) with the matching
    adjusted p, so the words cannot contradict the numbers. A test that finds nothing
    is reported as "no evidence of a change", never "no change"; a clear change under
    ``SMALL_CHANGE_PP`` points is "small but clear", never "up 0 points". Suppressed
    cells yield a sentence with no numbers.

    Parameters
    ----------
    results
        ``ChangeAnalysis.results``.
    threshold
        Suppression threshold (only quoted, never used to re-derive numbers).
    alpha
        Significance level for the adjusted p-values.
    item_labels
        Item id -> short label for the prose.
    wording_changes
        Item id -> waves in which the wording changed (from the question bank).
    outcome_phrase
        What the percentage counts, e.g. "answered positively" or, for an aggregate
        measure, "reported feeling burnt out".

    Returns
    -------
    pd.DataFrame
        ``item, group, sentence``.
    """
    labels = dict(item_labels or {})
    changes = {k: list(v) for k, v in (wording_changes or {}).items()}
    rows = []
    for (item, group), sub in results[results["group"].isin(
            results.loc[results["test"] == "pct_positive", "group"].unique())].groupby(["item", "group"], sort=False):
        label = labels.get(item, item)
        who = _who(group)
        pct = sub[sub["test"] == "pct_positive"].sort_values("wave")
        if pct.empty:
            continue
        latest = pct.iloc[-1]
        if latest["suppressed"]:
            text = f"{label} ({who}): fewer than {threshold} people answered in {latest['wave']}, so no figures are shown."
        else:
            d = _dp(latest["ci_low"], latest["ci_high"])
            text = (f"{label} ({who}): {latest['estimate']:.{d}f}% {outcome_phrase} in {latest['wave']} "
                    f"(95% CI {latest['ci_low']:.{d}f}% to {latest['ci_high']:.{d}f}%; n = {latest['n']:,.0f}).")
        repeated = repeats_previous(sub)
        for test in ("diff_previous", "diff_baseline"):
            for _, row in sub[(sub["test"] == test) & ~repeated].iterrows():
                changed = any(row["comparison_wave"] < w <= row["wave"] for w in changes.get(item, []))
                text += " " + _diff_clause(row, alpha, threshold, changed)
        # The trend the family counted as the claim (GEE where estimated, else the logistic trend).
        trend = sub[quoted_trends(sub)]
        # Where a line does not describe the waves (step-vs-slope check), the steps are described instead.
        steps = _step_clause(sub, alpha, threshold)
        for _, row in (trend.iloc[:0] if steps else trend).iterrows():
            clause = _trend_clause(row, alpha, threshold,
                                   "a positive answer" if outcome_phrase == "answered positively"
                                   else f"this outcome ({outcome_phrase})")
            text += (" " + clause) if clause else ""
        text += (" " + steps) if steps else _break_clause(trend)
        text += _crude_clause(sub, trend)
        rows.append({"item": item, "group": group, "sentence": text})
    for _, row in results[results["test"] == "interaction_lrt"].iterrows():
        label = labels.get(row["item"], row["item"])
        groups_text = row["method"].split("(", 1)[-1].split(")", 1)[0]
        if row["suppressed"] or pd.isna(row["p_value"]):
            continue
        # With two groups the p is the Wald test that matches the odds-ratio interval; with more, the LRT.
        how = "test of the group x wave interaction" if pd.notna(row["ci_low"]) else "likelihood-ratio test"
        if _verdict(row, alpha) != VERDICT_NONE:
            text = f"{label}: the trend differs between groups ({groups_text}; {how}, {_p_text(row, alpha)})."
        else:
            text = (f"{label}: there is no evidence that the trend differs between groups ({groups_text}; "
                    f"{how}, {_p_text(row, alpha)}).")
        rows.append({"item": row["item"], "group": "interaction", "sentence": text})
    for _, row in results[results["test"] == "diff_groups"].iterrows():
        label = labels.get(row["item"], row["item"])
        first, _, second = str(row["group"]).partition(" vs ")
        if row["suppressed"] or pd.isna(row["estimate"]):
            text = (f"{label}: {first} and {second} cannot be compared in {row['wave']} because fewer than "
                    f"{threshold} people answered in one group.")
        else:
            low, high, interval_label, _ = _interval(row)
            clear = _verdict(row, alpha) in (VERDICT_UP, VERDICT_DOWN)
            d, d_low, d_high = _digits(row["estimate"], low, high, clear=clear)
            interval = f"{interval_label} {_num(low, d_low)} to {_num(high, d_high)} points; {_p_text(row, alpha)}"
            if clear:
                more = first if row["estimate"] > 0 else second
                size = _num(abs(row["estimate"]), d)
                unit = "point" if size == "1" else "points"
                gap = (f"by a small but clear {size} percentage {unit}" if abs(row["estimate"]) < SMALL_CHANGE_PP
                       else f"{size} percentage {unit}")
                text = (f"{label}: in {row['wave']}, {more} {outcome_phrase} {gap} more often "
                        f"({first} minus {second}, {interval}).")
            else:
                text = (f"{label}: in {row['wave']} there is no evidence of a difference between {first} and "
                        f"{second} ({_pp(row['estimate'], d)}, {interval}).")
        rows.append({"item": row["item"], "group": str(row["group"]), "sentence": text})
    return pd.DataFrame(rows, columns=["item", "group", "sentence"])


def wording_table(items: Sequence) -> pd.DataFrame:
    """Question wording by wave and the positive definition, from config question-bank items.

    Parameters
    ----------
    items
        ``config.question_bank.items`` (objects with ``id, short_label, wording, positive``).

    Returns
    -------
    pd.DataFrame
        ``item, short_label, from_wave, wording, positive, wording_changed``.
    """
    rows = []
    for item in items:
        waves = sorted(item.wording)
        for i, wave in enumerate(waves):
            rows.append({"item": item.id, "short_label": item.short_label, "from_wave": wave,
                         "wording": item.wording[wave], "positive": " or ".join(item.positive),
                         "wording_changed": i > 0})
    return pd.DataFrame(rows)


def wording_changes(items: Sequence) -> dict[str, list[int]]:
    """Item id -> waves from which a new wording applied (first wording excluded)."""
    return {item.id: sorted(item.wording)[1:] for item in items}


def power_table(results: pd.DataFrame) -> pd.DataFrame:
    """Latest-wave minimum detectable differences per item x group (unsuppressed rows)."""
    pct = results[results["test"] == "pct_positive"]
    latest = pct.loc[pct.groupby(["item", "group"])["wave"].idxmax()]
    return latest[["item", "group", "wave", "n", "effective_n", "estimate", "mdd_pp", "suppressed"]].rename(
        columns={"estimate": "pct_positive"}).reset_index(drop=True)


def format_results(results: pd.DataFrame, tests: Sequence[str], *, item_labels: Mapping[str, str] | None = None,
                   threshold: int = 10) -> pd.DataFrame:
    """A readable table of some tests (text cells, suppressed rows say so) for notebooks and reports.

    Parameters
    ----------
    results
        ``ChangeAnalysis.results``.
    tests
        Which ``test`` values to show.
    item_labels
        Item id -> label.
    threshold
        Suppression threshold, quoted for hidden rows.

    Returns
    -------
    pd.DataFrame
        Question, Group, Test, Wave, Compared with, Estimate, 95% CI (this comparison alone), p,
        simultaneous 95% CI (across the family, the one the sentences print), adjusted p
        (Bonferroni, the family's m x p), verdict, n. A verdict and its simultaneous interval
        always agree, and so do the 95% CI and p.
    """
    labels = dict(item_labels or {})
    sub = results[results["test"].isin(list(tests))]
    units = {"pct_positive": "%", "diff_previous": " pts", "diff_baseline": " pts", "diff_groups": " pts"}
    rows = []
    for _, r in sub.iterrows():
        unit = units.get(r["test"], "")
        digits = 1 if unit else 3
        hidden = bool(r["suppressed"])
        est = (f"fewer than {threshold} answers" if hidden else "" if pd.isna(r["estimate"])
               else f"{r['estimate']:.{digits}f}{unit}")
        ci = ("" if hidden or pd.isna(r["ci_low"]) else f"{r['ci_low']:.{digits}f} to {r['ci_high']:.{digits}f}")
        low_adj, high_adj = r.get("ci_low_adj"), r.get("ci_high_adj")
        ci_adj = ("" if hidden or low_adj is None or pd.isna(low_adj)
                  else f"{low_adj:.{digits}f} to {high_adj:.{digits}f}")
        verdict = r.get("verdict")
        rows.append({"Question": labels.get(r["item"], r["item"]), "Group": r["group"], "Test": r["test"],
                     "Wave": r["wave"], "Compared with": r["comparison_wave"], "Estimate": est, "95% CI": ci,
                     "p": "" if pd.isna(r["p_value"]) else f"{r['p_value']:.3g}",
                     "simultaneous 95% CI": ci_adj,
                     "adjusted p (Bonferroni)": "" if pd.isna(r["p_adjusted"]) else f"{r['p_adjusted']:.3g}",
                     "verdict": "" if hidden or verdict is None or pd.isna(verdict) else str(verdict),
                     "n": "" if pd.isna(r["n"]) else f"{r['n']:,.0f}"})
    return pd.DataFrame(rows)


def headline_metrics(results: pd.DataFrame, sentences: pd.DataFrame, notes: Sequence[str] = (), *,
                     alpha: float = 0.05, power: float = 0.8) -> dict:
    """Per item and group: latest % positive, interval, changes with adjusted p; plus the sentences.

    The report's executive summary reads these (via :func:`analysis.core.recording.record`).
    For changes and trends ``ci_low``/``ci_high`` are the simultaneous interval that made
    the ``verdict`` (so ``p_adjusted < alpha`` exactly when it excludes no change);
    ``ci_low_unadjusted``/``ci_high_unadjusted`` are the comparison's own 95% interval.
    ``series`` holds every wave's % positive (:func:`analysis.change.gaps.series_records`);
    ``mdd_family_pp`` the smallest change the next wave would call clear, allowing for the
    family (:func:`analysis.change.gaps.family_mdd`, at ``alpha`` and ``power``).
    Suppressed values are None.
    """
    family = family_mdd(results, alpha=alpha, power=power)
    def value(row: pd.DataFrame, column: str):
        return None if row.empty or pd.isna(row[column].iloc[0]) else float(row[column].iloc[0])

    items: dict = {}
    pct = results[results["test"] == "pct_positive"]
    for (item, group), sub in pct.groupby(["item", "group"], sort=False):
        latest = sub[sub["wave"] == sub["wave"].max()]
        entry = {"wave": int(latest["wave"].iloc[0]), "pct_positive": value(latest, "estimate"),
                 "ci_low": value(latest, "ci_low"), "ci_high": value(latest, "ci_high"), "n": value(latest, "n"),
                 "suppressed": bool(latest["suppressed"].iloc[0]), "mdd_pp": value(latest, "mdd_pp"),
                 "mdd_family_pp": family.get((str(item), str(group)))}
        for test in ("diff_previous", "diff_baseline", "trend_logit", "gee_trend"):
            row = results[(results["item"] == item) & (results["group"] == group) & (results["test"] == test)]
            if not row.empty:
                adjusted = "ci_low_adj" in row.columns and value(row, "ci_low_adj") is not None
                verdict = row["verdict"].iloc[0] if "verdict" in row.columns else None
                entry[test] = {"estimate": value(row, "estimate"),
                               "ci_low": value(row, "ci_low_adj" if adjusted else "ci_low"),
                               "ci_high": value(row, "ci_high_adj" if adjusted else "ci_high"),
                               "ci_low_unadjusted": value(row, "ci_low"), "ci_high_unadjusted": value(row, "ci_high"),
                               "p_value": value(row, "p_value"), "p_adjusted": value(row, "p_adjusted"),
                               "verdict": None if verdict is None or pd.isna(verdict) else str(verdict),
                               "family_size": value(row, "family_size") if "family_size" in row.columns else None,
                               "claim": bool(row["claim"].iloc[0]) if "claim" in row.columns else None,
                               "comparison_wave": None if pd.isna(row["comparison_wave"].iloc[0])
                               else int(row["comparison_wave"].iloc[0]),
                               "suppressed": bool(row["suppressed"].iloc[0])}
        items.setdefault(item, {})[group] = entry
    return {"items": items, "series": series_records(results),
            "sentences": sentences.to_dict(orient="records"), "notes": list(notes),
            "p_adjusted_method": ("Bonferroni within the family of every comparison the sentences can claim; "
                                  "intervals are the matching simultaneous intervals"),
            "methods_text": methods_text(results),
            "gee_used": bool((results["test"] == "gee_trend").any())}


# --------------------------------------------------------------------------- pooling, steps, full scale
def _who(group: str) -> str:
    """How a group is named in a sentence."""
    from analysis.change.contract import PANEL_GROUP

    if group == ALL_GROUPS:
        return "everyone"
    if group == PANEL_GROUP:
        return "organisations present in every wave"
    return group


def _break_clause(trend: pd.DataFrame) -> str:
    """Say where a quoted trend allows for a step (wording or method change)."""
    import re

    for _, row in trend.iterrows():
        found = re.search(r"a step at ([\d, ]+) \(", str(row["method"]))
        if found and pd.notna(row["estimate"]) and not row["suppressed"]:
            return (f" The trend allows for a step at {found.group(1)}, when the question wording or survey "
                    "method changed; it is the change within the waves on each side.")
    return ""


def _step_clause(sub: pd.DataFrame, alpha: float, threshold: int) -> str:
    """Wave-to-wave steps, when the step-vs-slope check says a line does not fit ("" otherwise)."""
    import re

    check = sub[(sub["test"] == "trend_linearity") & sub["p_value"].notna() & ~sub["suppressed"].astype(bool)]
    steps = sub[sub["test"] == "diff_step"].sort_values("wave")
    if check.empty or check["p_value"].iloc[0] >= alpha or steps.empty:
        return ""
    found = re.search(r"a step at ([\d, ]+) \(", str(check["method"].iloc[0]))
    breaks = {int(w) for w in found.group(1).split(", ")} if found else set()
    parts = []
    for _, row in steps.iterrows():
        span = f"{row['comparison_wave']} to {row['wave']}"
        flag = " (the wording or method changed)" if int(row["wave"]) in breaks else ""
        if row["suppressed"] or pd.isna(row["estimate"]):
            parts.append(f"{span}{flag} not shown (fewer than {threshold} answers)")
            continue
        verdict = _verdict(row, alpha)
        low, high, label, _ = _interval(row)
        clear = verdict in (VERDICT_UP, VERDICT_DOWN)
        d, d_low, d_high = _digits(row["estimate"], low, high, clear=clear)
        interval = f"{label} {_num(low, d_low)} to {_num(high, d_high)}"
        if clear:
            what = _size_phrase(row["estimate"], d, "rise", "fall", "up" if row["estimate"] > 0 else "down")
            parts.append(f"{span}{flag} {what} ({interval})")
        else:
            parts.append(f"{span}{flag} no evidence of a change ({_pp(row['estimate'], d)}; {interval})")
    p = float(check["p_value"].iloc[0])
    return (f"The change was not a steady trend (step-vs-slope check, {_fmt_p(p, alpha)}), so it is described "
            "wave by wave: " + "; ".join(parts) + ".")


def _crude_clause(sub: pd.DataFrame, trend: pd.DataFrame) -> str:
    """For the standardised "all" figure: the crude pool, when its 95% interval tells a different story."""
    rows = pd.concat([sub[sub["test"].isin(["diff_previous", "diff_baseline"])], trend])
    rows = rows[(rows["group"] == ALL_GROUPS) & rows["crude_estimate"].notna() & ~rows["suppressed"].astype(bool)] \
        if "crude_estimate" in rows.columns else rows.iloc[:0]
    told = []
    for _, row in rows.iterrows():
        null = 0.0 if str(row["test"]).startswith("diff") else 1.0

        def side(low: float, high: float, null: float = null) -> int:
            return 1 if low > null else -1 if high < null else 0

        if side(row["ci_low"], row["ci_high"]) == side(row["crude_ci_low"], row["crude_ci_high"]):
            continue
        d = _dp(row["crude_ci_low"], row["crude_ci_high"])
        if null == 0.0:
            told.append(f"{_pp(row['crude_estimate'], d)} since {row['comparison_wave']} (95% CI "
                        f"{_num(row['crude_ci_low'], d)} to {_num(row['crude_ci_high'], d)} points)")
        else:
            d = 2 + _dp(row["crude_ci_low"], row["crude_ci_high"], unit=0.01)
            told.append(f"an odds ratio {_per(row)} of {row['crude_estimate']:.{d}f} (95% CI "
                        f"{row['crude_ci_low']:.{d}f} to {row['crude_ci_high']:.{d}f})")
    if not told:
        return ""
    return (" Counting everyone as they came, without holding the mix of groups fixed, gives "
            + " and ".join(told) + ": the difference comes from a change in who answered, not from a change "
            "within the groups.")


#: How :func:`format_results` columns are shown by the one table renderer: already formatted text that
#: reads as numbers (right-aligned), and "Compared with", a wave, as plain text (never "2,023").
READER_FORMATS: dict[str, str] = {
    "Compared with": "text", "Wave": "text", "Estimate": "figures", "95% CI": "figures", "p": "figures",
    "simultaneous 95% CI": "figures", "adjusted p (Bonferroni)": "figures", "n": "figures",
}


def reader_table(results: pd.DataFrame, tests: Sequence[str], *, item_labels: Mapping[str, str] | None = None,
                 threshold: int = 10, caption: str | None = None) -> str:
    """:func:`format_results` drawn by :func:`analysis.present.tables.render_table` for a reader page."""
    from analysis.present.tables import render_table

    table = format_results(results, tests, item_labels=item_labels, threshold=threshold)
    formats = {column: kind for column, kind in READER_FORMATS.items() if column in table.columns}
    return render_table(table, formats=formats, caption=caption)


def ordinal_sentences(results: pd.DataFrame, *, alpha: float = 0.05,
                      item_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What the full answer scale says, only where the proportional-odds model holds.

    Where Brant's test rejects proportional odds, the sentence says the full-scale model
    is not used as a check (its single odds ratio would average levels that moved in
    different directions), and no ordinal estimate is quoted.

    Returns
    -------
    pd.DataFrame
        ``item, group, sentence``.
    """
    labels = dict(item_labels or {})
    rows = []
    ordinal = results[results["test"] == "ordinal_trend"]
    checks = results[results["test"] == "proportional_odds"].set_index(["item", "group"])
    for _, row in ordinal.iterrows():
        if row["suppressed"] or pd.isna(row["estimate"]):
            continue
        label = f"{labels.get(row['item'], row['item'])} ({_who(row['group'])})"
        key = (row["item"], row["group"])
        p_po = checks["p_value"].get(key) if key in checks.index else None
        if p_po is None or pd.isna(p_po):
            text = (f"{label}: the full-scale model is not used as a check, because proportional odds could "
                    "not be tested.")
        elif p_po < alpha:
            text = (f"{label}: the full-scale model is not used as a check: the answer levels did not move "
                    f"together (proportional odds rejected, Brant test {_fmt_p(float(p_po), alpha)}).")
        else:
            verdict = _verdict(row, alpha)
            low, high, interval_label, _ = _interval(row)
            d = 2 + _dp(low, high, unit=0.01)
            numbers = (f"cumulative odds ratio {_per(row)} {row['estimate']:.{d}f}, {interval_label} "
                       f"{low:.{d}f} to {high:.{d}f}; proportional odds not rejected, Brant test "
                       f"{_fmt_p(float(p_po), alpha)}")
            if verdict in (VERDICT_UP, VERDICT_DOWN):
                direction = "up" if row["estimate"] > 1 else "down"
                text = f"{label}: on the full answer scale, answers moved {direction} the scale ({numbers})."
            else:
                text = f"{label}: on the full answer scale there is no evidence of a shift ({numbers})."
        rows.append({"item": row["item"], "group": row["group"], "sentence": text})
    return pd.DataFrame(rows, columns=["item", "group", "sentence"])
