"""Change over time: answer scales (which answers are positive, negative or left out of the base)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.change.contract import _LEVEL_CODE
from analysis.core import vocab
from analysis.core.config import DEFAULT_EXCLUDED_ANSWERS
from analysis.core.errors import InputFileError

_DONT_KNOW = frozenset({"don't know", "dont know", "do not know"})


def _normalise(text: object) -> str:
    """Comparable spelling: trimmed, case-folded, typographic apostrophes straightened, spaces collapsed."""
    value = str(text).strip()
    try:  # 6, "6" and 6.0 are the same code
        number = float(value)
        if number.is_integer():
            value = str(int(number))
    except ValueError:
        pass
    return " ".join(value.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").casefold().split())


@dataclass(frozen=True)
class AnswerScale:
    """Which answers to an item are positive, negative, or left out of the base.

    Labels match case-insensitively; a Likert label also matches its code 1..5 and
    the other way round (``"Agree"`` and ``4``). ``negative=None`` means every Likert
    level that is not positive. Answers in ``excluded`` (Don't know, Prefer not to say,
    N/A, numeric missing codes such as 6 or 9, ...) are counted but never enter the
    base; an answer in none of the three lists is an error, never "not positive".
    """

    positive: tuple[str, ...] = ("Agree", "Strongly agree")
    negative: tuple[str, ...] | None = None
    excluded: tuple[str, ...] = DEFAULT_EXCLUDED_ANSWERS

    @classmethod
    def coerce(cls, value: AnswerScale | Mapping[str, Sequence[str] | None]) -> AnswerScale:
        """An :class:`AnswerScale` from itself or a mapping with ``positive``/``negative``/``excluded``."""
        if isinstance(value, AnswerScale):
            return value
        negative = value.get("negative")
        return cls(positive=tuple(value.get("positive") or cls.positive),
                   negative=None if negative is None else tuple(negative),
                   excluded=tuple(value.get("excluded", DEFAULT_EXCLUDED_ANSWERS)))

    def lookup(self) -> dict[str, tuple[str, float]]:
        """Normalised answer -> (the scale's spelling, 1.0 positive / 0.0 negative / NaN excluded)."""
        def expand(values: Sequence[str]) -> dict[str, str]:
            out = {}
            for v in values:
                key = _normalise(v)
                out[key] = str(v)
                code = _LEVEL_CODE.get(key)
                if code is not None:  # a Likert label also matches its code
                    out[str(code)] = str(v)
                elif key.isdigit() and 1 <= int(key) <= len(vocab.LIKERT_LEVELS):  # and a code its label
                    out[vocab.LIKERT_LEVELS[int(key) - 1].casefold()] = str(v)
            return out

        positive = expand(self.positive)
        negative = expand(self.negative if self.negative is not None else
                          [lvl for lvl in vocab.LIKERT_LEVELS if lvl.casefold() not in positive])
        excluded = expand(self.excluded)
        clash = sorted((set(positive) & set(negative)) | ((set(positive) | set(negative)) & set(excluded)))
        if clash:
            raise ValueError(f"answer(s) {clash} are in more than one of positive, negative and excluded")
        table = {k: (v, np.nan) for k, v in excluded.items()}
        table.update({k: (v, 0.0) for k, v in negative.items()})
        table.update({k: (v, 1.0) for k, v in positive.items()})
        return table


def _scales_for(items: pd.Series, positive_levels, answer_scales, source: str | Path,
                item_column: str | None) -> dict[str, AnswerScale]:
    """One scale per item present, from ``answer_scales`` or the ``positive_levels`` shorthand."""
    present = sorted(set(items.dropna()))
    spec = answer_scales
    if spec is None and positive_levels is not None:
        spec = ({k: {"positive": list(v)} for k, v in positive_levels.items()}
                if isinstance(positive_levels, Mapping) else {"positive": list(positive_levels)})
    if spec is None:
        return dict.fromkeys(present, AnswerScale())
    if isinstance(spec, AnswerScale) or (isinstance(spec, Mapping) and "positive" in spec
                                         and not isinstance(spec["positive"], (AnswerScale, Mapping))):
        one = AnswerScale.coerce(spec)
        return dict.fromkeys(present, one)
    missing = [i for i in present if i not in spec]
    if missing:
        raise InputFileError(source, f"no answer scale (positive definition) for item(s) {missing}",
                             column=item_column)
    return {i: AnswerScale.coerce(spec[i]) for i in present}


def classify_answers(items: pd.Series, raw: pd.Series, reason: pd.Series, scales: Mapping[str, AnswerScale],
                     *, source: str | Path = "responses", column: str | None = None) -> tuple[np.ndarray, pd.Series]:
    """Positive (1.0) / negative (0.0) per answer, and why an answer is out of the base.

    Parameters
    ----------
    items, raw, reason
        Item id, the answer as given, and a missing-answer reason (or missing), row-aligned.
    scales
        Item -> :class:`AnswerScale`.

    Returns
    -------
    (positive, excluded_answer)
        ``positive`` is NaN for excluded rows; ``excluded_answer`` is the scale's spelling of
        the excluded answer (or ``"blank"`` for an empty answer), missing for answers in the base.

    Raises
    ------
    InputFileError
        Answers (or reasons) not on their item's scale: every such value with its count.
    """
    raw_key = raw.map(lambda v: pd.NA if pd.isna(v) or str(v).strip() == "" else _normalise(v)).astype("string")
    reason_key = reason.map(lambda v: pd.NA if pd.isna(v) or str(v).strip() == "" else _normalise(v)).astype("string")
    positive = np.full(len(raw), np.nan)
    kind = pd.Series(pd.NA, index=raw.index, dtype="string")
    problems = []
    for item, idx in items.groupby(items, sort=True).groups.items():
        try:
            table = scales[item].lookup()
        except ValueError as err:
            raise InputFileError(source, f"item {item!r}: {err}", column=column) from err
        keys = raw_key.loc[idx].fillna(reason_key.loc[idx])
        found = keys.map(lambda k, t=table: t.get(k) if pd.notna(k) else ("blank", np.nan))
        unknown = found.isna()
        if unknown.any():
            given = raw.loc[idx][unknown].astype("string")
            values = given.where(given.notna(), reason.loc[idx][unknown].astype("string"))
            counts = values.astype("string").str.strip().value_counts()
            problems.append(f"item {item!r}: " + ", ".join(f"{v!r} ({c} answer{'s' if c != 1 else ''})"
                                                       for v, c in counts.items()))
            continue
        pos = found.map(lambda t: t[1]).to_numpy(float)
        positive[np.asarray(idx)] = pos
        kind.loc[idx] = np.where(np.isnan(pos), found.map(lambda t: t[0]).to_numpy(object), pd.NA)
    if problems:
        raise InputFileError(source, "answer(s) not on the item's answer scale (add each to its positive, negative "
                             "or excluded answers): " + "; ".join(problems), column=column)
    return positive, kind
