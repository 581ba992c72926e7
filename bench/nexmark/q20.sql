-- q20 — expand bids with their auction: every bid on a category-10 auction, joined with the
-- auction's columns.
--
-- An unbounded inner join of bids with auctions on the auction id, the auctions filtered to
-- one category of five first: it measures a join whose probe side is the large bid stream
-- and whose output rows are wide.

CREATE TABLE nexmark_q20 (
  auction          BIGINT,
  bidder           BIGINT,
  price            BIGINT,
  channel          VARCHAR,
  url              VARCHAR,
  bid_dateTime     TIMESTAMP(3),
  bid_extra        VARCHAR,
  itemName         VARCHAR,
  description      VARCHAR,
  initialBid       BIGINT,
  reserve          BIGINT,
  auction_dateTime TIMESTAMP(3),
  expires          TIMESTAMP(3),
  seller           BIGINT,
  category         BIGINT,
  auction_extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q20
SELECT auction, bidder, price, channel, url, B.dateTime, B.extra,
       itemName, description, initialBid, reserve, A.dateTime, expires, seller, category,
       A.extra
FROM bid AS B
JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
