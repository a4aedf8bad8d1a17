"""Loads the analysts' SQL files: ordered by name, {{group.key}} placeholders filled from config."""
from __future__ import annotations

import re
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


class SqlFileError(ValueError):
    pass


def _strip_comments(text: str) -> str:
    # Only whole-line comments: '--' inside a string literal must survive.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def render(text: str, values: dict[str, str], where: str) -> str:
    def fill(m: re.Match) -> str:
        if m.group(1) not in values:
            raise SqlFileError(f"{where}: unknown placeholder {{{{{m.group(1)}}}}}; "
                               f"known: {', '.join(sorted(values))}")
        return values[m.group(1)]
    return _PLACEHOLDER.sub(fill, text)


def statements(values: dict[str, str], sql_dir: Path = SQL_DIR) -> list[tuple[str, str]]:
    """(file name, statement) for every statement of every *.sql file, in file-name order."""
    out = []
    files = sorted(sql_dir.glob("*.sql"))
    if not files:
        raise SqlFileError(f"no .sql files in {sql_dir}")
    for path in files:
        text = render(_strip_comments(path.read_text(encoding="utf-8")), values, path.name)
        # Statements end with ';' at the end of a line; no statement here has one inside.
        for stmt in re.split(r";\s*(?:\n|$)", text):
            if stmt.strip():
                out.append((path.name, stmt.strip()))
    return out
