"""Theme names, sentiment and stance on hand-written, messy and hostile comments."""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis.themes import naming as nm

DIM = 96


def fake_embed(texts: list[str]) -> np.ndarray:
    """Deterministic bag-of-words vectors (each lower-case word hashed to a dimension), rows unit length."""
    out = np.zeros((len(texts), DIM))
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", str(text).lower()):
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def name_of(texts: list[object], **kwargs: object) -> nm.ThemeName:
    vectors = fake_embed([t if isinstance(t, str) else "" for t in texts])
    centroid = vectors.mean(axis=0) if len(texts) else np.zeros(DIM)
    return nm.theme_name(texts, vectors, centroid, encoder_vectors_of=fake_embed, **kwargs)


PARKING = [
    "The car park was full again and I missed my appointment",
    "Not enough parking spaces at the hospital",
    "Parking spaces are hard to find in the car park",
    "The car park charges are far too high",
    "Could not find a parking space, the car park needs to be bigger",
    "Car park barrier broken, queue of cars",
    "More disabled parking spaces near the entrance please",
    "Parking is a nightmare, the car park is tiny",
]
NURSES = [
    "The nurses were lovely and so kind",
    "Rude nurses on the night shift",
    "Lovely nurses who explained everything",
    "The night nurses were brilliant with my mum",
    "Nurses on the ward were amazing",
    "Some nurses were rude and dismissive",
]


def _assert_readable(name: str, max_words: int = 6) -> None:
    words = name.split()
    assert 2 <= len(words) <= max_words, name
    assert name[0].isupper() or name[0].isdigit(), name
    assert "[" not in name and "]" not in name and "<" not in name and ">" not in name, name
    assert name[0] not in "=+-@", name
    assert words[-1].lower() not in {"the", "a", "of", "and", "to", "my", "with"}, name


def test_name_is_short_sentence_case_and_about_the_theme() -> None:
    named = name_of(PARKING)
    _assert_readable(named.name)
    assert "park" in named.name.lower()
    assert named.key_phrases and all(p == p.strip() for p in named.key_phrases)
    assert len(set(named.key_phrases)) == len(named.key_phrases)


def test_same_input_gives_the_same_name() -> None:
    assert name_of(PARKING) == name_of(list(PARKING))
    shuffled_vectors = fake_embed(PARKING)
    again = nm.theme_name(PARKING, shuffled_vectors, shuffled_vectors.mean(axis=0), encoder_vectors_of=fake_embed)
    assert again == name_of(PARKING)


def test_name_drops_sentiment_words_so_praise_and_complaint_read_alike() -> None:
    named = name_of(NURSES)
    _assert_readable(named.name)
    lowered = named.name.lower() + " " + " ".join(named.key_phrases)
    assert "nurse" in lowered
    for word in ("lovely", "rude", "brilliant", "amazing", "kind", "dismissive"):
        assert word not in lowered.split(), named


def test_placeholders_never_reach_the_name() -> None:
    texts = [
        "[NAME] on reception was helpful with my appointment letter",
        "Thanks to [NAME] for sorting my appointment letter",
        "[NAME] [NAME] [NAME] sent the appointment letter to [ADDRESS]",
        "Appointment letter came late, call [PHONE]",
        "My appointment letter had the wrong date",
    ]
    named = name_of(texts)
    _assert_readable(named.name)
    assert "NAME" not in named.name.upper().split() and "ADDRESS" not in named.name.upper()
    assert "letter" in named.name.lower() or "appointment" in named.name.lower()
    assert "[NAME]" not in " ".join(named.key_phrases)


HOSTILE = [
    "<script>alert('x')</script> the waiting room was cold",
    "=HYPERLINK(\"http://evil.example\",\"click\") waiting room chairs",
    "+cmd|' /C calc'!A0 waiting room",
    "@SUM(1+1) waiting room television",
    "-2+3 waiting room",
    "waiting room " + "a" * 5000,
    "Supercalifragilisticexpialidociousandevenlongerwordthatgoesonandon waiting room",
    "<b>waiting</b> <i>room</i> <img src=x onerror=alert(1)>",
    "\x00\x07 waiting\troom\r\n",
    "",
    None,
    float("nan"),
    pd.NA,
    "!!!???...",
    "😀😀 waiting room 😀",
    "WAITING ROOM WAS FREEZING",
]


