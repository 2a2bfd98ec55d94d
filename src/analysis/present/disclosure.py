"""The one disclosure-control layer: what may be published about small numbers of people.

Every count of people that leaves the pipeline (tables, figures, sentences, quotes) is decided
here, so that one rule applies everywhere and the methods page can state it exactly
(:func:`disclosure_rule_text`). Two rules are offered (config ``disclosure_rule``):

``threshold`` (default)
    *Primary suppression*: a count of 1 to ``threshold - 1`` people is hidden, and so is every
    percentage, interval or ratio computed from it. *Secondary (complementary) suppression*:
    wherever published numbers add up (a table's cells to its base, a group's column to the
    group's base, the same field's categories in two tables of one report), further cells are
    hidden until no hidden cell can be worked out by adding and subtracting published numbers,
    and no set of hidden cells in one sum adds up to a small number of people. Zero is
    published: "nobody" reveals no one.
``hes_2018``
    The method NHS Digital adopted for Hospital Episode Statistics in 2018: counts of 1 to 7
    are hidden, every other count is rounded to the nearest 5, and percentages (and
    intervals) are computed from the rounded figures. Rounding leaves every subtraction
    uncertain by several people, so no secondary suppression is needed.

Whatever the rule, quotes come only from themes and groups of at least ``quote_threshold``
people (:func:`quote_allowed`).

How secondary suppression works
-------------------------------
The published tables of one report are described as a :class:`CellSystem`: one cell per count
of people, the sums that tie cells together (``total = part + part + ...``, including totals the
reader can work out, e.g. a base from a count and its percentage), cells that must be hidden
together (the same field and category in two tables) and cells that depend on another (a
group's theme counts on the group's base). Counts the tables do not publish but that complete
a sum (e.g. a group's unassigned answers) enter as unpublished cells: unknown to the reader.

:meth:`CellSystem.solve` hides the primary cells and then, until nothing changes, finds

1. a sum with exactly one hidden non-zero cell (plain subtraction), or a sum whose published
   total minus its published parts leaves fewer than ``threshold`` people in its hidden cells;
2. any hidden non-zero cell that the whole system of sums determines (checked exactly: the
   cell is determined when every solution of the homogeneous system restricted to the hidden
   cells leaves it at zero, i.e. its row of the null-space basis is zero);

and hides the smallest published non-zero part of that sum (the total only when no part is
left). Hidden zeros are treated as known to the reader, so they never count as protection.
This is the usual greedy heuristic for complementary suppression (it does not minimise what is
hidden), with an exact check that no hidden cell is left recoverable by linear arithmetic; it
does not protect against bounds from non-negativity (a reader may learn that a hidden cell is
"at most 12"), which the primary threshold already allows.

Written by hand because the maintained packages for this (sdcTable, tau-Argus) are R and Java
tools, not Python libraries; the algorithm is small and fully tested.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

RuleName = Literal["threshold", "hes_2018"]

#: The HES 2018 rule: counts of 1 to 7 are hidden, others rounded to the nearest 5.
HES_MAX_HIDDEN = 7
HES_ROUNDING = 5


@dataclass(frozen=True)
class DisclosureRule:
    """Which counts of people may be published, and how.

    Attributes
    ----------
    name
        ``"threshold"`` or ``"hes_2018"``.
    threshold
        Smallest count of people that may be shown (1..threshold-1 hidden).
    rounding
        Published counts are rounded to a multiple of this (1 = exact).
    secondary
        Whether complementary suppression is applied (the threshold rule); rounding replaces it.
    quote_threshold
        Smallest theme or group a quote may come from.
    """

    name: RuleName
    threshold: int
    rounding: int = 1
    secondary: bool = True
    quote_threshold: int = 10

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.rounding < 1 or self.quote_threshold < 1:
            raise ValueError("disclosure thresholds and rounding must be at least 1")


def threshold_rule(threshold: int) -> DisclosureRule:
    """The default rule: hide 1..threshold-1 with secondary suppression; quotes from groups of ``threshold``+."""
    return DisclosureRule("threshold", threshold=int(threshold), quote_threshold=int(threshold))


def hes_2018_rule(quote_threshold: int = 10) -> DisclosureRule:
    """NHS Digital's 2018 HES rule (1-7 hidden, others rounded to 5); quotes from groups of ``quote_threshold``+."""
    return DisclosureRule("hes_2018", threshold=HES_MAX_HIDDEN + 1, rounding=HES_ROUNDING, secondary=False,
                          quote_threshold=max(int(quote_threshold), HES_MAX_HIDDEN + 1))


