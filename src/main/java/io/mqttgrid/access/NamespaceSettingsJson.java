package io.mqttgrid.access;

import static io.mqttgrid.access.CaCertificateJson.parseCertificate;
import static io.mqttgrid.access.ModelJsonFields.checkHttpUrl;
import static io.mqttgrid.access.ModelJsonFields.enumValue;
import static io.mqttgrid.access.ModelJsonFields.intIn;
import static io.mqttgrid.access.ModelJsonFields.object;
import static io.mqttgrid.access.ModelJsonFields.optString;
import static io.mqttgrid.access.ModelJsonFields.putIfNotNull;
import static io.mqttgrid.access.ModelJsonFields.requiredString;

import io.mqttgrid.access.NamespaceSettings.AlternativeNameSource;
import io.mqttgrid.access.NamespaceSettings.IssuerCertificate;
import io.mqttgrid.access.NamespaceSettings.JwtIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The namespace settings (Event Grid's namespace resource and this broker's extensions: JWT
 * issuers, webhook and password authentication) to and from JSON; the stored form keeps the
 * webhook's bearer token, the shown one does not.
 */
final class NamespaceSettingsJson {

  private NamespaceSettingsJson() {}

  /**
   * Namespace settings from the {@code topicSpacesConfiguration}-like object: the keys of spec
   * section 2.2 and this broker's extensions.
   */
  public static NamespaceSettings settings(JsonObject p) {
    String hostname = optString(p, "hostname", "settings.hostname");
    int expiryHours =
        intIn(p, "maximumSessionExpiryInHours", 1, 8, 1, "settings.maximumSessionExpiryInHours");
    int perAuth =
        intIn(
            p,
            "maximumClientSessionsPerAuthenticationName",
            1,
            100,
            1,
            "settings.maximumClientSessionsPerAuthenticationName");
    JsonObject auth = object(p, "clientAuthentication", "settings.clientAuthentication");
    List<AlternativeNameSource> sources = new ArrayList<>();
    JwtIssuer custom = null;
    JwtIssuer oauth2 = null;
    NamespaceSettings.Webhook webhook = null;
    boolean password = false;
    if (auth != null) {
      Object alt = auth.getValue("alternativeAuthenticationNameSources");
      String altField = "settings.clientAuthentication.alternativeAuthenticationNameSources";
      if (alt != null) {
        if (!(alt instanceof JsonArray a)) {
          throw new ModelValidationException(altField, "must be an array");
        }
        for (Object o : a) {
          if (!(o instanceof String s)) {
            throw new ModelValidationException(altField, "holds names of certificate fields");
          }
          AlternativeNameSource src = enumValue(AlternativeNameSource.class, s, altField);
          if (sources.contains(src)) {
            throw new ModelValidationException(altField, s + " is listed twice");
          }
          sources.add(src);
        }
      }
      custom =
          issuer(
              object(
                  auth,
                  "customJwtAuthentication",
                  "settings.clientAuthentication.customJwtAuthentication"),
              "settings.clientAuthentication.customJwtAuthentication");
      oauth2 =
          issuer(
              object(
                  auth,
                  "oauth2JwtAuthentication",
                  "settings.clientAuthentication.oauth2JwtAuthentication"),
              "settings.clientAuthentication.oauth2JwtAuthentication");
      JsonObject wh =
          object(
              auth, "webhookAuthentication", "settings.clientAuthentication.webhookAuthentication");
      if (wh != null) {
        String f = "settings.clientAuthentication.webhookAuthentication";
        String url = requiredString(wh, "endpointUrl", f + ".endpointUrl");
        checkHttpUrl(url, f + ".endpointUrl");
        int timeout = intIn(wh, "timeoutInSeconds", 1, 60, 5, f + ".timeoutInSeconds");
        int ttl = intIn(wh, "cacheTtlInSeconds", 0, 86_400, 60, f + ".cacheTtlInSeconds");
        webhook =
            new NamespaceSettings.Webhook(
                url, optString(wh, "bearerToken", f + ".bearerToken"), timeout * 1000L, ttl);
      }
      JsonObject pw =
          object(
              auth,
              "passwordAuthentication",
              "settings.clientAuthentication.passwordAuthentication");
      if (pw != null) {
        Object enabled = pw.getValue("enabled");
        if (enabled != null && !(enabled instanceof Boolean)) {
          throw new ModelValidationException(
              "settings.clientAuthentication.passwordAuthentication.enabled",
              "must be true or false");
        }
        password = Boolean.TRUE.equals(enabled);
      }
    }
    return new NamespaceSettings(
        hostname == null ? NamespaceSettings.DEFAULTS.hostname() : hostname,
        expiryHours,
        perAuth,
        sources,
        custom,
        oauth2,
        webhook,
        password,
        routing(p));
  }