def test_hostile_text_never_breaks_naming() -> None:
    named = name_of(HOSTILE)
    _assert_readable(named.name)
    assert not re.search(r"[<>]", named.description)
    assert not named.description.startswith(tuple("=+-@"))
    for phrase in named.key_phrases:
        assert len(phrase) < 80 and "<" not in phrase and ">" not in phrase


@pytest.mark.parametrize("text", [t for t in HOSTILE if isinstance(t, str)])
def test_each_hostile_comment_alone_gives_a_safe_name(text: str) -> None:
    named = name_of([text, text + " again"])
    _assert_readable(named.name)
    assert not re.search(r"[<>]", named.name + named.description)


def test_acronyms_and_place_names_keep_their_capitals_but_shouting_does_not() -> None:
    texts = ["Waiting at A&E in Bishop Auckland took hours", "The A&E in Bishop Auckland was busy",
             "Went to A&E at Bishop Auckland", "MY GP REFERRED ME TO THE WARD", "THE GP NEVER RANG BACK ABOUT THE WARD"]
    phrases = set(name_of(texts, n_phrases=10).key_phrases)
    assert "A&E" in phrases and ("Bishop Auckland" in phrases or "Auckland" in phrases)
    assert not any(p.isupper() and len(p) > 5 for p in phrases)
    assert "WARD" not in phrases


def test_a_theme_with_nothing_to_name_is_other_comments() -> None:
    for texts in ([], ["", None, "!!!"], ["ok", "yes"]):
        named = name_of(texts)
        _assert_readable(named.name)
    assert name_of(["", None]).name == "Other comments"
    assert name_of(["", None]).medoid is None


def test_description_is_one_neutral_sentence_quoting_the_medoid() -> None:
    named = name_of(PARKING)
    assert named.description.startswith("People describe ")
    assert named.medoid is not None
    quoted = re.search(r'"(.*)"', named.description)
    assert quoted is not None
    assert len(quoted.group(1).split()) <= 21
    assert quoted.group(1).rstrip("…").split()[0] in PARKING[named.medoid]
    assert named.description.endswith('".')


def test_the_description_quote_is_trimmed() -> None:
    long = ["The car park " + " ".join(["really"] * 60) + " full. Second sentence here."] * 3
    named = name_of(long + PARKING[:3])
    quoted = re.search(r'"(.*)"', named.description).group(1)
    assert len(quoted.split()) <= nm._EXCERPT_WORDS and quoted.endswith("…")


def test_other_theme_centroids_steer_the_name_away_from_shared_words() -> None:
    food = ["The staff brought food late", "Staff were slow", "Food trolley staff", "The staff again",
            "Staff served cold food", "Staff staff staff"]
    beds = ["The staff took ages with the beds", "Staff left the beds unmade", "Staff were slow",
            "Staff changed the beds", "The staff again", "Staff moved beds"]
    vf, vb = fake_embed(food), fake_embed(beds)
    alone = nm.theme_name(food, vf, vf.mean(axis=0), encoder_vectors_of=fake_embed)
    assert alone.key_phrases[0] == "staff"  # the most common, most central word
    contrasted = nm.theme_name(food, vf, vf.mean(axis=0), encoder_vectors_of=fake_embed,
                               others=vb.mean(axis=0, keepdims=True))
    assert contrasted.key_phrases[0] == "food"  # "staff" is just as close to the other theme


def test_without_an_encoder_phrases_sit_at_their_comments_mean() -> None:
    vectors = fake_embed(PARKING)
    named = nm.theme_name(PARKING, vectors, vectors.mean(axis=0))
    _assert_readable(named.name)
    assert "park" in named.name.lower()


def test_mismatched_shapes_are_refused() -> None:
    vectors = fake_embed(PARKING)
    with pytest.raises(ValueError, match="vectors must have shape"):
        nm.theme_name(PARKING[:3], vectors, vectors.mean(axis=0))
    with pytest.raises(ValueError, match="others must have"):
        nm.theme_name(PARKING, vectors, vectors.mean(axis=0), others=np.ones((2, DIM + 1)))
    with pytest.raises(ValueError, match="encoder_vectors_of returned"):
        nm.theme_name(PARKING, vectors, vectors.mean(axis=0), encoder_vectors_of=lambda p: np.ones((1, DIM)))
    with pytest.raises(ValueError, match="finite"):
        nm.theme_name(PARKING, vectors, np.full(DIM, np.nan))
    with pytest.raises(ValueError, match="max_words"):
        nm.theme_name(PARKING, vectors, vectors.mean(axis=0), max_words=1)


