"""Keyed, repeatable pseudonyms for identifiers, and finding the secret key."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.core.errors import ConfigError


def pseudonymise(values: pd.Series, key: str, *, namespace: str) -> pd.Series:
    """Replace identifiers with keyed, repeatable pseudonyms.

    The same value, key and namespace always give the same pseudonym, so a
    person can be followed across waves; without the key the pseudonym cannot
    be reversed or recomputed from a guessed identifier (unlike a plain hash).

    Parameters
    ----------
    values
        Identifiers (e-mail, respondent reference...). Surrounding spaces are
        ignored; missing or blank values stay missing.
    key
        Secret key (see :func:`resolve_key`).
    namespace
        Separates kinds of identifier ("person", "respondent") so that equal
        raw values in different roles do not share a pseudonym.

    Returns
    -------
    pandas.Series
        16 lower-case hex characters (HMAC-SHA256 of ``"{namespace}:{value}"``,
        truncated), same index and name, string dtype.
    """
    if not key:
        raise ConfigError("the pseudonymisation key is empty; set a non-empty key")
    secret = key.encode("utf-8")

    def _one(value: object) -> object:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return pd.NA
        text = str(value).strip()
        if not text:
            return pd.NA
        message = f"{namespace}:{text}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]

    return pd.Series(
        [_one(v) for v in values.tolist()], index=values.index, name=values.name, dtype="str"
    )


def resolve_key(
    env_var: str,
    key_file: Path | None,
    demo_key: str | None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, bool]:
    """Find the pseudonymisation key: environment variable, key file, demo key.

    Parameters
    ----------
    env_var
        Name of the environment variable holding the key (checked first).
    key_file
        A git-ignored file holding the key (surrounding whitespace stripped),
        used if the variable is unset or blank and the file exists. A relative
        path is taken from the repository root, never the working directory.
    demo_key
        Published key of the synthetic example, used last.
    environ
        Environment to read; ``os.environ`` by default.

    Returns
    -------
    tuple[str, bool]
        The key and whether it is the (public, not secret) demo key.

    Raises
    ------
    ConfigError
        If no key is found, or the key file exists but is empty.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_var, "").strip()
    if value:
        return value, False
    key_path = paths.resolve(key_file) if key_file is not None else None
    if key_path is not None and key_path.is_file():
        content = key_path.read_text(encoding="utf-8").strip()
        if not content:
            raise ConfigError(f"pseudonymisation key file {key_file} is empty; put the key in it")
        return content, False
    if demo_key:
        return demo_key, True
    where = f"; key file {key_path} does not exist" if key_path is not None else ""
    raise ConfigError(
        f"no pseudonymisation key found: environment variable {env_var} is not set{where}. "
        f"Set it (e.g. `export {env_var}=...` in your shell) or set deidentification.key_file "
        "in the config to a git-ignored file containing the key. Keep the same key across "
        "cycles so that pseudonyms stay comparable."
    )
