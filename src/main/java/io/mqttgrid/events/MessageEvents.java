package io.mqttgrid.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.jackson.JsonCloudEventData;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.types.Time;
import io.mqttgrid.access.ClientIdentity;
import io.mqttgrid.access.RoutingSettings;
import io.mqttgrid.access.RoutingSettings.Enrichment;
import io.mqttgrid.ids.CountingUuids;
import io.mqttgrid.routing.PublishedMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CloudEvent an accepted message becomes when it is routed (Event Grid's CloudEvent shape for
 * routed messages), enrichments (section 6.3) included, and its structured-mode JSON. Stateless and
 * thread-safe.
 */
public final class MessageEvents {

  public static final String TYPE = "MQTT.EventPublished";

  /** What Event Grid's samples show for a payload that is neither JSON nor declared UTF-8. */
  static final String BINARY_CONTENT_TYPE = "application/octet-stream";

  static final String TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
  static final String JSON_CONTENT_TYPE = "application/json";

  // the same pattern the SDK's JsonFormat uses to decide a content type is JSON
  private static final Pattern JSON_TYPE =
      Pattern.compile("^(application|text)/([a-zA-Z]+\\+)?json(;.*)*$");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final Pattern STRUCTURED_TYPE =
      Pattern.compile("^application/cloudevents\\+json(\\s*;.*)?$");

  /** CloudEvents attribute names (CloudEvents 1.0: lowercase letters and digits). */
  private static final Pattern EXTENSION_NAME = Pattern.compile("[a-z0-9]{1,20}");

  private static final JsonFormat PARSER = new JsonFormat();

  /**
   * Bytes data is always written as {@code data_base64}, JSON data as {@code data}: the builder
   * decides which, not the content type (a JSON content type over bytes that are not JSON must not
   * be written raw).
   */
  private static final JsonFormat FORMAT = new JsonFormat(true, false);

  private final URI source;

  /** {@link #source} as the JSON has it. */
  private final String sourceText;

  /**
   * The events' ids. Not {@code UUID.randomUUID()} per event: it runs on the publisher's event
   * loop, and its SecureRandom cost a share of the routing's CPU (about 2 % in JFR).
   */
  private final CountingUuids ids = new CountingUuids();

  /**
   * The {@code time} written last: the events of one millisecond (tens of them under load) share
   * its text. Immutable, replaced.
   */
  private volatile WrittenTime lastTime = new WrittenTime(Long.MIN_VALUE, "");

  private record WrittenTime(long millis, String text) {}

  /**
   * @param namespaceName the {@code source} of every event
   */
  public MessageEvents(String namespaceName) {
    this.source = source(namespaceName);
    this.sourceText = source.toString();
  }

  /**
   * The name as a URI reference, as CloudEvents wants {@code source}: unchanged for Event Grid's
   * names (letters, digits, hyphens), percent-encoded where namespace.name holds what a URI cannot.
   */
  static URI source(String namespaceName) {
    try {
      return new URI(null, null, namespaceName, null);
    } catch (java.net.URISyntaxException e) {
      return URI.create(
          java.net.URLEncoder.encode(namespaceName, StandardCharsets.UTF_8).replace("+", "%20"));
    }
  }

  /**
   * The event for {@code message}, published by {@code publisher} (null for a will or when the
   * publisher's identity is not known: its client attributes are then empty).
   */
  public CloudEvent event(
      PublishedMessage message, ClientIdentity publisher, List<Enrichment> enrichments) {
    CloudEventBuilder b = passThrough(message);
    if (b == null) {
      b = envelope(message, ids.next());
    }
    return enrich(b, message, publisher, enrichments);
  }

