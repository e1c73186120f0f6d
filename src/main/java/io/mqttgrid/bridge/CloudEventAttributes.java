package io.mqttgrid.bridge;

import io.mqttgrid.routing.PublishedMessage.UserProperty;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The CloudEvent attributes of a forwarded message, as IoT Operations' {@code cloudEventAttributes}
 * of an MQTT endpoint sets them (as IoT Operations' MQTT endpoints do). In the CloudEvents MQTT 5
 * binding (binary mode) the attributes are user properties named as the attributes are, and {@code
 * datacontenttype} is the Content Type, which the bridge carries as it is.
 *
 * <ul>
 *   <li>{@code Propagate}: the message's attributes go through as they are; a message without any
 *       stays without.
 *   <li>{@code CreateOrRemap}: every attribute the message lacks of {@code specversion}, {@code
 *       id}, {@code type}, {@code source}, {@code subject} and {@code time} is added, with IoT
 *       Operations' values: {@code 1.0}, the message's id, {@code ms.aio-dataflow.telemetry},
 *       {@code aio://<dataflow>}, the target topic, and the time the message was accepted (RFC
 *       3339). Those it has are kept.
 * </ul>
 *
 * The bridge does not transform payloads, so {@code datacontenttype} (the Content Type) and {@code
 * dataschema} stay as they are in both modes.
 */
final class CloudEventAttributes {

  enum Mode {
    PROPAGATE,
    CREATE_OR_REMAP
  }

  static final String SPEC_VERSION = "specversion";
  static final String ID = "id";
  static final String TYPE = "type";
  static final String SOURCE = "source";
  static final String SUBJECT = "subject";
  static final String TIME = "time";

  /** The event type IoT Operations' dataflows give the events they create. */
  static final String DATAFLOW_TYPE = "ms.aio-dataflow.telemetry";

  private CloudEventAttributes() {}

  /**
   * The user properties of a message of {@code flow} on its way to {@code target}: {@code
   * properties} itself with {@code Propagate}, else with the missing attributes added, {@code id}
   * and {@code timeMillis} identifying the message (the same on every resend of it, so that a
   * consumer that drops duplicate ids drops a resent one).
   */
  static List<UserProperty> of(
      BridgeFile.Dataflow flow,
      List<UserProperty> properties,
      String target,
      String id,
      long timeMillis) {
    if (flow.remote().cloudEventAttributes() == Mode.PROPAGATE) {
      return properties;
    }
    Set<String> present = new HashSet<>();
    properties.forEach(p -> present.add(p.name()));
    List<UserProperty> out = new ArrayList<>(properties);
    addIfMissing(out, present, SPEC_VERSION, "1.0");
    addIfMissing(out, present, ID, id);
    addIfMissing(out, present, TYPE, DATAFLOW_TYPE);
    addIfMissing(out, present, SOURCE, "aio://" + flow.name());
    addIfMissing(out, present, SUBJECT, target);
    addIfMissing(out, present, TIME, Instant.ofEpochMilli(timeMillis).toString());
    return out;
  }

  private static void addIfMissing(
      List<UserProperty> out, Set<String> present, String name, String value) {
    if (!present.contains(name)) {
      out.add(new UserProperty(name, value));
    }
  }
}
