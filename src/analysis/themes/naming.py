"""Readable, neutral theme names and a stance per theme, without a hosted language model.

A model theme used to be named by its top c-TF-IDF terms joined with " / "
("box exercise / tick box / ticking box"), which a reader cannot use and which
can read backwards: a theme of praise ("not just a tick box exercise") looks like
a complaint. This module gives each theme

- a **name** (:func:`theme_name`): 2-6 words in sentence case, from the noun
  phrases of the theme's most central comments, ranked KeyBERT-style by how
  close each phrase's embedding is to the theme centroid, with maximal marginal
  relevance (MMR) so that the phrases chosen are not near-copies of each other.
  Sentiment words are taken out of the phrases (from VADER's lexicon: "lovely
  staff" and "rude staff" both give "staff"), so a name says what a theme is
  about, never what people thought of it;
- a **description**: one sentence, "People describe <phrases>, for example
  "<the medoid comment, trimmed>"." The medoid is the comment closest to the
  centroid. It is a quote: pass de-identified text, and publish it only where a
  quote from that theme may be published (the disclosure rules);
- a **stance** (:func:`theme_stance`): praise, concern, suggestion or mixed,
  from per-comment sentiment (:func:`comment_sentiment`, VADER, whose lexicon
  ships inside the ``vaderSentiment`` package) together with the kind of
  question each comment answers ("what works well" is a praise question, "what
  should change" a suggestion question).

Noun phrases come from spaCy's ``en_core_web_sm`` (the package the
de-identification layer verifies and uses). De-identification loads it without
its tagger and parser, which noun chunks need, so this module loads its own
copy (tagger, parser, lemmatizer; no entity recogniser) from the same verified
folder: nothing is downloaded. The embedding of a phrase comes from a function
the caller passes (``encoder_vectors_of``), normally the project's cached
encoder; without one, a phrase is placed at the mean of the comments that use it.

A phrase as close to another theme's centroid as to its own names neither: pass the
other themes' centroids (``others``) and such phrases are marked down, which on the
human-coded FFT comments lifted the share of names that land in their own code from 0.23
to about 0.5 in development runs of the benchmark.

Measured, not asserted (``bench/bench_theme_names.py``, 35 human codes of the real FFT
comments standing in for themes, ``bench/results/theme_names.json``): the name's nearest
codebook category is the group's own code for 0.51 of groups (0.63 for the name with its
key phrases, against category names with descriptions), against 0.60-0.66 for the old
c-TF-IDF label, which is neutral only by accident and reads backwards on praise; chance is
0.03. Per comment, VADER with :data:`DOMAIN_LEXICON` agrees with the human sentiment code
(positive / neutral / negative) for 0.61 of comments (0.58 as published); the stance vote
with question kinds and suggestion cues for 0.69. VADER misses many mild complaints, so
themes the coders see as mixed often come out as praise (stance agreement per code 0.46).

(Longer than the usual 500 lines: names and stances are one public surface that the theme
book calls together, and half of the module is docstrings and the documented rules.)
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CUE_OUTWEIGHS_BELOW",
    "DOMAIN_LEXICON",
    "QUESTION_KINDS",
    "STANCES",
    "ThemeName",
    "comment_sentiment",
    "map_question_kinds",
    "nearest_category",
    "suggestion_cue",
    "theme_name",
    "theme_stance",
]

#: A caller's encoder: list of phrases -> float array, one L2-normalised row per phrase.
Embed = Callable[[list[str]], np.ndarray]

#: What :func:`theme_stance` returns.
STANCES: tuple[str, ...] = ("praise", "concern", "suggestion", "mixed")
#: Kinds of question a comment can answer; the caller maps its own question ids to these.
QUESTION_KINDS: tuple[str, ...] = ("praise", "suggestion", "open")

#: Words VADER's general lexicon lacks (or misses in this setting), on its -4..+4 scale, set
#: near VADER's own values for similar words. "tickbox" and "lipservice" stand for the
#: phrases rewritten to them by :func:`_sentiment_text`, so that VADER's own negation rule
#: applies ("not just a tick box exercise" is praise; "felt like a tick box exercise" is not).
DOMAIN_LEXICON: dict[str, float] = {
    "tickbox": -1.5, "lipservice": -1.5, "tokenistic": -1.8, "tokenism": -1.8,
    "patronising": -1.8, "patronizing": -1.8, "dismissive": -1.8, "dismissed": -1.2,
    "unhelpful": -1.8, "disorganised": -1.2, "inefficient": -1.5, "understaffed": -1.5,
    "rushed": -1.2, "delays": -1.3, "canceled": -1.0, "unanswered": -1.2,
    "listened": 1.5, "listening": 1.2, "understood": 1.2, "organised": 1.2, "organized": 1.2,
    "professional": 1.5, "professionally": 1.5, "approachable": 1.8, "informative": 1.5,
    "thorough": 1.5, "prompt": 1.2, "promptly": 1.2,
}

# Phrases rewritten before scoring (domain=True). Order matters: a later rule sees the earlier output.
_SENTIMENT_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:tick(?:ing|ed)?[\s-]*box(?:es|ing)?|box[\s-]*tick(?:ing|er|ers)?)\b", re.I), "tickbox"),
    (re.compile(r"\blip[\s-]*service\b", re.I), "lipservice"),
    # "nothing to improve" is no complaint (VADER reads "nothing" as negating "improve").
    (re.compile(r"\bnothing\s+(?:(?:i|we|you)\s+(?:would|could)\s+|(?:to|that\s+needs?\s+to|needs?\s+to)\s+(?:be\s+)?)"
                r"(?:improve|improved|change|changed|better)\b", re.I), "no complaints"),
    (re.compile(r"\bshort[\s-]*staffed\b", re.I), "understaffed"),
    # "felt like", "would like": comparison or request, not liking (VADER scores "like" +1.5).
    (re.compile(r"\b(felt|feel|feels|feeling|look|looks|looked|seem|seems|seemed|sound|sounds|sounded|just"
                r"|things|stuff|something|anything|would|i'd|we'd|i’d|we’d)\s+like\b", re.I), r"\1 as"),
    # A wish is a suggestion, not praise: "could be better", "would be nice if", "would help".
    (re.compile(r"\b(could|would|should|might|may|can|needs?\s+to|has\s+to|have\s+to)\s+(?:have\s+)?(?:be|been)\s+"
                r"(?:a\s+)?(?:bit\s+|lot\s+|little\s+|much\s+|so\s+much\s+|even\s+|far\s+|more\s+)?"
                r"(?:better|nicer|good|great|nice|helpful|easier|clearer|quicker|faster|useful|improved)\b", re.I),
     r"\1 change"),
    (re.compile(r"\b(could|would|might|can|should)\s+(?:really\s+)?(?:help|improve)\b", re.I), r"\1 change"),
    # Waiting and not being answered, the commonest complaints VADER scores 0; "delay" keeps
    # VADER's negation ("didn't have a long wait" is praise).
    (re.compile(r"\b(?:too|very|so|really|extremely)\s+(?:long|slow)\b", re.I), "delay"),
    (re.compile(r"\b(?:a\s+)?long\s+(?:time|wait|waits|waiting|delay|delays)\b", re.I), "delay"),
    (re.compile(r"\bstill\s+waiting\b", re.I), "still delay"),
    (re.compile(r"\b(?:over|more\s+than|nearly|almost)\s+(?:an?|\d+|one|two|three|four|five|six|several)\s+"
                r"(?:hours?|days?|weeks?|months?)\b", re.I), r"\g<0> delay"),
    (re.compile(r"\b(?:no[\s-]?one|nobody)\s+(?:\w+\s+)?(?:answered|called|rang|came|listened|explained|told"
                r"|contacted|got\s+back|returned|phoned|bothered)\b", re.I), "ignored"),
)

# A sentence that opens as a request or proposal ("More staff", "Could you...", "There needs to be").
# On the human-coded FFT comments such comments are coded negative eight times as often as positive.
_SUGGESTION_CUE = re.compile(
    r"(?:^|[.!?;]\s+)(?:more|less|fewer|better|make|try|provide|offer|add|increase|reduce|stop|perhaps|maybe|please"
    r"|needs?|there\s+(?:needs|should|could|must)|should|could|would|it\s+would|it\s+could|(?:i|we)\s+would\s+like"
    r"|(?:i|we)['’]d\s+like|allow|ensure|employ|hire|speed|have\s+(?:more|a|an|longer|shorter|better|someone)"
    r"|get\s+(?:more|a|an|better)|give\s+(?:more|people|patients))\b",
    re.I,
)
#: A comment with a suggestion cue is a suggestion unless its compound score reaches this.
CUE_OUTWEIGHS_BELOW = 0.6
_TAG = re.compile(r"<[^>]*>")
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]{1,24}\]")
_LONG_TOKEN = re.compile(r"\S{26,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME_UNSAFE = re.compile(r"[^\w &'’/-]")
_MAX_CHARS = 1000  # of a comment sent to the parser: the opening says what it is about
_MAX_PHRASE_TOKENS = 4
_MAX_CANDIDATES = 60
_EXCERPT_WORDS = 20
# Parts of speech trimmed from the edges of a noun chunk ("the", "my", "very", "5").
_EDGE_POS = frozenset({"DET", "PRON", "ADP", "CCONJ", "SCONJ", "PART", "PUNCT", "SYM", "AUX", "INTJ", "ADV",
                       "NUM", "X", "SPACE"})
# Heads that say nothing about a theme.
_GENERIC = frozenset({"thing", "lot", "lots", "bit", "way", "kind", "sort", "stuff", "everything", "anything",
                      "something", "nothing", "everyone", "anyone", "someone", "one", "time", "day", "today", "yes",
                      "no", "ok", "okay", "name", "etc", "example", "couple", "number", "need", "people", "person",
                      "patient", "ease", "experience", "lady", "man", "woman", "guy", "part", "place", "case", "fact",
                      "reason", "point", "whole", "all"})
_FALLBACK_NAME = "Other comments"
_FALLBACK_DESCRIPTION = "Comments with no phrase in common."


@dataclass(frozen=True)
class ThemeName:
    """A theme's readable name.

    Attributes
    ----------
    name
        2-6 words, sentence case, no markup, no placeholder, never starting with ``=+-@``.
    description
        One sentence: the key phrases and a trimmed quote of the medoid comment.
    key_phrases
        The ranked key phrases (lower case except acronyms), most central first.
    medoid
        Position in ``texts`` of the comment the description quotes (None if none could be used).
    """

    name: str
    description: str
    key_phrases: tuple[str, ...]
    medoid: int | None = None


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------
def _clean(text: object) -> str:
    """Comment text safe to parse: no markup, placeholders, control characters or runaway tokens."""
    if not isinstance(text, str):
        return ""
    out = _TAG.sub(" ", text[: _MAX_CHARS * 4])
    out = out.replace("<", " ").replace(">", " ")
    out = _PLACEHOLDER.sub(" ", out)
    out = _LONG_TOKEN.sub(" ", out)
    out = _CONTROL.sub(" ", out)
    out = " ".join(out.split())
    if len(out) > _MAX_CHARS:
        out = out[:_MAX_CHARS].rsplit(" ", 1)[0]
    return out


def _sentence_case(words: list[str]) -> str:
    first = words[0]
    if first[:1].islower():
        first = first[:1].upper() + first[1:]
    return " ".join([first, *words[1:]])


def _safe_name(text: str) -> str:
    """Keep letters, digits, spaces and ``&'’/-``; start with a letter or digit."""
    text = " ".join(_NAME_UNSAFE.sub(" ", text).split())
    return re.sub(r"^[\W_]+", "", text)


