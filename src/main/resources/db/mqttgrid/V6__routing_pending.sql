-- Routed events waiting for a retry (docs/routing.md), by "<node>/<batch id>", as the JSON the
-- routing writes for a pending batch: kept from a batch's first failed attempt until it is delivered
-- or dead-lettered, so that a restart of the whole cluster does not lose them either.
CREATE TABLE mqttgrid_routing_pending (
  batch_key TEXT PRIMARY KEY,
  json      TEXT NOT NULL
);
