package io.mqttgrid.load.gatling;

import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.Mqtt5ReasonCode;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Why an MQTT operation failed, in the two forms Gatling reports: a short code (an MQTT 5 reason code name
 * such as {@code NOT_AUTHORIZED}, or a kind of failure such as {@code timeout}) and a message.
 */
public final class MqttFailure extends RuntimeException {

  private final String code;

  public MqttFailure(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }

  static MqttFailure reason(Mqtt5ReasonCode reasonCode, String what) {
    return new MqttFailure(reasonCode.toString(), what + " refused: " + reasonCode
        + String.format(" (0x%02X)", reasonCode.getCode()));
  }

  /** The failure behind whatever a client future completed with. */
  public static MqttFailure of(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof MqttFailure failure) {
      return failure;
    }
    if (cause instanceof Mqtt5ConnAckException e) {
      return reason(e.getMqttMessage().getReasonCode(), "CONNECT");
    }
    if (cause instanceof Mqtt5SubAckException e) {
      return e.getMqttMessage().getReasonCodes().stream().filter(Mqtt5ReasonCode::isError).findFirst()
          .map(code -> reason(code, "SUBSCRIBE")).orElse(new MqttFailure("SUBACK", e.getMessage()));
    }
    if (cause instanceof Mqtt5PubAckException e) {
      return reason(e.getMqttMessage().getReasonCode(), "PUBLISH");
    }
    if (cause instanceof Mqtt5DisconnectException e) {
      return reason(e.getMqttMessage().getReasonCode(), "connection closed by DISCONNECT");
    }
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new MqttFailure(cause.getClass().getSimpleName(), message);
  }
}