def test_max_words_is_respected() -> None:
    texts = ["the community mental health crisis resolution home treatment team"] * 4 + [
        "community mental health crisis resolution home treatment team visits"] * 3
    named = name_of(texts, max_words=3)
    _assert_readable(named.name, max_words=3)


# ---------------------------------------------------------------------------
# Nearest category
# ---------------------------------------------------------------------------
def test_nearest_category_picks_the_closest_row_and_reports_similarity() -> None:
    cats = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    names = np.array([[0.1, 0.9, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 0.0]])
    found = nm.nearest_category(names, cats, ["Parking", "Food", "Staff"])
    assert found["category"].tolist() == ["Food", "Staff", "Parking"]  # a tie goes to the first category
    assert found["similarity"].iloc[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="category names"):
        nm.nearest_category(names, cats, ["Parking", "Food"])
    with pytest.raises(ValueError, match="dimensions"):
        nm.nearest_category(np.ones((1, 2)), cats, ["a", "b", "c"])


# ---------------------------------------------------------------------------
# Sentiment
# ---------------------------------------------------------------------------
def test_negated_tick_box_is_not_a_concern_but_a_tick_box_is() -> None:
    scores = nm.comment_sentiment(["not just a tick box exercise", "It felt like a tick box exercise",
                                   "This is not a tick-box exercise, they really listen",
                                   "box ticking and lip service"])
    assert scores[0] > -0.05 and scores[2] > 0.05
    assert scores[1] <= -0.05 and scores[3] <= -0.05
    # VADER as published reads "felt like" as liking: the domain rules are what fix it.
    assert nm.comment_sentiment(["It felt like a tick box exercise"], domain=False)[0] > 0


def test_sentiment_keeps_the_index_and_gives_nan_for_missing() -> None:
    texts = pd.Series(["Staff were lovely", None, pd.NA, "<b>awful</b> service", "[NAME] was rude"],
                      index=[10, 11, 12, 13, 14], dtype=object)
    scores = nm.comment_sentiment(texts)
    assert scores.index.tolist() == [10, 11, 12, 13, 14]
    assert scores.dtype == "float64" and scores.name == "compound"
    assert scores[10] >= 0.3 and math.isnan(scores[11]) and math.isnan(scores[12])
    assert scores[13] <= -0.05 and scores[14] <= -0.05


def test_wishes_and_waits_are_not_praise() -> None:
    scores = nm.comment_sentiment(["Could be better", "More staff would be better", "I would like more parking",
                                   "Nothing to improve", "waited over 4 hours", "nobody called me back",
                                   "I didn't have a long wait"])
    assert all(-0.05 < s < 0.3 for s in scores[:3])
    assert scores[3] >= 0.3
    assert scores[4] <= -0.05 and scores[5] <= -0.05
    assert scores[6] > -0.05


def test_suggestion_cue() -> None:
    cues = nm.suggestion_cue(["More staff please", "Staff were great. Maybe longer visiting hours",
                              "There needs to be more parking", "Keep up the good work", "The staff were great",
                              None, "<p>Provide a leaflet</p>"])
    assert cues.tolist() == [True, True, True, False, False, False, True]


# ---------------------------------------------------------------------------
# Stance
# ---------------------------------------------------------------------------
def stance(texts: list[str], kinds: list[str | None], **kwargs: object) -> str:
    return nm.theme_stance(nm.comment_sentiment(texts), kinds, suggests=nm.suggestion_cue(texts), **kwargs)


def test_praise_theme_with_negated_tick_box_is_praise() -> None:
    texts = ["Not just a tick box exercise, we were really heard", "It was not just a tick box exercise",
             "Our views were valued", "Not a tick-box exercise at all", "Felt genuinely involved, thank you"]
    assert stance(texts, ["open"] * 5) == "praise"
    assert stance(texts, ["praise"] * 5) == "praise"


def test_tokenistic_theme_is_a_concern() -> None:
    texts = ["It felt like a tick box exercise", "Tokenistic, nobody listened", "Just lip service",
             "Box ticking again", "We were ignored"]
    assert stance(texts, ["open"] * 5) == "concern"


def test_praise_and_concern_together_are_mixed() -> None:
    texts = ["The food was lovely", "Food was excellent", "The food was awful", "Food was cold and horrible",
             "Great food", "Terrible food"]
    assert stance(texts, [None] * 6) == "mixed"


