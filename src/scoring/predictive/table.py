"""Reading a CRM export (CSV) into columns of text, and reading its 0/1 target column.

Real exports are messy: a byte-order mark, `;` as separator, lines ending in a comma (an empty
last column), missing values spelled in many ways. This module copes with those and raises
`DataError` with a one-line message for anything it cannot use.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Compared after strip() and casefold(). "select" is an unselected web-form drop-down.
MISSING_SPELLINGS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "select", "-", "--", "?"})
POSITIVE_LABELS = frozenset({"1", "1.0", "true", "yes", "y"})
NEGATIVE_LABELS = frozenset({"0", "0.0", "false", "no", "n"})
MIN_ROWS = 20
MIN_ROWS_PER_CLASS = 5


class DataError(ValueError):
    """The input cannot be used; the message is meant for the user as it is."""


def is_missing(text: str) -> bool:
    return text.strip().casefold() in MISSING_SPELLINGS


@dataclass
class Table:
    """A CSV file as text columns: `cells[name][row]`."""

    source: str
    columns: list[str]
    cells: dict[str, list[str]]

    @property
    def n_rows(self) -> int:
        return len(self.cells[self.columns[0]]) if self.columns else 0

    def take(self, row_indices) -> Table:
        """A table with only the given rows (used for cross-validation folds)."""
        return Table(
            self.source,
            self.columns,
            {name: [values[i] for i in row_indices] for name, values in self.cells.items()},
        )

    def records(self) -> list[dict[str, str]]:
        return [{name: self.cells[name][i] for name in self.columns} for i in range(self.n_rows)]


def read_csv(path: str | Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_guess_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV file (line {reader.line_num}: {error})") from None
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise DataError(f"{path}: the file has a header but no data rows")

    width = len(header)
    for line_number, row in enumerate(body, start=2):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise DataError(f"{path}: a data row (near line {line_number}) has more cells than the header")
    columns: dict[str, list[str]] = {}
    for index, raw_name in enumerate(header):
        values = [row[index] if index < len(row) else "" for row in body]
        name = raw_name.strip()
        if not name:
            if all(not value.strip() for value in values):
                continue  # the empty column of lines that end in a separator
            name = f"column {index + 1}"
        if name in columns:
            raise DataError(f"{path}: the column name {name!r} appears twice in the header")
        columns[name] = values
    return Table(str(path), list(columns), columns)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # spreadsheet exports on Windows


def _guess_delimiter(text: str) -> str:
    """The most frequent of `,` `;` and tab in the header line (European spreadsheets use `;`)."""
    header = text.split("\n", 1)[0]
    return max([",", ";", "\t"], key=header.count)


def read_target(table: Table, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The target as 0/1 ints and the mask of labelled rows (rows with a missing label are
    left out: open leads whose outcome is not known yet)."""
    if target not in table.cells:
        raise DataError(
            f"{table.source}: no column named {target!r} "
            f"(columns: {', '.join(repr(c) for c in table.columns[:12])}"
            f"{', ...' if len(table.columns) > 12 else ''})"
        )
    labels = np.full(table.n_rows, -1)
    offending: set[str] = set()
    for row, text in enumerate(table.cells[target]):
        key = text.strip().casefold()
        if key in POSITIVE_LABELS:
            labels[row] = 1
        elif key in NEGATIVE_LABELS:
            labels[row] = 0
        elif not is_missing(text):
            offending.add(text.strip())
    if offending:
        shown = ", ".join(repr(v) for v in sorted(offending)[:5])
        more = f" and {len(offending) - 5} more" if len(offending) > 5 else ""
        raise DataError(
            f"{table.source}: target column {target!r} must hold 0/1 (or true/false, yes/no); found {shown}{more}"
        )
    labelled = labels >= 0
    y = labels[labelled]
    if len(y) < MIN_ROWS:
        raise DataError(f"{table.source}: {len(y)} labelled rows in {target!r}; at least {MIN_ROWS} are needed")
    for label in (0, 1):
        count = int((y == label).sum())
        if count == 0:
            raise DataError(
                f"{table.source}: target column {target!r} has only one class ({1 - label}); both 0 and 1 are needed"
            )
        if count < MIN_ROWS_PER_CLASS:
            raise DataError(
                f"{table.source}: target column {target!r} has only {count} rows of class "
                f"{label}; at least {MIN_ROWS_PER_CLASS} are needed"
            )
    return y, labelled
