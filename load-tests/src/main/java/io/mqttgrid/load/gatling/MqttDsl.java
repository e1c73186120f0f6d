package io.mqttgrid.load.gatling;

/**
 * MQTT 5 for Gatling's Java DSL, in the shape of Gatling's own {@code HttpDsl}:
 *
 * <pre>
 * import static io.mqttgrid.load.gatling.MqttDsl.*;
 *
 * MqttProtocolBuilder protocol = mqtt.url("tcp://127.0.0.1:1883");
 * scenario("device")
 *     .exec(mqtt("connect").connect().clientId("device-#{deviceId}"))
 *     .exec(mqtt("subscribe").subscribe("commands/#{deviceId}").qos(1))
 *     .exec(mqtt("telemetry").publish("telemetry/#{deviceId}").qos(1).payloadSize(256))
 *     .exec(mqtt("command").waitForMessage().timeout(Duration.ofSeconds(5)))
 *     .exec(mqtt("disconnect").disconnect());
 * </pre>
 *
 * Every action reports to Gatling's stats engine under its request name, so it shows in the normal HTML
 * report: connect (until CONNACK), subscribe (until SUBACK), publish (until PUBACK for QoS 1/2), wait and
 * delivery latencies (from the send time stamped into the payload to arrival), request/response (round
 * trip), disconnect. String arguments are Gatling Expression Language ({@code #{attribute}}).
 */
public final class MqttDsl {

  /** The protocol: {@code mqtt.url("tcp://host:port")}. */
  public static final MqttProtocolBuilder mqtt = new MqttProtocolBuilder(MqttSettings.DEFAULT);

  private MqttDsl() {}

  /** Starts an MQTT action reported under {@code requestName}. */
  public static Request mqtt(String requestName) {
    return new Request(requestName);
  }

  /** The first step of every MQTT action: its request name. */
  public record Request(String requestName) {

    /** CONNECT with a clean start, no session expiry and no credentials unless told otherwise. */
    public MqttConnect connect() {
      return new MqttConnect(requestName, null, true, 0, 60, null, null, MqttConnectAuth.NONE);
    }

    /** SUBSCRIBE to one filter; {@code $share/group/filter} for a shared subscription. */
    public MqttSubscribe subscribe(String topicFilter) {
      return new MqttSubscribe(requestName, topicFilter, 1, null, false);
    }

    /** PUBLISH of a timestamped payload (see {@link TimestampedPayload}) at QoS 1. */
    public MqttPublish publish(String topic) {
      return new MqttPublish(requestName, topic, 1, 64, null, false);
    }

    /** Waits for the next message of the inbox subscriptions (5 s at most unless told otherwise). */
    public MqttWaitForMessage waitForMessage() {
      return new MqttWaitForMessage(requestName, 5_000, null, null, null);
    }

    /**
     * Request/response: PUBLISH with a response topic and fresh correlation data, then wait for the message
     * with that correlation data (the virtual user must have subscribed to the response topic).
     */
    public MqttRequestReply request(String topic) {
      return new MqttRequestReply(requestName, topic, null, 1, 64, 5_000);
    }

    public MqttDisconnect disconnect() {
      return new MqttDisconnect(requestName);
    }
  }
}
