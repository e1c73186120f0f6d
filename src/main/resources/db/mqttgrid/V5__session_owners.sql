-- Which authentication name owns each session name (client id): Event Grid's rule that a session
-- bound to one authentication name cannot be taken by another, and that a name holds at most N
-- sessions, must hold for sessions brought back after a restart of the whole cluster too.
-- Written behind (about a second), since every authenticated connect of a new client id claims one.
CREATE TABLE mqttgrid_session_owners (
  client_id           TEXT PRIMARY KEY,
  authentication_name TEXT NOT NULL
);
