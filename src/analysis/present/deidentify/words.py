"""Ordinary words, places and institutions: what tells a name from an English word (the model's lemma tables).

The tables are read from the verified model folder (:mod:`analysis.present.deidentify.model`)
without loading the model itself.
"""

from __future__ import annotations

import difflib
import functools
import re

from analysis.present.deidentify.model import _verified_model_dir
from analysis.present.deidentify.patterns import (
    _NAME_CONTEXT,
    _NOT_LOWER_NAMES,
    _NOT_NAMES,
    _ORG_AFTER,
    ALLOW_LIST,
)


@functools.cache
def _english_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(verbs, adjectives and adverbs; nouns; adjectives) from the model's WordNet-derived lemma tables.

    Read from the verified model folder (see :func:`load_name_model`), without
    loading the model itself.
    """
    import srsly  # spaCy's own serialisation library, installed with it
    from spacy.strings import hash_string

    raw = srsly.msgpack_loads((_verified_model_dir() / "lemmatizer" / "lookups" / "lookups.bin").read_bytes())
    index, exc = raw["lemma_index"], raw["lemma_exc"]
    other: set[str] = set()
    for pos in ("verb", "adj", "adv"):
        key = hash_string(pos)
        other.update(index.get(key, ()))
        other.update(exc.get(key, {}).keys())
    nouns = set(index.get(hash_string("noun"), ()))
    adjectives = set(index.get(hash_string("adj"), ()))
    return frozenset(other), frozenset(nouns), frozenset(adjectives)


def _comparative_before_noun(text: str, word: str, end: int) -> bool:
    """"Clearer leaflets", "Kinder staff": a comparative adjective followed by a lower-case noun.

    Checked only for a capitalised first word the model calls a name; the
    noun after it is what tells "Clearer leaflets" from "Oliver was lovely".
    """
    _, nouns, adjectives = _english_words()
    w = word.lower()
    bases = {w[:-2], w[:-1], w[:-3] + "y"} if w.endswith("er") else set()
    if len(w) < 5 or not bases & adjectives:
        return False
    following = re.match(r"[ \t]+([a-z]+)", text[end:])
    if not following or _NAME_CONTEXT.match(text[end:]):
        return False  # "Oliver was", "Peter on": what follows a name, not a noun
    nxt = following.group(1)
    return (nxt in nouns or (nxt.endswith("s") and nxt[:-1] in nouns) or (nxt.endswith("es") and nxt[:-2] in nouns)
            or _misspelt_english(nxt))


@functools.cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words (modals, pronouns, conjunctions...) and contraction stems ("couldn't")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    stems = {"aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "mightn", "mustn",
             "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn", "can", "ain"}
    extra = {"whilst", "amongst", "inlaw", "in-law", "law", "etc", "ie", "eg", "aswell", "alot", "ok", "okay"}
    return frozenset(STOP_WORDS) | stems | extra


def _is_english(word: str) -> bool:
    """A verb, adjective or adverb (in any inflection), a stop word, or a listed ordinary word."""
    w = word.lower().strip("'’")
    if w in _NOT_NAMES or w in _NOT_LOWER_NAMES or re.search(r"['’](?:t|s|ll|ve|d|re|m)$", w):
        return True
    if w in _stop_words():
        return True
    other = _english_words()[0]
    if w in other:
        return True
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", ""), ("es", ""), ("s", ""),
                         ("ly", ""), ("ies", "y"), ("ied", "y")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2 and w[: -len(suffix)] + repl in other:
            return True
    return False


def _known_word(word: str) -> bool:
    """Any English word the lemma tables know, nouns included, in common inflections."""
    other, nouns, _ = _english_words()
    w = word.lower()
    if w in other or w in nouns or _is_english(w):
        return True
    return any(w.endswith(suf) and w[: -len(suf)] + rep in nouns
               for suf, rep in (("s", ""), ("es", ""), ("ies", "y"), ("ings", ""), ("ing", "")))


@functools.cache
def _misspelt_english(word: str) -> bool:
    """One typo away from an English word of 6+ letters: a letter dropped, doubled or added, or two swapped.

    Only words of six letters or more are tried, and not substitutions or
    changes to the first letter: names are one substituted letter from some
    English word far too often ("Martin" and "margin", "Darren" and "barren").
    The word found must be in the lemma tables as it is, or a noun's plural
    ("patinets" -> "patients", "meetins" -> "meetings", "wroker" -> "worker").
    """
    w = word.lower()
    if len(w) < 6 or not w.isalpha() or _known_word(w):
        return False  # a real word (or a name the lemma tables know, "graham") is not a typo
    other, nouns, _ = _english_words()

    def known(e: str) -> bool:
        return e in other or e in nouns or (e.endswith("s") and e[:-1] in nouns)

    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(w[:i], w[i:]) for i in range(1, len(w) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b for a, b in splits for c in letters}
    # Not the word plus an ending ("rachels"): that is the name inflected, not a typo.
    edits = {e for e in edits if not (e.startswith(w) or w.startswith(e))}
    return any(len(e) >= 6 and known(e) for e in edits)


def _sentence_start(text: str, start: int) -> bool:
    """Whether position ``start`` begins the text, a line or a sentence."""
    before = text[:start].rstrip(" \t\"'“‘(-–*")
    return not before or before[-1] in ".!?\n:;"


def _is_allowed(span: str) -> bool:
    """A place, service or institution from the allow-list (case-insensitive, possessive ignored)."""
    s = re.sub(r"[’']s$", "", span.strip()).lower()
    return s in ALLOW_LIST or f"{s}'s" in ALLOW_LIST


@functools.cache
def _misspelt_place(word: str) -> bool:
    """A single word of five letters or more within one or two typos of an allow-listed place ("Hamersmith")."""
    if len(word) < 5 or " " in word:
        return False
    candidates = [a for a in ALLOW_LIST if abs(len(a) - len(word)) <= 2 and a[:1] == word[:1].lower()]
    return bool(difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.85))

def _looks_like_org(text: str, end: int) -> bool:
    """The words after a candidate name make it an institution ("Brent Council's", "Jenner Ward")."""
    return bool(_ORG_AFTER.match(text[end:end + 40].lstrip(" \t")))


def _inflected_or_adjective(word: str) -> bool:
    """An adjective or an inflected verb form ("Calm", "Felt", "Rang", "Resulted"): never a first name."""
    adjectives = _english_words()[2]
    w = word.lower()
    if w in adjectives:
        return True  # also "Frank", "Sandy": a price paid at the start of a sentence only
    return bool(re.search(r"(?:ed|ing)$", w) and _is_english(w)) or w in _irregular_verb_forms()


@functools.cache
def _irregular_verb_forms() -> frozenset[str]:
    """Past tenses and participles from the lemma tables ("felt", "rang", "took")."""
    import srsly
    from spacy.strings import hash_string

    raw = srsly.msgpack_loads((_verified_model_dir() / "lemmatizer" / "lookups" / "lookups.bin").read_bytes())
    forms = raw["lemma_exc"].get(hash_string("verb"), {})
    return frozenset(f for f, lemmas in forms.items() if f not in lemmas)
