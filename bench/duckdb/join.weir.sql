-- Hash join of N probe rows with N/10 build rows on a BIGINT key (one match per probe row).
CREATE TABLE seq (id BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '1000000000000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '@LAST@');
CREATE TABLE t (id BIGINT, k BIGINT, v BIGINT);
INSERT INTO t SELECT id, id % @DIM@, id * 7 % 1000 FROM seq;
CREATE TABLE d (k BIGINT, w BIGINT);
INSERT INTO d SELECT id, id % 97 FROM seq WHERE id < @DIM@;
SELECT COUNT(*), SUM(v + w) FROM t JOIN d ON t.k = d.k;
