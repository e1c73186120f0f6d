package io.mqttgrid.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mqttgrid.logging.IntervalCounts;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sockets a node turned away when they were accepted: counted by reason ({@code
 * mqttgrid_connections_refused_total}) and told to the operator once per interval with the key
 * behind each reason. A node at its connection cap refuses every reconnecting device of a fleet:
 * that is one line a minute, not one per attempt (nor ten per source address).
 */
final class ConnectionRefusals {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionRefusals.class);
  static final long INTERVAL_MILLIS = 60_000;

  private final Map<ConnectionAdmission.Refusal, Counter> counters =
      new EnumMap<>(ConnectionAdmission.Refusal.class);
  private final IntervalCounts<ConnectionAdmission.Refusal> sinceLogged;

  ConnectionRefusals(MeterRegistry registry, LongSupplier clock) {
    this.sinceLogged = new IntervalCounts<>(INTERVAL_MILLIS, clock);
    for (ConnectionAdmission.Refusal r : ConnectionAdmission.Refusal.values()) {
      counters.put(
          r,
          Counter.builder("mqttgrid.connections.refused")
              .description("MQTT sockets turned away when accepted, by the limit that refused them")
              .tag("reason", tag(r))
              .register(registry));
    }
  }

  /**
   * One socket from {@code address} refused for {@code reason} ({@code limits} and the counts
   * describe the node at that moment). Answers the line logged, or null when it waits for the
   * interval's end.
   */
  String refused(
      ConnectionAdmission.Refusal reason,
      String address,
      ConnectionAdmission.Limits limits,
      int maxConnections,
      int open,
      int unauthenticated) {
    counters.get(reason).increment();
    IntervalCounts.Summary<ConnectionAdmission.Refusal> refused =
        sinceLogged.count(reason, address);
    if (refused == null) {
      return null;
    }
    String line =
        "MQTT connections refused "
            + refused.period()
            + ": "
            + refused.listed(r -> bound(r, limits, maxConnections))
            + "; open "
            + open
            + ", unauthenticated "
            + unauthenticated
            + "; e.g. from "
            + refused.example()
            + " (each counted in mqttgrid_connections_refused_total)";
    LOG.warn(line);
    return line;
  }

  static String tag(ConnectionAdmission.Refusal r) {
    return switch (r) {
      case TOO_MANY_CONNECTIONS -> "max-connections";
      case TOO_MANY_UNAUTHENTICATED -> "max-unauthenticated-connections";
      case TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS -> "max-unauthenticated-per-address";
      case RATE -> "connect-rate-per-address";
    };
  }

  private static String bound(
      ConnectionAdmission.Refusal r, ConnectionAdmission.Limits limits, int maxConnections) {
    return switch (r) {
      case TOO_MANY_CONNECTIONS -> "over mqtt.max-connections " + maxConnections;
      case TOO_MANY_UNAUTHENTICATED ->
          "over mqtt.max-unauthenticated-connections " + limits.maxUnauthenticated();
      case TOO_MANY_UNAUTHENTICATED_FROM_ADDRESS ->
          "over mqtt.max-unauthenticated-per-address " + limits.maxUnauthenticatedPerAddress();
      case RATE -> "over mqtt.connect-rate-per-address " + limits.connectRatePerAddress() + "/s";
    };
  }
}
