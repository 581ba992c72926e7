-- q2 — selection: the bids on every 123rd auction.
--
-- A stateless filter that keeps few rows (the original query named five auction ids; the
-- nexmark project widened it to a modulus so that the output does not dry up).

CREATE TABLE nexmark_q2 (
  auction BIGINT,
  price   BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q2
SELECT auction, price
FROM bid
WHERE MOD(auction, 123) = 0;