def test_neutral_answers_take_the_question_kind() -> None:
    texts = ["Parking spaces", "Longer opening hours", "Evening appointments", "The phone line"]
    assert stance(texts, ["suggestion"] * 4) == "suggestion"
    assert stance(texts, ["praise"] * 4) == "praise"
    assert stance(texts, ["open"] * 4) == "mixed"  # no clear direction at all


def test_positive_wording_in_a_suggestion_is_a_suggestion() -> None:
    texts = ["Better communication would help", "More friendly staff please", "Maybe nicer food",
             "Provide better information"]
    scores = nm.comment_sentiment(texts)
    assert nm.theme_stance(scores, ["suggestion"] * 4, suggests=nm.suggestion_cue(texts)) == "suggestion"


def test_complaints_answering_a_suggestion_question_are_concerns() -> None:
    texts = ["Staff were rude and unhelpful", "Awful attitude at reception", "The receptionist was horrible",
             "Longer opening hours"]
    assert stance(texts, ["suggestion"] * 4) == "concern"


def test_missing_scores_cast_no_vote_and_bad_input_is_refused() -> None:
    assert nm.theme_stance([0.8, math.nan, math.nan], ["open"] * 3) == "praise"
    assert nm.theme_stance([math.nan], ["open"]) == "mixed"
    with pytest.raises(ValueError, match="one each per comment"):
        nm.theme_stance([0.5, 0.1], ["open"])
    with pytest.raises(ValueError, match="at least one comment"):
        nm.theme_stance([], [])
    with pytest.raises(ValueError, match="question kinds must be one of"):
        nm.theme_stance([0.5], ["works_well"])
    with pytest.raises(ValueError, match="must be below"):
        nm.theme_stance([0.5], ["open"], praise_at=-0.1)
    with pytest.raises(ValueError, match="mixed_share"):
        nm.theme_stance([0.5], ["open"], mixed_share=0.8)
    with pytest.raises(ValueError):
        nm.theme_stance(["very good"], ["open"])  # a text is not a score


def test_mixed_share_sets_where_mixed_begins() -> None:
    scores = [0.8] * 8 + [-0.6] * 2  # 20 % concern
    assert nm.theme_stance(scores, ["open"] * 10) == "praise"
    assert nm.theme_stance(scores, ["open"] * 10, mixed_share=0.2) == "mixed"


def test_question_kinds_come_from_the_callers_mapping() -> None:
    mapping = {"works_well": "praise", "should_change": "suggestion", "difference_made": "open"}
    ids = pd.Series(["works_well", "should_change", "difference_made"], index=[5, 6, 7])
    kinds = nm.map_question_kinds(ids, mapping)
    assert kinds.tolist() == ["praise", "suggestion", "open"] and kinds.index.tolist() == [5, 6, 7]
    with pytest.raises(ValueError, match="make_better"):
        nm.map_question_kinds(["works_well", "make_better"], mapping)
    with pytest.raises(ValueError, match="question kinds must be one of"):
        nm.map_question_kinds(["works_well"], {"works_well": "positive"})


# ---------------------------------------------------------------------------
# With the real encoder
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_real_encoder_names_real_looking_themes() -> None:
    from analysis.themes.embeddings import embed_texts, load_model

    model = load_model()

    def embed(texts: list[str]) -> np.ndarray:
        return embed_texts(texts, model=model)[0]

    food = ["The food on the ward was cold", "Hospital food has no choice for vegetarians", "Meals arrive late",
            "Food portions are small and the menu never changes", "Nice hot meals and a good menu",
            "The food choice for diabetic patients is poor"]
    parking = PARKING
    vf, vp = embed(food), embed(parking)
    named_food = nm.theme_name(food, vf, vf.mean(axis=0), encoder_vectors_of=embed, others=vp.mean(axis=0, keepdims=True))
    named_parking = nm.theme_name(parking, vp, vp.mean(axis=0), encoder_vectors_of=embed,
                                  others=vf.mean(axis=0, keepdims=True))
    for named in (named_food, named_parking):
        _assert_readable(named.name)
    assert re.search(r"food|meal|menu", named_food.name.lower())
    assert "park" in named_parking.name.lower()
    cats = embed(["Food & drink provision", "Parking"])
    found = nm.nearest_category(embed([named_food.name, named_parking.name]), cats, ["food", "parking"])
    assert found["category"].tolist() == ["food", "parking"]
