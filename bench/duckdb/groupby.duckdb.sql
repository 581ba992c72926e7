CREATE TABLE t AS SELECT range AS id, range % 100000 AS k, range * 7 % 1000 AS v FROM range(@ROWS@);
SELECT COUNT(*), SUM(s), SUM(c) FROM (SELECT k, SUM(v) AS s, COUNT(*) AS c FROM t GROUP BY k) AS g;
