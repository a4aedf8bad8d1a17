"""The state-compatibility check an analyst runs before deploying an SQL edit
(tooling/state_compat.py): a savepoint of the base SQL on a sample, the edited SQL started from
it with non-restored state refused, as an update on Managed Flink does."""
from __future__ import annotations

import shutil

import pytest

from jobs.sql_files import SQL_DIR
from tooling.state_compat import main


@pytest.fixture
def edited(tmp_path):
    folder = tmp_path / "sql"
    shutil.copytree(SQL_DIR, folder)
    return folder


@pytest.mark.sql
def test_rule_changes_keep_every_operators_state(edited, capsys):
    status = main(["--base", str(SQL_DIR), "--sql", str(edited),
                   "--set", "rules.threshold.speed=300", "--set", "rules.rate.engine.window.s=600"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("compatible: ") and "(no state dropped)" in out


@pytest.mark.sql
def test_an_edit_that_removes_a_stateful_operator_is_caught_and_named(edited, capsys):
    latest = edited / "32_output_latest_state.sql"
    text = latest.read_text()
    dedupe = ("FROM (\n  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, vehicle_id "
              "ORDER BY event_ts DESC) AS rn\n"
              "  FROM TABLE(TUMBLE(TABLE telemetry_valid, DESCRIPTOR(event_ts), {{job.latest-state.interval}})))\n"
              "WHERE rn = 1;")
    assert dedupe in text
    latest.write_text(text.replace(dedupe, "FROM telemetry_valid;"))   # every reading, not the newest
    status = main(["--base", str(SQL_DIR), "--sql", str(edited)])
    out = capsys.readouterr().out
    assert status == 1, out
    assert out.startswith("NOT compatible: ")
    assert "Cannot map checkpoint/savepoint state for operator" in out
    named = [line for line in out.splitlines() if line.startswith("  - ") and "(id " in line]
    assert len(named) == 1 and not named[0].startswith("  - operator ("), out    # a name from the savepoint
    assert "SKIP_RESTORE_FROM_SNAPSHOT" in out and "AllowNonRestoredState=true" in out


@pytest.mark.sql
def test_sql_that_does_not_build_is_an_error_not_a_verdict(edited, capsys):
    (edited / "21_analytics_rule_breaches.sql").write_text("CREATE TEMPORARY VIEW rule_breaches AS SELEC 1;")
    status = main(["--base", str(SQL_DIR), "--sql", str(edited)])
    captured = capsys.readouterr()
    assert status == 2
    assert "the SQL does not build: sql/21_analytics_rule_breaches.sql" in captured.err


@pytest.mark.unit
def test_the_base_is_sql_at_a_git_revision(tmp_path):
    import subprocess

    from jobs.config import ConfigError
    from tooling.state_compat import sql_at

    folder = sql_at("HEAD", tmp_path)
    committed = subprocess.run(["git", "ls-tree", "--name-only", "HEAD", "sql/"], check=True,
                               capture_output=True, text=True, cwd=SQL_DIR.parent).stdout.split()
    assert sorted(f"sql/{p.name}" for p in folder.iterdir()) == sorted(committed) and committed
    with pytest.raises(ConfigError, match="--base no-such-revision: cannot read sql/ at that git revision"):
        sql_at("no-such-revision", tmp_path / "x")
