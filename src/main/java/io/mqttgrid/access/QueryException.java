package io.mqttgrid.access;

/**
 * A client-group query that does not follow the grammar of Event Grid's client-group query
 * language. The message names the position (1-based, in characters) and what was expected there, so
 * the management API can return it as it is.
 */
public final class QueryException extends IllegalArgumentException {

  private final int position;

  QueryException(String message, int position) {
    super(message);
    this.position = position;
  }

  /** 1-based character position of the problem; one past the end when the query ended too early. */
  public int position() {
    return position;
  }
}
