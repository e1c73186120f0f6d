package io.mqttgrid.access;

/** A client group (as in Event Grid): the clients a query over their attributes selects. */
public record ClientGroup(String name, String description, String query) {

  /** The built-in group every client belongs to. */
  public static final String ALL = "$all";
}
