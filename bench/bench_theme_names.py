"""Measure theme names and stances against human coders on real labelled NHS feedback.

Not a test. Run from the repository root::

    .venv/bin/python bench/bench_theme_names.py          # or: make bench-theme-names
    .venv/bin/python bench/bench_theme_names.py --per-group 80 --min-group 30

Data: the NHS England FFT comments with human codes (../shared, 7.9k rows). Each
non-empty comment's human code is its dominant code (the rarest of its codes in
the file, as in ``bench/bench_themes.py``); the comments of one code stand in for
one theme ("Labelling not possible" and "Not assigned" are left out, and so are
codes with fewer than ``--min-group`` comments). Comments are de-identified
(:mod:`analysis.present.deidentify`) before anything reads them, and at most
``--per-group`` comments per code are used (sampled with ``--seed``).

(a) **Names.** Each group is named with :func:`analysis.themes.naming.theme_name`
(phrases embedded by the packaged encoder, through the embedding cache). The old
label is the group's top three c-TF-IDF terms (sklearn, 1-2 grams, English stop
words; a term repeating a chosen word is skipped, as the old ``auto_label`` did),
joined with " / ". The score of a labelling is the share of groups whose label's
nearest codebook category (cosine, same encoder) is the group's own code. The
codebook is the evaluated codes themselves, embedded (i) by name and (ii) by name
plus the first sentence of the QDC framework description where the framework
(``qdc_framework.xlsx``, a later version) has a sub-category of that name. Note that
c-TF-IDF sees every group at once (its terms are chosen to tell groups apart),
while ``theme_name`` sees only its own group.

(b) **Stance.** Per comment, :func:`~analysis.themes.naming.comment_sentiment`
(VADER, with and without the domain lexicon) cut at the stance thresholds
(>= 0.3 positive, <= -0.05 negative) against the human ``Comment sentiment``
(1-2 positive, 3 neutral, 4-5 negative; blanks left out): accuracy, macro F1
and the confusion matrix. Per code, :func:`~analysis.themes.naming.theme_stance`
from VADER scores against the same rule applied to the human codes (scores
1 -> 0.8, 2 -> 0.5, 3 -> 0, 4 -> -0.5, 5 -> -0.8), with the same question kinds
("What was good?" is a praise question, "How could we improve?" and "What could
we do better?" suggestion questions, the rest open), on the same comments.

Writes a markdown table to stdout and everything to ``bench/results/theme_names.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

START = time.perf_counter()
# Before numpy or torch load: the same arithmetic as the report (if the project still pins it).
from analysis.core.numerics import apply_portable_numerics  # noqa: E402, I001

apply_portable_numerics()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from common import QUESTION, TEXT, fft_comments  # noqa: E402 - bench/common.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "theme_names.json"
SENTIMENT = "Comment sentiment"
LEFT_OUT = ("Labelling not possible", "Not assigned")
QUESTION_KIND = {
    "What was good?": "praise",
    "How could we improve?": "suggestion",
    "What could we do better?": "suggestion",
}
HUMAN_SCORE = {"1": 0.8, "2": 0.5, "3": 0.0, "4": -0.5, "5": -0.8}
HUMAN_CLASS = {"1": "positive", "2": "positive", "3": "neutral", "4": "negative", "5": "negative"}
CLASSES = ["positive", "neutral", "negative"]
MIN_WORDS = 3  # shorter answers are set aside as non-answers before theming


def load(min_group: int, per_group: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All non-empty comments (for stance), and the sampled groups (for names)."""
    # Codes are ranked over every non-empty comment (as in bench_themes.py); then short answers
    # ("Nothing.", "All good") are left out, as the theme pipeline sets non-answers aside.
    frame, codes = fft_comments()
    frame["code"] = codes
    question = frame[QUESTION].map(lambda q: " ".join(q.split()))
    frame["kind"] = question.map(lambda q: QUESTION_KIND.get(q, "open"))
    frame = frame[frame[TEXT].str.split().str.len() >= MIN_WORDS].reset_index(drop=True)
    sizes = frame["code"].value_counts()
    codes = sorted(c for c, n in sizes.items() if n >= min_group and c not in LEFT_OUT)
    parts = []
    for i, code in enumerate(codes):
        rows = frame[frame["code"] == code]
        parts.append(rows.sample(n=min(per_group, len(rows)), random_state=seed + i).sort_index())
    return frame, pd.concat(parts)


