"""User-facing errors: one clear message, a known exit code, no traceback.

Anything a user can cause by a bad file or a bad config raises one of these.
The CLI catches them, prints ``str(error)`` and exits with ``exit_code``;
programming errors are left to raise normally so that they are fixed, not hidden.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Base class for errors caused by user input rather than by a bug."""

    exit_code: int = 1


class ConfigError(UserError):
    """The cycle configuration is broken: unknown key, wrong type, missing file."""

    exit_code = 2


class InputFileError(UserError):
    """A raw input file is structurally unusable (unreadable, empty, missing column).

    Parameters
    ----------
    path
        The offending file.
    problem
        Plain-English description of what is wrong.
    row, column
        Where, when it can be pinned down (row numbers are 1-based spreadsheet
        rows, counting the header as row 1).
    """

    exit_code = 1

    def __init__(self, path: str | Path, problem: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.row = row
        self.column = column
        where = [f"file {self.path.name!s}"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class ReconciliationError(UserError):
    """Rows read did not equal rows kept + rejected + removed as duplicates."""

    exit_code = 1


class NotebookFailed(UserError):
    """A notebook in the cycle run raised; the message carries the failing cell's error."""

    exit_code = 1
