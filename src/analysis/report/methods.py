"""The summary's "Methods and assumptions" section, generated from the cycle config and the run manifest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analysis.core.numerics import numerics_mode

if TYPE_CHECKING:
    from analysis.core.config import CycleConfig


def methods_context(config: CycleConfig, manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The "Methods and assumptions" section, generated from the config and manifest."""
    from analysis.present.tables import display_path

    themes = config.themes
    items = [{"label": q.short_label, "wording": q.wording[max(q.wording)], "positive": ", ".join(q.positive),
              "negative": ", ".join(q.negative) if q.negative else "every other answer on the scale",
              "excluded": ", ".join(q.excluded)}
             for q in config.question_bank.items]
    mix = config.change.standard_group_mix
    standardisation = (
        "“Everyone” is standardised to a fixed mix of groups ("
        + (", ".join(f"{group} {100 * share:.0f}%" for group, share in mix.items()) if mix
           else "the latest wave’s mix of answers by group")
        + "), so that a change in who answered does not read as a change in opinion; the crude figure, "
          "all answers pooled, is kept beside it in the tables, and a statement says so when the two disagree.")
    theme_settings = {
        # Paths as the repository names them: an absolute path names someone's folders (analysis.present.tables).
        "Sentence-embedding model": display_path(themes.model_path) if themes.model_path
        else "all-MiniLM-L6-v2 (packaged locally)",
        "Shortest answer modelled": f"{themes.min_words} words",
        "UMAP": f"{themes.n_neighbors} neighbours, {themes.n_components} components",
        "HDBSCAN": f"minimum cluster size {themes.min_cluster_size or 'scaled with the number of comments'}, "
                   f"minimum samples {themes.min_samples or 'default'}",
        "Outlier reassignment": f"similarity at least {themes.outlier_threshold}",
        "Theme book": (display_path(themes.book) + " (answers take a book theme at cosine similarity at least the "
                       "book's assign_threshold, codebook themes first; only answers no theme fits are modelled, "
                       "as candidates)") if themes.book else "none: every theme found is a candidate for review",
        "Key phrases": f"1 to {themes.ngram_max} words",
        "Codebook": display_path(themes.codebook) if themes.codebook else "none",
        "Encoder arithmetic": f"{themes.precision}; " + (
            "AVX2 code paths whatever the CPU, so any x86-64 machine gives the same themes"
            if (manifest or {}).get("numerics", numerics_mode()) == "portable"
            else "this CPU's fastest code paths, so another machine may give slightly different themes"),
    }
    manifest = manifest or {}
    packages = manifest.get("packages", {}) if isinstance(manifest.get("packages"), Mapping) else {}
    git = manifest.get("git", {}) if isinstance(manifest.get("git"), Mapping) else {}
    from analysis.present.disclosure import disclosure_rule_text

    return {
        "threshold": config.suppression_threshold,
        "disclosure": disclosure_rule_text(config),
        "change_statistics": None,  # filled from notebook 03's recorded results by summary_context
        "standardisation": standardisation,
        "seed": config.seed,
        "latest_wave": config.latest_wave,
        "baseline_wave": config.change.baseline_wave,
        "alpha": config.change.alpha,
        "power": config.change.power,
        "ratio_threshold": config.reach.under_represented_ratio,
        "item_definitions": items,
        "theme_settings": theme_settings,
        "packages": [{"name": k, "version": v or "not installed"} for k, v in sorted(packages.items())],
        "python": manifest.get("python"),
        "git_commit": git.get("commit", "unknown"),
        "git_dirty": git.get("dirty"),
        "inputs": [{"name": i.get("name"), "path": i.get("path"), "sha256": (i.get("sha256") or "")[:12]}
                   for i in manifest.get("inputs", []) if isinstance(i, Mapping)],
        "previous_cycle": config.previous_cycle,
    }