def codebook_texts(codes: list[str]) -> dict[str, list[str]]:
    """The codes as category texts: names alone, and names with the framework's first sentence."""
    from analysis.core import paths

    xlsx = paths.SHARED_DIR / "data" / "fft_feedback" / "qdc_framework.xlsx"
    details = pd.read_excel(xlsx, sheet_name="MVP framework details")
    first = {}
    for name, text in zip(details["Sub-category"], details["Sub-category description"], strict=True):
        if isinstance(name, str) and isinstance(text, str):
            first[name.strip().lower()] = " ".join(text.split()).split(". ")[0].rstrip(".")
    described = [f"{c}: {first[c.lower()]}" if c.lower() in first else c for c in codes]
    return {"names": list(codes), "names_descriptions": described,
            "n_described": [sum(c.lower() in first for c in codes)]}


def ctfidf_labels(docs: pd.Series, groups: pd.Series) -> dict[str, str]:
    """The old label: each group's top three c-TF-IDF terms joined with " / "."""
    from sklearn.feature_extraction.text import CountVectorizer

    codes = sorted(groups.unique())
    joined = [" ".join(docs[groups == c]) for c in codes]
    vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2)
    counts = vectorizer.fit_transform(joined).toarray().astype(float)
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    labels = {}
    for row, code in enumerate(codes):
        chosen: list[str] = []
        used: set[str] = set()
        for j in np.argsort(-scores[row], kind="stable"):
            tokens = set(terms[j].split())
            if tokens <= used or (len(tokens) == 1 and any(tokens & set(c.split()) for c in chosen)):
                continue
            chosen.append(terms[j])
            used |= tokens
            if len(chosen) == 3:
                break
        labels[code] = " / ".join(chosen)
    return labels


def name_scores(groups: pd.DataFrame, texts: pd.Series, vectors: np.ndarray, embed) -> tuple[dict, list[dict]]:  # noqa: ANN001
    from analysis.themes.naming import nearest_category, theme_name

    codes = sorted(groups["code"].unique())
    old = ctfidf_labels(texts, groups["code"])
    masks = [(groups["code"] == code).to_numpy() for code in codes]
    centroids = np.stack([vectors[m].mean(axis=0) for m in masks])
    rows, t = [], time.perf_counter()
    for i, (code, mask) in enumerate(zip(codes, masks, strict=True)):
        named = theme_name(texts[mask].tolist(), vectors[mask], centroids[i], encoder_vectors_of=embed,
                           others=np.delete(centroids, i, axis=0))
        rows.append({"code": code, "n": int(mask.sum()), "name": named.name, "key_phrases": list(named.key_phrases),
                     "description": named.description, "old_label": old[code]})
    naming_seconds = time.perf_counter() - t
    books = codebook_texts(codes)
    scores: dict = {"n_groups": len(codes), "chance": 1 / len(codes), "naming_seconds": naming_seconds,
                    "n_codes_with_framework_description": books.pop("n_described")[0]}
    labels = {"name": [r["name"] for r in rows], "name + key phrases": [
        f"{r['name']}: {', '.join(r['key_phrases'])}" for r in rows], "description": [r["description"] for r in rows],
        "old label (c-TF-IDF top 3)": [r["old_label"] for r in rows]}
    for book, category_texts in books.items():
        category_vectors = embed(category_texts)
        for what, label_texts in labels.items():
            nearest = nearest_category(embed(label_texts), category_vectors, codes)
            hits = (nearest["category"] == pd.Series(codes)).to_numpy()
            sims = category_vectors @ embed(label_texts).T  # categories x labels
            rank = (sims > sims[np.arange(len(codes)), np.arange(len(codes))]).sum(axis=0)
            scores[f"{book} | {what}"] = {"top1": float(hits.mean()), "top3": float((rank < 3).mean()),
                                         "mean_rank": float(rank.mean() + 1)}
            if what in ("name", "old label (c-TF-IDF top 3)"):
                key = "nearest_by_name" if what == "name" else "nearest_by_old_label"
                for r, hit, cat in zip(rows, hits, nearest["category"], strict=True):
                    r.setdefault(key, {})[book] = {"category": cat, "hit": bool(hit)}
    return scores, rows