  /**
   * The event for {@code message} as the routing holds it: a message that may be a CloudEvent
   * already is built at once ({@link #event}); any other is only given its id here, on the
   * publisher's event loop, and built on first use ({@link Envelope}): its JSON ({@link
   * RoutedEvent#json}) on the routing's context, written straight from the message; its {@link
   * CloudEvent} only for what needs the model (a filter on its attributes, Kafka, a dead letter).
   */
  RoutedEvent routed(
      PublishedMessage message, ClientIdentity publisher, List<Enrichment> enrichments) {
    if (mayPassThrough(message)) {
      return new RoutedEvent(
          event(message, publisher, enrichments), false, message.publisherClientId());
    }
    return new RoutedEvent(new Envelope(ids.nextBits(), message, publisher, enrichments));
  }

  /**
   * A message that is not a CloudEvent wrapped in the service's envelope (its id drawn, the rest
   * made on first use), the event of {@link #event} in both its forms: the SDK's {@link CloudEvent}
   * and its structured-mode JSON, which {@link #json} writes without the SDK (see there why).
   */
  final class Envelope {
    private final long idBits;
    final PublishedMessage message;
    private final ClientIdentity publisher;
    private final List<Enrichment> enrichments;

    private Envelope(
        long idBits,
        PublishedMessage message,
        ClientIdentity publisher,
        List<Enrichment> enrichments) {
      this.idBits = idBits;
      this.message = message;
      this.publisher = publisher;
      this.enrichments = enrichments;
    }

    CloudEvent event() {
      return enrich(envelope(message, ids.text(idBits)), message, publisher, enrichments);
    }

    byte[] json() {
      return MessageEvents.this.json(ids.text(idBits), message, publisher, enrichments);
    }
  }

  private static CloudEvent enrich(
      CloudEventBuilder b,
      PublishedMessage message,
      ClientIdentity publisher,
      List<Enrichment> enrichments) {
    for (Enrichment e : enrichments) {
      if (e.isStatic()) {
        b.withExtension(e.key(), e.value());
      } else if (e.source() == RoutingSettings.MessageField.PFI) {
        b.withExtension(e.key(), Math.max(message.payloadFormat(), 0));
      } else {
        b.withExtension(e.key(), resolve(e.source(), message, publisher));
      }
    }
    return b.build();
  }

  /** The service's envelope around a message that is not a CloudEvent itself. */
  private CloudEventBuilder envelope(PublishedMessage message, String id) {
    CloudEventBuilder b =
        CloudEventBuilder.v1()
            .withId(id)
            .withTime(
                OffsetDateTime.ofInstant(
                    Instant.ofEpochMilli(message.createdAtMillis()), ZoneOffset.UTC))
            .withType(TYPE)
            .withSource(source)
            .withSubject(message.topic());
    data(b, message);
    return b;
  }

