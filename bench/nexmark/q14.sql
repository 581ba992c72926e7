-- q14 — calculation: bids in a price band, with derived columns and a user-defined function.
--
-- A stateless query with repeated expressions (0.908 * price three times, HOUR(dateTime)
-- four times) and count_char, a scalar function written in C (docs/udf.md) that counts the
-- 'c's in extra. `weir bench nexmark` registers count_char itself, so the CREATE FUNCTION
-- below does nothing there; to run this file with `weir sql -f`, build a library exporting
-- count_char_udf (tests/e2e/udf/strings.c is one; see README.md) as libcount_char.so in the
-- current directory.

CREATE FUNCTION IF NOT EXISTS count_char AS 'count_char_udf' LANGUAGE C
  USING JAR 'libcount_char.so';

CREATE TABLE nexmark_q14 (
  auction     BIGINT,
  bidder      BIGINT,
  price       DECIMAL(23, 3),
  bidTimeType VARCHAR,
  dateTime    TIMESTAMP(3),
  extra       VARCHAR,
  c_counts    BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q14
SELECT auction,
       bidder,
       0.908 * price AS price,
       CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
            WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
            ELSE 'otherTime' END AS bidTimeType,
       dateTime,
       extra,
       count_char(extra, 'c') AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
