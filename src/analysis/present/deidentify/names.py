"""The model layer: person names the rules cannot see, found by the model and filtered for ordinary words and places."""

from __future__ import annotations

import re
from typing import Any

from analysis.present.deidentify.model import load_name_model
from analysis.present.deidentify.patterns import (
    _NAME_CONTEXT,
    _NOT_NAMES,
    _PLACEHOLDER_RE,
    _ROLE_WORDS,
    _TITLE_WORDS,
    _UPPER,
)
from analysis.present.deidentify.words import (
    _comparative_before_noun,
    _english_words,
    _inflected_or_adjective,
    _is_allowed,
    _is_english,
    _looks_like_org,
    _misspelt_english,
    _misspelt_place,
    _sentence_start,
)

# Entity labels the small model uses for rare names it does not know ("Olumide" as a
# place, "Wojciech" as an organisation): taken as names only when every word is
# capitalised and no word is English or allow-listed.
_WEAK_LABELS = frozenset({"ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART"})


_NAME_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*(?:['’]s)?")
_DRUG_SUFFIX = re.compile(
    r"(?i:azole|azepam|azine|pine|pram|olol|statin|mab|cillin|gabalin|oxetine|idone|apine|triptan|sartan"
    r"|pril|mycin|cycline|profen|amol|tidine|formin|floxacin|nox|tex|oxone|orphine|codeine)$"
)
_PLACE_BEFORE = re.compile(r"\b(?i:in|at|from|near|around|into|outside|towards|via|within|transport\s+to|moved\s+to"
                           r"|went\s+to|taken\s+to|travel\s+to|drive\s+to)[ \t]+$")


def _model_spans(text: str, doc: Any) -> list[tuple[int, int]]:
    """Character spans of person names in ``text`` found by the model (after filtering)."""
    spans: list[tuple[int, int]] = []
    nouns = _english_words()[1]
    for ent in doc.ents:
        if ent.label_ != "PERSON" and ent.label_ not in _WEAK_LABELS:
            continue
        tokens = [t for t in ent if not (t.is_punct or t.is_space)]
        # Titles stay in the text ("Dr [NAME]"); a trailing possessive stays too.
        while tokens and tokens[0].text.rstrip(".").lower() in _TITLE_WORDS | {"the", "my", "our"}:
            tokens = tokens[1:]
        while tokens and tokens[-1].text.lower() in ("'s", "’s", "s"):
            tokens = tokens[:-1]
        if not tokens:
            continue
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        span = text[start:end]
        words = span.split()
        if "[" in text[max(0, start - 1):end + 1] or any(c.isdigit() for c in span) or _is_allowed(span):
            continue
        if len(words) == 1 and _misspelt_place(span):
            continue  # "Hillingdom", "Westminister": a misspelt borough, typed in a field or a comment
        if any(w.lower() in _NOT_NAMES or _is_allowed(w) for w in words):
            continue
        if len(words) == 1 and words[0].lower() in _ROLE_WORDS:
            continue  # "Physio twice a week" (but "Sarah Porter" is a name)
        if _looks_like_org(text, end) or re.search(r"\b(?:St|Saint|St\.)\s*$", text[max(0, start - 7):start]):
            continue  # "St Mary's", "Saint Charles": a hospital or church, not a person
        if words[0].rstrip(".") in ("St", "Saint", "ST"):
            continue
        # The small model is unreliable on lower case ("eight months", "a social wroker"); lower-case
        # names are left to the cue rules.
        if not all(w[0].isupper() for w in words if w[0].isalpha()):
            continue
        # Abbreviations and symbols ("N/A", "P.S.", "C.P.N", "N.H.S.", an emoji) are not names.
        if not all(_NAME_TOKEN.fullmatch(w) for w in words):
            continue
        if len(words) == 1 and _DRUG_SUFFIX.search(words[0]):
            continue  # "Aripiprazole", "Pregabalin"
        if _PLACE_BEFORE.search(text[max(0, start - 12):start]):
            continue  # "in Nottingham", "at Rampton", "transport to Freeman": a place
        if len(words) == 1 and _sentence_start(text, start) and _inflected_or_adjective(words[0]):
            continue  # "Calm and professional", "Felt listened to", "Rang at 1.30am"
        if len(words) == 1 and _sentence_start(text, start):
            # "Clearer leaflets", "Tick box", "Bieng involved": a capitalised first word is
            # often an ordinary word (or a misspelt one) that the model takes for a name.
            if _misspelt_english(words[0]) or _comparative_before_noun(text, span, end):
                continue
            if _is_english(words[0]) and not _NAME_CONTEXT.match(text[end:]):
                continue  # "Tick box", "Format wise"; but "Peter on reception", "Grace was lovely" stay names
        if ent.label_ != "PERSON":
            if len(words) > 3 or not all(w[0].isupper() and w[1:].islower() for w in words if w.isalpha()):
                continue
            if any(_is_english(w) or w.lower() in nouns or _misspelt_english(w) for w in words):
                continue
        elif all(w.isupper() for w in words) and len(span) <= 5:
            continue  # an acronym ("ECT", "PICU")
        spans.append((start, end))
    return spans


def _apply_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, int]:
    out, last, n = [], 0, 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append("[NAME]")
        last = end
        n += 1
    out.append(text[last:])
    return "".join(out), n


def _needs_model(text: str) -> bool:
    """Only text with a capitalised word (outside placeholders) can hold a name the model finds."""
    return bool(re.search(rf"[{_UPPER}]", _PLACEHOLDER_RE.sub("", text)))


def _model_pass(texts: list[str]) -> list[tuple[str, int]]:
    """Run the model over already rule-redacted texts; unique texts are processed once."""
    todo = sorted({t for t in texts if _needs_model(t)})
    found: dict[str, tuple[str, int]] = {}
    if todo:
        nlp = load_name_model()
        for text, doc in zip(todo, nlp.pipe(todo, batch_size=256), strict=True):
            found[text] = _apply_spans(text, _model_spans(text, doc))
    return [found.get(t, (t, 0)) for t in texts]
