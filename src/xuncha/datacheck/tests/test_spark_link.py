"""Record linkage on Spark (issue #9): the same records and model give the same pairs, with
the same probabilities, levels and bands, on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import importlib.util
import os

import pyarrow as pa
import pytest

from xuncha.datacheck.lib import link, linksynth

pytestmark = pytest.mark.spark

LEFT_ROLES = {c: c for c in linksynth.LEFT_COLUMNS if c in link.ROLES}
RIGHT_ROLES = {c: c for c in linksynth.RIGHT_COLUMNS if c in link.ROLES}


@pytest.fixture(scope="module")
def spark():
    if importlib.util.find_spec("pyspark") is None:
        if os.environ.get("XUNCHA_REQUIRE_SPARK") == "1":
            pytest.fail("pyspark is required here (XUNCHA_REQUIRE_SPARK=1)")
        pytest.skip("pyspark is not installed: pip install 'xuncha[spark]'")
    from xuncha.datacheck.lib import spark as spark_lib

    return spark_lib.session()


@pytest.fixture(scope="module")
def records():
    linkset = linksynth.generate(600, 150, seed=7)
    left, problems = link.prepare(linkset.left, LEFT_ROLES, on=linksynth.REFERENCE_DAY)
    assert problems == []
    right, problems = link.prepare(linkset.right, RIGHT_ROLES, on=linksynth.REFERENCE_DAY)
    assert problems == []
    return left, right, linkset


def test_duckdb_and_spark_give_identical_links(spark, records):
    left, right, linkset = records
    model = link.default_model()
    thresholds = link.Thresholds(0.9, 0.05)
    on_duckdb = link.run(left, right, model=model, thresholds=thresholds)
    on_spark = link.run(
        left, right, model=model, thresholds=thresholds, engine="spark", spark=spark
    )
    assert on_duckdb.pairs.num_rows > 50
    assert on_spark.pairs.to_pylist() == on_duckdb.pairs.to_pylist()
    # And they are links worth having: most true pairs are found.
    truth = set(
        zip(
            linkset.truth.column("left_id").to_pylist(),
            linkset.truth.column("right_id").to_pylist(),
            strict=True,
        )
    )
    links = {
        (r["left_id"], r["right_id"]) for r in on_spark.pairs.to_pylist() if r["band"] == "match"
    }
    assert len(links & truth) / len(truth) > 0.8
    assert len(links & truth) / len(links) > 0.9


def test_duplicates_on_spark(spark, records):
    left, _right, _linkset = records
    doubled = pa.concat_tables(
        [
            left,
            left.slice(0, 5).set_column(
                0, "unique_id", pa.array([f"copy{i}" for i in range(5)], pa.string())
            ),
        ]
    )
    model = link.default_model()
    on_duckdb = link.run(doubled, None, model=model)
    on_spark = link.run(doubled, None, model=model, engine="spark", spark=spark)
    assert on_spark.pairs.to_pylist() == on_duckdb.pairs.to_pylist()
    copies = {
        tuple(sorted((r["left_id"], r["right_id"])))
        for r in on_spark.pairs.to_pylist()
        if r["band"] == "match" and "copy" in r["left_id"] + r["right_id"]
    }
    assert len(copies) == 5


def test_given_pairs_score_the_same_on_spark(spark, records):
    left, right, linkset = records
    model = link.default_model()
    truth = list(
        zip(
            linkset.truth.column("left_id").to_pylist()[:3],
            linkset.truth.column("right_id").to_pylist()[:3],
            strict=True,
        )
    )
    # and a pair of strangers, which no blocking rule would have compared
    wanted = [*truth, (left.column("unique_id")[0].as_py(), right.column("unique_id")[-1].as_py())]
    on_duckdb = link.score(left, right, wanted, model=model)
    on_spark = link.score(left, right, wanted, model=model, engine="spark", spark=spark)
    assert on_duckdb.num_rows == 4
    assert on_spark.to_pylist() == on_duckdb.to_pylist()
