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

  /**
   * Whether {@code failure} is, or was caused by, the state database failing: callers answer it as
   * a passing unavailability (HTTP 503), not as a broker fault. Hazelcast operations and futures
   * wrap it, so the whole cause chain is looked at.
   */
  public static boolean isCauseOf(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof PersistenceException) {
        return true;
      }
    }
    return false;
  }
}
