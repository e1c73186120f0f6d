-- Session queues one row per queued message (docs/persistence.md, "Sessions"), instead of one row
-- per queue rewritten whole on every change: a change of a queue writes the rows it touched (a
-- message appended: INSERT; acknowledged: DELETE; sent or released: UPDATE of its state).
--
-- mqttgrid_queue_heads: one row per queue, what is not a message: the connection that owns the
-- queue, the sequence number the next message gets, and a version that changes on every write (a
-- member that wrote the queue before another one did finds its knowledge stale and writes the
-- queue whole).
CREATE TABLE mqttgrid_queue_heads (
  client_id TEXT PRIMARY KEY,
  owner     TEXT,
  next_seq  BIGINT NOT NULL,
  version   BIGINT NOT NULL
);

-- mqttgrid_queue_messages: the messages, by client id and the sequence number the queue gave them;
-- state 0 queued (not sent yet), 1 sent (waiting for PUBACK/PUBREC), 2 released (QoS 2, waiting
-- for PUBCOMP); message in the broker's binary form (io.mqttgrid.routing.PublishedMessage).
CREATE TABLE mqttgrid_queue_messages (
  client_id        TEXT NOT NULL,
  seq              BIGINT NOT NULL,
  state            SMALLINT NOT NULL,
  packet_id        INTEGER NOT NULL,
  shared_group     TEXT,
  subscription_ids TEXT,
  message          BYTEA NOT NULL,
  PRIMARY KEY (client_id, seq)
);

-- The queues of mqttgrid_queues (V2: one row per queue, in the broker's Hazelcast binary form) are
-- not moved here by SQL: only the broker's own serializers read that form. The broker converts them
-- when it loads them (the first start after the upgrade), each in the transaction that writes its
-- rows here and deletes it there; the table is left empty.