def _join_phrases(phrases: Sequence[str]) -> str:
    phrases = list(phrases)
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _excerpt(text: str, max_words: int = _EXCERPT_WORDS) -> str:
    """The first sentence, at most ``max_words`` words, without double quotes."""
    sentence = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0]
    words = sentence.replace('"', "'").replace("“", "'").replace("”", "'").split()
    cut = len(words) > max_words
    out = " ".join(words[:max_words]).rstrip(".,;:!?-–— ")
    return out + ("…" if cut or sentence != text else "")


# ---------------------------------------------------------------------------
# Models (loaded lazily, once per process)
# ---------------------------------------------------------------------------
_LOCK = threading.Lock()


@functools.cache
def _phrase_model() -> Any:
    """spaCy ``en_core_web_sm`` with tagger, parser and lemmatizer (for noun chunks), from the verified folder."""
    with _LOCK:
        import spacy

        # The de-identification layer's check that the folder is the pinned build (no download; one
        # hash per process). Its own loaded copy has no parser, so it cannot give noun chunks.
        from analysis.present.deidentify import _verified_model_dir

        return spacy.load(_verified_model_dir(), exclude=["ner"])


@functools.cache
def _analyzer(domain: bool) -> Any:
    """A VADER analyser (its lexicon is read from inside the package), with :data:`DOMAIN_LEXICON` if asked."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    if domain:
        analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


@functools.cache
def _valence() -> Mapping[str, float]:
    return _analyzer(False).lexicon


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------
def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def _display(token: Any, *, shouted: bool) -> str:
    """Lower case, except acronyms ("GP", "A&E") and names of places or services ("Bishop Auckland")."""
    text = token.text
    if shouted:  # a comment in capitals: its capitals say nothing
        return text.lower()
    if text.isupper() and 2 <= len(text) <= 5:
        return text
    if token.pos_ == "PROPN" and text[:1].isupper() and not token.is_sent_start:
        return text
    return text.lower()


def _shouted(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _junk(token: Any) -> bool:
    return token.pos_ in _EDGE_POS or token.is_stop or len(token.text) < 2


def _phrase_tokens(chunk: Any) -> list[Any]:
    """A noun chunk without edge words and sentiment words ("my very lovely nurse" -> "nurse")."""
    valence = _valence()
    tokens = [t for t in chunk if not (t.pos_ in {"ADJ", "ADV", "VERB"} and abs(valence.get(t.lower_, 0.0)) >= 1.0)]
    tokens = [t for t in tokens if t.pos_ != "ADV" and re.fullmatch(r"[^\W_][\w&'’-]*", t.text)]
    while tokens and _junk(tokens[0]):
        tokens.pop(0)
    while tokens and _junk(tokens[-1]):
        tokens.pop()
    if not tokens or tokens[-1].pos_ not in {"NOUN", "PROPN"}:
        return []
    return tokens[-_MAX_PHRASE_TOKENS:]


def _spans(tokens: list[Any]) -> list[list[Any]]:
    """The phrase and its sub-phrases that end in a noun ("food choice" -> "food choice", "food", "choice")."""
    out = []
    for start in range(len(tokens)):
        for end in range(start + 1, len(tokens) + 1):
            span = tokens[start:end]
            if _junk(span[0]) or span[-1].pos_ not in {"NOUN", "PROPN"}:
                continue
            if len(span) == 1 and span[0].lemma_.lower() in _GENERIC:
                continue
            out.append(span)
    return out


def _candidates(texts: list[str]) -> tuple[list[str], list[frozenset[str]], list[set[int]]]:
    """Noun phrases: display form, lemma set and the comments (positions) that use each one."""
    docs_of: dict[tuple[str, ...], set[int]] = defaultdict(set)
    surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for i, doc in enumerate(_phrase_model().pipe(texts)):
        shouted = _shouted(texts[i])
        for chunk in doc.noun_chunks:
            for tokens in _spans(_phrase_tokens(chunk)):
                key = tuple(t.lemma_.lower() for t in tokens)
                docs_of[key].add(i)
                surfaces[key][" ".join(_display(t, shouted=shouted) for t in tokens)] += 1
    # More comments first, then longer phrases (the more specific of equals), then alphabetical.
    keys = sorted(docs_of, key=lambda k: (-len(docs_of[k]), -len(k), k))
    shown = [min(surfaces[k].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0] for k in keys]
    return shown, [frozenset(k) for k in keys], [docs_of[k] for k in keys]


def _mmr(relevance: np.ndarray, similarity: np.ndarray, lemmas: list[frozenset[str]], *, top_n: int,
         diversity: float) -> list[int]:
    """Maximal marginal relevance; a phrase whose words are all in a chosen phrase is skipped."""
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(top_n, len(relevance)):
        redundancy = similarity[:, chosen].max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        for j in chosen:
            score[j] = -np.inf
        for j in range(len(score)):
            if any(lemmas[j] <= lemmas[c] for c in chosen):
                score[j] = -np.inf
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        chosen.append(best)
    return chosen


def _compose_name(phrases: list[str], lemmas: list[frozenset[str]], max_words: int) -> str:
    """The first phrase; a one-word phrase is widened to a longer top phrase that contains it
    ("nurses" -> "district nurses"), else joined with the next phrase sharing no word."""
    words = phrases[0].split()[-max_words:]
    if len(words) == 1:
        wider = [p for p, lemma in zip(phrases[1:4], lemmas[1:4], strict=False)
                 if lemmas[0] <= lemma and 1 < len(p.split()) <= max_words]
        if wider:
            return _safe_name(_sentence_case(wider[0].split()))
        for phrase, lemma in zip(phrases[1:], lemmas[1:], strict=True):
            extra = phrase.split()
            if not (lemma & lemmas[0]) and len(extra) + 2 <= max_words:
                words = [*words, "and", *extra]
                break
        else:
            words = ["Comments", "on", *words]
    return _safe_name(_sentence_case(words))


def _central(cleaned: list[str], vectors: np.ndarray, centroid: np.ndarray, n_central: int) -> list[int]:
    """Positions of the comments closest to the centroid, each distinct text once ("Nothing." x 40 is one)."""
    usable = [i for i, t in enumerate(cleaned) if re.search(r"[^\W\d_]{2}", t)]
    if not usable:
        return []
    closeness = _unit(vectors[usable]) @ centroid
    order = sorted(range(len(usable)), key=lambda k: (-round(float(closeness[k]), 9), usable[k]))
    seen: set[str] = set()
    central: list[int] = []
    for k in order:
        key = cleaned[usable[k]].casefold()
        if key not in seen:
            seen.add(key)
            central.append(usable[k])
            if len(central) == n_central:
                break
    return central


def theme_name(
    texts: Sequence[object],
    vectors: np.ndarray,
    centroid: np.ndarray,
    *,
    encoder_vectors_of: Embed | None = None,
    max_words: int = 6,
    others: np.ndarray | None = None,
    contrast: float = 1.0,
    support_weight: float = 0.3,
    n_central: int = 40,
    n_phrases: int = 5,
    diversity: float = 0.3,
) -> ThemeName:
    """Name a theme from its most central comments.

    Candidate phrases are the noun chunks of the ``n_central`` distinct comments
    closest to the centroid, without edge words ("the", "my", "very") and without
    sentiment words, used by at least two of them (when there are six or more).
    Each is scored

        cos(phrase, centroid) - contrast * max cos(phrase, other centroids)
        + support_weight * sqrt(share of the central comments using it)

    (the middle term only when ``others`` is given: a phrase as close to another
    theme is no name for this one), and ``n_phrases`` are picked by maximal marginal
    relevance. The name is the first phrase; a one-word phrase is joined with the
    next phrase sharing no word ("Food and choice"), or reads "Comments on <word>".

    Parameters
    ----------
    texts
        The theme's comments (de-identified; missing values are skipped).
    vectors
        Their embeddings, one row per comment, in the order of ``texts``.
    centroid
        The theme's centroid in the same space (normalised here).
    encoder_vectors_of
        ``embed(list[str]) -> np.ndarray`` of L2-normalised rows, the same encoder as
        ``vectors`` (e.g. the project's cached encoder). None = a phrase's vector is the
        mean of the vectors of the central comments that use it.
    max_words
        Longest name, in words (at least 2).
    others
        Centroids of the other themes of the same run (rows), or None.
    contrast
        Weight of the closeness to the nearest other theme (measured on human-coded
        NHS feedback in ``bench/bench_theme_names.py``).
    support_weight
        Weight of how many central comments use a phrase.
    n_central
        Distinct comments closest to the centroid that phrases are taken from.
    n_phrases
        Key phrases kept.
    diversity
        MMR trade-off: 0 ranks by score alone, 1 by difference from the phrases already chosen.

    Returns
    -------
    ThemeName
        Deterministic for the same inputs. A theme with no usable phrase is named
        "Other comments".

    Raises
    ------
    ValueError
        If the shapes of ``texts``, ``vectors``, ``centroid`` and ``others`` disagree, or
        ``encoder_vectors_of`` returns the wrong shape.
    """
    values = list(texts)
    vectors = np.asarray(vectors, dtype=np.float64)
    centroid = np.asarray(centroid, dtype=np.float64).ravel()
    dim = centroid.shape[0]
    if vectors.ndim != 2 or vectors.shape[0] != len(values) or vectors.shape[1] != dim:
        raise ValueError(f"vectors must have shape ({len(values)}, {dim}) to match texts and centroid, "
                         f"got {vectors.shape}")
    other = None if others is None else np.atleast_2d(np.asarray(others, dtype=np.float64))
    if other is not None and other.shape[1] != dim:
        raise ValueError(f"others must have {dim} columns like the centroid, got shape {other.shape}")
    if not (np.isfinite(centroid).all() and np.isfinite(vectors).all()):
        raise ValueError("vectors and centroid must be finite (no NaN or infinity)")
    if max_words < 2:
        raise ValueError(f"max_words must be at least 2, got {max_words}")
    centroid = _unit(centroid)
    cleaned = [_clean(v) for v in values]
    central = _central(cleaned, vectors, centroid, n_central)
    if not central:
        return ThemeName(_FALLBACK_NAME, _FALLBACK_DESCRIPTION, (), None)
    medoid = next((i for i in central if len(cleaned[i].split()) >= 3 and not _PLACEHOLDER.search(str(values[i]))),
                  central[0])

    shown, lemmas, used_by = _candidates([cleaned[i] for i in central])
    support = 2 if len(central) >= 6 else 1
    keep = ([j for j, docs in enumerate(used_by) if len(docs) >= support] or list(range(len(shown))))[:_MAX_CANDIDATES]
    if not keep:
        return ThemeName(_FALLBACK_NAME, _FALLBACK_DESCRIPTION, (), medoid)
    shown = [shown[j] for j in keep]
    lemmas = [lemmas[j] for j in keep]
    share = np.array([len(used_by[j]) for j in keep], dtype=np.float64) / len(central)
    if encoder_vectors_of is not None:
        phrase_vectors = np.asarray(encoder_vectors_of(list(shown)), dtype=np.float64)
        if phrase_vectors.shape != (len(shown), dim):
            raise ValueError(f"encoder_vectors_of returned shape {phrase_vectors.shape} for {len(shown)} phrases; "
                             f"expected ({len(shown)}, {dim})")
    else:
        central_vectors = vectors[central]
        phrase_vectors = np.stack([central_vectors[sorted(used_by[j])].mean(axis=0) for j in keep])
    phrase_vectors = _unit(phrase_vectors)
    score = phrase_vectors @ centroid + support_weight * np.sqrt(share)
    if other is not None and len(other) and contrast:
        score -= contrast * (phrase_vectors @ _unit(other).T).max(axis=1)
    picked = _mmr(score, phrase_vectors @ phrase_vectors.T, lemmas, top_n=n_phrases, diversity=diversity)
    phrases = [shown[j] for j in picked]
    name = _compose_name(phrases, [lemmas[j] for j in picked], max_words) or _FALLBACK_NAME
    description = f'People describe {_join_phrases(phrases[:3])}, for example "{_excerpt(cleaned[medoid])}".'
    return ThemeName(name, description, tuple(phrases), medoid)


def nearest_category(name_vectors: np.ndarray, category_vectors: np.ndarray,
                     category_names: Sequence[str]) -> pd.DataFrame:
    """The codebook category nearest to each name, by cosine similarity.

    Parameters
    ----------
    name_vectors
        One embedding per name (rows; normalised here).
    category_vectors
        One embedding per category, e.g. of "name: description".
    category_names
        The categories, in the order of ``category_vectors``.

    Returns
    -------
    pandas.DataFrame
        One row per name: ``category`` (nearest; the first of equals) and ``similarity``.
    """
    names = np.atleast_2d(np.asarray(name_vectors, dtype=np.float64))
    cats = np.atleast_2d(np.asarray(category_vectors, dtype=np.float64))
    labels = list(category_names)
    if cats.shape[0] != len(labels) or not labels:
        raise ValueError(f"{cats.shape[0]} category vectors for {len(labels)} category names")
    if names.shape[1] != cats.shape[1]:
        raise ValueError(f"name vectors have {names.shape[1]} dimensions, category vectors {cats.shape[1]}")
    similarity = _unit(names) @ _unit(cats).T
    best = similarity.argmax(axis=1)
    return pd.DataFrame({"category": [labels[b] for b in best],
                         "similarity": similarity[np.arange(len(best)), best]})


# ---------------------------------------------------------------------------
# Sentiment and stance
# ---------------------------------------------------------------------------
def _sentiment_text(text: str, domain: bool) -> str:
    out = _PLACEHOLDER.sub(" ", _TAG.sub(" ", text))
    if domain:
        for pattern, replacement in _SENTIMENT_REWRITES:
            out = pattern.sub(replacement, out)
    return out


def comment_sentiment(texts: Sequence[object] | pd.Series, *, domain: bool = True) -> pd.Series:
    """VADER compound sentiment of each comment, from -1 (most negative) to +1.

    Parameters
    ----------
    texts
        Comments; a Series keeps its index. Missing values give NaN.
    domain
        Add :data:`DOMAIN_LEXICON` and its phrase rewrites (tick-box, lip service, "felt like",
        "could be better"); False = VADER as published (for comparison in the benchmark).

    Returns
    -------
    pandas.Series
        float64, named ``compound``. Markup and placeholders are ignored. VADER's own rules
        handle negation ("not good"), contrast ("but") and intensifiers.
    """
    index = texts.index if isinstance(texts, pd.Series) else pd.RangeIndex(len(texts))
    analyzer = _analyzer(domain)
    scores = [analyzer.polarity_scores(_sentiment_text(t, domain))["compound"] if isinstance(t, str) else math.nan
              for t in list(texts)]
    return pd.Series(scores, index=index, dtype="float64", name="compound")


def suggestion_cue(texts: Sequence[object] | pd.Series) -> pd.Series:
    """Whether each comment opens a sentence as a request or proposal ("More staff please", "Could ...").

    VADER reads the wishes in suggestions as praise ("better communication", "more helpful
    staff" score positive); :func:`theme_stance` counts a comment with this cue as a suggestion
    unless it is clearly positive (compound >= :data:`CUE_OUTWEIGHS_BELOW`).

    Parameters
    ----------
    texts
        Comments; a Series keeps its index. Missing values give False.

    Returns
    -------
    pandas.Series
        bool, named ``suggestion_cue``.
    """
    index = texts.index if isinstance(texts, pd.Series) else pd.RangeIndex(len(texts))
    flags = [isinstance(t, str) and bool(_SUGGESTION_CUE.search(_TAG.sub(" ", t).strip())) for t in list(texts)]
    return pd.Series(flags, index=index, dtype=bool, name="suggestion_cue")


def map_question_kinds(question_ids: Sequence[object] | pd.Series, kind_of: Mapping[str, str]) -> pd.Series:
    """Each comment's kind of question, from the caller's mapping of question ids to kinds.

    Parameters
    ----------
    question_ids
        The question each comment answers.
    kind_of
        Question id -> one of :data:`QUESTION_KINDS` (e.g. ``{"works_well": "praise",
        "should_change": "suggestion", "difference_made": "open"}``).

    Returns
    -------
    pandas.Series
        The kinds, index kept from a Series.

    Raises
    ------
    ValueError
        If a kind is not one of :data:`QUESTION_KINDS`, or a question id is not mapped.
    """
    bad = sorted({str(v) for v in kind_of.values() if v not in QUESTION_KINDS})
    if bad:
        raise ValueError(f"question kinds must be one of {QUESTION_KINDS}; got {bad}")
    ids = question_ids if isinstance(question_ids, pd.Series) else pd.Series(list(question_ids))
    missing = sorted({str(v) for v in ids if v not in kind_of})
    if missing:
        raise ValueError(f"no question kind for question id(s) {missing[:8]}; add them to the mapping")
    return ids.map(dict(kind_of)).astype(object)


def theme_stance(
    compound_scores: Sequence[float] | pd.Series | np.ndarray,
    question_kinds: Sequence[str | None] | pd.Series,
    *,
    praise_at: float = 0.3,
    concern_at: float = -0.05,
    mixed_share: float = 0.3,
    suggests: Sequence[bool] | pd.Series | np.ndarray | None = None,
) -> str:
    """A theme's stance: ``praise``, ``concern``, ``suggestion`` or ``mixed``.

    The rule. Each comment casts one vote:

    1. compound <= ``concern_at``: concern (whatever the question);
    2. a suggestion cue (``suggests``, from :func:`suggestion_cue`) and compound below
       :data:`CUE_OUTWEIGHS_BELOW`: suggestion;
    3. compound >= ``praise_at``: praise;
    4. in between (no clear sentiment), the question decides: an answer to a praise question
       ("what works well") is praise, to a suggestion question ("what should change") a
       suggestion; to an open question it casts no vote;
    5. a comment with no score (NaN) casts no vote.

    Then: if praise and concern each have at least ``mixed_share`` of the votes, the theme is
    ``mixed``; otherwise the most common vote wins, and a tie (or no vote at all) is ``mixed``.
    The thresholds are asymmetric because VADER rates mild complaints only a little below
    zero ("the wait was long" scores 0) while praise in feedback is rarely lukewarm.
    Negation is VADER's: "not just a tick box exercise" is not a concern.

    Parameters
    ----------
    compound_scores
        One VADER compound score per comment (:func:`comment_sentiment`).
    question_kinds
        For each comment, one of :data:`QUESTION_KINDS` or None (= open), e.g. from
        :func:`map_question_kinds`.
    praise_at, concern_at
        Compound thresholds (``concern_at < praise_at``).
    mixed_share
        Share of the votes that praise and concern must both reach for ``mixed`` (0-0.5].
    suggests
        Optional per-comment suggestion cues (:func:`suggestion_cue`); None = no cues.

    Returns
    -------
    str
        One of :data:`STANCES`.

    Raises
    ------
    ValueError
        On mismatched lengths, no comments, unknown kinds or bad thresholds.
    """
    scores = np.asarray(list(compound_scores), dtype=np.float64)
    kinds = ["open" if k is None else k for k in list(question_kinds)]
    cues = [False] * len(scores) if suggests is None else [bool(x) for x in list(suggests)]
    if not len(scores) == len(kinds) == len(cues):
        raise ValueError(f"{len(scores)} scores, {len(kinds)} question kinds and {len(cues)} cues: one each per comment")
    if not len(scores):
        raise ValueError("a stance needs at least one comment")
    unknown = sorted({str(k) for k in kinds if k not in QUESTION_KINDS})
    if unknown:
        raise ValueError(f"question kinds must be one of {QUESTION_KINDS} or None; got {unknown}")
    if not concern_at < praise_at:
        raise ValueError(f"concern_at ({concern_at}) must be below praise_at ({praise_at})")
    if not 0 < mixed_share <= 0.5:
        raise ValueError(f"mixed_share must be in (0, 0.5], got {mixed_share}")
    votes: Counter[str] = Counter()
    for score, kind, cue in zip(scores, kinds, cues, strict=True):
        if math.isnan(score):
            continue
        if score <= concern_at:
            votes["concern"] += 1
        elif cue and score < CUE_OUTWEIGHS_BELOW:
            votes["suggestion"] += 1
        elif score >= praise_at:
            votes["praise"] += 1
        elif kind in ("praise", "suggestion"):
            votes[kind] += 1
    total = sum(votes.values())
    if not total:
        return "mixed"
    if votes["praise"] >= mixed_share * total and votes["concern"] >= mixed_share * total:
        return "mixed"
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "mixed"
    return ranked[0][0]
