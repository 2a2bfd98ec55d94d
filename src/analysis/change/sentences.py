"""Change over time, step 5: plain-English sentences and reader tables from the results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.change.contract import (
    ALL_GROUPS,
)


# --------------------------------------------------------------------------- sentences
def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


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


def _per(row: pd.Series) -> str:
    years = all(1900 <= int(w) <= 2200 for w in (row["wave"], row["comparison_wave"]) if pd.notna(w))
    return "per year" if years else "per wave unit"


def _diff_clause(row: pd.Series, alpha: float, threshold: int, wording_changed: bool) -> str:
    since = f"since {row['comparison_wave']}"
    if row["suppressed"]:
        return (f"The change {since} is not shown because fewer than {threshold} people "
                "answered in one of the waves.")
    if pd.isna(row["estimate"]):
        return f"The change {since} could not be estimated."
    p = row["p_adjusted"] if pd.notna(row["p_adjusted"]) else row["p_value"]
    d = _dp(row["ci_low"], row["ci_high"])
    interval = f"95% CI {_num(row['ci_low'], d)} to {_num(row['ci_high'], d)} points; adjusted {_fmt_p(p)}"
    caveat = " The question wording changed in between, so compare with care." if wording_changed else ""
    if p < alpha:
        direction = "up" if row["estimate"] > 0 else "down"
        size = abs(round(row["estimate"]))
        unit = "percentage point" if size == 1 else "percentage points"
        return f"This is {direction} {size} {unit} {since} ({interval}).{caveat}"
    return (f"There is no evidence of a change {since} ({_pp(row['estimate'], d)}; the true change could be "
            f"anywhere from {_num(row['ci_low'], d)} to {_num(row['ci_high'], d)} points; adjusted {_fmt_p(p)}).{caveat}")


def _trend_clause(row: pd.Series, alpha: float, threshold: int, subject: str = "a positive answer") -> str:
    span = f"{row['comparison_wave']}-{row['wave']}"
    if row["suppressed"]:
        return f"The trend over {span} is not shown because fewer than {threshold} people answered."
    if pd.isna(row["estimate"]):
        return ""
    p = row["p_adjusted"] if pd.notna(row["p_adjusted"]) else row["p_value"]
    what = "respondents as clusters" if row["test"] == "gee_trend" else "all waves"
    note = str(row["note"]) if pd.notna(row["note"]) else ""
    if "left out" in note:
        what += "; " + next(part for part in note.split("; ") if "left out" in part)
    d = 2 + _dp(row["ci_low"], row["ci_high"], unit=0.01)
    interval = (f"odds ratio {_per(row)} {row['estimate']:.{d}f}, 95% CI {row['ci_low']:.{d}f} to "
                f"{row['ci_high']:.{d}f}; adjusted {_fmt_p(p)}; {what}")
    if p < alpha:
        direction = "rose" if row["estimate"] > 1 else "fell"
        return f"Over {span} the odds of {subject} {direction} ({interval})."
    return f"Over {span} there is no evidence of a trend ({interval})."


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

    Uses the Holm-adjusted p-values. A test that finds nothing is reported as
    "no evidence of a change", never "no change". Suppressed cells yield a sentence
    with no numbers.

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
        who = "everyone" if group == ALL_GROUPS else group
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
        for test in ("diff_previous", "diff_baseline"):
            for _, row in sub[sub["test"] == test].iterrows():
                changed = any(row["comparison_wave"] < w <= row["wave"] for w in changes.get(item, []))
                text += " " + _diff_clause(row, alpha, threshold, changed)
        trend = sub[sub["test"] == "gee_trend"]
        if trend.empty or trend["estimate"].isna().all():
            trend = sub[sub["test"] == "trend_logit"]
        for _, row in trend.iterrows():
            clause = _trend_clause(row, alpha, threshold,
                                   "a positive answer" if outcome_phrase == "answered positively"
                                   else f"this outcome ({outcome_phrase})")
            text += (" " + clause) if clause else ""
        rows.append({"item": item, "group": group, "sentence": text})
    for _, row in results[results["test"] == "interaction_lrt"].iterrows():
        label = labels.get(row["item"], row["item"])
        groups_text = row["method"].split("(", 1)[-1].split(")", 1)[0]
        if row["suppressed"] or pd.isna(row["p_value"]):
            continue
        p = row["p_adjusted"]
        if p < alpha:
            text = (f"{label}: the trend differs between groups ({groups_text}; likelihood-ratio test, "
                    f"adjusted {_fmt_p(p)}).")
        else:
            text = (f"{label}: there is no evidence that the trend differs between groups ({groups_text}; "
                    f"likelihood-ratio test, adjusted {_fmt_p(p)}).")
        rows.append({"item": row["item"], "group": "interaction", "sentence": text})
    for _, row in results[results["test"] == "diff_groups"].iterrows():
        label = labels.get(row["item"], row["item"])
        first, _, second = str(row["group"]).partition(" vs ")
        if row["suppressed"] or pd.isna(row["estimate"]):
            text = (f"{label}: {first} and {second} cannot be compared in {row['wave']} because fewer than "
                    f"{threshold} people answered in one group.")
        else:
            p = row["p_adjusted"]
            interval = f"95% CI {_num(row['ci_low'], 0)} to {_num(row['ci_high'], 0)} points; adjusted {_fmt_p(p)}"
            if p < alpha:
                more = first if row["estimate"] > 0 else second
                text = (f"{label}: in {row['wave']}, {more} {outcome_phrase} {abs(row['estimate']):.0f} "
                        f"percentage points more often ({first} minus {second}, {interval}).")
            else:
                text = (f"{label}: in {row['wave']} there is no evidence of a difference between {first} and "
                        f"{second} ({_pp(row['estimate'])}, {interval}).")
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
        Question, Group, Test, Wave, Compared with, Estimate, 95% CI, p, adjusted p (Holm), n.
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
        rows.append({"Question": labels.get(r["item"], r["item"]), "Group": r["group"], "Test": r["test"],
                     "Wave": r["wave"], "Compared with": r["comparison_wave"], "Estimate": est, "95% CI": ci,
                     "p": "" if pd.isna(r["p_value"]) else f"{r['p_value']:.3g}",
                     "adjusted p (Holm)": "" if pd.isna(r["p_adjusted"]) else f"{r['p_adjusted']:.3g}",
                     "n": "" if pd.isna(r["n"]) else f"{r['n']:,.0f}"})
    return pd.DataFrame(rows)


def headline_metrics(results: pd.DataFrame, sentences: pd.DataFrame, notes: Sequence[str] = ()) -> dict:
    """Per item and group: latest % positive, interval, changes with adjusted p; plus the sentences.

    The report's executive summary reads these (via :func:`analysis.core.recording.record`).
    Suppressed values are None.
    """
    def value(row: pd.DataFrame, column: str):
        return None if row.empty or pd.isna(row[column].iloc[0]) else float(row[column].iloc[0])

    items: dict = {}
    pct = results[results["test"] == "pct_positive"]
    for (item, group), sub in pct.groupby(["item", "group"], sort=False):
        latest = sub[sub["wave"] == sub["wave"].max()]
        entry = {"wave": int(latest["wave"].iloc[0]), "pct_positive": value(latest, "estimate"),
                 "ci_low": value(latest, "ci_low"), "ci_high": value(latest, "ci_high"), "n": value(latest, "n"),
                 "suppressed": bool(latest["suppressed"].iloc[0]), "mdd_pp": value(latest, "mdd_pp")}
        for test in ("diff_previous", "diff_baseline", "trend_logit", "gee_trend"):
            row = results[(results["item"] == item) & (results["group"] == group) & (results["test"] == test)]
            if not row.empty:
                entry[test] = {"estimate": value(row, "estimate"), "ci_low": value(row, "ci_low"),
                               "ci_high": value(row, "ci_high"), "p_value": value(row, "p_value"),
                               "p_adjusted": value(row, "p_adjusted"),
                               "comparison_wave": None if pd.isna(row["comparison_wave"].iloc[0])
                               else int(row["comparison_wave"].iloc[0]),
                               "suppressed": bool(row["suppressed"].iloc[0])}
        items.setdefault(item, {})[group] = entry
    return {"items": items, "sentences": sentences.to_dict(orient="records"), "notes": list(notes),
            "p_adjusted_method": "Holm (family-wise, across the items of a family)",
            "gee_used": bool((results["test"] == "gee_trend").any())}
