"""The feature pipeline is written once: on PySpark (local mode) it gives exactly the features
DuckDB gives. Needs the `spark` extra (`uv sync --extra spark`) and Java; skipped without."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from devotion.analytics.demo_data import toy_events
from devotion.analytics.features import build_features, collect

pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]  # starts a JVM; reads no database


def test_pyspark_and_duckdb_compute_the_same_features():
    pyspark_sql = pytest.importorskip("pyspark.sql")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its goodbye outlives pytest's streams
    events = toy_events(150, random_state=9)
    spark = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("devotion-features-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        frame = spark.createDataFrame(events.to_pylist(), schema=_schema(pyspark_sql))
        on_spark = collect(build_features(frame, 700.0))
    finally:
        spark.stop()
    on_duckdb = collect(build_features(events, 700.0))
    assert set(on_spark) == set(on_duckdb)
    for name, values in on_duckdb.items():
        np.testing.assert_allclose(on_spark[name], values, rtol=1e-12, equal_nan=True, err_msg=name)


def _schema(pyspark_sql):  # the event columns with the types DuckDB reads
    types = pyspark_sql.types
    return types.StructType(
        [
            types.StructField("person_id", types.LongType()),
            types.StructField("kind", types.StringType()),
            types.StructField("direction", types.StringType()),
            types.StructField("day", types.DoubleType()),
            types.StructField("amount", types.DoubleType()),
            types.StructField("rating", types.DoubleType()),
            types.StructField("survey", types.StringType()),
        ]
    )
