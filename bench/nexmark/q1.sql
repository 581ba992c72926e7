-- q1 — currency conversion: each bid's price from dollars to euros.
--
-- A stateless map with decimal arithmetic: the price BIGINT times the DECIMAL literal 0.908
-- is a DECIMAL(23, 3) for every bid.

CREATE TABLE nexmark_q1 (
  auction  BIGINT,
  bidder   BIGINT,
  price    DECIMAL(23, 3),
  dateTime TIMESTAMP(3),
  extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q1
SELECT auction,
       bidder,
       0.908 * price AS price,  -- dollars to euros
       dateTime,
       extra
FROM bid;