def _vote(score: float, kind: str, cue: bool) -> str:
    """One comment's vote under theme_stance's rule (its steps 1-4), for the per-comment check."""
    from analysis.themes.naming import CUE_OUTWEIGHS_BELOW

    if score <= -0.05:
        return "concern"
    if cue and score < CUE_OUTWEIGHS_BELOW:
        return "suggestion"
    if score >= 0.3:
        return "praise"
    return kind if kind in ("praise", "suggestion") else "none"


def _confusion(human: pd.Series, ours: np.ndarray, labels: list[str], ours_labels: list[str]) -> dict:
    table = pd.crosstab(pd.Categorical(human, categories=labels), pd.Categorical(ours, categories=ours_labels),
                        dropna=False)
    return {str(h): {str(o): int(table.loc[h, o]) for o in table.columns} for h in table.index}


def stance_scores(frame: pd.DataFrame, codes: list[str], min_group: int) -> tuple[dict, list[dict]]:
    from sklearn.metrics import accuracy_score, f1_score

    from analysis.themes.naming import comment_sentiment, suggestion_cue, theme_stance

    coded = frame[frame[SENTIMENT].isin(list(HUMAN_CLASS))].reset_index(drop=True)
    human = coded[SENTIMENT].map(HUMAN_CLASS)
    out: dict = {"n_comments": len(coded), "human_classes": human.value_counts().to_dict()}
    t = time.perf_counter()
    compounds = {d: comment_sentiment(coded[TEXT], domain=d) for d in (True, False)}
    cues = suggestion_cue(coded[TEXT])
    out["vader_seconds_both"] = time.perf_counter() - t
    out["suggestion_cue_share"] = float(cues.mean())
    for domain, compound in compounds.items():
        ours = np.where(compound >= 0.3, "positive", np.where(compound <= -0.05, "negative", "neutral"))
        out["sentiment: vader + domain lexicon" if domain else "sentiment: vader as published"] = {
            "accuracy": float(accuracy_score(human, ours)),
            "macro_f1": float(f1_score(human, ours, labels=CLASSES, average="macro")),
            "confusion_rows_human_cols_ours": _confusion(human, ours, CLASSES, CLASSES),
        }
    # The vote each comment casts in theme_stance (question kind and cue included), against the human
    # code: praise ~ positive, concern or suggestion ~ negative (coders mark suggestions negative), none ~ neutral.
    votes = np.array([_vote(s, k, c) for s, k, c in zip(compounds[True], coded["kind"], cues, strict=True)])
    as_class = pd.Series(votes).map({"praise": "positive", "concern": "negative", "suggestion": "negative",
                                     "none": "neutral"}).to_numpy()
    out["vote: sentiment + question kind + cue"] = {
        "accuracy": float(accuracy_score(human, as_class)),
        "macro_f1": float(f1_score(human, as_class, labels=CLASSES, average="macro")),
        "confusion_rows_human_cols_vote": _confusion(human, votes, CLASSES, ["praise", "concern", "suggestion", "none"]),
    }
    human_score = coded[SENTIMENT].map(HUMAN_SCORE)
    rows = []
    for code in codes:
        mask = (coded["code"] == code).to_numpy()
        if mask.sum() < min_group // 2:
            continue
        kinds = coded.loc[mask, "kind"].tolist()
        opens = ["open"] * int(mask.sum())
        rows.append({
            "code": code, "n_with_sentiment": int(mask.sum()),
            "human": theme_stance(human_score[mask], kinds),
            "ours": theme_stance(compounds[True][mask], kinds, suggests=cues[mask]),
            "ours_no_cue": theme_stance(compounds[True][mask], kinds),
            "ours_published_vader": theme_stance(compounds[False][mask], kinds),
            "ours_without_question": theme_stance(compounds[True][mask], opens, suggests=cues[mask]),
            "human_without_question": theme_stance(human_score[mask], opens),
        })
    table = pd.DataFrame(rows)
    critical = {"suggestion": "concern"}
    out["per_code"] = {
        "n_codes": len(table),
        "agreement": float((table["ours"] == table["human"]).mean()),
        "agreement_suggestion_as_concern": float(
            (table["ours"].replace(critical) == table["human"].replace(critical)).mean()),
        "agreement_no_cue": float((table["ours_no_cue"] == table["human"]).mean()),
        "agreement_published_vader": float((table["ours_published_vader"] == table["human"]).mean()),
        "agreement_without_question": float(
            (table["ours_without_question"] == table["human_without_question"]).mean()),
        "human_stances": table["human"].value_counts().to_dict(),
        "our_stances": table["ours"].value_counts().to_dict(),
    }
    return out, rows


