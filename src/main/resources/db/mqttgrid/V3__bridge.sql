-- The bridge's dataflow endpoints and dataflows made through the management API (docs/bridge.md),
-- by the key the broker gives them ("dataflowEndpoints/<name>", "dataflows/<name>"), as the JSON of
-- their properties. Those of the bridge file are not stored: the file is their source.
CREATE TABLE mqttgrid_bridge (
  resource_key TEXT PRIMARY KEY,
  json         TEXT NOT NULL
);
