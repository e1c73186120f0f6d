-- Persistent sessions (docs/persistence.md), one row per client id in each table, as the broker's
-- Hazelcast maps hold them: the session record (expiry, will, subscriptions, owner, QoS 2 packet
-- ids awaiting PUBREL, when it went offline) and the session's queue (QoS 1/2 messages not yet
-- acknowledged by the client, with their delivery state). Both are the broker's binary form
-- (io.mqttgrid.hazelcast.SessionWireFormat behind a format byte), not meant for SQL clients.

CREATE TABLE mqttgrid_sessions (
  client_id TEXT PRIMARY KEY,
  record    BYTEA NOT NULL
);

CREATE TABLE mqttgrid_queues (
  client_id TEXT PRIMARY KEY,
  queue     BYTEA NOT NULL
);
