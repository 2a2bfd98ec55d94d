"""Theme registry: stable ids across cycles, matched one to one by centroid similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core import vocab
from analysis.core.errors import InputFileError
from analysis.themes.registry import (
    FIRST_MODEL_ID,
    RegistryError,
    apply_mapping,
    centroids_path,
    cycle_status,
    empty_registry,
    load_registry,
    match_to_registry,
    one_to_one_matches,
    save_registry,
    status_counts,
)

DIM = 16


def _basis(i: int, dim: int = DIM) -> np.ndarray:
    v = np.zeros(dim)
    v[i] = 1.0
    return v


def _blend(i: int, j: int, cos: float) -> np.ndarray:
    """A unit vector with cosine ``cos`` to basis i, the rest along basis j."""
    return cos * _basis(i) + np.sqrt(1 - cos**2) * _basis(j)


def _topics(sizes: dict[int, int], codebook: dict[int, int] | None = None) -> pd.DataFrame:
    codebook = codebook or {}
    rows = [{"topic": -2, "size": 5, "label": vocab.NON_ANSWER_THEME_LABEL, "top_words": [],
             "codebook_id": pd.NA},
            {"topic": -1, "size": 7, "label": vocab.OUTLIER_THEME_LABEL, "top_words": [], "codebook_id": pd.NA}]
    for t, n in sizes.items():
        rows.append({"topic": t, "size": n, "label": f"label {t}", "top_words": [f"w{t}a", f"w{t}b"],
                     "codebook_id": codebook.get(t, pd.NA)})
    out = pd.DataFrame(rows)
    out["codebook_id"] = out["codebook_id"].astype("Int64")
    return out


def _first_cycle():
    """Cycle A: codebook theme 3 (topic 0) and model themes (topics 1, 2) along basis 0..2."""
    topics = _topics({0: 40, 1: 30, 2: 20}, codebook={0: 3})
    cents = {0: _basis(0), 1: _basis(1), 2: _basis(2)}
    return match_to_registry(topics, cents, empty_registry(), {}, cycle="A", threshold=0.6)


def test_first_cycle_codebook_keeps_id_and_model_themes_get_ids_from_100_by_size():
    mapping, registry, cents = _first_cycle()
    ids = dict(zip(mapping["topic"], mapping["theme_id"], strict=True))
    assert ids[0] == 3
    # the larger model theme gets the smaller new id
    assert ids[1] == FIRST_MODEL_ID and ids[2] == FIRST_MODEL_ID + 1
    assert set(mapping["status"]) == {"new"}
    assert mapping["similarity"].isna().all()
    assert list(registry["source"]) == ["codebook", "model", "model"]
    assert set(cents) == {("A", 3), ("A", 100), ("A", 101)}
    # reserved topics -1/-2 are not themes
    assert (mapping["topic"] >= 0).all()


def test_second_cycle_continuing_new_and_no_longer_raised():
    _, registry, cents = _first_cycle()
    # B: topic 5 is close to theme 100 (cos 0.9), topic 6 is new (basis 5), theme 101 disappears,
    # codebook theme 3 found again as topic 7.
    topics = _topics({5: 25, 6: 15, 7: 50}, codebook={7: 3})
    new_cents = {5: _blend(1, 6, 0.9), 6: _basis(5), 7: _blend(0, 7, 0.8)}
    mapping, registry2, cents2 = match_to_registry(topics, new_cents, registry, cents, cycle="B", threshold=0.6)
    by_topic = mapping.set_index("topic")
    assert by_topic.loc[5, "theme_id"] == 100 and by_topic.loc[5, "status"] == "continuing"
    assert by_topic.loc[5, "similarity"] == pytest.approx(0.9)
    assert by_topic.loc[5, "previous_cycle"] == "A"
    assert by_topic.loc[7, "theme_id"] == 3 and by_topic.loc[7, "status"] == "continuing"
    assert by_topic.loc[7, "similarity"] == pytest.approx(0.8)
    # new id continues after the highest id ever used
    assert by_topic.loc[6, "theme_id"] == 102 and by_topic.loc[6, "status"] == "new"
    status = cycle_status(registry2, "B").set_index("theme_id")
    assert status.loc[101, "status"] == "no longer raised"
    assert pd.isna(status.loc[101, "size"]) and status.loc[101, "previous_cycle"] == "A"
    assert status_counts(registry2, "B") == {"continuing": 2, "new": 1, "no longer raised": 1, "retired": 0}
    # cycle A rows untouched
    pd.testing.assert_frame_equal(registry2[registry2["cycle"] == "A"].reset_index(drop=True),
                                  registry.reset_index(drop=True))
    assert ("B", 101) not in cents2 and ("A", 101) in cents2


def test_matching_is_one_to_one_best_total_similarity():
    _, registry, cents = _first_cycle()
    # Both topics resemble theme 100; only one can continue it. Topic 8 is closer (0.95 vs 0.85).
    topics = _topics({8: 10, 9: 60})
    new_cents = {8: _blend(1, 8, 0.95), 9: _blend(1, 9, 0.85)}
    mapping, _, _ = match_to_registry(topics, new_cents, registry, cents, cycle="B", threshold=0.6)
    ids = dict(zip(mapping["topic"], mapping["theme_id"], strict=True))
    assert ids[8] == 100
    assert ids[9] == 102  # the other becomes new, not a second "100"
    assert mapping["theme_id"].is_unique


def test_hungarian_prefers_global_optimum_over_greedy():
    # Greedy would take (0,0)=0.9 and leave row 1 unmatched; the optimum matches both.
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    pairs = {(r, c) for r, c, _ in one_to_one_matches(sim, 0.6)}
    assert pairs == {(0, 1), (1, 0)}


def test_one_clear_match_beats_two_marginal_ones():
    # Raw total similarity would prefer 0.62 + 0.62 over 0.95; identity should not.
    sim = np.array([[0.95, 0.62], [0.62, 0.0]])
    assert [(r, c) for r, c, _ in one_to_one_matches(sim, 0.6)] == [(0, 0)]


@pytest.mark.parametrize(("cos", "continues"), [(0.6, True), (0.59, False)])
def test_threshold_edge_is_inclusive(cos, continues):
    _, registry, cents = _first_cycle()
    topics = _topics({4: 12})
    mapping, _, _ = match_to_registry(topics, {4: _blend(2, 9, cos)}, registry, cents, cycle="B", threshold=0.6)
    assert bool(mapping.loc[0, "theme_id"] == 101) is continues
    assert mapping.loc[0, "status"] == ("continuing" if continues else "new")


def test_model_theme_never_takes_a_codebook_id():
    _, registry, cents = _first_cycle()
    # identical centroid to codebook theme 3, but no codebook id this time
    mapping, registry2, _ = match_to_registry(_topics({0: 9}), {0: _basis(0)}, registry, cents,
                                              cycle="B", threshold=0.6)
    assert mapping.loc[0, "theme_id"] >= FIRST_MODEL_ID
    assert cycle_status(registry2, "B").set_index("theme_id").loc[3, "status"] == "no longer raised"


def test_ids_are_never_reused_even_after_a_rerun_drops_a_theme():
    _, registry, cents = _first_cycle()
    # Rerun cycle A with a different fit: theme 101's topic is gone, another new theme appears.
    topics = _topics({0: 40, 1: 30, 2: 22}, codebook={0: 3})
    new_cents = {0: _basis(0), 1: _basis(1), 2: _basis(10)}
    mapping, registry2, cents2 = match_to_registry(topics, new_cents, registry, cents, cycle="A", threshold=0.6)
    ids = dict(zip(mapping["topic"], mapping["theme_id"], strict=True))
    assert ids[1] == 100 and mapping.set_index("topic").loc[1, "status"] == "new"
    assert ids[2] == 102  # not 101: 101 was used by the earlier run
    status = cycle_status(registry2, "A").set_index("theme_id")
    assert status.loc[101, "status"] == "retired"
    assert ("A", 101) in cents2
    # and the next cycle still skips 101 when allocating
    mapping3, _, _ = match_to_registry(_topics({0: 11}), {0: _basis(12)}, registry2, cents2, cycle="B",
                                       threshold=0.6)
    assert mapping3.loc[0, "theme_id"] == 103


def test_unchanged_rerun_is_idempotent_and_files_are_byte_identical(tmp_path):
    _, registry, cents = _first_cycle()
    topics = _topics({5: 25, 6: 15})
    new_cents = {5: _blend(1, 6, 0.9), 6: _basis(5)}
    path = tmp_path / "reg" / "theme_registry.csv"
    m1, r1, c1 = match_to_registry(topics, new_cents, registry, cents, cycle="B", threshold=0.6)
    save_registry(r1, c1, path)
    first = path.read_bytes(), centroids_path(path).read_bytes()
    loaded, loaded_c = load_registry(path)
    m2, r2, c2 = match_to_registry(topics, new_cents, loaded, loaded_c, cycle="B", threshold=0.6)
    pd.testing.assert_frame_equal(m1.drop(columns="similarity"), m2.drop(columns="similarity"))
    save_registry(r2, c2, path)
    assert (path.read_bytes(), centroids_path(path).read_bytes()) == first


def test_rerunning_an_earlier_cycle_reproduces_it_and_leaves_later_cycles_alone():
    topics_a = _topics({0: 40, 1: 30, 2: 20}, codebook={0: 3})
    cents_a = {0: _basis(0), 1: _basis(1), 2: _basis(2)}
    map_a, registry, cents = _first_cycle()
    _, registry2, cents2 = match_to_registry(_topics({0: 10}), {0: _basis(4)}, registry, cents,
                                             cycle="B", threshold=0.6)
    again, registry3, cents3 = match_to_registry(topics_a, cents_a, registry2, cents2, cycle="A", threshold=0.6)
    pd.testing.assert_frame_equal(again, map_a)
    pd.testing.assert_frame_equal(registry3.reset_index(drop=True), registry2.reset_index(drop=True))
    assert cents3.keys() == cents2.keys()


def test_rerunning_an_earlier_cycle_differently_is_refused():
    _, registry, cents = _first_cycle()
    _, registry2, cents2 = match_to_registry(_topics({0: 10}), {0: _basis(4)}, registry, cents,
                                             cycle="B", threshold=0.6)
    with pytest.raises(RegistryError, match="already build on those ids"):
        match_to_registry(_topics({0: 10}), {0: _basis(4)}, registry2, cents2, cycle="A", threshold=0.6)


def test_different_embedding_dimension_is_refused():
    _, registry, cents = _first_cycle()
    with pytest.raises(RegistryError, match="different model"):
        match_to_registry(_topics({0: 10}), {0: np.ones(8)}, registry, cents, cycle="B", threshold=0.6)


def test_apply_mapping_keeps_reserved_ids_and_rejects_unknown_topics():
    mapping, _, _ = _first_cycle()
    assignments = pd.DataFrame({"comment_id": list("abcde"), "topic": [0, 1, 2, -1, -2]})
    out = apply_mapping(assignments, mapping)
    assert list(out["theme_id"]) == [3, 100, 101, vocab.OUTLIER_THEME_ID, vocab.NON_ANSWER_THEME_ID]
    with pytest.raises(ValueError, match=r"\[7\]"):
        apply_mapping(pd.DataFrame({"topic": [7]}), mapping)


def test_load_registry_missing_file_is_empty_and_bad_rows_name_row_and_column(tmp_path):
    path = tmp_path / "theme_registry.csv"
    registry, cents = load_registry(path)
    assert registry.empty and cents == {}
    _, reg, c = _first_cycle()
    save_registry(reg, c, path)
    text = path.read_text().splitlines()
    text[2] = text[2].replace(",100,", ",1o0,", 1)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(InputFileError) as err:
        load_registry(path)
    assert err.value.row == 3 and err.value.column == "theme_id"
    assert "theme_registry.csv" in str(err.value)


def test_load_registry_rejects_missing_centroid(tmp_path):
    path = tmp_path / "theme_registry.csv"
    _, reg, c = _first_cycle()
    save_registry(reg, {k: v for k, v in c.items() if k != ("A", 101)}, path)
    with pytest.raises(InputFileError, match="theme 101 of cycle 'A' has no centroid"):
        load_registry(path)
