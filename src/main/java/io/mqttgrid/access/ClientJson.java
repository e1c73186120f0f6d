package io.mqttgrid.access;

import static io.mqttgrid.access.ModelJsonFields.description;
import static io.mqttgrid.access.ModelJsonFields.enumValue;
import static io.mqttgrid.access.ModelJsonFields.optString;
import static io.mqttgrid.access.ModelJsonFields.putIfNotNull;
import static io.mqttgrid.access.NamespaceModelJson.checkName;

import io.mqttgrid.access.ClientResource.ValidationScheme;
import io.mqttgrid.access.NamespaceModelJson.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A client resource to and from its JSON properties: authentication name, state, certificate
 * validation scheme and thumbprints, attributes (Event Grid's client attributes), password hash.
 */
final class ClientJson {

  // Event Grid's resource naming rules
  private static final Pattern ATTRIBUTE_KEY = Pattern.compile("[A-Za-z0-9_]+");
  private static final Pattern THUMBPRINT = Pattern.compile("[0-9A-F]{64}");

  private ClientJson() {}

  public static ClientResource client(String name, JsonObject p, NamespaceLimits limits) {
    checkName(Kind.CLIENTS, name);
    String authName = optString(p, "authenticationName", "properties.authenticationName");
    if (authName == null) {
      authName = name;
    }
    if (authName.isEmpty() || authName.length() > 128) {
      throw new ModelValidationException(
          "properties.authenticationName", "must be 1-128 characters");
    }
    String state = optString(p, "state", "properties.state");
    boolean enabled;
    if (state == null || state.equalsIgnoreCase("Enabled")) {
      enabled = true;
    } else if (state.equalsIgnoreCase("Disabled")) {
      enabled = false;
    } else {
      throw new ModelValidationException("properties.state", "must be Enabled or Disabled");
    }
    ValidationScheme scheme = ValidationScheme.SubjectMatchesAuthenticationName;
    List<String> thumbprints = List.of();
    Object certAuth = p.getValue("clientCertificateAuthentication");
    if (certAuth != null) {
      if (!(certAuth instanceof JsonObject c)) {
        throw new ModelValidationException(
            "properties.clientCertificateAuthentication", "must be an object");
      }
      String s =
          optString(
              c, "validationScheme", "properties.clientCertificateAuthentication.validationScheme");
      thumbprints = thumbprints(c.getValue("allowedThumbprints"));
      if (s != null) {
        scheme =
            enumValue(
                ValidationScheme.class,
                s,
                "properties.clientCertificateAuthentication.validationScheme");
      } else if (!thumbprints.isEmpty()) {
        // API versions before validationScheme existed (the 2023 quickstart) list thumbprints alone
        scheme = ValidationScheme.ThumbprintMatch;
      }
    }
    if (scheme == ValidationScheme.ThumbprintMatch && thumbprints.isEmpty()) {
      throw new ModelValidationException(
          "properties.clientCertificateAuthentication.allowedThumbprints",
          "required (1 or 2 SHA-256 thumbprints) when validationScheme is ThumbprintMatch");
    }
    if (scheme != ValidationScheme.ThumbprintMatch && !thumbprints.isEmpty()) {
      throw new ModelValidationException(
          "properties.clientCertificateAuthentication.allowedThumbprints",
          "allowed only when validationScheme is ThumbprintMatch");
    }
    Map<String, Object> attributes = attributes(p.getValue("attributes"), limits);
    String hash = optString(p, "passwordHash", "properties.passwordHash");
    if (hash != null && !hash.startsWith("pbkdf2-sha256$")) {
      throw new ModelValidationException(
          "properties.passwordHash", "must be a pbkdf2-sha256$<iterations>$<salt>$<hash> value");
    }
    return new ClientResource(
        name, authName, description(p), enabled, scheme, thumbprints, attributes, hash);
  }

  private static List<String> thumbprints(Object value) {
    if (value == null) {
      return List.of();
    }
    String field = "properties.clientCertificateAuthentication.allowedThumbprints";
    if (!(value instanceof JsonArray a)) {
      throw new ModelValidationException(field, "must be an array of hex strings");
    }
    if (a.size() > 2) {
      throw new ModelValidationException(field, "at most 2 thumbprints");
    }
    List<String> out = new ArrayList<>();
    for (Object o : a) {
      String t = o instanceof String s ? ClientResource.normalizeThumbprint(s) : null;
      if (t == null || !THUMBPRINT.matcher(t).matches()) {
        throw new ModelValidationException(
            field, "each thumbprint is the SHA-256 of the certificate: 64 hex digits");
      }
      out.add(t);
    }
    return out;
  }

  private static Map<String, Object> attributes(Object value, NamespaceLimits limits) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject o)) {
      throw new ModelValidationException("properties.attributes", "must be an object");
    }
    if (o.encode().getBytes(StandardCharsets.UTF_8).length > limits.maxAttributeBytes()) {
      throw new ModelValidationException(
          "properties.attributes",
          "must total less than " + (limits.maxAttributeBytes() + 1) + " bytes");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : o) {
      String field = "properties.attributes." + e.getKey();
      if (!ATTRIBUTE_KEY.matcher(e.getKey()).matches()) {
        throw new ModelValidationException(field, "attribute names are letters, digits and '_'");
      }
      Object v = e.getValue();
      if (v instanceof String || v instanceof Boolean) {
        out.put(e.getKey(), v);
      } else if (v instanceof Integer || v instanceof Long) {
        out.put(e.getKey(), ((Number) v).longValue());
      } else if (v instanceof JsonArray arr) {
        List<String> list = new ArrayList<>();
        for (Object item : arr) {
          if (!(item instanceof String s)) {
            throw new ModelValidationException(field, "an array attribute holds strings only");
          }
          list.add(s);
        }
        out.put(e.getKey(), List.copyOf(list));
      } else {
        throw new ModelValidationException(
            field, "a value is a string, an integer, a boolean or an array of strings");
      }
    }
    return out;
  }

  public static JsonObject toJson(ClientResource c) {
    JsonObject certAuth = new JsonObject().put("validationScheme", c.validationScheme().name());
    if (!c.allowedThumbprints().isEmpty()) {
      certAuth.put("allowedThumbprints", new JsonArray(new ArrayList<>(c.allowedThumbprints())));
    }
    JsonObject attrs = new JsonObject();
    c.attributes()
        .forEach(
            (k, v) -> attrs.put(k, v instanceof List<?> l ? new JsonArray(new ArrayList<>(l)) : v));
    JsonObject o =
        new JsonObject()
            .put("authenticationName", c.authenticationName())
            .put("state", c.enabled() ? "Enabled" : "Disabled")
            .put("clientCertificateAuthentication", certAuth)
            .put("attributes", attrs);
    putIfNotNull(o, "description", c.description());
    putIfNotNull(o, "passwordHash", c.passwordHash());
    return o;
  }
}
