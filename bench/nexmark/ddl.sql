-- ddl.sql — the Nexmark source and its three views, shared by every query in this folder.
--
-- One table produces the whole auction stream: each row is a person (event_type 0), an
-- auction (1) or a bid (2), with exactly that ROW set. dateTime is the event's time whichever
-- kind it is, and the watermark trails it by 4 seconds, as in the nexmark project's Flink
-- setup. The rate is the project's V1 default (10M events per second of event time, so
-- 100M events span 10 seconds); `weir bench nexmark` lowers 'events.num' with ALTER TABLE.
-- docs/connectors.md ("nexmark") describes the generator and its options.

CREATE TABLE nexmark (
  event_type INT,
  person  ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
              state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>,
  auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
              reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
              category BIGINT, extra VARCHAR>,
  bid     ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
              dateTime TIMESTAMP(3), extra VARCHAR>,
  dateTime AS CASE event_type WHEN 0 THEN person.dateTime
                              WHEN 1 THEN auction.dateTime
                              ELSE bid.dateTime END,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (
  'connector' = 'nexmark',
  'first-event.rate' = '10000000',
  'next-event.rate' = '10000000',
  'events.num' = '100000000'
);

/* The three event kinds as flat tables. dateTime stays the rowtime attribute through them. */
CREATE VIEW person AS
SELECT person.id           AS id,
       person.name         AS name,
       person.emailAddress AS emailAddress,
       person.creditCard   AS creditCard,
       person.city         AS city,
       person.state        AS state,
       dateTime,
       person.extra        AS extra
FROM nexmark
WHERE event_type = 0;

CREATE VIEW auction AS
SELECT auction.id          AS id,
       auction.itemName    AS itemName,
       auction.description AS description,
       auction.initialBid  AS initialBid,
       auction.reserve     AS reserve,
       dateTime,
       auction.expires     AS expires,
       auction.seller      AS seller,
       auction.category    AS category,
       auction.extra       AS extra
FROM nexmark
WHERE event_type = 1;

CREATE VIEW bid AS
SELECT bid.auction AS auction,
       bid.bidder  AS bidder,
       bid.price   AS price,
       bid.channel AS channel,
       bid.url     AS url,
       dateTime,
       bid.extra   AS extra
FROM nexmark
WHERE event_type = 2;
