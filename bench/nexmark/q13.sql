-- q13 — bounded side input join: each bid enriched with a value looked up in a file.
--
-- A lookup join (FOR SYSTEM_TIME AS OF a processing-time attribute) against a small CSV
-- table of 10,000 (key, value) rows, keyed by the auction id modulo 10,000: stream
-- enrichment. side_input.csv holds the lines "0,0" to "9999,9999", as the nexmark project's
-- side-input generator writes them; `weir bench nexmark` writes it into the temporary
-- directory each query runs in.

CREATE TABLE side_input (
  key     BIGINT,
  `value` VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = 'side_input.csv',
  'format' = 'csv'
);

CREATE TABLE nexmark_q13 (
  auction  BIGINT,
  bidder   BIGINT,
  price    BIGINT,
  dateTime TIMESTAMP(3),
  `value`  VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q13
SELECT B.auction, B.bidder, B.price, B.dateTime, S.`value`
FROM (SELECT *, PROCTIME() AS p_time FROM bid) AS B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
  ON MOD(B.auction, 10000) = S.key;
