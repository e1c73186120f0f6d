package io.mqttgrid.access;

/** Turns an identity into what it may do, against the namespace model as this node knows it now. */
public interface AccessControl {

  Permissions permissionsFor(ClientIdentity identity);

  /**
   * The version of the model {@link #permissionsFor} answers from; it only grows. Rights computed
   * after reading version {@code v} are out of date once this is larger than {@code v}. A volatile
   * read, cheap enough for every packet.
   */
  long modelVersion();
}
