package io.mqttgrid.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.mqttgrid.wire.ReasonCode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The MQTT layer's meters, named and tagged as Event Grid's metrics: {@code MQTT.RequestCount} is
 * the counter {@code mqtt.request.count} with the tags OperationType, Protocol, Result and Error,
 * which Prometheus shows as {@code mqtt_request_count_total}. README "Metrics" lists them all.
 *
 * <p>Every meter of one name carries the same tag keys (Prometheus requires it): a success has
 * Error "None". The meters of the publish and delivery path are looked up once per protocol, not
 * per message.
 */
public final class MqttMetrics {

  // dimension names and values as Event Grid spells them
  static final String OPERATION = "OperationType";
  static final String PROTOCOL = "Protocol";
  static final String RESULT = "Result";
  static final String ERROR = "Error";
  static final String QOS = "QoS";
  static final String NO_ERROR = "None";
  static final String SUCCESS = "Success";
  static final String CLIENT_ERROR = "ClientError";
  static final String SERVICE_ERROR = "ServiceError";

  /** Throttle types of the per-connection rate limits (Event Grid's ThrottleType dimension). */
  static final String THROTTLE_PUBLISH_PACKETS = "IncomingPublishPacketsPerConnection";

  static final String THROTTLE_PUBLISH_BYTES = "InboundBandwidthPerConnection";
  static final String THROTTLE_SUBSCRIBE = "SubscribeOperationsPerConnection";

  /** Protocol value of HTTP publishes (Event Grid's HTTP publish metrics). */
  static final String HTTP_PUBLISH = "http-publish";

  /** DropReason of {@code Mqtt.DroppedSessions}. */
  public static final String DROP_SESSION_OVERFLOW = "SessionOverflow";

  /**
   * DroppedSessions reason of a connection ended because its session holds a subscription the
   * namespace model no longer grants.
   */
  public static final String DROP_AUTHORIZATION_ERROR = "AuthorizationError";

  private static final List<String> PROTOCOLS = List.of("MQTT3", "MQTT5", "MQTT3-WS", "MQTT5-WS");
  private static final int QOS_LEVELS = 3;

  /**
   * Histogram buckets of the latency timers: a few, so that every protocol's series can exist from
   * the start.
   */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  private final MeterRegistry registry;
  private final Map<String, ProtocolMeters> byProtocol = new ConcurrentHashMap<>();
  private final Counter inboundBytes;
  private final Counter outboundBytes;
  private final Map<Tags, Counter> counters = new ConcurrentHashMap<>();
  private final Map<Tags, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
  private final Map<String, Counter> droppedSessions = new ConcurrentHashMap<>();
  private final PublishMeters httpPublish;

  public MqttMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.inboundBytes =
        Counter.builder("mqtt.throughput")
            .baseUnit("bytes")
            .description(
                "MQTT: Throughput. PUBLISH payload bytes received from clients (refused ones included) "
                    + "and sent to them")
            .tag("Direction", "Inbound")
            .register(registry);
    this.outboundBytes =
        Counter.builder("mqtt.throughput")
            .baseUnit("bytes")
            .description(
                "MQTT: Throughput. PUBLISH payload bytes received from clients (refused ones included) "
                    + "and sent to them")
            .tag("Direction", "Outbound")
            .register(registry);
    for (String protocol : PROTOCOLS) {
      byProtocol.put(protocol, new ProtocolMeters(protocol));
    }
    httpPublish = new PublishMeters(HTTP_PUBLISH);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The meters of one connection; {@code websocket} tells MQTT5 from MQTT5-WS. */
  ConnectionMeters connection(int protocolVersion, boolean websocket) {
    String protocol = (protocolVersion >= 5 ? "MQTT5" : "MQTT3") + (websocket ? "-WS" : "");
    return new ConnectionMeters(byProtocol.get(protocol));
  }

