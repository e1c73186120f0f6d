-- One schema for PostgreSQL and for H2 in its PostgreSQL mode (the embedded store).

-- Retained messages by topic. message: the broker's serialized message (PublishedMessage.toBytes);
-- expires_at: epoch milliseconds when the message expires (MQTT 5 Message Expiry), 0 = never.
CREATE TABLE mqttgrid_retained (
  topic      TEXT PRIMARY KEY,
  message    BYTEA NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Namespace model resources (clients, client groups, topic spaces, permission bindings, CA
-- certificates, settings, ...) by the key the broker gives them, as the JSON the API shows.
CREATE TABLE mqttgrid_namespace (
  resource_key TEXT PRIMARY KEY,
  json         TEXT NOT NULL
);

-- Which cluster writes this database: one row. A cluster renews heartbeat while it runs; another
-- cluster is refused while the heartbeat is younger than its persistence.lease-timeout.
CREATE TABLE mqttgrid_lease (
  id           INTEGER PRIMARY KEY,
  cluster_name TEXT NOT NULL,
  holder_node  TEXT NOT NULL,
  acquired_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  heartbeat    TIMESTAMP WITH TIME ZONE NOT NULL
);
