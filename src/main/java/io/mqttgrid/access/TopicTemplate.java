package io.mqttgrid.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A topic template of a topic space (Event Grid's topic spaces and templates): an MQTT filter whose
 * levels may contain variables that are filled in per client.
 *
 * <p>Variables: {@code ${client.authenticationName}} (original case) and {@code
 * ${client.attributes.<key>}}, with the aliases {@code ${principal.name}} and {@code
 * ${principal.attributes.<key>}}. A variable fills a whole level or part of one ({@code
 * dev-${client.authenticationName}.eu}) and never spans a {@code /}. The documented spelling {@code
 * ${var|suffix}} means the variable followed by the literal suffix, exactly like {@code
 * ${var}suffix}.
 *
 * <p>Instantiation for one client, where the spec leaves room for choice:
 *
 * <ul>
 *   <li>A missing attribute (or a missing authentication name) yields no filter.
 *   <li>An array attribute yields one filter per element; two array variables in one template yield
 *       their combinations, and when those exceed {@link #MAX_INSTANTIATIONS} the template yields
 *       nothing for that client rather than an arbitrary part of its rights.
 *   <li>Integers are written in decimal, booleans as {@code true} / {@code false}.
 *   <li>A value that is empty or contains {@code /}, {@code +}, {@code #} or NUL yields no filter:
 *       such a value would widen the template (another level, a wildcard) or, when empty, share a
 *       level with every other client whose value is empty. For an array only that element is
 *       dropped.
 *   <li>A filter that would begin with {@code $} (a value such as {@code $SYS} in the first level)
 *       is dropped: templates never grant the broker's reserved topics.
 * </ul>
 *
 * A template whose text begins with a literal {@code $} is refused when parsed for the same reason.
 */
public final class TopicTemplate {

  /** Most filters one template may yield for one client (combinations of array attributes). */
  public static final int MAX_INSTANTIATIONS = 1000;

  private static final String AUTHENTICATION_NAME = "client.authenticationName";
  private static final String PRINCIPAL_NAME = "principal.name";
  private static final String CLIENT_ATTRIBUTES = "client.attributes.";
  private static final String PRINCIPAL_ATTRIBUTES = "principal.attributes.";

  private final String source;

  /** Literal text (String, may contain '/') and variables ({@link Variable}), in order. */
  private final List<Object> parts;

  private TopicTemplate(String source, List<Object> parts) {
    this.source = source;
    this.parts = parts;
  }

  /** {@code attributeKey} null means the authentication name. */
  private record Variable(String attributeKey) {
    Object value(ClientIdentity identity) {
      return attributeKey == null
          ? identity.authenticationName()
          : identity.attributes().get(attributeKey);
    }
  }

  /**
   * Parses a template.
   *
   * @throws TemplateException naming the problem and its position
   */
  public static TopicTemplate parse(String template) {
    if (template == null || template.isEmpty()) {
      throw new TemplateException("topic template: empty");
    }
    if (template.charAt(0) == '$' && !template.startsWith("${")) {
      throw new TemplateException(
          "topic template '"
              + template
              + "': topics beginning with '$' are reserved; a template cannot grant them");
    }
    List<Object> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int n = template.length();
    int i = 0;
    while (i < n) {
      char c = template.charAt(i);
      if (c == '$' && i + 1 < n && template.charAt(i + 1) == '{') {
        int close = template.indexOf('}', i + 2);
        int slash = template.indexOf('/', i + 2);
        if (close < 0) {
          throw problem(template, "unterminated variable", i);
        }
        if (slash >= 0 && slash < close) {
          throw problem(template, "a variable cannot span '/'", i);
        }
        String body = template.substring(i + 2, close);
        int bar = body.indexOf('|');
        String name = bar < 0 ? body : body.substring(0, bar);
        if (literal.length() > 0) {
          parts.add(literal.toString());
          literal.setLength(0);
        }
        parts.add(variable(template, name, i));
        if (bar >= 0) {
          String suffix = body.substring(bar + 1);
          for (int k = 0; k < suffix.length(); k++) {
            char s = suffix.charAt(k);
            if (s == '+' || s == '#' || s == '\u0000' || s == '$' || s == '{' || s == '|') {
              throw problem(
                  template,
                  "the suffix after '|' cannot contain '" + printable(s) + "'",
                  i + 2 + bar + 1 + k);
            }
          }
          literal.append(suffix);
        }
        i = close + 1;
        continue;
      }
      if (c == '\u0000') {
        throw problem(template, "NUL character", i);
      }
      if (c == '+' || c == '#') {
        boolean levelStart = i == 0 || template.charAt(i - 1) == '/';
        boolean levelEnd = i + 1 == n || template.charAt(i + 1) == '/';
        if (!levelStart || !levelEnd) {
          throw problem(template, "'" + c + "' must fill a whole level", i);
        }
        if (c == '#' && i + 1 != n) {
          throw problem(template, "'#' must be the last level", i);
        }
      }
      literal.append(c);
      i++;
    }
    if (literal.length() > 0) {
      parts.add(literal.toString());
    }
    return new TopicTemplate(template, List.copyOf(parts));
  }

  private static Variable variable(String template, String name, int at) {
    if (name.equals(AUTHENTICATION_NAME) || name.equals(PRINCIPAL_NAME)) {
      return new Variable(null);
    }
    String key = null;
    if (name.startsWith(CLIENT_ATTRIBUTES)) {
      key = name.substring(CLIENT_ATTRIBUTES.length());
    } else if (name.startsWith(PRINCIPAL_ATTRIBUTES)) {
      key = name.substring(PRINCIPAL_ATTRIBUTES.length());
    }
    if (key != null && ClientGroupQuery.isAttributeKey(key)) {
      return new Variable(key);
    }
    throw problem(
        template,
        "unknown variable '${"
            + name
            + "}'; expected ${client.authenticationName} or "
            + "${client.attributes.<key>} (<key> of letters, digits and '_')",
        at);
  }

  private static TemplateException problem(String template, String what, int index) {
    return new TemplateException(
        "topic template '" + template + "': " + what + " at position " + (index + 1));
  }

  private static String printable(char c) {
    return c == '\u0000' ? "\\0" : String.valueOf(c);
  }

  public String source() {
    return source;
  }

  /**
   * The concrete filters this template grants the client; empty when a variable cannot be filled.
   */
  public List<String> instantiate(ClientIdentity identity) {
    List<StringBuilder> filters = new ArrayList<>();
    filters.add(new StringBuilder());
    for (Object part : parts) {
      if (part instanceof String text) {
        for (StringBuilder filter : filters) {
          filter.append(text);
        }
        continue;
      }
      List<String> values = values(((Variable) part).value(identity));
      if (values.isEmpty() || (long) filters.size() * values.size() > MAX_INSTANTIATIONS) {
        return List.of();
      }
      List<StringBuilder> extended = new ArrayList<>(filters.size() * values.size());
      for (StringBuilder filter : filters) {
        for (String value : values) {
          extended.add(new StringBuilder(filter).append(value));
        }
      }
      filters = extended;
    }
    Set<String> result = new LinkedHashSet<>();
    for (StringBuilder filter : filters) {
      if (filter.length() > 0 && filter.charAt(0) != '$') {
        result.add(filter.toString());
      }
    }
    return List.copyOf(result);
  }

  /**
   * The safe textual values of a variable: one for a scalar, one per usable element of an array.
   */
  private static List<String> values(Object value) {
    if (value == null) {
      return List.of();
    }
    if (value instanceof Collection<?> elements) {
      Set<String> values = new LinkedHashSet<>();
      for (Object element : elements) {
        String text = scalar(element);
        if (text != null) {
          values.add(text);
        }
      }
      return List.copyOf(values);
    }
    String text = scalar(value);
    return text == null ? List.of() : List.of(text);
  }

  private static String scalar(Object value) {
    String text;
    if (value instanceof String s) {
      text = s;
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte
        || value instanceof Boolean) {
      text = value.toString();
    } else {
      return null;
    }
    return isSafeValue(text) ? text : null;
  }

  /** A value that cannot add a level or a wildcard, nor collapse into an empty level. */
  static boolean isSafeValue(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '/' || c == '+' || c == '#' || c == '\u0000') {
        return false;
      }
    }
    return true;
  }

  /**
   * Filter containment (Event Grid's topic spaces and templates): whether every topic {@code
   * filter} matches is also matched by {@code templateFilter}. Level by level: {@code #} covers any
   * remaining levels (none, or F's {@code #}); {@code +} covers one literal or {@code +}, never
   * {@code #}; a literal covers only itself. As in matching (MQTT-4.7.2-1), a leading wildcard does
   * not cover a filter for topics beginning with {@code $}.
   */
  public static boolean covers(String templateFilter, String filter) {
    if (filter.startsWith("$")
        && (templateFilter.startsWith("+") || templateFilter.startsWith("#"))) {
      return false;
    }
    String[] granted = templateFilter.split("/", -1);
    String[] wanted = filter.split("/", -1);
    for (int i = 0; i < granted.length; i++) {
      String level = granted[i];
      if (level.equals("#")) {
        return true;
      }
      if (i >= wanted.length) {
        return false;
      }
      String other = wanted[i];
      if (other.equals("#")) {
        return false;
      }
      if (level.equals("+")) {
        continue;
      }
      if (other.equals("+") || !level.equals(other)) {
        return false;
      }
    }
    return wanted.length == granted.length;
  }

  @Override
  public String toString() {
    return source;
  }
}
