package io.mqttgrid.load.simulations;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a run is aimed at and how hard, from system properties ({@code mvn gatling:test -Dusers=500}) or,
 * for the target and the token, environment variables. Defaults fit one 2-core machine.
 */
final class LoadSettings {

  private LoadSettings() {}

  /** MQTT address of the broker or of the load balancer in front of the cluster. */
  static String mqttUrl() {
    return text("mqtt.url", "MQTTGRID_LOAD_MQTT_URL", "tcp://127.0.0.1:1883");
  }

  /** HTTP publish base address. */
  static String httpUrl() {
    return text("http.url", "MQTTGRID_LOAD_HTTP_URL", "http://127.0.0.1:8088");
  }

  /** Bearer token for HTTP publish; empty sends no Authorization header. */
  static String httpToken() {
    return text("http.token", "MQTTGRID_HTTP_TOKEN", "");
  }

  static int integer(String property, int defaultValue) {
    return Integer.parseInt(text(property, null, Integer.toString(defaultValue)));
  }

  static Duration seconds(String property, int defaultSeconds) {
    return Duration.ofSeconds(integer(property, defaultSeconds));
  }

  static String text(String property, String environment, String defaultValue) {
    String value = System.getProperty(property);
    if ((value == null || value.isBlank()) && environment != null) {
      value = System.getenv(environment);
    }
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  /** Device ids {@code device-0}, {@code device-1}, ... one per virtual user fed from it. */
  static Iterator<Map<String, Object>> deviceIds() {
    AtomicInteger next = new AtomicInteger();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Map<String, Object> next() {
        Map<String, Object> record = new HashMap<>();
        record.put("deviceId", "device-" + next.getAndIncrement());
        return record;
      }
    };
  }
}
