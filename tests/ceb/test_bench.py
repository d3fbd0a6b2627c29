"""The benchmark runs and reports the agreed keys (timings themselves are not asserted)."""

from kuajing.ceb.bench import format_table, run


def test_bench_smoke():
    rows = run(seconds_per_case=0.02)
    assert {r["case"] for r in rows} >= {"CEB311 parse+validate", "CEB621 build"}
    for r in rows:
        assert {"case", "records", "us_per_record", "floor_us_per_record", "ratio"} <= r.keys()
        assert r["records"] in (1, 100) and r["ratio"] > 0
    assert "ratio" in format_table(rows)