def rule_from_config(config: Any) -> DisclosureRule:
    """The rule a cycle configuration asks for (``disclosure_rule`` and ``suppression_threshold``).

    Under ``hes_2018`` the configured threshold still sets the smallest group a quote may come from.
    """
    name = getattr(config, "disclosure_rule", "threshold")
    threshold = int(config.suppression_threshold)
    if name == "hes_2018":
        return hes_2018_rule(quote_threshold=threshold)
    if name == "threshold":
        return threshold_rule(threshold)
    raise ValueError(f"unknown disclosure rule {name!r}; use 'threshold' or 'hes_2018'")


def as_rule(rule: DisclosureRule | int) -> DisclosureRule:
    """Accept a rule or a bare threshold (the threshold rule), so older call sites keep working."""
    if isinstance(rule, DisclosureRule):
        return rule
    if isinstance(rule, bool) or not isinstance(rule, (int, np.integer)):
        raise TypeError(f"expected a DisclosureRule or an integer threshold, got {rule!r}")
    return threshold_rule(int(rule))


def disclosure_rule_text(rule: DisclosureRule | Any) -> str:
    """The methods page's plain-English statement of the rule, exactly as implemented.

    Parameters
    ----------
    rule
        A :class:`DisclosureRule`, an integer threshold, or a cycle configuration.
    """
    if not isinstance(rule, DisclosureRule):
        rule = as_rule(rule) if isinstance(rule, (int, np.integer)) else rule_from_config(rule)
    quotes = (f"Quotes are shown only from themes raised by at least {rule.quote_threshold} people and from "
              f"groups (respondent type and borough, within the question and wave) of at least "
              f"{rule.quote_threshold} people.")
    if rule.name == "hes_2018":
        return ("Small numbers follow the rule NHS Digital adopted for Hospital Episode Statistics in 2018: "
                f"any count of 1 to {rule.threshold - 1} people is not shown (nor any percentage, interval or "
                f"ratio based on it); every other count is rounded to the nearest {rule.rounding}, and "
                "percentages, intervals and ratios are calculated from the rounded figures, so hidden numbers "
                "cannot be worked out by subtraction. Zero is shown. " + quotes)
    return (f"Any count of 1 to {rule.threshold - 1} people is not shown, nor any percentage, interval or ratio "
            "based on it. Where published numbers add up (a table's rows to its total, a group's figures to "
            "the group's total, the same question's answers in two tables of this report), further numbers are "
            "hidden (the next smallest first) until no hidden number can be worked out by subtraction and no "
            f"hidden numbers together make fewer than {rule.threshold} people. Zero is shown. " + quotes)


# --------------------------------------------------------------------------- primary rule and rounding
def is_small(counts: Sequence[float] | np.ndarray | pd.Series, rule: DisclosureRule | int) -> np.ndarray:
    """True for a count of people that may not be shown (1..threshold-1, or missing)."""
    rule = as_rule(rule)
    n = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(counts, dtype=object))), errors="coerce")
    return ((n > 0) & (n < rule.threshold) | n.isna()).to_numpy(bool)


def round_counts(counts: Sequence[float] | np.ndarray | pd.Series, rule: DisclosureRule | int) -> np.ndarray:
    """Counts as published under the rule: rounded to ``rule.rounding`` (halves up), else unchanged."""
    rule = as_rule(rule)
    values = np.asarray(counts, dtype=float)
    if rule.rounding == 1:
        return values
    return np.floor(values / rule.rounding + 0.5) * rule.rounding


