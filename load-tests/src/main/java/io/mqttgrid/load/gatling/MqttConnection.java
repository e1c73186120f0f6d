package io.mqttgrid.load.gatling;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.Mqtt5ReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * One virtual user's MQTT 5 connection: the asynchronous HiveMQ client, plus the inbox that keeps what it
 * received until a wait takes it. Every operation returns a future that fails with an {@link MqttFailure}
 * (reason code and text) when the broker refuses or the connection breaks, so the Gatling actions can report
 * KO with the broker's own reason. The client never reconnects by itself: a lost connection shows up as the
 * failures that follow it, as it would for a device.
 */
public final class MqttConnection {

  /** What a virtual user sends in CONNECT, with its expressions already resolved. */
  public record ConnectRequest(String clientId, boolean cleanStart, long sessionExpirySeconds, int keepAliveSeconds,
      String username, String password, MqttConnectAuth.Values auth) {}

  /** One PUBLISH, resolved. {@code responseTopic} and {@code correlationData} may be null. */
  public record PublishRequest(String topic, int qos, byte[] payload, boolean retain, String responseTopic,
      byte[] correlationData) {}

  private final Mqtt5AsyncClient client;
  private final Inbox inbox;
  private final LongSupplier clock;

  private MqttConnection(Mqtt5AsyncClient client, Inbox inbox, LongSupplier clock) {
    this.client = client;
    this.inbox = inbox;
    this.clock = clock;
  }

  /** Connects; the future completes after a successful CONNACK. {@code clock} stamps received messages. */
  public static CompletableFuture<MqttConnection> open(MqttSettings settings, ConnectRequest request,
      LongSupplier clock) {
    Mqtt5AsyncClient client = MqttClient.builder().useMqttVersion5().identifier(request.clientId())
        .transportConfig().serverHost(settings.host()).serverPort(settings.port())
        .socketConnectTimeout(settings.connectTimeoutMillis(), TimeUnit.MILLISECONDS)
        .mqttConnectTimeout(settings.connectTimeoutMillis(), TimeUnit.MILLISECONDS)
        .sslConfig(settings.tls().sslConfig(request.auth())).applyTransportConfig()
        .buildAsync();
    Mqtt5ConnectBuilder.Send<CompletableFuture<com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck>>
        connect = client.connectWith().cleanStart(request.cleanStart())
        .sessionExpiryInterval(request.sessionExpirySeconds()).keepAlive(request.keepAliveSeconds())
        .enhancedAuth(request.auth().enhancedAuth());
    if (request.username() != null) {
      var auth = connect.simpleAuth().username(request.username());
      if (request.password() != null) {
        auth = auth.password(request.password().getBytes(StandardCharsets.UTF_8));
      }
      connect = auth.applySimpleAuth();
    }
    MqttConnection connection = new MqttConnection(client, new Inbox(settings.inboxCapacity()), clock);
    return connect.send().handle((connAck, error) -> {
      if (error != null) {
        throw MqttFailure.of(error);
      }
      return connection;
    });
  }

  /** Messages matching {@code filter} go to the inbox, where waits and requests find them. */
  public CompletableFuture<Void> subscribeToInbox(String filter, int qos) {
    return subscribe(filter, qos, inbox::offer);
  }

  /** Messages matching {@code filter} go to {@code handler}, on the client's threads. */
  public CompletableFuture<Void> subscribe(String filter, int qos, Consumer<ReceivedMessage> handler) {
    return client.subscribeWith().topicFilter(filter).qos(qos(qos))
        .callback(publish -> handler.accept(ReceivedMessage.of(publish, clock.getAsLong())))
        .send()
        .handle((subAck, error) -> {
          if (error != null) {
            throw MqttFailure.of(error);
          }
          subAck.getReasonCodes().stream().filter(Mqtt5ReasonCode::isError).findFirst().ifPresent(code -> {
            throw MqttFailure.reason(code, "SUBSCRIBE " + filter);
          });
          return null;
        });
  }

  /** Completes when a QoS 0 message is handed to the socket, or when a QoS 1/2 message is acknowledged. */
  public CompletableFuture<Void> publish(PublishRequest request) {
    Mqtt5PublishBuilder.Send.Complete<CompletableFuture<Mqtt5PublishResult>> publish = client.publishWith()
        .topic(request.topic()).qos(qos(request.qos())).payload(request.payload()).retain(request.retain());
    if (request.responseTopic() != null) {
      publish = publish.responseTopic(request.responseTopic());
    }
    if (request.correlationData() != null) {
      publish = publish.correlationData(request.correlationData());
    }
    return publish.send().handle((result, error) -> {
      Throwable failure = error != null ? error : result.getError().orElse(null);
      if (failure != null) {
        throw MqttFailure.of(failure);
      }
      return null;
    });
  }

  /** Sends the request's own payload back to its response topic with its correlation data (a responder). */
  public CompletableFuture<Void> reply(ReceivedMessage request, int qos) {
    if (request.responseTopic() == null) {
      return CompletableFuture.failedFuture(new MqttFailure("no-response-topic",
          "request on " + request.topic() + " has no response topic"));
    }
    return publish(new PublishRequest(request.responseTopic(), qos, request.payload(), false, null,
        request.correlationData()));
  }

  /** The first kept or future inbox message {@code matcher} accepts. */
  public CompletableFuture<ReceivedMessage> awaitMessage(Predicate<ReceivedMessage> matcher) {
    return inbox.await(matcher);
  }

  /** Stops waiting with {@code wait} (it timed out). */
  public void forgetWait(CompletableFuture<ReceivedMessage> wait) {
    inbox.forget(wait);
  }

  /** Inbox messages dropped because nobody waited for them and the inbox was full. */
  public long droppedMessages() {
    return inbox.dropped();
  }

  public CompletableFuture<Void> disconnect() {
    return client.disconnect().handle((ignored, error) -> {
      if (error != null) {
        throw MqttFailure.of(error);
      }
      return null;
    });
  }

  /** Disconnects if still connected, without reporting anything: a virtual user that ends holding it. */
  public void close() {
    if (client.getState().isConnectedOrReconnect()) {
      client.disconnect();
    }
  }

  private static MqttQos qos(int qos) {
    MqttQos value = MqttQos.fromCode(qos);
    if (value == null) {
      throw new IllegalArgumentException("QoS must be 0, 1 or 2, not " + qos);
    }
    return value;
  }
}
