package io.mqttgrid.persistence;

/**
 * The state database could not do what was asked (unreachable, refused, lease held by another
 * cluster); the message is written for the operator.
 */
public final class PersistenceException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public PersistenceException(String message) {
    super(message);
  }

  public PersistenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