  /**
   * An HTTP publish request with a body of {@code payloadBytes} was read, whatever becomes of it.
   */
  public void httpPublishReceived(int payloadBytes) {
    inboundBytes.increment(payloadBytes);
  }

  /**
   * The outcome of an HTTP publish (Protocol {@value #HTTP_PUBLISH}), counted as an MQTT PUBLISH
   * would be: {@code outcome} is the reason code an MQTT publisher would have got for the same
   * refusal, which gives the Error dimension. {@code receivedNanos} is when the request arrived.
   */
  public void httpPublished(int qos, ReasonCode outcome, long receivedNanos) {
    httpPublish.record(qos, outcome, receivedNanos);
  }

  /**
   * A message not delivered to one subscriber, with the reason (queue-full, slow-subscriber, ...).
   */
  public void dropped(String reason) {
    dropped
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder("mqttgrid.messages.dropped")
                    .description("Messages not delivered to one subscriber, by reason")
                    .tag("reason", r)
                    .register(registry))
        .increment();
  }

  /**
   * {@code Mqtt.DroppedSessions}: a session ended by the broker, e.g. {@link
   * #DROP_SESSION_OVERFLOW}.
   */
  public void sessionDropped(String dropReason) {
    // by reason in a map of its own: every clean session's end counts here, and building the tags
    // to find the counter was the costliest part (issue 15, CPU per connect)
    droppedSessions
        .computeIfAbsent(
            dropReason,
            r ->
                counter(
                    "mqtt.dropped.sessions", "MQTT: Dropped Sessions", Tags.of("DropReason", r)))
        .increment();
  }

  /** Event Grid's Error dimension for a refusal. */
  static String error(ReasonCode reason) {
    return switch (reason) {
      case QUOTA_EXCEEDED, MESSAGE_RATE_TOO_HIGH, CONNECTION_RATE_EXCEEDED -> "QuotaExceeded";
      case BAD_USER_NAME_OR_PASSWORD, BAD_AUTHENTICATION_METHOD -> "AuthenticationError";
      case NOT_AUTHORIZED, BANNED -> "AuthorizationError";
      case UNSPECIFIED_ERROR,
          IMPLEMENTATION_SPECIFIC_ERROR,
          SERVER_UNAVAILABLE,
          SERVER_BUSY,
          SERVER_SHUTTING_DOWN ->
          SERVICE_ERROR;
      default -> CLIENT_ERROR;
    };
  }

  static String result(String error) {
    return error.equals(NO_ERROR)
        ? SUCCESS
        : error.equals(SERVICE_ERROR) ? SERVICE_ERROR : CLIENT_ERROR;
  }

  private Counter counter(String name, String description, Tags tags) {
    return counters.computeIfAbsent(
        tags.and("__name", name),
        t -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  private Counter requests(String operation, String protocol, String error) {
    return counter(
        "mqtt.request.count",
        "MQTT: RequestCount. MQTT requests, one per packet",
        Tags.of(OPERATION, operation, PROTOCOL, protocol, RESULT, result(error), ERROR, error));
  }

  private Timer timer(String name, String description, Tags tags) {
    return timers.computeIfAbsent(
        tags.and("__name", name),
        t ->
            Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry));
  }

  private Timer connectLatency(String protocol, String error) {
    return timer(
        "mqtt.connect.latency",
        "MQTT: Connect Latency. CONNECT to CONNACK, refused ones included",
        Tags.of(PROTOCOL, protocol, RESULT, result(error), ERROR, error));
  }

  private Timer publishLatency(String protocol, int qos, String error) {
    return timer(
        "mqtt.publish.latency",
        "MQTT: Publish Latency. QoS 1/2 PUBLISH to its acknowledgement",
        Tags.of(PROTOCOL, protocol, QOS, String.valueOf(qos), RESULT, result(error), ERROR, error));
  }

  private Counter failedPublished(String protocol, int qos, String error) {
    return counter(
        "mqtt.failed.published.messages",
        "MQTT: Failed Published Messages",
        Tags.of(PROTOCOL, protocol, QOS, String.valueOf(qos), ERROR, error));
  }

  private Counter subscriptionOperations(String operation, String protocol, String error) {
    if (error.equals(NO_ERROR)) {
      return counter(
          "mqtt.successful.subscription.operations",
          "MQTT: Successful Subscription Operations, one per topic filter",
          Tags.of(OPERATION, operation, PROTOCOL, protocol));
    }
    return counter(
        "mqtt.failed.subscription.operations",
        "MQTT: Failed Subscription Operations, one per topic " + "filter",
        Tags.of(OPERATION, operation, PROTOCOL, protocol, ERROR, error));
  }

  /**
   * The publish meters of one Protocol value (MQTT listeners and HTTP publish), registered at start
   * so every series exists from 0.
   */
  private final class PublishMeters {
    final String protocol;
    final Counter[] published = new Counter[QOS_LEVELS];
    final Counter publishRequests;
    final Timer[] publishLatency = new Timer[QOS_LEVELS];

    PublishMeters(String protocol) {
      this.protocol = protocol;
      for (int qos = 0; qos < QOS_LEVELS; qos++) {
        published[qos] =
            counter(
                "mqtt.successful.published.messages",
                "MQTT: Successful Published Messages",
                Tags.of(PROTOCOL, protocol, QOS, String.valueOf(qos)));
        publishLatency[qos] = qos == 0 ? null : publishLatency(protocol, qos, NO_ERROR);
      }
      publishRequests = requests("Publish", protocol, NO_ERROR);
    }

    /**
     * An inbound publish accepted (any non-error code, No matching subscribers included) or
     * refused; the latency of QoS 1/2 publishes from {@code receivedNanos} to now (-1 records
     * none).
     */
    void record(int qos, ReasonCode outcome, long receivedNanos) {
      if (!outcome.isError()) {
        publishRequests.increment();
        published[qos].increment();
        if (receivedNanos >= 0 && qos > 0) {
          publishLatency[qos].record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
        }
        return;
      }
      String error = error(outcome);
      requests("Publish", protocol, error).increment();
      failedPublished(protocol, qos, error).increment();
      if (receivedNanos >= 0 && qos > 0) {
        publishLatency(protocol, qos, error)
            .record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * The meters of the hot paths for one MQTT Protocol value, registered at start so every series
   * exists from 0.
   */
  private final class ProtocolMeters {
    final String protocol;
    final AtomicInteger connections = new AtomicInteger();
    final PublishMeters publish;
    final Counter[] delivered = new Counter[QOS_LEVELS];
    final Counter deliverRequests;
    final Counter connectRequests;
    final Timer connectLatency;

    /**
     * The counters of a SUBSCRIBE or UNSUBSCRIBE whose every filter succeeded (every device's
     * connect has one): looked up once here, not built from their tags per packet.
     */
    final Counter subscribeOperations;

    final Counter subscribeRequests;
    final Counter unsubscribeOperations;
    final Counter unsubscribeRequests;

    ProtocolMeters(String protocol) {
      this.protocol = protocol;
      registry.gauge("mqtt.connections", Tags.of(PROTOCOL, protocol), connections);
      publish = new PublishMeters(protocol);
      for (int qos = 0; qos < QOS_LEVELS; qos++) {
        delivered[qos] =
            counter(
                "mqtt.successful.delivered.messages",
                "MQTT: Successful Delivered Messages, sent to clients whatever their acknowledgement",
                Tags.of(PROTOCOL, protocol, QOS, String.valueOf(qos)));
      }
      deliverRequests = requests("Deliver", protocol, NO_ERROR);
      connectRequests = requests("Connect", protocol, NO_ERROR);
      connectLatency = connectLatency(protocol, NO_ERROR);
      subscribeOperations = subscriptionOperations("Subscribe", protocol, NO_ERROR);
      subscribeRequests = requests("Subscribe", protocol, NO_ERROR);
      unsubscribeOperations = subscriptionOperations("Unsubscribe", protocol, NO_ERROR);
      unsubscribeRequests = requests("Unsubscribe", protocol, NO_ERROR);
    }
  }

  /**
   * What one connection reports, from its own event loop. It remembers when CONNECT arrived (for
   * the connect latency) and whether it counts in {@code mqtt.connections}.
   */
  final class ConnectionMeters {
    private final ProtocolMeters meters;
    private final long connectNanos = System.nanoTime();
    private boolean counted;

    private ConnectionMeters(ProtocolMeters meters) {
      this.meters = meters;
    }

    /** CONNACK with success sent. */
    void connected() {
      meters.connectRequests.increment();
      meters.connectLatency.record(System.nanoTime() - connectNanos, TimeUnit.NANOSECONDS);
      if (!counted) {
        counted = true;
        meters.connections.incrementAndGet();
      }
    }

    /** CONNECT refused with {@code reason}. */
    void connectRefused(ReasonCode reason) {
      String error = error(reason);
      requests("Connect", meters.protocol, error).increment();
      connectLatency(meters.protocol, error)
          .record(System.nanoTime() - connectNanos, TimeUnit.NANOSECONDS);
    }

    /** The socket closed. */
    void closed() {
      if (counted) {
        counted = false;
        meters.connections.decrementAndGet();
      }
    }

    /** A PUBLISH arrived with {@code payloadBytes}, whatever becomes of it. */
    void received(int payloadBytes) {
      inboundBytes.increment(payloadBytes);
    }

    /**
     * The outcome of an inbound PUBLISH: accepted (any non-error code, No matching subscribers
     * included) or refused. {@code receivedNanos} is when it arrived, for the latency of
     * acknowledged (QoS 1/2) publishes; -1 records none.
     */
    void published(int qos, ReasonCode outcome, long receivedNanos) {
      meters.publish.record(qos, outcome, receivedNanos);
    }

    /** A PUBLISH written to this client. */
    void delivered(int qos, int payloadBytes) {
      meters.deliverRequests.increment();
      meters.delivered[qos].increment();
      outboundBytes.increment(payloadBytes);
    }

    /** A SUBACK with one code per filter: one request, one subscription operation per filter. */
    void subscribed(List<ReasonCode> codes) {
      subscriptionRequest("Subscribe", codes, meters.subscribeOperations, meters.subscribeRequests);
    }

    void unsubscribed(List<ReasonCode> codes) {
      subscriptionRequest(
          "Unsubscribe", codes, meters.unsubscribeOperations, meters.unsubscribeRequests);
    }

    private void subscriptionRequest(
        String operation, List<ReasonCode> codes, Counter succeeded, Counter succeededRequests) {
      if (codes.stream().noneMatch(ReasonCode::isError)) {
        succeeded.increment(codes.size());
        succeededRequests.increment();
        return;
      }
      String firstError = null;
      boolean anyAccepted = false;
      for (ReasonCode code : codes) {
        String error = code.isError() ? error(code) : NO_ERROR;
        subscriptionOperations(operation, meters.protocol, error).increment();
        anyAccepted |= !code.isError();
        if (code.isError() && firstError == null) {
          firstError = error;
        }
      }
      // the request succeeded when any filter did (Event Grid counts the packet once)
      requests(
              operation, meters.protocol, anyAccepted || firstError == null ? NO_ERROR : firstError)
          .increment();
    }

    /** A request refused by a rate limit of this connection. */
    void throttled(String throttleType) {
      counter(
              "mqtt.throttling.enforcements",
              "MQTT: Throttling Enforcements",
              Tags.of("ThrottleType", throttleType))
          .increment();
    }
  }
}