  /**
   * {@code routeDestination} (ours: a webhook, where Event Grid names an ARM topic), {@code
   * routingEnrichments} (Event Grid's shape: {@code static} [{key, valueType, value}], {@code
   * dynamic} [{key, value}]), {@code clientLifecycleEvents} (ours: {@code {enabled,
   * eventDeliverySchema}}, where Event Grid has a system topic) and {@code eventSubscriptions}
   * (ours: the filtered destinations Event Grid has as event subscriptions of its topics).
   */
  private static RoutingSettings routing(JsonObject p) {
    RoutingSettings.Destination destination = null;
    JsonObject d = object(p, "routeDestination", "settings.routeDestination");
    if (d != null) {
      destination = webhookDestination(d, "settings.routeDestination");
    }
    List<RoutingSettings.Enrichment> enrichments = new ArrayList<>();
    String field = "settings.routingEnrichments";
    JsonObject e = object(p, "routingEnrichments", field);
    if (e != null) {
      for (JsonObject o : objects(e, "static", field + ".static")) {
        String key = requiredString(o, "key", field + ".static.key");
        String type = optString(o, "valueType", field + ".static." + key + ".valueType");
        if (type != null && !type.equals("String")) {
          throw new ModelValidationException(
              field + ".static." + key + ".valueType", "the only value type is String");
        }
        Object value = o.getValue("value");
        if (!(value instanceof String v)) {
          throw new ModelValidationException(field + ".static." + key + ".value", "a string");
        }
        enrichments.add(new RoutingSettings.Enrichment(key, v, null));
      }
      for (JsonObject o : objects(e, "dynamic", field + ".dynamic")) {
        String key = requiredString(o, "key", field + ".dynamic.key");
        String v = requiredString(o, "value", field + ".dynamic." + key + ".value");
        enrichments.add(
            new RoutingSettings.Enrichment(
                key, v, RoutingSettings.parseDynamic(v, field + ".dynamic." + key + ".value")));
      }
    }
    RoutingSettings.check(enrichments, field);
    boolean lifecycle = false;
    boolean eventGridSchema = false;
    JsonObject l = object(p, "clientLifecycleEvents", "settings.clientLifecycleEvents");
    if (l != null) {
      Object enabled = l.getValue("enabled");
      if (enabled != null && !(enabled instanceof Boolean)) {
        throw new ModelValidationException(
            "settings.clientLifecycleEvents.enabled", "must be true or false");
      }
      lifecycle = Boolean.TRUE.equals(enabled);
      String schema =
          optString(l, "eventDeliverySchema", "settings.clientLifecycleEvents.eventDeliverySchema");
      if (schema != null
          && !schema.equals(RoutingSettings.CLOUD_EVENT_SCHEMA)
          && !schema.equals(RoutingSettings.EVENT_GRID_SCHEMA)) {
        throw new ModelValidationException(
            "settings.clientLifecycleEvents.eventDeliverySchema",
            "must be "
                + RoutingSettings.CLOUD_EVENT_SCHEMA
                + " or "
                + RoutingSettings.EVENT_GRID_SCHEMA);
      }
      eventGridSchema = RoutingSettings.EVENT_GRID_SCHEMA.equals(schema);
    }
    JsonObject dl = object(p, "deadLetterDestination", "settings.deadLetterDestination");
    return new RoutingSettings(
        destination,
        enrichments,
        lifecycle,
        eventGridSchema,
        EventSubscriptionJson.subscriptions(p),
        dl == null ? null : webhookDestination(dl, "settings.deadLetterDestination"));
  }

  /** Kafka topic names: Kafka's own rule. */
  private static final java.util.regex.Pattern KAFKA_TOPIC =
      java.util.regex.Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /** Producer settings the broker decides: how records are made, and where they go. */
  private static final java.util.Set<String> KAFKA_FIXED_SETTINGS =
      java.util.Set.of("bootstrap.servers", "key.serializer", "value.serializer");

