package io.mqttgrid.access;

/**
 * A topic template that is not a valid MQTT filter with variables (Event Grid's topic spaces and
 * templates). The message names the problem and, where there is one, the 1-based character
 * position.
 */
public final class TemplateException extends IllegalArgumentException {

  TemplateException(String message) {
    super(message);
  }
}
