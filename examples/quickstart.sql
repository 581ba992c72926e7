-- Weir quickstart: a bounded datagen source -> filter and projection -> print sink.
-- Run it with `make demo` or `build/weir sql -f examples/quickstart.sql`.

SET 'parallelism.default' = '2';

CREATE TABLE orders (
  order_id BIGINT,
  customer STRING,
  amount   INT,
  express  BOOLEAN
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10',
  'fields.order_id.kind' = 'sequence',
  'fields.order_id.start' = '1',
  'fields.order_id.end' = '20',
  'fields.customer.length' = '6',
  'fields.amount.min' = '1',
  'fields.amount.max' = '500'
);

CREATE TABLE big_orders (
  order_id BIGINT,
  customer STRING,
  amount   INT,
  band     STRING
) WITH (
  'connector' = 'print'
);

/* Orders over 100, with the customer name tagged and a price band. */
INSERT INTO big_orders
SELECT order_id,
       'cust-' || customer,
       amount,
       CASE WHEN amount >= 400 THEN 'high' WHEN express THEN 'express' ELSE 'normal' END
FROM orders
WHERE amount > 100;