def publish_counts(counts: Sequence[float] | np.ndarray | pd.Series, hidden: Sequence[bool] | np.ndarray,
                   rule: DisclosureRule | int) -> pd.Series:
    """Counts as they may be printed: missing where hidden, rounded as the rule says (Float64)."""
    values = round_counts(counts, rule)
    out = pd.Series(values, dtype="Float64")
    out[np.asarray(hidden, dtype=bool)] = pd.NA
    return out


def quote_allowed(theme_size: Sequence[float] | np.ndarray | pd.Series,
                  group_size: Sequence[float] | np.ndarray | pd.Series, rule: DisclosureRule | int) -> np.ndarray:
    """True where a comment may be quoted: its theme and its group both have ``quote_threshold``+ people."""
    rule = as_rule(rule)
    theme = np.asarray(pd.to_numeric(pd.Series(theme_size), errors="coerce").fillna(0), dtype=float)
    group = np.asarray(pd.to_numeric(pd.Series(group_size), errors="coerce").fillna(0), dtype=float)
    return (theme >= rule.quote_threshold) & (group >= rule.quote_threshold)


# --------------------------------------------------------------------------- secondary suppression
@dataclass
class CellSystem:
    """Counts of people in the tables of one report and the arithmetic that ties them together.

    Build it with :meth:`cell`, :meth:`add_sum`, :meth:`link` and :meth:`depend`, then call
    :meth:`solve`. Cells are identified by the integer :meth:`cell` returns and labelled by any
    hashable (e.g. ``("equality_monitoring", "age_band", "75+")``) for messages and tests.
    Unpublished cells are unknowns that protect others; they are not themselves protected
    (they are remainders, not counts of a group the tables describe), and nor are counts of
    missing answers (see :meth:`cell`).
    """

    values: list[float] = field(default_factory=list)
    labels: list[Hashable] = field(default_factory=list)
    published: list[bool] = field(default_factory=list)
    fixed: list[bool] = field(default_factory=list)
    protected: list[bool] = field(default_factory=list)
    sums: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    links: list[tuple[int, ...]] = field(default_factory=list)
    dependents: dict[int, list[int]] = field(default_factory=dict)

    def cell(self, value: float, label: Hashable = None, *, published: bool = True, fixed: bool = False,
             protected: bool | None = None) -> int:
        """Add one count.

        ``published=False`` for a count the reader never sees (e.g. a remainder); ``fixed=True``
        for a published total that is never hidden to protect another cell (a base printed in the
        text or implied by percentages); the primary rule still applies to it. ``protected=False``
        (the default for unpublished cells) for a count that is hidden when small but need not be
        kept from subtraction: a number of missing answers ("not stated"), which two printed totals
        (all respondents and a table's base) give away and which describes no one's characteristic.
        """
        if pd.isna(value) or float(value) < 0:
            raise ValueError(f"a count of people must be a non-negative number, got {value!r} for {label!r}")
        self.values.append(float(value))
        self.labels.append(label)
        self.published.append(bool(published))
        self.fixed.append(bool(fixed))
        self.protected.append(bool(published) if protected is None else bool(protected))
        return len(self.values) - 1

    def cells(self, values: Iterable[float], labels: Iterable[Hashable]) -> list[int]:
        """Add several published counts; returns their ids."""
        return [self.cell(v, lab) for v, lab in zip(values, labels, strict=True)]

    def add_sum(self, total: int, parts: Sequence[int], *, remainder_label: Hashable = None) -> None:
        """Record ``total = sum(parts)``; an unpublished remainder cell closes the gap when the parts fall short.

        Raises
        ------
        ValueError
            When the parts add up to more than the total (the tables disagree: a bug upstream).
        """
        parts = tuple(parts)
        gap = self.values[total] - sum(self.values[p] for p in parts)
        if gap < -1e-9:
            raise ValueError(f"parts add up to more than their total {self.labels[total]!r}")
        if gap > 1e-9:
            parts = (*parts, self.cell(gap, remainder_label or ("remainder", self.labels[total]), published=False))
        self.sums.append((total, parts))

    def add_equal(self, a: int, b: int) -> None:
        """Record that two cells are the same number (the same count published in two tables)."""
        self.add_sum(a, (b,))
        self.link((a, b))

    def link(self, ids: Sequence[int]) -> None:
        """Cells hidden together: the same field's category in several tables of one report."""
        if len(ids) > 1:
            self.links.append(tuple(ids))

    def depend(self, parent: int, children: Sequence[int]) -> None:
        """When ``parent`` is hidden, so are ``children`` (a group's base hides its cells)."""
        self.dependents.setdefault(parent, []).extend(children)

    # ------------------------------------------------------------------ solving
    def _close(self, hidden: np.ndarray) -> np.ndarray:
        """Hide linked and dependent cells of hidden ones, until nothing changes."""
        changed = True
        while changed:
            changed = False
            for group in self.links:
                idx = list(group)
                if hidden[idx].any() and not hidden[idx].all():
                    hidden[idx] = True
                    changed = True
            for parent, children in self.dependents.items():
                if hidden[parent] and not hidden[children].all():
                    hidden[children] = True
                    changed = True
        return hidden

    def _unknown(self, hidden: np.ndarray) -> np.ndarray:
        # A hidden zero is treated as known: it must never count as protection.
        return hidden & (np.asarray(self.values) > 0)

    def determined(self, hidden: Sequence[bool] | np.ndarray) -> np.ndarray:
        """Hidden non-zero cells a reader can work out exactly from the published cells and the sums.

        Parameters
        ----------
        hidden
            Mask over all cells (unpublished cells count as hidden whatever the mask says).

        Returns
        -------
        np.ndarray
            Boolean mask over all cells.
        """
        mask = np.asarray(hidden, dtype=bool) | ~np.asarray(self.published, dtype=bool)
        unknown = np.flatnonzero(self._unknown(mask))
        out = np.zeros(len(self.values), dtype=bool)
        if not len(unknown) or not self.sums:
            return out
        column = {c: j for j, c in enumerate(unknown)}
        rows = []
        for total, parts in self.sums:
            row = np.zeros(len(unknown))
            for c, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if c in column:
                    row[column[c]] += sign
            if row.any():
                rows.append(row)
        if not rows:
            return out
        matrix = np.vstack(rows)
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > 1e-9 * max(matrix.shape)).sum())
        null = vt[rank:].T  # columns span the solutions of matrix @ x = 0
        fixed = np.abs(null).max(axis=1) < 1e-9 if null.shape[1] else np.ones(len(unknown), dtype=bool)
        out[unknown[fixed]] = True
        # Remainders and missing-answer counts are not protected cells; only protected ones can leak.
        return out & np.asarray(self.protected, dtype=bool)

    def _violation(self, hidden: np.ndarray, threshold: int) -> tuple[int, int] | None:
        """(sum index, cell to protect) of the first sum that leaks, or None."""
        values = np.asarray(self.values)
        unknown = self._unknown(hidden)
        for k, (total, parts) in enumerate(self.sums):
            members = [total, *parts]
            hidden_members = [c for c in members if unknown[c]]
            protected = [c for c in hidden_members if self.protected[c]]
            if not protected:
                continue
            if len(hidden_members) == 1:
                return k, protected[0]
            if not hidden[total]:
                small = sum(values[p] for p in parts if unknown[p])
                if 0 < small < threshold:
                    return k, protected[0]
        return None

    def _candidate(self, k: int, hidden: np.ndarray) -> int | None:
        """Smallest published, visible, non-zero part of sum ``k`` (its total only when no part is left)."""
        total, parts = self.sums[k]
        values = np.asarray(self.values)
        free = [p for p in parts if self.published[p] and not self.fixed[p] and not hidden[p] and values[p] > 0]
        if free:
            return min(free, key=lambda p: (values[p], p))
        if self.published[total] and not self.fixed[total] and not hidden[total] and values[total] > 0:
            return total
        return None

    def solve(self, rule: DisclosureRule | int, *, forced: Iterable[int] = ()) -> np.ndarray:
        """Which cells to hide under ``rule``.

        Parameters
        ----------
        rule
            The disclosure rule (or a bare threshold).
        forced
            Cells to hide whatever their size (e.g. hidden by an earlier table of the report).

        Returns
        -------
        np.ndarray
            Boolean mask over the published cells' ids (unpublished cells are True).

        Raises
        ------
        RuntimeError
            If a hidden cell stays recoverable and nothing is left to hide (cannot happen for sums
            of non-negative counts; guarded so that a leak can never pass silently).
        """
        rule = as_rule(rule)
        values = np.asarray(self.values)
        published = np.asarray(self.published, dtype=bool)
        hidden = ~published | (published & (values > 0) & (values < rule.threshold))
        hidden[list(forced)] = True
        hidden = self._close(hidden)
        if not rule.secondary:
            return hidden
        while True:
            found = self._violation(hidden, rule.threshold)
            if found is None:
                leaks = np.flatnonzero(self.determined(hidden))
                if not len(leaks):
                    return hidden
                cell = int(leaks[0])
                options = [k for k, (t, ps) in enumerate(self.sums) if cell == t or cell in ps]
                options += [k for k, (t, ps) in enumerate(self.sums) if k not in options]
                pick = next((c for k in options if (c := self._candidate(k, hidden)) is not None), None)
                if pick is None:
                    raise RuntimeError(f"cell {self.labels[cell]!r} stays recoverable and nothing is left to hide")
            else:
                options = [found[0], *(k for k in range(len(self.sums)) if k != found[0])]
                pick = next((c for k in options if (c := self._candidate(k, hidden)) is not None), None)
                if pick is None:
                    raise RuntimeError(f"cell {self.labels[found[1]]!r} stays recoverable and nothing is left to hide")
            hidden[pick] = True
            hidden = self._close(hidden)