  /**
   * {@code {webhook: {endpointUrl, maxEventsPerBatch}}} or {@code {kafka: {bootstrapServers, topic,
   * key, contentMode, maxEventsPerBatch, producerSettings}}}, the forms of every destination.
   */
  static RoutingSettings.Destination webhookDestination(JsonObject d, String field) {
    JsonObject k = object(d, "kafka", field + ".kafka");
    if (k != null) {
      if (d.containsKey("webhook")) {
        throw new ModelValidationException(field, "a webhook or kafka, not both");
      }
      return kafkaDestination(k, field + ".kafka");
    }
    String f = field + ".webhook";
    JsonObject wh = object(d, "webhook", f);
    if (wh == null) {
      throw new ModelValidationException(
          f, "the destination is a webhook {endpointUrl} or kafka {bootstrapServers, topic}");
    }
    String url = requiredString(wh, "endpointUrl", f + ".endpointUrl");
    checkHttpUrl(url, f + ".endpointUrl");
    int batch = intIn(wh, "maxEventsPerBatch", 1, 5000, 1, f + ".maxEventsPerBatch");
    // Event Grid's preferredBatchSizeInKilobytes allows 1 to 1024 KB
    int bytes =
        intIn(
            wh,
            "maxBytesPerBatch",
            1024,
            1024 * 1024,
            RoutingSettings.Destination.DEFAULT_MAX_BYTES_PER_BATCH,
            f + ".maxBytesPerBatch");
    return new RoutingSettings.Destination(
        url, batch, null, null, bytes, deliveryAttributeMappings(wh, f));
  }

  /** An HTTP header name (RFC 9110 token). */
  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");

  /**
   * Event Grid's {@code deliveryAttributeMappings} of a webhook, the {@code Static} kind: a header
   * sent with every request, a shared secret the receiver checks, say ({@code isSecret} is
   * accepted; the value is kept as given). At most 10, as in Event Grid.
   */
  private static java.util.Map<String, String> deliveryAttributeMappings(JsonObject wh, String f) {
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    List<JsonObject> mappings =
        objects(wh, "deliveryAttributeMappings", f + ".deliveryAttributeMappings");
    if (mappings.size() > 10) {
      throw new ModelValidationException(f + ".deliveryAttributeMappings", "at most 10");
    }
    for (int i = 0; i < mappings.size(); i++) {
      String m = f + ".deliveryAttributeMappings[" + i + "]";
      JsonObject o = mappings.get(i);
      String name = requiredString(o, "name", m + ".name");
      if (!HEADER_NAME.matcher(name).matches()) {
        throw new ModelValidationException(m + ".name", "an HTTP header name");
      }
      String type = optString(o, "type", m + ".type");
      if (type != null && !type.equals("Static")) {
        throw new ModelValidationException(m + ".type", "only Static is supported");
      }
      JsonObject props = object(o, "properties", m + ".properties");
      String value = props == null ? null : optString(props, "value", m + ".properties.value");
      if (value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw new ModelValidationException(m + ".properties.value", "required, one line of text");
      }
      if (headers.put(name, value) != null) {
        throw new ModelValidationException(m + ".name", "'" + name + "' is used twice");
      }
    }
    return headers;
  }

