package io.mqttgrid.access;

/** A client group (spec section 2.4): the clients a query over their attributes selects. */
public record ClientGroup(String name, String description, String query) {

  /** The built-in group every client belongs to. */
  public static final String ALL = "$all";
}
