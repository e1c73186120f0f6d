package io.mqttgrid.publish;

import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.Permissions;

/**
 * Who hands a message to the pipeline: what kind of source it is, the name it publishes under (the
 * MQTT client id, the HTTP caller's authentication name), its rights and its quota. Nothing here
 * needs an MQTT connection.
 *
 * @param publisherId the publisher of the message ({@code PublishedMessage.publisherClientId}: No
 *     Local compares it with subscribers' client ids)
 */
public record PublishSource(
    Kind kind, String publisherId, Rights rights, Quota quota, Identity identity) {

  public PublishSource(Kind kind, String publisherId, Rights rights, Quota quota) {
    this(kind, publisherId, rights, quota, Identity.UNKNOWN);
  }

  /** Who the publisher is now (its attributes follow the namespace model), for routing. */
  @FunctionalInterface
  public interface Identity {
    /** The identity, or null when not known. */
    ClientIdentity current();

    Identity UNKNOWN = () -> null;
  }

  /**
   * The kinds of source, and what each one's input was already held to before it reached the
   * pipeline.
   */
  public enum Kind {
    /**
     * An MQTT client's PUBLISH. The listener's guard held the packet to MQTT's encoding and to
     * limits.max-packet-size before vertx-mqtt decoded it ({@code mqtt.RawPacketRules}): its
     * strings, Response Topic and size were judged as they arrived, the only place the size of the
     * packet the client sent is known (an alias resolved or an MQTT 3.1.1 packet would be measured
     * wrongly here), so those rules are not applied again.
     */
    MQTT_CLIENT(true, false),
    /**
     * An HTTP publish: held to every rule, the packet size being that of the MQTT 5 PUBLISH it
     * stands for.
     */
    HTTP(false, false),
    /**
     * A broker bridged in, publishing on behalf of its own clients with the rights given to the
     * bridge.
     */
    BRIDGE(false, false),
    /**
     * The broker itself (life-cycle events and the like): trusted with every topic, '$' ones
     * included.
     */
    SYSTEM(false, true);

    private final boolean encodingChecked;
    private final boolean reservedTopics;

    Kind(boolean encodingChecked, boolean reservedTopics) {
      this.encodingChecked = encodingChecked;
      this.reservedTopics = reservedTopics;
    }

    /**
     * Whether the transport already held the message to MQTT's encoding rules and maximum packet
     * size.
     */
    public boolean encodingChecked() {
      return encodingChecked;
    }

    /** Whether it may publish to topics starting with '$'. */
    public boolean reservedTopics() {
      return reservedTopics;
    }
  }

  /** The publisher's rights as they are now. */
  @FunctionalInterface
  public interface Rights {
    /**
     * What the publisher may do now, or null when it lost its rights altogether: a change of the
     * namespace model ended its connection (which answered the client itself).
     */
    Permissions current();
  }

  /**
   * The publisher's budget of publishes, taken from for each message that passed the rules and its
   * rights.
   */
  @FunctionalInterface
  public interface Quota {
    /**
     * Whether one more message of {@code payloadBytes} is within the budget; takes it from the
     * budget if so.
     */
    boolean tryTake(int payloadBytes);

    Quota UNLIMITED = payloadBytes -> true;
  }

  /** Every topic, '$' ones included: only for the broker's own publishes. */
  private static final Permissions EVERY_TOPIC =
      new Permissions() {
        @Override
        public boolean canPublish(String topic) {
          return true;
        }

        @Override
        public boolean canSubscribe(String filter) {
          return false;
        }
      };

  /** An MQTT client, by its client id; its rights follow its connection's. */
  public static PublishSource mqttClient(String clientId, Rights rights, Quota quota) {
    return new PublishSource(Kind.MQTT_CLIENT, clientId, rights, quota);
  }

  /** An MQTT client, by its client id, who is {@code identity}. */
  public static PublishSource mqttClient(
      String clientId, Identity identity, Rights rights, Quota quota) {
    return new PublishSource(Kind.MQTT_CLIENT, clientId, rights, quota, identity);
  }

  /** An HTTP caller, by its authentication name; its rate is checked before its request is read. */
  public static PublishSource http(String authenticationName, Rights rights) {
    return new PublishSource(Kind.HTTP, authenticationName, rights, Quota.UNLIMITED);
  }

  /** An HTTP caller who is {@code identity}. */
  public static PublishSource http(ClientIdentity identity, Rights rights) {
    return new PublishSource(
        Kind.HTTP, identity.authenticationName(), rights, Quota.UNLIMITED, () -> identity);
  }

  /**
   * A bridge publishing under {@code name} with {@code rights} (those of the bridge, not of the
   * remote clients).
   */
  public static PublishSource bridge(String name, Permissions rights, Quota quota) {
    return new PublishSource(Kind.BRIDGE, name, () -> rights, quota);
  }

  /** The broker itself, publishing under {@code name}. */
  public static PublishSource system(String name) {
    return new PublishSource(Kind.SYSTEM, name, () -> EVERY_TOPIC, Quota.UNLIMITED);
  }
}
