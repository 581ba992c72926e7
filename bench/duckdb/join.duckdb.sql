CREATE TABLE t AS SELECT range AS id, range % @DIM@ AS k, range * 7 % 1000 AS v FROM range(@ROWS@);
CREATE TABLE d AS SELECT range AS k, range % 97 AS w FROM range(@DIM@);
SELECT COUNT(*), SUM(v + w) FROM t JOIN d ON t.k = d.k;
