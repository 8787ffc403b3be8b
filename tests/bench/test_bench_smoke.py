"""The benchmark code must not rot: generate a tiny data set and run one scenario (no timings asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generate_and_run_one_scenario(tmp_path):
    db = tmp_path / "bench.sqlite3"
    gen = subprocess.run(
        [sys.executable, "bench/generate.py", "--db", "sqlite", "--units", "200", "--sqlite-path", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert gen.returncode == 0, gen.stderr[-2000:]
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--db", "sqlite", "--sqlite-path", str(db), "--n", "2", "--warmup", "1",
         "--scenario", "hq_first_page", "--label", "smoke", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    table = (tmp_path / "results-sqlite-smoke.md").read_text()
    assert "hq_first_page" in table and "| scenario |" in table
