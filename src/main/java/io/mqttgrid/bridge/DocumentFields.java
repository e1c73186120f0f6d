package io.mqttgrid.bridge;

import io.mqttgrid.bridge.BridgeFile.BridgeConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A mapping of the document with the path that leads to it, for messages that name the field. */
record DocumentFields(Map<?, ?> map, String at) {

  static DocumentFields of(Object node, String at) {
    if (!(node instanceof Map<?, ?> m)) {
      throw new BridgeConfigException(at + ": must be a mapping (key: value)");
    }
    return new DocumentFields(m, at);
  }

  String path(String key) {
    return at + "." + key;
  }

  boolean has(String key) {
    return map.containsKey(key);
  }

  void only(String... keys) {
    Set<String> allowed = Set.of(keys);
    for (Object k : map.keySet()) {
      if (!allowed.contains(String.valueOf(k))) {
        throw new BridgeConfigException(
            path(String.valueOf(k)) + ": unknown field (known: " + String.join(", ", keys) + ")");
      }
    }
  }

  String string(String key, String fallback) {
    Object v = map.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      throw new BridgeConfigException(path(key) + ": must be a single value");
    }
    return String.valueOf(v).trim();
  }

  /**
   * A name: letters, digits, '-', '_' and '.', as it becomes part of client ids and metric tags.
   */
  String name(String key) {
    String v = string(key, null);
    if (v == null || v.isEmpty()) {
      throw new BridgeConfigException(path(key) + ": required");
    }
    if (!v.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new BridgeConfigException(
          path(key) + ": '" + v + "' must be 1 to 64 letters, digits, '.', '-' or " + "'_'");
    }
    return v;
  }

  long number(String key, long fallback, long min, long max) {
    Object v = map.get(key);
    if (v == null) {
      return fallback;
    }
    long n;
    try {
      n = Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new BridgeConfigException(path(key) + ": must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) {
      throw new BridgeConfigException(
          path(key) + ": must be between " + min + " and " + max + ", got " + n);
    }
    return n;
  }

  DocumentFields fields(String key, boolean required) {
    Object v = map.get(key);
    if (v == null) {
      if (required) {
        throw new BridgeConfigException(path(key) + ": required");
      }
      return new DocumentFields(Map.of(), path(key));
    }
    return of(v, path(key));
  }

  List<Object> list(String key) {
    Object v = map.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new BridgeConfigException(path(key) + ": must be a list");
    }
    return new ArrayList<>(l);
  }

  Path file(String key, Path baseDir) {
    String v = string(key, null);
    if (v == null || v.isEmpty()) {
      return null;
    }
    Path p = baseDir.resolve(v);
    if (!Files.isReadable(p)) {
      throw new BridgeConfigException(path(key) + ": cannot read file '" + p + "'");
    }
    return p;
  }
}
