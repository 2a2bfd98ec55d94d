"""The theme book: files, checks, the assignment rule and the lifecycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.themes.book import (
    BookFile,
    BookTheme,
    ThemeBook,
    ThemeBookError,
    assign_to_book,
    book_sha256,
    centroids_path,
    counted_ids,
    lifecycle_status,
    load_book,
    save_book,
    themes_frame,
    withheld_merges,
)

SHA = "ab" * 32


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v / np.linalg.norm(v)


def make_book(themes: list[dict], centroids: dict[int, np.ndarray], **meta) -> ThemeBook:
    return ThemeBook(meta=BookFile(book_version=1, programme="test", embedding_model_sha256=SHA,
                                   themes=[BookTheme(**t) for t in themes], **meta), centroids=centroids)


def basic_book(**meta) -> ThemeBook:
    return make_book(
        [{"id": 1, "name": "Parking", "source": "codebook"},
         {"id": 100, "name": "Car park charges", "source": "model"},
         {"id": 101, "name": "Kind staff", "source": "model"},
         {"id": 102, "name": "Old theme", "source": "model", "status": "retired"}],
        {1: unit(1, 0, 0), 100: unit(0.9, 0.1, 0), 101: unit(0, 1, 0), 102: unit(0, 0, 1)}, **meta)


def test_save_then_load_round_trips_and_is_byte_stable(tmp_path):
    book = basic_book()
    path = save_book(book, tmp_path / "prog.yaml")
    first = (path.read_bytes(), centroids_path(path).read_bytes())
    loaded = load_book(path)
    assert [t.id for t in loaded.themes] == [1, 100, 101, 102]
    assert np.allclose(loaded.centroids[101], book.centroids[101], atol=1e-6)
    save_book(loaded, path)
    assert (path.read_bytes(), centroids_path(path).read_bytes()) == first
    assert len(book_sha256(path)) == 64


def _write(tmp_path, yaml_text: str, centroids: str = "theme_id,d0,d1\n100,0.6,0.8\n"):
    path = tmp_path / "book.yaml"
    path.write_text("book_version: 1\nprogramme: p\nembedding_model_sha256: " + SHA + "\n" + yaml_text, encoding="utf-8")
    (tmp_path / "book.centroids.csv").write_text(centroids, encoding="utf-8")
    return path


@pytest.mark.parametrize(("yaml_text", "centroids", "expected"), [
    ("themes:\n- {id: 100, name: A, source: model, colour: red}\n", None, "colour"),
    ("themes:\n- {id: 100, name: A, source: model}\n- {id: 100, name: B, source: model}\n", None, "more than once"),
    ("themes:\n- {id: 100, name: A, source: model, status: merged, merged_into: 7}\n", None, "merged_into 7"),
    ("themes:\n- {id: 5, name: A, source: model}\n", "theme_id,d0,d1\n5,0.6,0.8\n", "start at 100"),
    ("themes:\n- {id: 100, name: A, source: codebook}\n", None, "codebook ids"),
    ("themes:\n- {id: 100, name: A, source: model}\n- {id: 101, name: B, source: model}\n", None, "theme 101: no centroid"),
    ("themes:\n- {id: 100, name: A, source: model, reviewed_on: last tuesday}\n", None, "reviewed_on"),
    ("themes:\n- {id: 100, name: A, source: model, stance: angry}\n", None, "theme 100, key stance"),
    ("themes:\n- {id: 100, name: A, source: model}\nthemes: []\n", None, "themes"),
    ("themes:\n- {id: 100, name: A, source: model}\n", "theme_id,d0,d1\n100,0.6,\n", "row 2"),
])
def test_a_broken_book_names_what_is_wrong(tmp_path, yaml_text, centroids, expected):
    from analysis.core.errors import UserError

    path = _write(tmp_path, yaml_text, *(() if centroids is None else (centroids,)))
    with pytest.raises(UserError) as info:
        load_book(path)
    assert expected in str(info.value)
    assert "book.yaml" in str(info.value) or "centroids" in str(info.value)


def test_a_missing_book_says_which_key_points_at_it(tmp_path):
    with pytest.raises(ThemeBookError, match="themes.book"):
        load_book(tmp_path / "nope.yaml")


def test_answers_take_the_nearest_theme_above_the_threshold():
    book = basic_book(assign_threshold=0.5, codebook_margin=0.0)
    X = np.stack([unit(0, 1, 0.1), unit(0.2, 0.2, 1), unit(-1, 0, 0)])
    out = assign_to_book(X, book, np.ones(3, dtype=bool))
    # the second is nearest to the retired theme, which takes no answers; nothing else reaches 0.5
    assert out["book_theme_id"].tolist() == [101, pd.NA, pd.NA]
    assert out["similarity"].iloc[0] == pytest.approx(0.995, abs=1e-3)


def test_codebook_themes_win_within_the_margin():
    x = unit(0.92, 0.08, 0)  # nearer to 100 than to 1, by less than 0.03
    sims = {t: float(x @ c) for t, c in basic_book().centroids.items()}
    assert sims[100] > sims[1] and sims[100] - sims[1] < 0.03
    assert assign_to_book(x[None, :], basic_book(codebook_margin=0.03), np.ones(1, bool))["book_theme_id"][0] == 1
    assert assign_to_book(x[None, :], basic_book(codebook_margin=0.0), np.ones(1, bool))["book_theme_id"][0] == 100


def test_noise_far_below_the_rounding_does_not_change_themes():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    book = basic_book()
    noisy = X + rng.normal(scale=1e-7, size=X.shape)
    a = assign_to_book(X, book, np.ones(len(X), bool))["book_theme_id"]
    b = assign_to_book(noisy, book, np.ones(len(X), bool))["book_theme_id"]
    assert (a.fillna(-1) == b.fillna(-1)).mean() > 0.99


def test_ineligible_answers_never_take_a_theme():
    out = assign_to_book(np.stack([unit(1, 0, 0)] * 2), basic_book(), np.array([True, False]))
    assert out["book_theme_id"].tolist() == [1, pd.NA] and np.isnan(out["similarity"].iloc[1])


def test_merged_themes_count_under_their_target_and_a_merge_into_an_excluded_theme_is_withheld():
    book = make_book(
        [{"id": 1, "name": "Parking", "source": "codebook"},
         {"id": 100, "name": "Car park", "source": "model", "status": "merged", "merged_into": 101},
         {"id": 101, "name": "Charges", "source": "model", "status": "merged", "merged_into": 1},
         {"id": 102, "name": "Noise", "source": "model", "status": "excluded"},
         {"id": 103, "name": "Into excluded", "source": "model", "status": "merged", "merged_into": 102}],
        {i: unit(1, i, 0) for i in (1, 100, 101, 102, 103)})
    assert counted_ids(book, pd.Series([100, 101, 103, pd.NA], dtype="Int64")).tolist() == [1, 1, 103, pd.NA]
    withheld = withheld_merges(book)
    assert withheld["theme_id"].tolist() == [103] and withheld["target_status"].tolist() == ["excluded"]
    frame = themes_frame(book).set_index("theme_id")
    assert frame.loc[100, "merged_into"] == 1 and frame.loc[103, "book_status"] == "active"


def test_lifecycle_from_first_seen():
    book = make_book(
        [{"id": 1, "name": "A", "source": "codebook", "first_seen": "2024"},
         {"id": 100, "name": "B", "source": "model", "first_seen": "2025"},
         {"id": 101, "name": "C", "source": "model", "first_seen": "2024"},
         {"id": 102, "name": "D", "source": "model", "first_seen": "2026"}],
        {i: unit(1, i, 0) for i in (1, 100, 101, 102)})
    status = lifecycle_status(book, pd.Series({1: 5, 100: 3}), cycle="2025", cycle_order=["2024", "2025"])
    assert dict(zip(status["theme_id"], status["status"], strict=True)) == {
        1: "continuing", 100: "new", 101: "no longer raised"}
    first = lifecycle_status(book, pd.Series({1: 5, 100: 3, 102: 1}), cycle="2024", cycle_order=["2024"])
    assert set(first["status"]) == {"new"} and 101 not in set(first["theme_id"])  # not raised, never earlier


def test_hostile_names_stay_text_in_the_file(tmp_path):
    book = make_book([{"id": 100, "name": "=HYPERLINK(\"x\") <script>alert(1)</script>", "source": "model"}],
                     {100: unit(1, 0)})
    path = save_book(book, tmp_path / "b.yaml")
    assert load_book(path).themes[0].name.startswith("=HYPERLINK")
