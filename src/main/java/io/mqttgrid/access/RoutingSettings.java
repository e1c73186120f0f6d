package io.mqttgrid.access;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Routing of accepted messages as CloudEvents (Event Grid's message routing): where they go and the
 * enrichments each event carries. Event Grid names the destination by {@code routeTopicResourceId},
 * an ARM topic; MQTT Grid has no ARM topics, so {@code routeDestination} (ours) names a webhook
 * directly. {@code routingEnrichments} has Event Grid's shape and rules.
 *
 * @param destination where events go, or null: routing off
 * @param enrichments static and dynamic, in the order configured (static first)
 * @param clientLifecycleEvents whether Event Grid's client life-cycle events go to the destination
 *     too (ours, {@code clientLifecycleEvents.enabled}: Event Grid sends them to a system topic
 *     created for them)
 * @param lifecycleEventGridSchema whether they go in the Event Grid schema ({@code
 *     clientLifecycleEvents.eventDeliverySchema: EventGridSchema}) rather than as CloudEvents
 * @param subscriptions filtered destinations of their own (ours, {@code eventSubscriptions}); the
 *     events go to each whose filter they pass, and to {@code destination} unfiltered
 * @param deadLetterDestination where the events go that cannot be delivered (ours, {@code
 *     deadLetterDestination}: Event Grid has one per event subscription, a storage blob), or null
 */
public record RoutingSettings(
    Destination destination,
    List<Enrichment> enrichments,
    boolean clientLifecycleEvents,
    boolean lifecycleEventGridSchema,
    List<EventSubscription> subscriptions,
    Destination deadLetterDestination) {

  /** {@code eventDeliverySchema} values, Event Grid's names. */
  public static final String CLOUD_EVENT_SCHEMA = "CloudEventSchemaV1_0";

  public static final String EVENT_GRID_SCHEMA = "EventGridSchema";

  public static final RoutingSettings NONE = new RoutingSettings(null, List.of());

  public static final int MAX_ENRICHMENTS = 20;
  public static final int MAX_KEY_LENGTH = 20;
  public static final int MAX_VALUE_LENGTH = 128;

  /**
   * The CloudEvents attributes an enrichment may not replace (Event Grid's routing enrichments).
   */
  public static final Set<String> RESERVED_KEYS =
      Set.of(
          "specversion",
          "id",
          "time",
          "type",
          "source",
          "subject",
          "datacontenttype",
          "dataschema",
          "data",
          "data_base64");

  private static final Pattern KEY = Pattern.compile("[a-z0-9]+");

  public RoutingSettings {
    enrichments = List.copyOf(enrichments);
    subscriptions = List.copyOf(subscriptions);
  }

  public RoutingSettings(Destination destination, List<Enrichment> enrichments) {
    this(destination, enrichments, false, false, List.of());
  }

  public RoutingSettings(
      Destination destination,
      List<Enrichment> enrichments,
      boolean clientLifecycleEvents,
      boolean lifecycleEventGridSchema,
      List<EventSubscription> subscriptions) {
    this(
        destination,
        enrichments,
        clientLifecycleEvents,
        lifecycleEventGridSchema,
        subscriptions,
        null);
  }

  public RoutingSettings(
      Destination destination,
      List<Enrichment> enrichments,
      boolean clientLifecycleEvents,
      boolean lifecycleEventGridSchema) {
    this(destination, enrichments, clientLifecycleEvents, lifecycleEventGridSchema, List.of());
  }

  /** Whether events go anywhere: a route destination or an event subscription. */
  public boolean routingOn() {
    return destination != null || !subscriptions.isEmpty();
  }

  /**
   * A webhook receiving the CloudEvents HTTP binding in structured mode, or batched mode when
   * {@code maxEventsPerBatch} is above 1.
   */
  public record Destination(
      String endpointUrl,
      int maxEventsPerBatch,
      KafkaDestination kafka,
      String file,
      int maxBytesPerBatch,
      java.util.Map<String, String> headers) {

    public Destination {
      headers = headers == null ? java.util.Map.of() : java.util.Map.copyOf(headers);
    }

    /** Event Grid's default preferred batch size, 64 KB. */
    public static final int DEFAULT_MAX_BYTES_PER_BATCH = 64 * 1024;

    /** A webhook. */
    public Destination(String endpointUrl, int maxEventsPerBatch) {
      this(endpointUrl, maxEventsPerBatch, null, null, DEFAULT_MAX_BYTES_PER_BATCH, null);
    }

    /**
     * A webhook whose batches (batched mode) hold at most {@code maxBytesPerBatch} bytes of events,
     * or one event when it alone is larger.
     */
    public Destination(String endpointUrl, int maxEventsPerBatch, int maxBytesPerBatch) {
      this(endpointUrl, maxEventsPerBatch, null, null, maxBytesPerBatch, null);
    }

    /** A Kafka topic; {@code maxEventsPerBatch} events are sent (and retried) together. */
    public static Destination kafka(KafkaDestination kafka, int maxEventsPerBatch) {
      return new Destination(null, maxEventsPerBatch, kafka, null, Integer.MAX_VALUE, null);
    }

    /**
     * A file of JSON lines, for dead letters only and from the node's configuration only ({@code
     * routing.dead-letter-file}): the namespace settings, which the management API writes, cannot
     * name a path on the node.
     */
    public static Destination file(String path) {
      return new Destination(null, 100, null, path, Integer.MAX_VALUE, null);
    }

    /** For logs: the webhook's URL, the Kafka cluster and topic, or the file. */
    public String describe() {
      return kafka != null
          ? "kafka topic " + kafka.topic() + " at " + kafka.bootstrapServers()
          : file != null ? "file " + file : endpointUrl;
    }
  }

  /**
   * A topic of an Apache Kafka cluster, written with the CloudEvents Kafka binding (ours: Event
   * Grid reaches Kafka only through Event Hubs).
   *
   * @param key what the record's key is
   * @param structured structured mode (the event as JSON in the value) rather than binary mode
   *     ({@code ce_*} headers, the data as the value)
   * @param producerSettings Kafka producer configuration added to (and winning over) the broker's
   *     defaults, {@code acks=all} and {@code enable.idempotence=true} among them
   */
  public record KafkaDestination(
      String bootstrapServers,
      String topic,
      KafkaKey key,
      boolean structured,
      java.util.Map<String, String> producerSettings) {
    public KafkaDestination {
      producerSettings = java.util.Map.copyOf(producerSettings);
    }
  }

  /** The key of a Kafka record: the MQTT topic (the event's subject), the publisher, or none. */
  public enum KafkaKey {
    /** The event's {@code subject}: the MQTT topic of a routed message. */
    TOPIC("Topic"),
    /** The publisher's client id (a life-cycle event: its subject). */
    CLIENT_ID("ClientId"),
    /** No key: Kafka spreads the records over the partitions. */
    NONE("None");

    public final String jsonName;

    KafkaKey(String jsonName) {
      this.jsonName = jsonName;
    }
  }

  /**
   * One top-level attribute added to every event.
   *
   * @param value the configured value: the text itself (static) or the {@code ${...}} expression
   *     (dynamic)
   * @param source null for a static enrichment, else what the dynamic one reads
   */
  public record Enrichment(String key, String value, Source source) {
    public boolean isStatic() {
      return source == null;
    }
  }

  /** What a dynamic enrichment reads (Event Grid's routing enrichments). */
  public sealed interface Source {}

  public record AuthenticationName() implements Source {}

  public record ClientAttribute(String name) implements Source {}

  public record UserProperty(String name) implements Source {}

  /** {@code ${mqtt.message.topicName|responseTopic|correlationData|pfi}}. */
  public enum MessageField implements Source {
    TOPIC_NAME,
    RESPONSE_TOPIC,
    CORRELATION_DATA,
    PFI
  }

  private static final Pattern EXPRESSION = Pattern.compile("\\$\\{(.*)\\}");
  private static final Pattern ATTRIBUTE = Pattern.compile("client\\.attributes\\.([^.\\[\\]]+)");
  private static final Pattern PROPERTY_DOTTED =
      Pattern.compile("mqtt\\.message\\.userProperties\\.([^\\[\\]'.]+)");
  private static final Pattern PROPERTY_BRACKET =
      Pattern.compile("mqtt\\.message\\.userProperties\\['((?:[^'\\\\]|\\\\['\\\\])+)'\\]");

  /**
   * What the dynamic value {@code value} reads.
   *
   * @throws ModelValidationException naming {@code field} when it is none of the forms of spec
   *     section 6.3
   */
  public static Source parseDynamic(String value, String field) {
    Matcher m = EXPRESSION.matcher(value);
    if (!m.matches()) {
      throw new ModelValidationException(field, "a dynamic value has the form ${...}");
    }
    String e = m.group(1);
    switch (e) {
      case "client.authenticationName":
        return new AuthenticationName();
      case "mqtt.message.topicName":
        return MessageField.TOPIC_NAME;
      case "mqtt.message.responseTopic":
        return MessageField.RESPONSE_TOPIC;
      case "mqtt.message.correlationData":
        return MessageField.CORRELATION_DATA;
      case "mqtt.message.pfi":
        return MessageField.PFI;
      default:
        break;
    }
    Matcher a = ATTRIBUTE.matcher(e);
    if (a.matches()) {
      return new ClientAttribute(a.group(1));
    }
    Matcher p = PROPERTY_DOTTED.matcher(e);
    if (p.matches()) {
      return new UserProperty(p.group(1));
    }
    Matcher b = PROPERTY_BRACKET.matcher(e);
    if (b.matches()) {
      // the bracket form escapes ' and \ with a backslash
      return new UserProperty(b.group(1).replace("\\'", "'").replace("\\\\", "\\"));
    }
    throw new ModelValidationException(
        field,
        "unknown dynamic value '"
            + value
            + "'; expected ${client.authenticationName}, ${client.attributes.<name>}, "
            + "${mqtt.message.userProperties.<name>}, ${mqtt.message.userProperties['<name>']}, "
            + "${mqtt.message.topicName}, ${mqtt.message.responseTopic}, "
            + "${mqtt.message.correlationData} or ${mqtt.message.pfi}");
  }

  /**
   * Checks the enrichments together: count, keys (form, length, reserved names, uniqueness) and
   * value length.
   *
   * @throws ModelValidationException naming the field at fault
   */
  public static void check(List<Enrichment> enrichments, String field) {
    if (enrichments.size() > MAX_ENRICHMENTS) {
      throw new ModelValidationException(
          field, "at most " + MAX_ENRICHMENTS + " enrichments, static and dynamic together");
    }
    Set<String> keys = new HashSet<>();
    for (Enrichment e : enrichments) {
      String f = field + "." + e.key();
      String key = e.key();
      if (!KEY.matcher(key).matches() || key.length() > MAX_KEY_LENGTH) {
        throw new ModelValidationException(
            f, "a key is 1 to " + MAX_KEY_LENGTH + " lowercase letters and digits");
      }
      if (key.startsWith("azsp") || RESERVED_KEYS.contains(key)) {
        throw new ModelValidationException(
            f, "'" + key + "' is reserved (CloudEvents attributes and keys starting with azsp)");
      }
      if (!keys.add(key)) {
        throw new ModelValidationException(f, "key '" + key + "' is used twice");
      }
      if (e.value().length() > MAX_VALUE_LENGTH) {
        throw new ModelValidationException(
            f, "a value is at most " + MAX_VALUE_LENGTH + " characters");
      }
    }
  }
}
