"""How good are the themes? Figures computed on every run.

- :func:`outlier_share`: share of modelled comments left unassigned (-1).
- :func:`topic_diversity`: share of unique terms among all themes' top-10 terms
  (1 = no theme repeats another's words; Dieng et al. 2020).
- :func:`npmi_coherence`: normalised pointwise mutual information of each
  theme's top terms, from co-occurrence in the same comment across the corpus
  (-1 never together, 0 independent, 1 always together); computed with a sparse
  document-term matrix, no gensim needed.
- :func:`stability`: agreement (ARI, NMI) between two fits with different seeds.
- :func:`agreement`, :func:`theme_precision_recall`: against human codes, where
  they exist (each comment's dominant code, :func:`dominant_code`).

Non-answers (theme -2) are never scored: they were not modelled. Comments left
unassigned (-1) count as one group of their own in the agreement scores, as they
would for a reader of the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.core import vocab


def _modelled(topics: pd.Series | np.ndarray) -> np.ndarray:
    values = np.asarray(topics, dtype=int)
    return values != vocab.NON_ANSWER_THEME_ID


def outlier_share(topics: pd.Series | np.ndarray) -> float:
    """Share of modelled comments (theme != -2) left unassigned (-1); NaN if none modelled."""
    values = np.asarray(topics, dtype=int)
    modelled = values[_modelled(values)]
    return float((modelled == vocab.OUTLIER_THEME_ID).mean()) if len(modelled) else float("nan")


def topic_diversity(top_words: Mapping[int, Sequence[str]] | pd.DataFrame, *, top_k: int = 10) -> float:
    """Share of unique terms among the themes' top ``top_k`` terms.

    Parameters
    ----------
    top_words
        Theme id -> ranked terms, or a topics table with ``topic`` and ``top_words``.
        Themes -1 and -2 are ignored.
    top_k
        Terms per theme.

    Returns
    -------
    float
        In (0, 1]; NaN when there are no themes.
    """
    words = _top_words_dict(top_words)
    terms = [w for ws in words.values() for w in list(ws)[:top_k]]
    return len(set(terms)) / len(terms) if terms else float("nan")


def _top_words_dict(top_words: Mapping[int, Sequence[str]] | pd.DataFrame) -> dict[int, list[str]]:
    if isinstance(top_words, pd.DataFrame):
        top_words = dict(zip(top_words["topic"], top_words["top_words"], strict=True))
    return {int(t): [str(w) for w in ws] for t, ws in top_words.items() if int(t) >= 0}


def npmi_coherence(texts: Sequence[str], top_words: Mapping[int, Sequence[str]] | pd.DataFrame, *,
                   top_k: int = 10, ngram_max: int = 2) -> pd.DataFrame:
    """NPMI coherence of each theme's top terms, by co-occurrence within comments.

    Parameters
    ----------
    texts
        The corpus the themes were fitted on (one comment per item).
    top_words
        Theme id -> ranked terms (or a topics table with ``topic``, ``top_words``).
    top_k
        Terms per theme.
    ngram_max
        Longest n-gram among the terms (matches the model's vectorizer).

    Returns
    -------
    pd.DataFrame
        ``topic``, ``npmi`` (mean over term pairs that both occur in the corpus;
        a pair never seen together scores -1), ``n_pairs``. Use ``npmi.mean()``
        for one figure.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    words = {t: [w.lower() for w in ws[:top_k]] for t, ws in _top_words_dict(top_words).items()}
    vocabulary = sorted({w for ws in words.values() for w in ws})
    if not vocabulary or not len(texts):
        return pd.DataFrame({"topic": pd.Series(dtype=int), "npmi": pd.Series(dtype=float),
                             "n_pairs": pd.Series(dtype=int)})
    lengths = [len(w.split()) for w in vocabulary]
    vectorizer = CountVectorizer(vocabulary=vocabulary, ngram_range=(1, max(ngram_max, *lengths)),
                                 binary=True, lowercase=True)
    presence = vectorizer.transform([str(t) for t in texts]).tocsc().astype(np.float64)
    n_docs = presence.shape[0]
    doc_freq = np.asarray(presence.sum(axis=0)).ravel()
    co = (presence.T @ presence).toarray()
    column = {w: i for i, w in enumerate(vocabulary)}
    rows = []
    for topic, ws in sorted(words.items()):
        scores = []
        idx = [column[w] for w in ws if doc_freq[column[w]] > 0]
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                i, j = idx[a], idx[b]
                joint = co[i, j] / n_docs
                if joint <= 0:
                    scores.append(-1.0)
                    continue
                p_i, p_j = doc_freq[i] / n_docs, doc_freq[j] / n_docs
                if joint >= 1.0:  # both terms in every comment: perfectly associated
                    scores.append(1.0)
                    continue
                scores.append(float(np.log(joint / (p_i * p_j)) / -np.log(joint)))
        rows.append({"topic": topic, "npmi": float(np.mean(scores)) if scores else float("nan"),
                     "n_pairs": len(scores)})
    return pd.DataFrame(rows)


def agreement(topics: pd.Series | np.ndarray, labels: pd.Series | np.ndarray, *,
              include_non_answers: bool = False) -> dict[str, float]:
    """NMI and ARI between theme assignments and reference labels.

    Parameters
    ----------
    topics
        Theme per comment (-1 is kept as one group).
    labels
        Reference label per comment (human code, or another run's themes);
        missing labels are dropped.
    include_non_answers
        False (default): score substantive comments only (-2 rows dropped).
        True: keep -2 as one more group, which is how a reader sees the
        output and how a model that does not set non-answers aside is scored.

    Returns
    -------
    dict
        ``nmi`` (arithmetic normalisation, sklearn's default), ``ari``, ``n`` (comments scored).
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    t = pd.Series(np.asarray(topics, dtype=int))
    lab = pd.Series(np.asarray(labels, dtype=object)).astype("string")
    keep = lab.notna().to_numpy().copy()
    if not include_non_answers:
        keep &= (t != vocab.NON_ANSWER_THEME_ID).to_numpy()
    if keep.sum() == 0:
        return {"nmi": float("nan"), "ari": float("nan"), "n": 0}
    t_kept, lab_kept = t[keep].to_numpy(), lab[keep].to_numpy(dtype=object)
    return {
        "nmi": float(normalized_mutual_info_score(lab_kept, t_kept)),
        "ari": float(adjusted_rand_score(lab_kept, t_kept)),
        "n": int(keep.sum()),
    }


def stability(topics_a: pd.Series | np.ndarray, topics_b: pd.Series | np.ndarray) -> dict[str, float]:
    """Agreement between two fits of the same comments (e.g. two seeds): ARI and NMI.

    Theme ids are arbitrary per fit; ARI and NMI do not depend on them.
    Comments that are non-answers (-2) in either fit are dropped.
    """
    a = np.asarray(topics_a, dtype=int)
    b = np.asarray(topics_b, dtype=int)
    if a.shape != b.shape:
        raise ValueError("stability needs the two fits' assignments for the same comments")
    keep = (a != vocab.NON_ANSWER_THEME_ID) & (b != vocab.NON_ANSWER_THEME_ID)
    return agreement(a[keep], b[keep].astype(str))


def theme_precision_recall(topics: pd.Series | np.ndarray, labels: pd.Series | np.ndarray) -> pd.DataFrame:
    """Map each theme to its majority human code; precision and recall of that mapping.

    Parameters
    ----------
    topics, labels
        As for :func:`agreement` (themes -1 and -2 are not scored as themes).

    Returns
    -------
    pd.DataFrame
        One row per theme: ``topic``, ``size`` (labelled comments in it),
        ``majority_code``, ``precision`` (share of the theme carrying that code),
        ``recall`` (share of that code's comments, among all modelled comments,
        that the theme holds), ``f1``.
    """
    t = pd.Series(np.asarray(topics, dtype=int))
    lab = pd.Series(np.asarray(labels, dtype=object)).astype("string")
    keep = (t != vocab.NON_ANSWER_THEME_ID) & lab.notna()
    frame = pd.DataFrame({"topic": t[keep].to_numpy(), "code": lab[keep].to_numpy()})
    code_totals = frame["code"].value_counts()
    rows = []
    for topic, group in frame[frame["topic"] >= 0].groupby("topic", sort=True):
        counts = group["code"].value_counts()
        # Ties go to the alphabetically first code so the mapping is reproducible.
        best = sorted(counts[counts == counts.max()].index)[0]
        precision = counts[best] / len(group)
        recall = counts[best] / code_totals[best]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"topic": int(topic), "size": len(group), "majority_code": best,
                     "precision": float(precision), "recall": float(recall), "f1": float(f1)})
    return pd.DataFrame(rows, columns=["topic", "size", "majority_code", "precision", "recall", "f1"])


def dominant_code(onehot: pd.DataFrame, *, rule: str = "rarest") -> pd.Series:
    """One human code per comment from one-hot code columns (1/blank, several may be set).

    Parameters
    ----------
    onehot
        One column per code; a cell counts as set when it is numeric and > 0
        (or "1"/"yes"/"true" text).
    rule
        "rarest": of a comment's codes, the one used least often in the whole
        file (the most specific, e.g. "Parking" over "Positive experience");
        "first": the first set column, in column order. Ties go to column order.

    Returns
    -------
    pd.Series
        Code name (the column name) or NA where no code is set; same index.
    """
    if rule not in ("rarest", "first"):
        raise ValueError("rule must be 'rarest' or 'first'")
    flags = onehot.apply(_truthy).to_numpy(dtype=bool)
    names = np.asarray(onehot.columns, dtype=object)
    if rule == "rarest":
        freq = flags.sum(axis=0)
        order = np.argsort(freq, kind="stable")
    else:
        order = np.arange(flags.shape[1])
    ordered = flags[:, order]
    has = ordered.any(axis=1)
    first = ordered.argmax(axis=1)
    result = np.where(has, names[order][first], None)
    return pd.Series(result, index=onehot.index, dtype="string", name="dominant_code")


def _truthy(column: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(column, errors="coerce")
    text = column.astype("string").str.strip().str.lower()
    return (numeric.fillna(0) > 0) | text.isin(["yes", "true", "y", "x"]).fillna(False)


def quality_summary(topics: pd.Series | np.ndarray, texts: Sequence[str], top_words: Any, *,
                    labels: pd.Series | np.ndarray | None = None, ngram_max: int = 2) -> dict[str, Any]:
    """Headline quality figures for one fit.

    Parameters
    ----------
    topics
        Theme per comment, aligned with ``texts`` (all rows; -2 rows are skipped).
    texts
        Comment texts.
    top_words
        Theme id -> ranked terms, or the topics table.
    labels
        Human codes per comment, if any (adds ``nmi``, ``ari``, ``n_labelled``).

    Returns
    -------
    dict
        n_documents (modelled), n_non_answers, n_themes, outlier_share, diversity,
        coherence_npmi, and nmi/ari/n_labelled when labels are given.
    """
    t = np.asarray(topics, dtype=int)
    modelled = _modelled(t)
    words = _top_words_dict(top_words)
    texts_arr = np.asarray(list(texts), dtype=object)
    coherence = npmi_coherence(texts_arr[modelled].tolist(), words, ngram_max=ngram_max)
    out: dict[str, Any] = {
        "n_documents": int(modelled.sum()),
        "n_non_answers": int((~modelled).sum()),
        "n_themes": int(len({x for x in t.tolist() if x >= 0})),
        "outlier_share": outlier_share(t),
        "diversity": topic_diversity(words),
        "coherence_npmi": float(coherence["npmi"].mean()) if len(coherence) else float("nan"),
    }
    if labels is not None:
        scores = agreement(t, labels)
        out.update({"nmi": scores["nmi"], "ari": scores["ari"], "n_labelled": scores["n"]})
    return out
