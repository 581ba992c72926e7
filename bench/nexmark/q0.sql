-- q0 — pass-through: every bid, unchanged, into a blackhole.
--
-- Measures the floor under every other query: generating events, projecting the bid ROW into
-- columns, filtering on event_type and handing batches to a sink. Bids are used because they
-- are 46 of every 50 events.

CREATE TABLE nexmark_q0 (
  auction  BIGINT,
  bidder   BIGINT,
  price    BIGINT,
  dateTime TIMESTAMP(3),
  extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q0
SELECT auction, bidder, price, dateTime, extra
FROM bid;
