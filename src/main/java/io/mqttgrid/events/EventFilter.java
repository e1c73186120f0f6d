package io.mqttgrid.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.jackson.JsonCloudEventData;
import io.mqttgrid.access.EventSubscription.AdvancedFilter;
import io.mqttgrid.access.EventSubscription.Filter;
import io.mqttgrid.access.EventSubscription.Operator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An event subscription's filter (Event Grid's event subscription filters) applied to one
 * CloudEvent, with Event Grid's semantics (docs/routing.md): event types, subject prefix and
 * suffix, and advanced filters on attributes, extensions (the enrichments) and {@code data.*} keys
 * into JSON data. Hand-written: no library evaluates Event Grid's filter language. Immutable and
 * thread-safe.
 *
 * <p>Semantics: the parts of a filter, and several advanced filters, must all pass (AND); the
 * values of one advanced filter are alternatives (OR). String comparisons ignore case. A value
 * whose type is not the operator's is ignored (a string operator also reads a number or a boolean
 * as its JSON text, as Event Grid's extension example does). A key the event does not have (or
 * whose value is null) passes only IsNullOrUndefined, NumberNotIn, StringNotIn and
 * NumberNotInRange; a negated operator otherwise passes unless one of the key's values hits one of
 * its values.
 */
public final class EventFilter {

  public static final EventFilter ALL = new EventFilter(Filter.ALL);

  private final Set<String> types;
  private final String subjectBeginsWith;
  private final String subjectEndsWith;
  private final boolean subjectCaseSensitive;
  private final boolean arrays;
  private final List<Compiled> advanced;

