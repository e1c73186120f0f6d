package io.mqttgrid.load.auth;

import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Single-step MQTT 5 enhanced authentication: the Authentication Method and Data go in CONNECT and the broker
 * answers with CONNACK, no AUTH exchange. That is how Event Grid takes a token ({@code CUSTOM-JWT} or
 * {@code OAUTH2-JWT} with the JWT as the data); a refusal shows as the CONNACK reason code.
 */
public record JwtAuthMechanism(String method, String token) implements Mqtt5EnhancedAuthMechanism {

  public static final String CUSTOM_JWT = "CUSTOM-JWT";

  public static JwtAuthMechanism customJwt(String token) {
    return new JwtAuthMechanism(CUSTOM_JWT, token);
  }

  @Override
  public MqttUtf8String getMethod() {
    return MqttUtf8String.of(method);
  }

  @Override
  public int getTimeout() {
    return 10;
  }

  @Override
  public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder auth) {
    auth.data(token.getBytes(StandardCharsets.UTF_8));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder auth) {
    auth.data(token.getBytes(StandardCharsets.UTF_8));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth, Mqtt5AuthBuilder builder) {
    return CompletableFuture.completedFuture(false); // a broker asking for a second step is not this method
  }

  @Override
  public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {}

  @Override
  public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {}

  @Override
  public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {}

  @Override
  public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {}
}