  private static RoutingSettings.Destination kafkaDestination(JsonObject k, String f) {
    String servers = requiredString(k, "bootstrapServers", f + ".bootstrapServers");
    for (String server : servers.split(",", -1)) {
      if (!server.strip().matches("[^:\\s]+:[0-9]{1,5}")) {
        throw new ModelValidationException(
            f + ".bootstrapServers", "a comma-separated list of host:port");
      }
    }
    String topic = requiredString(k, "topic", f + ".topic");
    if (!KAFKA_TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      throw new ModelValidationException(
          f + ".topic", "a Kafka topic name: 1-249 letters, digits, '.', '_' and '-'");
    }
    String keyName = optString(k, "key", f + ".key");
    RoutingSettings.KafkaKey key = RoutingSettings.KafkaKey.TOPIC;
    if (keyName != null) {
      key = null;
      for (RoutingSettings.KafkaKey candidate : RoutingSettings.KafkaKey.values()) {
        if (candidate.jsonName.equals(keyName)) {
          key = candidate;
        }
      }
      if (key == null) {
        throw new ModelValidationException(f + ".key", "must be Topic, ClientId or None");
      }
    }
    String mode = optString(k, "contentMode", f + ".contentMode");
    if (mode != null && !mode.equals("Binary") && !mode.equals("Structured")) {
      throw new ModelValidationException(f + ".contentMode", "must be Binary or Structured");
    }
    java.util.Map<String, String> producer = new java.util.LinkedHashMap<>();
    JsonObject p = object(k, "producerSettings", f + ".producerSettings");
    if (p != null) {
      for (String name : p.fieldNames()) {
        Object v = p.getValue(name);
        if (KAFKA_FIXED_SETTINGS.contains(name)) {
          throw new ModelValidationException(
              f + ".producerSettings." + name, "set by the broker, not here");
        }
        if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
          throw new ModelValidationException(
              f + ".producerSettings." + name, "must be a string, a number or a boolean");
        }
        producer.put(name, String.valueOf(v));
      }
    }
    int batch = intIn(k, "maxEventsPerBatch", 1, 5000, 100, f + ".maxEventsPerBatch");
    return RoutingSettings.Destination.kafka(
        new RoutingSettings.KafkaDestination(
            servers, topic, key, "Structured".equals(mode), producer),
        batch);
  }

  static JsonObject toJson(RoutingSettings.Destination d) {
    if (d.kafka() != null) {
      RoutingSettings.KafkaDestination k = d.kafka();
      JsonObject producer = new JsonObject();
      k.producerSettings().forEach(producer::put);
      return new JsonObject()
          .put(
              "kafka",
              new JsonObject()
                  .put("bootstrapServers", k.bootstrapServers())
                  .put("topic", k.topic())
                  .put("key", k.key().jsonName)
                  .put("contentMode", k.structured() ? "Structured" : "Binary")
                  .put("maxEventsPerBatch", d.maxEventsPerBatch())
                  .put("producerSettings", producer));
    }
    JsonObject webhook =
        new JsonObject()
            .put("endpointUrl", d.endpointUrl())
            .put("maxEventsPerBatch", d.maxEventsPerBatch());
    if (d.maxBytesPerBatch() != RoutingSettings.Destination.DEFAULT_MAX_BYTES_PER_BATCH) {
      webhook.put("maxBytesPerBatch", d.maxBytesPerBatch());
    }
    if (!d.headers().isEmpty()) {
      JsonArray mappings = new JsonArray();
      new java.util.TreeMap<>(d.headers())
          .forEach(
              (name, value) ->
                  mappings.add(
                      new JsonObject()
                          .put("name", name)
                          .put("type", "Static")
                          .put("properties", new JsonObject().put("value", value))));
      webhook.put("deliveryAttributeMappings", mappings);
    }
    return new JsonObject().put("webhook", webhook);
  }

  private static List<JsonObject> objects(JsonObject p, String key, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new ModelValidationException(field, "must be an array of objects");
    }
    List<JsonObject> out = new ArrayList<>();
    for (Object o : a) {
      if (!(o instanceof JsonObject j)) {
        throw new ModelValidationException(field, "must be an array of objects");
      }
      out.add(j);
    }
    return out;
  }

  private static void putRouting(JsonObject o, RoutingSettings r) {
    if (r.destination() != null) {
      o.put("routeDestination", toJson(r.destination()));
    }
    if (!r.subscriptions().isEmpty()) {
      o.put("eventSubscriptions", EventSubscriptionJson.toJson(r.subscriptions()));
    }
    if (r.deadLetterDestination() != null) {
      o.put("deadLetterDestination", toJson(r.deadLetterDestination()));
    }
    if (!r.enrichments().isEmpty()) {
      JsonArray statics = new JsonArray();
      JsonArray dynamics = new JsonArray();
      for (RoutingSettings.Enrichment e : r.enrichments()) {
        if (e.isStatic()) {
          statics.add(
              new JsonObject()
                  .put("key", e.key())
                  .put("valueType", "String")
                  .put("value", e.value()));
        } else {
          dynamics.add(new JsonObject().put("key", e.key()).put("value", e.value()));
        }
      }
      o.put("routingEnrichments", new JsonObject().put("static", statics).put("dynamic", dynamics));
    }
    if (r.clientLifecycleEvents() || r.lifecycleEventGridSchema()) {
      JsonObject l = new JsonObject().put("enabled", r.clientLifecycleEvents());
      if (r.lifecycleEventGridSchema()) {
        l.put("eventDeliverySchema", RoutingSettings.EVENT_GRID_SCHEMA);
      }
      o.put("clientLifecycleEvents", l);
    }
  }

  private static JwtIssuer issuer(JsonObject o, String field) {
    if (o == null) {
      return null;
    }
    String iss = requiredString(o, "tokenIssuer", field + ".tokenIssuer");
    List<String> audiences = new ArrayList<>();
    Object aud = o.getValue("audiences");
    if (aud != null) {
      if (!(aud instanceof JsonArray a)) {
        throw new ModelValidationException(field + ".audiences", "must be an array of strings");
      }
      for (Object x : a) {
        if (!(x instanceof String s) || s.isEmpty()) {
          throw new ModelValidationException(
              field + ".audiences", "must be an array of non-empty strings");
        }
        audiences.add(s);
      }
    }
    String jwks = optString(o, "jwksUrl", field + ".jwksUrl");
    if (jwks != null) {
      checkHttpUrl(jwks, field + ".jwksUrl");
    }
    List<IssuerCertificate> certs = new ArrayList<>();
    Object enc = o.getValue("encodedIssuerCertificates");
    if (enc != null) {
      if (!(enc instanceof JsonArray a)) {
        throw new ModelValidationException(
            field + ".encodedIssuerCertificates", "must be an array");
      }
      if (a.size() > 2) {
        throw new ModelValidationException(
            field + ".encodedIssuerCertificates", "at most 2 (rotation)");
      }
      for (int i = 0; i < a.size(); i++) {
        String f = field + ".encodedIssuerCertificates[" + i + "]";
        if (!(a.getValue(i) instanceof JsonObject c)) {
          throw new ModelValidationException(f, "must be an object {kid, encodedCertificate}");
        }
        String pem = requiredString(c, "encodedCertificate", f + ".encodedCertificate");
        if (!pem.contains("-----BEGIN CERTIFICATE-----")
            && !pem.contains("-----BEGIN PUBLIC KEY-----")) {
          throw new ModelValidationException(
              f + ".encodedCertificate", "must be a PEM certificate or public key");
        }
        if (pem.contains("-----BEGIN CERTIFICATE-----")) {
          parseCertificate(pem, f + ".encodedCertificate");
        }
        certs.add(new IssuerCertificate(optString(c, "kid", f + ".kid"), pem.trim()));
      }
    }
    if (certs.isEmpty() && jwks == null) {
      throw new ModelValidationException(
          field, "needs encodedIssuerCertificates or jwksUrl (the signing keys)");
    }
    return new JwtIssuer(iss, audiences, certs, jwks);
  }

  public static JsonObject toJson(NamespaceSettings s) {
    JsonObject auth =
        new JsonObject()
            .put(
                "alternativeAuthenticationNameSources",
                new JsonArray(
                    s.alternativeAuthenticationNameSources().stream().map(Enum::name).toList()));
    if (s.customJwt() != null) {
      auth.put("customJwtAuthentication", toJson(s.customJwt()));
    }
    if (s.oauth2Jwt() != null) {
      auth.put("oauth2JwtAuthentication", toJson(s.oauth2Jwt()));
    }
    if (s.webhook() != null) {
      // the bearer token is a secret: it is stored, never shown
      auth.put(
          "webhookAuthentication",
          new JsonObject()
              .put("endpointUrl", s.webhook().endpointUrl())
              .put("timeoutInSeconds", s.webhook().timeoutMillis() / 1000)
              .put("cacheTtlInSeconds", s.webhook().cacheTtlSeconds()));
    }
    auth.put("passwordAuthentication", new JsonObject().put("enabled", s.passwordAuthentication()));
    JsonObject o =
        new JsonObject()
            .put("hostname", s.hostname())
            .put("maximumSessionExpiryInHours", s.maximumSessionExpiryInHours())
            .put(
                "maximumClientSessionsPerAuthenticationName",
                s.maximumClientSessionsPerAuthenticationName())
            .put("clientAuthentication", auth);
    putRouting(o, s.routing());
    return o;
  }

  /**
   * The settings as stored: like {@link #toJson(NamespaceSettings)} but keeping the webhook's
   * bearer token.
   */
  public static JsonObject toStoredJson(NamespaceSettings s) {
    JsonObject o = toJson(s);
    if (s.webhook() != null && s.webhook().bearerToken() != null) {
      o.getJsonObject("clientAuthentication")
          .getJsonObject("webhookAuthentication")
          .put("bearerToken", s.webhook().bearerToken());
    }
    return o;
  }

  private static JsonObject toJson(JwtIssuer i) {
    JsonArray certs = new JsonArray();
    for (IssuerCertificate c : i.certificates()) {
      JsonObject o = new JsonObject().put("encodedCertificate", c.encodedCertificate());
      putIfNotNull(o, "kid", c.kid());
      certs.add(o);
    }
    JsonObject o =
        new JsonObject()
            .put("tokenIssuer", i.tokenIssuer())
            .put("audiences", new JsonArray(new ArrayList<>(i.audiences())))
            .put("encodedIssuerCertificates", certs);
    putIfNotNull(o, "jwksUrl", i.jwksUrl());
    return o;
  }
}
