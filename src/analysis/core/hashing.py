"""SHA-256 of files and folders: the one implementation the manifest, the reuse keys and the model checks share."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (model weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_sha256(folder: Path) -> str:
    """SHA-256 over every file of a folder: each relative path and its file's SHA-256, in sorted order.

    Bytecode caches (``__pycache__``) are left out: they differ between machines and say nothing new.
    The packaged name model's published hash (:data:`analysis.present.deidentify.model.MODEL_FILES_SHA256`)
    is computed this way, so the format must not change.
    """
    digest = hashlib.sha256()
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode() + b"\n")
    return digest.hexdigest()
