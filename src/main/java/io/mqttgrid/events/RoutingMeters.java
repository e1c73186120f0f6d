package io.mqttgrid.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The routing's counters (docs/routing.md, Delivery): the namespace's {@code
 * Mqtt.SuccessfulRoutedMessages} and {@code Mqtt.FailedRoutedMessages{Error}} (Event Grid's routing
 * metrics), and ours: by destination (delivered, failed, dead-lettered, dropped), dead-lettered and
 * dropped by reason, failed validation handshakes.
 */
final class RoutingMeters {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Counter successful;

  private static final String DELIVERED = "mqttgrid.routing.subscription.delivered.events";
  private static final String FAILED = "mqttgrid.routing.subscription.failed.events";
  private static final String DEAD_LETTERED = "mqttgrid.routing.subscription.dead.lettered.events";
  private static final String DROPPED = "mqttgrid.routing.subscription.dropped.events";

  RoutingMeters(MeterRegistry registry) {
    this.registry = registry;
    this.successful =
        Counter.builder("mqtt.successful.routed.messages")
            .description("MQTT: Successful Routed Messages")
            .register(registry);
  }

  /**
   * Events delivered to a destination: the namespace's counter and the destination's (ours, by
   * subscription: which one fails is not in Event Grid's namespace-wide metrics).
   */
  void delivered(String subscription, int n) {
    successful.increment(n);
    if (subscription == null) {
      return;
    }
    perSubscription(DELIVERED, subscription, null, null).increment(n);
  }

  /** Events failed at a destination (as {@code Mqtt.FailedRoutedMessages}): both counters. */
  void failed(String subscription, String error, int n) {
    if (n == 0) {
      return;
    }
    failed(error, n);
    if (subscription == null) {
      return;
    }
    perSubscription(FAILED, subscription, "Error", error).increment(n);
  }

  /** Events failed, of no destination (one that is gone): the namespace's counter only. */
  void failed(String error, int n) {
    if (n == 0) {
      return;
    }
    counters
        .computeIfAbsent(
            error,
            k ->
                Counter.builder("mqtt.failed.routed.messages")
                    .description(
                        "MQTT: Failed Routed Messages, one per event and failed attempt or drop")
                    .tags(Tags.of("Error", error))
                    .register(registry))
        .increment(n);
  }

  /**
   * Events of destination {@code subscription} (its {@code Subscription} tag, or null once it is
   * removed) handed to the dead-letter destination: the namespace's counter, by reason, and the
   * destination's, by reason too (ours: which subscription's events end there).
   */
  void deadLettered(String subscription, String reason, int n) {
    if (n == 0) {
      return;
    }
    reasonCounter("mqttgrid.routing.dead.lettered.events", reason).increment(n);
    if (subscription != null) {
      perSubscription(DEAD_LETTERED, subscription, "Reason", reason).increment(n);
    }
  }

  /**
   * Events of destination {@code subscription} (or null: removed, or the dead-letter destination's
   * own) dropped undelivered: no dead-letter destination, or it was full or failed. Both counters,
   * as {@link #deadLettered}.
   */
  void dropped(String subscription, String reason, int n) {
    if (n == 0) {
      return;
    }
    dropped(reason, n);
    if (subscription != null) {
      perSubscription(DROPPED, subscription, "Reason", reason).increment(n);
    }
  }

  /** Events dropped undelivered: no dead-letter destination, or it failed. */
  void dropped(String reason, int n) {
    reasonCounter("mqttgrid.routing.dropped.events", reason).increment(n);
  }

  /** One per failed validation handshake, whatever the destination. */
  void validationFailed() {
    counters
        .computeIfAbsent(
            " validation",
            k ->
                Counter.builder("mqttgrid.routing.webhook.validation.failures")
                    .description("Webhook validation handshakes that failed (events wait)")
                    .register(registry))
        .increment();
  }

  /**
   * Removes the counters of a destination that is no longer in the settings: 500 subscriptions
   * coming and going must not leave series behind.
   */
  void forget(String subscription) {
    String[] meters = {DELIVERED + "/", FAILED + "/", DEAD_LETTERED + "/", DROPPED + "/"};
    counters
        .entrySet()
        .removeIf(
            e -> {
              for (String m : meters) {
                if (e.getKey().startsWith(m + subscription + "/")) {
                  registry.remove(e.getValue());
                  return true;
                }
              }
              return false;
            });
  }

  /** A destination's own counter, by its name and, but for deliveries, the error or reason. */
  private Counter perSubscription(String meter, String subscription, String tag, String value) {
    return counters.computeIfAbsent(
        meter + "/" + subscription + "/" + value,
        k -> {
          Counter.Builder b =
              Counter.builder(meter)
                  .description(
                      switch (meter) {
                        case DELIVERED -> "Routed events delivered, by destination";
                        case FAILED ->
                            "Routed events failed (as mqtt_failed_routed_messages), by destination"
                                + " and error";
                        case DEAD_LETTERED ->
                            "Routed events handed to the dead-letter destination, by destination"
                                + " and reason";
                        default -> "Routed events dropped undelivered, by destination and reason";
                      })
                  .tag("Subscription", subscription);
          return (tag == null ? b : b.tag(tag, value)).register(registry);
        });
  }

  private Counter reasonCounter(String name, String reason) {
    return counters.computeIfAbsent(
        name + "/" + reason,
        k ->
            Counter.builder(name)
                .description(
                    name.contains("dead")
                        ? "Routed events handed to the dead-letter destination, by reason"
                        : "Routed events dropped undelivered (no dead-letter destination, or it"
                            + " failed), by reason")
                .tags(Tags.of("Reason", reason))
                .register(registry));
  }
}