def markdown(names: dict, stance: dict, rows: list[dict]) -> str:
    lines = ["| label | codebook | top-1 | top-3 | mean rank |", "|---|---|---|---|---|"]
    for key, value in names.items():
        if isinstance(value, dict):
            book, what = key.split(" | ")
            lines.append(f"| {what} | {book.replace('_', ' + ')} | {value['top1']:.2f} | {value['top3']:.2f} | "
                         f"{value['mean_rank']:.1f} |")
    lines.append(f"\n{names['n_groups']} groups (human codes); chance top-1 {names['chance']:.2f}.\n")
    lines += [f"| per comment ({stance['n_comments']} with a human sentiment code) | accuracy | macro F1 |",
              "|---|---|---|"]
    for key, value in stance.items():
        if isinstance(value, dict) and "accuracy" in value:
            lines.append(f"| {key} | {value['accuracy']:.2f} | {value['macro_f1']:.2f} |")
    per = stance["per_code"]
    lines += ["", f"| stance per code ({per['n_codes']} codes), agreement with the human-sentiment stance | share |",
              "|---|---|",
              f"| theme_stance (VADER + domain lexicon, question kinds, cues) | {per['agreement']:.2f} |",
              f"| the same, suggestion counted as concern | {per['agreement_suggestion_as_concern']:.2f} |",
              f"| without suggestion cues | {per['agreement_no_cue']:.2f} |",
              f"| VADER as published | {per['agreement_published_vader']:.2f} |",
              f"| without question kinds (both sides) | {per['agreement_without_question']:.2f} |", ""]
    lines += ["| code | n | name | old label | stance (human) |", "|---|---|---|---|---|"]
    for r in rows:
        st = r.get("stance") or {}
        lines.append(f"| {r['code']} | {r['n']} | {r['name']} | {r['old_label']} | "
                     f"{st.get('ours', '–')} ({st.get('human', '–')}) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=150, help="comments per code at most (sampled)")
    parser.add_argument("--min-group", type=int, default=20, help="smallest code evaluated")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-cache", action="store_true", help="do not use the embedding cache in data/interim")
    args = parser.parse_args()

    from analysis.present.deidentify import redact_series
    from analysis.themes.embeddings import default_cache_dir, embed_texts, load_model

    frame, groups = load(args.min_group, args.per_group, args.seed)
    t = time.perf_counter()
    texts, _ = redact_series(groups[TEXT].reset_index(drop=True))
    deidentify_seconds = time.perf_counter() - t
    model = load_model()
    cache = None if args.no_cache else default_cache_dir(ROOT / "data" / "interim")

    def embed(phrases: list[str]) -> np.ndarray:
        return embed_texts(phrases, model=model, cache_dir=cache)[0]

    t = time.perf_counter()
    vectors = embed(texts.tolist())
    embed_seconds = time.perf_counter() - t
    groups = groups.reset_index(drop=True)
    names, rows = name_scores(groups, texts, vectors, embed)
    stance, stance_rows = stance_scores(frame, sorted(groups["code"].unique()), args.min_group)
    for row in rows:
        row["stance"] = next((s for s in stance_rows if s["code"] == row["code"]), None)
    table = markdown(names, stance, rows)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "data": "shared/data/fft_feedback/fft_feedback_v6framework.csv (non-empty comments, de-identified)",
        "settings": vars(args),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "seconds": {"deidentify": deidentify_seconds, "embed_comments": embed_seconds,
                    "total": time.perf_counter() - START},
        "names": names, "stance": stance, "groups": rows, "markdown": table,
    }, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