# --------------------------------------------------------------------------- one-table helpers
def suppress_partition(counts: Sequence[float] | np.ndarray | pd.Series, rule: DisclosureRule | int, *,
                       total: float | None = None, forced: Sequence[bool] | np.ndarray | None = None) -> np.ndarray:
    """Hidden mask for the cells of one table whose cells add up to a published (or derivable) total.

    Parameters
    ----------
    counts
        The cells' counts of people.
    rule
        Disclosure rule (or a bare threshold).
    total
        The published total the cells add up to; default their sum (e.g. a base the reader can
        work out from a percentage). A larger total adds an unpublished remainder.
    forced
        Cells to hide whatever their size.

    Returns
    -------
    np.ndarray
        Boolean mask, True where the cell must be hidden.
    """
    values = np.asarray(pd.to_numeric(pd.Series(counts), errors="coerce").fillna(0), dtype=float)
    system = CellSystem()
    ids = system.cells(values, range(len(values)))
    top = system.cell(float(values.sum()) if total is None else float(total), "total")
    system.add_sum(top, ids)
    hidden = system.solve(rule, forced=[i for i, f in zip(ids, forced, strict=True) if f] if forced is not None else ())
    return hidden[ids]


def blank(table: pd.DataFrame, mask: Sequence[bool] | np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of ``table`` with ``columns`` missing where ``mask`` (numeric columns become nullable floats)."""
    out = table.copy()
    mask = np.asarray(mask, dtype=bool)
    for col in columns:
        if pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("Float64")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("boolean")
        out.loc[mask, col] = pd.NA
    return out


def hidden_categories(tables: Mapping[str, tuple[pd.DataFrame, str]]) -> dict[str, set[str]]:
    """The categories each table hides: table name -> set of category values.

    Parameters
    ----------
    tables
        Name -> (published table with a ``suppressed`` column, the category column).
    """
    return {name: set(t.loc[t["suppressed"].astype(bool), col].astype(str)) for name, (t, col) in tables.items()}
