package io.mqttgrid.access;

import static io.mqttgrid.access.ModelJsonFields.object;
import static io.mqttgrid.access.ModelJsonFields.optString;
import static io.mqttgrid.access.ModelJsonFields.requiredString;

import io.mqttgrid.access.EventSubscription.AdvancedFilter;
import io.mqttgrid.access.EventSubscription.Filter;
import io.mqttgrid.access.EventSubscription.Operator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The namespace settings' {@code eventSubscriptions} to and from JSON, with Event Grid's rules and
 * limits; each refusal names the field ({@code settings.eventSubscriptions.<name>.filter...}).
 */
final class EventSubscriptionJson {

  private static final String FIELD = "settings.eventSubscriptions";

  private EventSubscriptionJson() {}

  static List<EventSubscription> subscriptions(JsonObject p) {
    Object v = p.getValue("eventSubscriptions");
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new ModelValidationException(FIELD, "must be an array of event subscriptions");
    }
    if (a.size() > EventSubscription.MAX_SUBSCRIPTIONS) {
      throw new ModelValidationException(
          FIELD, "at most " + EventSubscription.MAX_SUBSCRIPTIONS + " event subscriptions");
    }
    List<EventSubscription> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof JsonObject o)) {
        throw new ModelValidationException(FIELD + "[" + i + "]", "must be an object");
      }
      String name = requiredString(o, "name", FIELD + "[" + i + "].name");
      if (!EventSubscription.NAME.matcher(name).matches()) {
        throw new ModelValidationException(
            FIELD + "[" + i + "].name", "3 to 50 letters, digits and hyphens");
      }
      if (!names.add(name.toLowerCase(Locale.ROOT))) {
        throw new ModelValidationException(
            FIELD + "[" + i + "].name", "'" + name + "' is used twice");
      }
      String f = FIELD + "." + name;
      JsonObject d = object(o, "destination", f + ".destination");
      if (d == null) {
        throw new ModelValidationException(
            f + ".destination",
            "required: {webhook: {endpointUrl}} or {kafka: {bootstrapServers, topic}}");
      }
      RoutingSettings.Destination destination =
          NamespaceSettingsJson.webhookDestination(d, f + ".destination");
      out.add(
          new EventSubscription(
              name,
              filter(object(o, "filter", f + ".filter"), f),
              destination,
              delivery(object(o, "deliveryConfiguration", f + ".deliveryConfiguration"), f)));
    }
    return out;
  }

  /**
   * {@code deliveryConfiguration} (ours, with Event Grid's names of a push subscription's fields):
   * {@code maxDeliveryCount}, {@code eventTimeToLive} (an ISO 8601 duration, as in Event Grid) and
   * {@code deadLetterDestination} (a webhook or Kafka destination, as the namespace's).
   */
  private static EventSubscription.Delivery delivery(JsonObject o, String subscription) {
    if (o == null) {
      return EventSubscription.Delivery.DEFAULTS;
    }
    String f = subscription + ".deliveryConfiguration";
    Integer count = null;
    Object c = o.getValue("maxDeliveryCount");
    if (c != null) {
      if (!(c instanceof Number n)
          || n.doubleValue() != Math.rint(n.doubleValue())
          || n.doubleValue() < 1
          || n.doubleValue() > EventSubscription.MAX_DELIVERY_COUNT) {
        throw new ModelValidationException(
            f + ".maxDeliveryCount",
            "a whole number from 1 to " + EventSubscription.MAX_DELIVERY_COUNT);
      }
      count = n.intValue();
    }
    Duration ttl = null;
    String t = optString(o, "eventTimeToLive", f + ".eventTimeToLive");
    if (t != null) {
      try {
        ttl = Duration.parse(t);
      } catch (DateTimeParseException e) {
        ttl = null;
      }
      if (ttl == null
          || ttl.isNegative()
          || ttl.isZero()
          || ttl.compareTo(EventSubscription.MAX_EVENT_TIME_TO_LIVE) > 0) {
        throw new ModelValidationException(
            f + ".eventTimeToLive",
            "an ISO 8601 duration such as PT10M or P1D, above 0 and at most P365D");
      }
    }
    JsonObject dl = object(o, "deadLetterDestination", f + ".deadLetterDestination");
    return new EventSubscription.Delivery(
        count,
        ttl,
        dl == null
            ? null
            : NamespaceSettingsJson.webhookDestination(dl, f + ".deadLetterDestination"));
  }

  private static Filter filter(JsonObject o, String subscription) {
    if (o == null) {
      return Filter.ALL;
    }
    String f = subscription + ".filter";
    List<String> types = new ArrayList<>();
    Object t = o.getValue("includedEventTypes");
    if (t != null) {
      if (!(t instanceof JsonArray a)) {
        throw new ModelValidationException(
            f + ".includedEventTypes", "must be an array of strings");
      }
      for (Object x : a) {
        if (!(x instanceof String s) || s.isEmpty()) {
          throw new ModelValidationException(
              f + ".includedEventTypes", "must be an array of event types");
        }
        types.add(s);
      }
    }
    String begins = optString(o, "subjectBeginsWith", f + ".subjectBeginsWith");
    String ends = optString(o, "subjectEndsWith", f + ".subjectEndsWith");
    boolean caseSensitive = bool(o, "isSubjectCaseSensitive", f);
    boolean arrays = bool(o, "enableAdvancedFilteringOnArrays", f);
    List<AdvancedFilter> advanced = new ArrayList<>();
    Object af = o.getValue("advancedFilters");
    if (af != null) {
      if (!(af instanceof JsonArray a)) {
        throw new ModelValidationException(f + ".advancedFilters", "must be an array of filters");
      }
      if (a.size() > EventSubscription.MAX_ADVANCED_FILTERS) {
        throw new ModelValidationException(
            f + ".advancedFilters",
            "at most " + EventSubscription.MAX_ADVANCED_FILTERS + " advanced filters");
      }
      int values = 0;
      for (int i = 0; i < a.size(); i++) {
        String fi = f + ".advancedFilters[" + i + "]";
        if (!(a.getValue(i) instanceof JsonObject x)) {
          throw new ModelValidationException(fi, "must be an object");
        }
        AdvancedFilter filter = advanced(x, fi);
        values += filter.values().size();
        if (values > EventSubscription.MAX_FILTER_VALUES) {
          throw new ModelValidationException(
              fi,
              "at most "
                  + EventSubscription.MAX_FILTER_VALUES
                  + " values across all the advanced filters of a subscription");
        }
        advanced.add(filter);
      }
    }
    return new Filter(
        types,
        begins == null || begins.isEmpty() ? null : begins,
        ends == null || ends.isEmpty() ? null : ends,
        caseSensitive,
        arrays,
        advanced);
  }

  private static boolean bool(JsonObject o, String key, String field) {
    Object v = o.getValue(key);
    if (v != null && !(v instanceof Boolean)) {
      throw new ModelValidationException(field + "." + key, "must be true or false");
    }
    return Boolean.TRUE.equals(v);
  }

  private static AdvancedFilter advanced(JsonObject x, String fi) {
    String op = requiredString(x, "operatorType", fi + ".operatorType");
    Operator operator = ModelJsonFields.enumValue(Operator.class, op, fi + ".operatorType");
    String key = requiredString(x, "key", fi + ".key");
    if (key.startsWith(".") || key.endsWith(".") || key.contains("..")) {
      throw new ModelValidationException(
          fi + ".key", "an attribute name or a path into data like data.a.b");
    }
    List<Object> values = new ArrayList<>();
    switch (operator.values) {
      case NONE -> {}
      case NUMBER -> values.add(number(x.getValue("value"), fi + ".value"));
      case BOOLEAN -> {
        if (!(x.getValue("value") instanceof Boolean b)) {
          throw new ModelValidationException(fi + ".value", "must be true or false");
        }
        values.add(b);
      }
      case NUMBERS, STRINGS, RANGES -> {
        if (!(x.getValue("values") instanceof JsonArray a) || a.isEmpty()) {
          throw new ModelValidationException(
              fi + ".values", "required: a non-empty array (" + operator + ")");
        }
        for (Object v : a) {
          values.add(value(operator, v, fi + ".values"));
        }
      }
      default -> throw new IllegalStateException(operator.toString());
    }
    return new AdvancedFilter(operator, key, values);
  }

  private static Object value(Operator operator, Object v, String field) {
    switch (operator.values) {
      case NUMBERS:
        return number(v, field);
      case STRINGS:
        if (!(v instanceof String s)) {
          throw new ModelValidationException(field, "must hold strings (" + operator + ")");
        }
        if (s.length() > EventSubscription.MAX_STRING_VALUE_LENGTH) {
          throw new ModelValidationException(
              field,
              "a string value is at most "
                  + EventSubscription.MAX_STRING_VALUE_LENGTH
                  + " characters");
        }
        return s;
      default: // RANGES
        if (!(v instanceof JsonArray r) || r.size() != 2) {
          throw new ModelValidationException(
              field, "must hold ranges [low, high] (" + operator + ")");
        }
        double low = number(r.getValue(0), field);
        double high = number(r.getValue(1), field);
        if (low > high) {
          throw new ModelValidationException(field, "a range is [low, high] with low <= high");
        }
        return List.of(low, high);
    }
  }

  private static double number(Object v, String field) {
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new ModelValidationException(field, "must be a number");
    }
    return n.doubleValue();
  }

  static JsonArray toJson(List<EventSubscription> subscriptions) {
    JsonArray out = new JsonArray();
    for (EventSubscription s : subscriptions) {
      JsonObject o =
          new JsonObject()
              .put("name", s.name())
              .put("filter", toJson(s.filter()))
              .put("destination", NamespaceSettingsJson.toJson(s.destination()));
      if (!s.delivery().isDefault()) {
        o.put("deliveryConfiguration", toJson(s.delivery()));
      }
      out.add(o);
    }
    return out;
  }

  private static JsonObject toJson(EventSubscription.Delivery d) {
    JsonObject o = new JsonObject();
    ModelJsonFields.putIfNotNull(o, "maxDeliveryCount", d.maxDeliveryCount());
    if (d.eventTimeToLive() != null) {
      o.put("eventTimeToLive", d.eventTimeToLive().toString());
    }
    if (d.deadLetterDestination() != null) {
      o.put("deadLetterDestination", NamespaceSettingsJson.toJson(d.deadLetterDestination()));
    }
    return o;
  }

  private static JsonObject toJson(Filter f) {
    JsonObject o = new JsonObject();
    if (!f.includedEventTypes().isEmpty()) {
      o.put("includedEventTypes", new JsonArray(f.includedEventTypes()));
    }
    ModelJsonFields.putIfNotNull(o, "subjectBeginsWith", f.subjectBeginsWith());
    ModelJsonFields.putIfNotNull(o, "subjectEndsWith", f.subjectEndsWith());
    o.put("isSubjectCaseSensitive", f.isSubjectCaseSensitive());
    o.put("enableAdvancedFilteringOnArrays", f.enableAdvancedFilteringOnArrays());
    JsonArray advanced = new JsonArray();
    for (AdvancedFilter a : f.advancedFilters()) {
      JsonObject x =
          new JsonObject().put("operatorType", a.operatorType().name()).put("key", a.key());
      if (a.operatorType().singleValue()) {
        x.put("value", a.values().get(0));
      } else if (a.operatorType().values != EventSubscription.Values.NONE) {
        JsonArray values = new JsonArray();
        for (Object v : a.values()) {
          values.add(v instanceof List<?> range ? new JsonArray(new ArrayList<>(range)) : v);
        }
        x.put("values", values);
      }
      advanced.add(x);
    }
    if (!advanced.isEmpty()) {
      o.put("advancedFilters", advanced);
    }
    return o;
  }
}
