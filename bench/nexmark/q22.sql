-- q22 — URL directories: the first three path segments of each bid's URL.
--
-- SPLIT_INDEX splits the URL on '/' and picks fields 3, 4 and 5 (counted from 0, so after
-- "https:", the empty field and the host). A stateless query that measures string
-- splitting and the strings it produces.

CREATE TABLE nexmark_q22 (
  auction BIGINT,
  bidder  BIGINT,
  price   BIGINT,
  channel VARCHAR,
  dir1    VARCHAR,
  dir2    VARCHAR,
  dir3    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q22
SELECT auction, bidder, price, channel,
       SPLIT_INDEX(url, '/', 3) AS dir1,
       SPLIT_INDEX(url, '/', 4) AS dir2,
       SPLIT_INDEX(url, '/', 5) AS dir3
FROM bid;
