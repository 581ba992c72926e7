-- GROUP BY over N rows (bench/duckdb/run.sh substitutes @ROWS@): 100,000 groups, SUM and COUNT.
-- Setup (not timed): the rows go into a table Weir stores; the last statement is timed.
CREATE TABLE seq (id BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '1000000000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '@LAST@');
CREATE TABLE t (id BIGINT, k BIGINT, v BIGINT);
INSERT INTO t SELECT id, id % 100000, id * 7 % 1000 FROM seq;
SELECT COUNT(*), SUM(s), SUM(c) FROM (SELECT k, SUM(v) AS s, COUNT(*) AS c FROM t GROUP BY k) AS g;
