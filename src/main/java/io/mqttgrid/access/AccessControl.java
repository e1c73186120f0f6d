package io.mqttgrid.access;

/** Turns an identity into what it may do, against the namespace model as this node knows it now. */
public interface AccessControl {

  Permissions permissionsFor(ClientIdentity identity);
}
