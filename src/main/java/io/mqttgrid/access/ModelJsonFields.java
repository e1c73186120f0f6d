package io.mqttgrid.access;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

/**
 * Reading and writing single fields of the resource JSON, the same way for every kind: each refusal
 * names the field as the client wrote it ({@code properties.x}, {@code settings.x}).
 */
final class ModelJsonFields {

  private static final int MAX_DESCRIPTION = 1024;

  private ModelJsonFields() {}

  static String description(JsonObject p) {
    String d = optString(p, "description", "properties.description");
    if (d != null && d.length() > MAX_DESCRIPTION) {
      throw new ModelValidationException(
          "properties.description", "at most " + MAX_DESCRIPTION + " characters");
    }
    return d;
  }

  static void checkHttpUrl(String url, String field) {
    try {
      URI u = new URI(url);
      if (!Set.of("http", "https").contains(String.valueOf(u.getScheme()).toLowerCase(Locale.ROOT))
          || u.getHost() == null) {
        throw new ModelValidationException(field, "must be an absolute http(s) URL");
      }
    } catch (java.net.URISyntaxException e) {
      throw new ModelValidationException(field, "must be an absolute http(s) URL");
    }
  }

  static JsonObject object(JsonObject p, String key, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      throw new ModelValidationException(field, "must be an object");
    }
    return o;
  }

  static String optString(JsonObject p, String key, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new ModelValidationException(field, "must be a string");
    }
    return s;
  }

  static String requiredString(JsonObject p, String key, String field) {
    String s = optString(p, key, field);
    if (s == null || s.isEmpty()) {
      throw new ModelValidationException(field, "required");
    }
    return s;
  }

  static int intIn(JsonObject p, String key, int min, int max, int dflt, String field) {
    Object v = p.getValue(key);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Integer || v instanceof Long)
        || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      throw new ModelValidationException(field, "must be an integer from " + min + " to " + max);
    }
    return ((Number) v).intValue();
  }

  static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(value)) {
        return e;
      }
    }
    throw new ModelValidationException(
        field,
        "must be one of "
            + String.join(
                ", ", java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList()));
  }

  static void putIfNotNull(JsonObject o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
  }
}
