package io.mqttgrid.bridge;

import java.util.ArrayList;
import java.util.List;

/**
 * The target topic of a dataflow: a static topic, or a template with {@code ${inputTopic}} (the
 * whole source topic) and {@code ${inputTopic.N}} (its N-th level, 1-based; a leading or trailing
 * '/' of the source topic is ignored), as IoT Operations' dataflow destinations have them (spec
 * section 9.2). A target never holds a wildcard: every matching message lands on the one topic it
 * names.
 */
public final class TargetTemplate {

  private static final String WHOLE = "inputTopic";

  /**
   * A literal piece (level == -1), the whole input topic (level == 0) or one level of it (level >=
   * 1).
   */
  private record Part(String literal, int level) {}

  private final String text;
  private final List<Part> parts;

  private TargetTemplate(String text, List<Part> parts) {
    this.text = text;
    this.parts = parts;
  }

  /** The target as configured. */
  public String text() {
    return text;
  }

  /** Whether the target depends on the source topic. */
  public boolean dynamic() {
    return parts.stream().anyMatch(p -> p.level >= 0);
  }

  /**
   * Parses {@code text}; throws {@link IllegalArgumentException} with the reason when it is not a
   * target: empty, a wildcard, or a placeholder other than {@code ${inputTopic}} and {@code
   * ${inputTopic.N}} with N >= 1.
   */
  public static TargetTemplate parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("must not be empty");
    }
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int open = text.indexOf("${", i);
      if (open < 0) {
        parts.add(literal(text.substring(i)));
        break;
      }
      if (open > i) {
        parts.add(literal(text.substring(i, open)));
      }
      int close = text.indexOf('}', open);
      if (close < 0) {
        throw new IllegalArgumentException("'" + text + "' has a '${' without its '}'");
      }
      parts.add(placeholder(text.substring(open + 2, close)));
      i = close + 1;
    }
    return new TargetTemplate(text, List.copyOf(parts));
  }

  private static Part literal(String s) {
    if (s.indexOf('+') >= 0 || s.indexOf('#') >= 0) {
      throw new IllegalArgumentException(
          "'" + s + "' holds a wildcard ('+' or '#'): a target is one topic");
    }
    if (s.indexOf('\u0000') >= 0) {
      throw new IllegalArgumentException("holds U+0000");
    }
    return new Part(s, -1);
  }

  private static Part placeholder(String name) {
    if (name.equals(WHOLE)) {
      return new Part(null, 0);
    }
    if (name.startsWith(WHOLE + ".")) {
      String n = name.substring(WHOLE.length() + 1);
      if (!n.isEmpty() && n.length() <= 5 && n.chars().allMatch(Character::isDigit)) {
        int level = Integer.parseInt(n);
        if (level >= 1) {
          return new Part(null, level);
        }
      }
    }
    throw new IllegalArgumentException(
        "'${" + name + "}' is not ${inputTopic} or ${inputTopic.N} (N from 1)");
  }

  /**
   * The target for a message on {@code inputTopic}, or null when a level the template names is not
   * there.
   */
  public String resolve(String inputTopic) {
    if (!dynamic()) {
      return text;
    }
    String trimmed = inputTopic;
    if (trimmed.startsWith("/")) {
      trimmed = trimmed.substring(1);
    }
    if (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    String[] levels = trimmed.split("/", -1);
    StringBuilder out = new StringBuilder();
    for (Part p : parts) {
      if (p.level < 0) {
        out.append(p.literal);
      } else if (p.level == 0) {
        out.append(inputTopic);
      } else {
        if (p.level > levels.length || levels[p.level - 1].isEmpty()) {
          return null;
        }
        out.append(levels[p.level - 1]);
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return text;
  }

  /** Same text, same template (a changed dataflow is told from an unchanged one by this). */
  @Override
  public boolean equals(Object o) {
    return o instanceof TargetTemplate t && t.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
