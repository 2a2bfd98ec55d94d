"""File and folder hashes (analysis.core.hashing)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from analysis.core.hashing import folder_sha256, sha256_file


def test_file_hash_is_sha256_of_its_bytes_in_any_chunk_size(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(path, chunk=7) == expected


def test_folder_hash_follows_paths_and_bytes_but_not_bytecode(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n", encoding="utf-8")
    first = folder_sha256(tmp_path)
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    assert folder_sha256(tmp_path) == first
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n", encoding="utf-8")
    second = folder_sha256(tmp_path)
    assert second != first
    (tmp_path / "pkg" / "a.py").rename(tmp_path / "pkg" / "b.py")
    assert folder_sha256(tmp_path) != second  # same bytes, another name