  public EventFilter(Filter filter) {
    boolean all =
        filter.includedEventTypes().isEmpty()
            || filter.includedEventTypes().stream().anyMatch(t -> t.equalsIgnoreCase("All"));
    this.types =
        all
            ? null
            : filter.includedEventTypes().stream()
                .map(t -> t.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    this.subjectCaseSensitive = filter.isSubjectCaseSensitive();
    this.subjectBeginsWith = subjectValue(filter.subjectBeginsWith());
    this.subjectEndsWith = subjectValue(filter.subjectEndsWith());
    this.arrays = filter.enableAdvancedFilteringOnArrays();
    List<Compiled> a = new ArrayList<>();
    for (AdvancedFilter f : filter.advancedFilters()) {
      a.add(new Compiled(f));
    }
    this.advanced = List.copyOf(a);
  }

  private String subjectValue(String v) {
    return v == null || subjectCaseSensitive ? v : v.toLowerCase(Locale.ROOT);
  }

  /** Whether it passes every event (no event type, subject or advanced filter). */
  public boolean passesEverything() {
    return types == null
        && subjectBeginsWith == null
        && subjectEndsWith == null
        && advanced.isEmpty();
  }

  public boolean matches(CloudEvent event) {
    if (types != null && !types.contains(event.getType().toLowerCase(Locale.ROOT))) {
      return false;
    }
    if (subjectBeginsWith != null || subjectEndsWith != null) {
      String subject = event.getSubject();
      if (subject == null) {
        return false;
      }
      if (!subjectCaseSensitive) {
        subject = subject.toLowerCase(Locale.ROOT);
      }
      if (subjectBeginsWith != null && !subject.startsWith(subjectBeginsWith)) {
        return false;
      }
      if (subjectEndsWith != null && !subject.endsWith(subjectEndsWith)) {
        return false;
      }
    }
    for (Compiled f : advanced) {
      if (!f.matches(value(event, f.path))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The value of {@code path} in the event as its structured JSON has it, or null when the event
   * has none: a context attribute or an extension by name (CloudEvents names are lowercase, so the
   * key's case does not matter), {@code data} the JSON data (absent when the data is bytes: it is
   * {@code data_base64} then), {@code data.a.b} a member of it.
   */
  static JsonNode value(CloudEvent event, List<String> path) {
    String first = path.get(0).toLowerCase(Locale.ROOT);
    if (first.equals("data")) {
      JsonNode node = data(event.getData());
      for (int i = 1; i < path.size() && node != null; i++) {
        node = member(node, path.get(i));
      }
      return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }
    if (path.size() > 1) {
      return null; // attributes are not objects
    }
    Object v =
        switch (first) {
          case "id" -> event.getId();
          case "source" -> event.getSource();
          case "type" -> event.getType();
          case "specversion" -> event.getSpecVersion().toString();
          case "subject" -> event.getSubject();
          case "time" -> event.getTime();
          case "datacontenttype" -> event.getDataContentType();
          case "dataschema" -> event.getDataSchema();
          default -> event.getExtension(first);
        };
    if (v == null) {
      return null;
    }
    if (v instanceof Boolean b) {
      return BooleanNode.valueOf(b);
    }
    if (v instanceof Integer || v instanceof Long) {
      return LongNode.valueOf(((Number) v).longValue());
    }
    if (v instanceof Number n) {
      return DoubleNode.valueOf(n.doubleValue());
    }
    return TextNode.valueOf(v.toString());
  }

  private static JsonNode data(CloudEventData data) {
    return data instanceof JsonCloudEventData json ? json.getNode() : null;
  }

  /** The member by its exact name, else by its name ignoring case. */
  private static JsonNode member(JsonNode node, String name) {
    if (!node.isObject()) {
      return null;
    }
    JsonNode exact = node.get(name);
    if (exact != null) {
      return exact;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** One advanced filter, its string values lowercased once. */
  private final class Compiled {
    final Operator op;
    final List<String> path;
    final List<String> strings = new ArrayList<>();
    final double[] numbers;
    final double[][] ranges;
    final boolean bool;

    Compiled(AdvancedFilter f) {
      this.op = f.operatorType();
      this.path = List.of(f.key().split("\\.", -1));
      List<Object> values = f.values();
      this.numbers = new double[values.size()];
      this.ranges = new double[values.size()][];
      boolean b = false;
      for (int i = 0; i < values.size(); i++) {
        Object v = values.get(i);
        if (v instanceof String s) {
          strings.add(s.toLowerCase(Locale.ROOT));
        } else if (v instanceof Boolean x) {
          b = x;
        } else if (v instanceof Number n) {
          numbers[i] = n.doubleValue();
        } else if (v instanceof List<?> r) {
          ranges[i] =
              new double[] {((Number) r.get(0)).doubleValue(), ((Number) r.get(1)).doubleValue()};
        }
      }
      this.bool = b;
    }

    boolean matches(JsonNode value) {
      switch (op) {
        case IsNullOrUndefined:
          return value == null;
        case IsNotNull:
          return value != null;
        default:
          break;
      }
      if (value == null) {
        // Event Grid: a missing key passes the two NotIn operators (and, by the same reading,
        // NumberNotInRange), and no other
        return op == Operator.NumberNotIn
            || op == Operator.StringNotIn
            || op == Operator.NumberNotInRange;
      }
      List<JsonNode> candidates = new ArrayList<>();
      if (value.isArray() && arrays) {
        value.forEach(candidates::add);
      } else {
        candidates.add(value);
      }
      return switch (op) {
        case NumberNotIn,
            NumberNotInRange,
            StringNotIn,
            StringNotBeginsWith,
            StringNotEndsWith,
            StringNotContains ->
            !anyHit(candidates);
        default -> anyHit(candidates);
      };
    }

    /** Whether one candidate of the operator's type hits one of the values (negation aside). */
    private boolean anyHit(List<JsonNode> candidates) {
      for (JsonNode c : candidates) {
        if (hit(c)) {
          return true;
        }
      }
      return false;
    }

    private boolean hit(JsonNode c) {
      switch (op.values) {
        case NUMBER, NUMBERS, RANGES -> {
          if (!c.isNumber()) {
            return false;
          }
          double x = c.doubleValue();
          return switch (op) {
            case NumberLessThan -> x < numbers[0];
            case NumberLessThanOrEquals -> x <= numbers[0];
            case NumberGreaterThan -> x > numbers[0];
            case NumberGreaterThanOrEquals -> x >= numbers[0];
            case NumberIn, NumberNotIn -> {
              for (double n : numbers) {
                if (x == n) {
                  yield true;
                }
              }
              yield false;
            }
            default -> { // the ranges
              for (double[] r : ranges) {
                if (x >= r[0] && x <= r[1]) {
                  yield true;
                }
              }
              yield false;
            }
          };
        }
        case BOOLEAN -> {
          return c.isBoolean() && c.booleanValue() == bool;
        }
        default -> {
          if (!(c.isTextual() || c.isNumber() || c.isBoolean())) {
            return false;
          }
          String s = c.asText().toLowerCase(Locale.ROOT);
          for (String v : strings) {
            boolean h =
                switch (op) {
                  case StringIn, StringNotIn -> s.equals(v);
                  case StringBeginsWith, StringNotBeginsWith -> s.startsWith(v);
                  case StringEndsWith, StringNotEndsWith -> s.endsWith(v);
                  default -> s.contains(v); // StringContains, StringNotContains
                };
            if (h) {
              return true;
            }
          }
          return false;
        }
      }
    }
  }
}
