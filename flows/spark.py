"""A local Spark session for Splink's Spark backend (for users who outgrow one machine's DuckDB).

pyspark is an optional dependency (`pip install 'casesync[spark]'`); it is imported only here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from splink.internals.spark.jar_location import similarity_jar_location

# The matcher's input columns that are not strings.
INTEGER_COLUMNS = frozenset({"dob_year", "dob_month", "dob_day"})
BOOLEAN_COLUMNS = frozenset({"cnp_consistent"})


def spark_session(work_dir: Path, master: str = "local[2]") -> Any:
    """A Spark session with Splink's string-similarity UDFs and a checkpoint folder."""
    from pyspark.sql import SparkSession  # noqa: PLC0415 (optional dependency)

    work_dir.mkdir(parents=True, exist_ok=True)
    spark = (
        SparkSession.builder.master(master)
        .appName("casesync-matching")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.local.dir", str(work_dir))
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(str(work_dir / "checkpoints"))
    return spark


def spark_frame(spark: Any, rows: list[dict[str, Any]]) -> Any:
    """The matcher's rows as a Spark DataFrame with an explicit schema (no type inference)."""
    from pyspark.sql.types import (  # noqa: PLC0415 (optional dependency)
        BooleanType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    columns = list(rows[0])

    def kind(column: str) -> Any:
        if column in INTEGER_COLUMNS:
            return LongType()
        return BooleanType() if column in BOOLEAN_COLUMNS else StringType()

    schema = StructType([StructField(c, kind(c), True) for c in columns])
    return spark.createDataFrame([tuple(r[c] for c in columns) for r in rows], schema)
