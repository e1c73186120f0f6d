package io.mqttgrid.bridge;

import io.mqttgrid.bridge.BridgeFile.BridgeConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A bridge document as maps, lists and scalars, before {@link BridgeFile#parse(Object,
 * java.nio.file.Path)} checks it: the bridge file's, and the one composed of it with the dataflow
 * endpoints and dataflows made through the management API.
 */
final class BridgeDocument {

  private BridgeDocument() {}

  /** A YAML or JSON document as maps, lists and scalars. */
  static Object load(String text) {
    try {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new BridgeConfigException("bridge file: not YAML or JSON: " + e.getMessage());
    }
  }

  /** The names of the resources of {@code kind} ({@code dataflowEndpoints}, {@code dataflows}). */
  static Map<String, Object> resources(Object root, String kind) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (root instanceof Map<?, ?> m && m.get(kind) instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> r && r.get("name") != null) {
          Map<String, Object> properties = new LinkedHashMap<>();
          r.forEach((k, v) -> properties.put(String.valueOf(k), v));
          out.put(String.valueOf(properties.remove("name")), properties);
        }
      }
    }
    return out;
  }

  /**
   * The document of the bridge file {@code fileRoot} with the resources made through the management
   * API ({@code api}: key {@code <kind>/<name>}, value the resource's properties as JSON): the
   * file's first (so that the index in a message about one of them is its index in the file), then
   * those of the API in the order given. A name the file holds is the file's.
   */
  static Object compose(Object fileRoot, Map<String, String> api) {
    Map<String, Object> doc = new LinkedHashMap<>();
    if (fileRoot instanceof Map<?, ?> m) {
      m.forEach((k, v) -> doc.put(String.valueOf(k), v)); // unknown keys: refused by parse
    }
    for (String kind : List.of("dataflowEndpoints", "dataflows")) {
      Map<String, Object> fromFile = resources(fileRoot, kind);
      List<Object> all = new ArrayList<>();
      if (fileRoot instanceof Map<?, ?> m && m.get(kind) instanceof List<?> list) {
        all.addAll(list);
      }
      api.forEach(
          (key, json) -> {
            String name = key.substring(key.indexOf('/') + 1);
            if (key.startsWith(kind + "/") && !fromFile.containsKey(name)) {
              Map<String, Object> r = new LinkedHashMap<>();
              r.put("name", name);
              if (load(json) instanceof Map<?, ?> properties) {
                properties.forEach((k, v) -> r.putIfAbsent(String.valueOf(k), v));
              }
              all.add(r);
            }
          });
      doc.put(kind, all);
    }
    return doc;
  }
}
