package io.mqttgrid.routing;

import java.nio.charset.StandardCharsets;

/**
 * Topic names and filters per MQTT 5 section 4.7, with the broker's length and level limits.
 * Written by hand because the matching rules are small and sit on the hot path of every publish.
 */
public final class Topics {

  public static final String SHARE_PREFIX = "$share/";

  private Topics() {}

  /** Why a topic name or filter was refused, or {@link #OK}. */
  public enum Check {
    OK,
    EMPTY,
    TOO_LONG,
    TOO_MANY_LEVELS,
    WILDCARD_IN_NAME,
    BAD_WILDCARD,
    BAD_CHARACTER,
    BAD_SHARE
  }

  /**
   * A PUBLISH topic name: non-empty, no wildcards, no NUL, no undecodable UTF-8, within the limits.
   */
  public static Check checkName(String topic, int maxBytes, int maxLevels) {
    if (topic == null || topic.isEmpty()) {
      return Check.EMPTY;
    }
    int levels = 1;
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (c == '+' || c == '#') {
        return Check.WILDCARD_IN_NAME;
      }
      if (c == '/') {
        levels++;
      } else if (badCharacter(c)) {
        return Check.BAD_CHARACTER;
      }
    }
    return checkSize(topic, levels, maxBytes, maxLevels);
  }

  /** A SUBSCRIBE filter, plain or {@code $share/group/filter}. */
  public static Check checkFilter(String filter, int maxBytes, int maxLevels) {
    if (filter == null || filter.isEmpty()) {
      return Check.EMPTY;
    }
    String plain = filter;
    if (filter.startsWith(SHARE_PREFIX)) {
      SharedFilter shared = SharedFilter.parse(filter);
      if (shared == null) {
        return Check.BAD_SHARE;
      }
      plain = shared.filter();
    }
    int levels = 1;
    int levelStart = 0;
    for (int i = 0; i < plain.length(); i++) {
      char c = plain.charAt(i);
      if (c == '/') {
        levels++;
        levelStart = i + 1;
      } else if (c == '+') {
        boolean alone = i == levelStart && (i + 1 == plain.length() || plain.charAt(i + 1) == '/');
        if (!alone) {
          return Check.BAD_WILDCARD;
        }
      } else if (c == '#') {
        if (i != levelStart || i + 1 != plain.length()) {
          return Check.BAD_WILDCARD;
        }
      } else if (badCharacter(c)) {
        return Check.BAD_CHARACTER;
      }
    }
    return checkSize(filter, levels, maxBytes, maxLevels);
  }

  /**
   * Whether {@code filter} matches {@code topic}. Leading wildcards do not match topics beginning
   * with '$' (MQTT-4.7.2-1); {@code a/#} matches {@code a} too.
   */
  public static boolean matches(String filter, String topic) {
    if (!topic.isEmpty()
        && topic.charAt(0) == '$'
        && !filter.isEmpty()
        && (filter.charAt(0) == '+' || filter.charAt(0) == '#')) {
      return false;
    }
    // level by level: a level may be empty ("a//b", "a/"), and '+' matches an empty level too
    int f = 0;
    int t = 0;
    int fl = filter.length();
    int tl = topic.length();
    while (true) {
      int fEnd = filter.indexOf('/', f);
      fEnd = fEnd < 0 ? fl : fEnd;
      if (fEnd - f == 1 && filter.charAt(f) == '#') {
        return true;
      }
      int tEnd = topic.indexOf('/', t);
      tEnd = tEnd < 0 ? tl : tEnd;
      boolean plus = fEnd - f == 1 && filter.charAt(f) == '+';
      if (!plus && (fEnd - f != tEnd - t || !filter.regionMatches(f, topic, t, fEnd - f))) {
        return false;
      }
      boolean filterEnded = fEnd == fl;
      boolean topicEnded = tEnd == tl;
      if (filterEnded || topicEnded) {
        // "a/#" also matches "a": when only the topic ended, the filter may go on with "/#" alone
        return filterEnded == topicEnded || (fEnd + 2 == fl && filter.charAt(fEnd + 1) == '#');
      }
      f = fEnd + 1;
      t = tEnd + 1;
    }
  }

  public static boolean hasWildcard(String filter) {
    return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
  }

  /**
   * The levels of a topic or filter, empty ones kept ({@code split("/", -1)}): counted first, so a
   * publish's match allocates its levels and one array of their number, not a growing list too.
   */
  static String[] levels(String topic) {
    int count = 1;
    for (int i = topic.indexOf('/'); i >= 0; i = topic.indexOf('/', i + 1)) {
      count++;
    }
    String[] levels = new String[count];
    int start = 0;
    for (int n = 0; n < count - 1; n++) {
      int end = topic.indexOf('/', start);
      levels[n] = topic.substring(start, end);
      start = end + 1;
    }
    levels[count - 1] = topic.substring(start);
    return levels;
  }

  private static boolean badCharacter(char c) {
    // U+FFFD is what the decoder leaves for malformed UTF-8: such a topic was not valid UTF-8 on
    // the wire.
    return c == '\u0000' || c == '\uFFFD';
  }

  private static Check checkSize(String s, int levels, int maxBytes, int maxLevels) {
    if (s.length() > maxBytes || s.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      return Check.TOO_LONG;
    }
    if (levels > maxLevels) {
      return Check.TOO_MANY_LEVELS;
    }
    return Check.OK;
  }

  /** {@code $share/{group}/{filter}}: the group name and the plain filter after it. */
  public record SharedFilter(String group, String filter) {
    public static SharedFilter parse(String subscription) {
      if (!subscription.startsWith(SHARE_PREFIX)) {
        return null;
      }
      int slash = subscription.indexOf('/', SHARE_PREFIX.length());
      if (slash <= SHARE_PREFIX.length() || slash == subscription.length() - 1) {
        return null;
      }
      String group = subscription.substring(SHARE_PREFIX.length(), slash);
      if (group.indexOf('+') >= 0 || group.indexOf('#') >= 0) {
        return null;
      }
      return new SharedFilter(group, subscription.substring(slash + 1));
    }
  }
}