  /**
   * A message that already is a CloudEvent by the CloudEvents MQTT binding keeps its own attributes
   * and data (pass-through, as Event Grid does): structured mode (Content Type {@code
   * application/cloudevents+json}, the payload one JSON event) or binary mode (MQTT 5 User
   * Properties named as the attributes, {@code specversion} among them, the payload the data). Null
   * when it is not one, or not a valid one: it is then enveloped like any message.
   */
  private static CloudEventBuilder passThrough(PublishedMessage m) {
    String contentType = m.contentType();
    if (contentType != null && STRUCTURED_TYPE.matcher(contentType).matches()) {
      try {
        CloudEvent own = PARSER.deserialize(m.payload());
        CloudEventBuilder b = CloudEventBuilder.from(own);
        if (own.getData() != null) {
          // the parser keeps JSON data as bytes; written back as JSON, not as data_base64
          data(b, own.getData().toBytes(), own.getDataContentType(), true);
        }
        return b;
      } catch (RuntimeException e) {
        return null;
      }
    }
    String specversion = property(m, "specversion");
    if (specversion == null) {
      return null;
    }
    String id = property(m, "id");
    String source = property(m, "source");
    String type = property(m, "type");
    if (!"1.0".equals(specversion) || id == null || source == null || type == null) {
      return null;
    }
    try {
      CloudEventBuilder b =
          CloudEventBuilder.v1().withId(id).withSource(URI.create(source)).withType(type);
      for (PublishedMessage.UserProperty p : m.userProperties()) {
        switch (p.name()) {
          case "specversion", "id", "source", "type", "datacontenttype", "data", "data_base64" -> {}
          case "subject" -> b.withSubject(p.value());
          case "time" -> b.withTime(OffsetDateTime.parse(p.value()));
          case "dataschema" -> b.withDataSchema(URI.create(p.value()));
          default -> {
            // a property that is no valid attribute name stays out of the event
            if (EXTENSION_NAME.matcher(p.name()).matches()) {
              b.withExtension(p.name(), p.value());
            }
          }
        }
      }
      if (m.payload().length > 0 || contentType != null) {
        data(b, m.payload(), contentType, m.payloadFormat() == 1);
      }
      return b;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Whether {@link #passThrough} may find a CloudEvent in {@code m}: cheap, on the publisher's
   * event loop, so that an ordinary message is not looked at further there.
   */
  private static boolean mayPassThrough(PublishedMessage m) {
    String contentType = m.contentType();
    return (contentType != null && STRUCTURED_TYPE.matcher(contentType).matches())
        || property(m, "specversion") != null;
  }

  private static String property(PublishedMessage m, String name) {
    for (PublishedMessage.UserProperty p : m.userProperties()) {
      if (p.name().equals(name)) {
        return p.value();
      }
    }
    return null;
  }

  /**
   * {@code data} as JSON when the message says it is JSON or UTF-8 text (PFI=1, or a JSON content
   * type) and it is; a JSON string for UTF-8 text that is not JSON; else {@code data_base64}. The
   * content type is the message's, or what its payload turned out to be.
   */
  private static void data(CloudEventBuilder b, PublishedMessage m) {
    data(b, m.payload(), m.contentType(), m.payloadFormat() == 1);
  }

  private static void data(
      CloudEventBuilder b, byte[] payload, String contentType, boolean declaredText) {
    Data d = Data.of(payload, contentType, declaredText);
    b.withDataContentType(d.contentType());
    if (d.json()) {
      b.withData(JsonCloudEventData.wrap(tree(d.text())));
    } else if (d.text() != null) {
      b.withData(JsonCloudEventData.wrap(TextNode.valueOf(d.text())));
    } else {
      b.withData(BytesCloudEventData.wrap(payload));
    }
  }

  /**
   * What {@code data} is, and its content type (see {@link #data}).
   *
   * @param text the payload as text when it is written as JSON ({@code json}) or as a JSON string;
   *     null: bytes, {@code data_base64}
   */
  private record Data(String contentType, String text, boolean json) {

    static Data of(byte[] payload, String contentType, boolean declaredText) {
      boolean jsonType = contentType != null && JSON_TYPE.matcher(contentType).matches();
      if (jsonType || declaredText) {
        String text = utf8(payload);
        if (text != null && isJson(text)) {
          return new Data(contentType != null ? contentType : JSON_CONTENT_TYPE, text, true);
        }
        if (text != null) {
          return new Data(contentType != null ? contentType : TEXT_CONTENT_TYPE, text, false);
        }
      }
      return new Data(contentType != null ? contentType : BINARY_CONTENT_TYPE, null, false);
    }
  }

  private static String utf8(byte[] payload) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(payload))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Whether {@code text} is one JSON value (nothing after it), read without building it. */
  private static boolean isJson(String text) {
    if (text.isBlank()) {
      return false;
    }
    try (JsonParser parser = MAPPER.createParser(text)) {
      if (parser.nextToken() == null) {
        return false;
      }
      parser.skipChildren();
      // trailing content ("1 2", "{} x") is not one JSON value
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code text}, JSON ({@link #isJson}), as a tree. */
  private static JsonNode tree(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A dynamic enrichment's value; what is missing is "" and repeated values are joined by ",". */
  static String resolve(
      RoutingSettings.Source source, PublishedMessage m, ClientIdentity publisher) {
    if (source instanceof RoutingSettings.AuthenticationName) {
      return publisher == null ? "" : publisher.authenticationName();
    }
    if (source instanceof RoutingSettings.ClientAttribute a) {
      Map<String, Object> attributes = publisher == null ? Map.of() : publisher.attributes();
      Object v = attributes.get(a.name());
      if (v == null) {
        return "";
      }
      if (v instanceof List<?> list) {
        return String.join(",", list.stream().map(String::valueOf).toList());
      }
      return String.valueOf(v);
    }
    if (source instanceof RoutingSettings.UserProperty p) {
      List<String> values = new ArrayList<>();
      for (PublishedMessage.UserProperty u : m.userProperties()) {
        if (u.name().equals(p.name())) {
          values.add(u.value());
        }
      }
      return String.join(",", values);
    }
    RoutingSettings.MessageField field = (RoutingSettings.MessageField) source;
    return switch (field) {
      case TOPIC_NAME -> m.topic();
      case RESPONSE_TOPIC -> m.responseTopic() == null ? "" : m.responseTopic();
      case CORRELATION_DATA ->
          m.correlationData() == null
              ? ""
              : Base64.getEncoder().encodeToString(m.correlationData());
      case PFI -> String.valueOf(Math.max(m.payloadFormat(), 0));
    };
  }

  /** The structured-mode JSON of one event ({@code application/cloudevents+json}). */
  public static byte[] structured(CloudEvent event) {
    return FORMAT.serialize(event);
  }

  /**
   * The structured-mode JSON of the event {@link #event} makes of a message that is not a
   * CloudEvent (same attributes, same data, the same bytes but for the order of the extensions),
   * written straight from the message with Jackson's streaming generator: base64 from the payload
   * into the output, JSON data copied token by token. Not the SDK's {@link JsonFormat}: through it,
   * each routed message became a builder, an attribute map, a time object, a data wrapper (a JSON
   * payload a tree) and then the JSON, which took most of the routing's CPU per message (JFR:
   * docs/routing.md); the SDK stays for the event model and its bindings where routing needs them.
   * MessageEventsTest compares the two, field by field, for every kind of message.
   */
  private byte[] json(
      String id, PublishedMessage m, ClientIdentity publisher, List<Enrichment> enrichments) {
    Data d = Data.of(m.payload(), m.contentType(), m.payloadFormat() == 1);
    String time = time(m.createdAtMillis());
    return EventJsonWriter.write(
        MAPPER.getFactory(),
        g -> {
          g.writeStartObject();
          g.writeStringField("specversion", "1.0");
          g.writeStringField("id", id);
          g.writeStringField("source", sourceText);
          g.writeStringField("type", TYPE);
          g.writeStringField("datacontenttype", d.contentType());
          g.writeStringField("subject", m.topic());
          g.writeStringField("time", time);
          for (Enrichment e : enrichments) {
            if (e.isStatic()) {
              g.writeStringField(e.key(), e.value());
            } else if (e.source() == RoutingSettings.MessageField.PFI) {
              g.writeNumberField(e.key(), Math.max(m.payloadFormat(), 0));
            } else {
              g.writeStringField(e.key(), resolve(e.source(), m, publisher));
            }
          }
          if (d.json()) {
            g.writeFieldName("data");
            try (JsonParser p = MAPPER.createParser(d.text())) {
              p.nextToken();
              g.copyCurrentStructure(p);
            }
          } else if (d.text() != null) {
            g.writeStringField("data", d.text());
          } else {
            g.writeFieldName("data_base64");
            g.writeBinary(m.payload());
          }
          g.writeEndObject();
        });
  }

  /** {@code time} as the SDK writes it ({@link Time#writeTime}). */
  private String time(long millis) {
    WrittenTime last = lastTime;
    if (last.millis() == millis) {
      return last.text();
    }
    String text =
        Time.writeTime(OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC));
    lastTime = new WrittenTime(millis, text);
    return text;
  }
}
