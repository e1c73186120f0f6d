package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Inbox;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MQTT 5 publish properties reach MQTT 5 subscribers unchanged (MQTT-3.3.2-4 and following), MQTT
 * 3.1.1 subscribers get the plain message, and request/response works through Response Topic and
 * Correlation Data.
 */
@WithBroker
class PropertiesIT {

  static TestBroker broker;

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static List<String> userProperties(Mqtt5Publish m) {
    return m.getUserProperties().asList().stream()
        .map(p -> p.getName() + "=" + p.getValue())
        .toList();
  }

  @Test
  void publishPropertiesReachMqtt5SubscribersUnchangedAndMqtt3SubscribersGetThePlainMessage()
      throws Exception {
    Mqtt5BlockingClient sub5 = broker.v5("props-sub5");
    Inbox<Mqtt5Publish> inbox5 = Inbox.connectAndSubscribe(sub5, "props/#", MqttQos.AT_LEAST_ONCE);
    Mqtt3BlockingClient sub3 = broker.v3("props-sub3");
    Inbox<Mqtt3Publish> inbox3 = Inbox.connectAndSubscribe(sub3, "props/#", MqttQos.AT_LEAST_ONCE);

    byte[] correlation = {(byte) 0xCA, (byte) 0xFE, 0, 1};
    Mqtt5BlockingClient pub = broker.v5("props-pub");
    pub.connect();
    pub.publishWith()
        .topic("props/full")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("{\"t\":21.5}".getBytes())
        .contentType("application/json")
        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .responseTopic("props/replies/42")
        .correlationData(correlation)
        .messageExpiryInterval(300)
        .userProperties(
            Mqtt5UserProperties.builder()
                .add("k", "1")
                .add("a", "x")
                .add("k", "2")
                .add("k", "1")
                .add("ünï", "çødé")
                .add("empty", "")
                .build())
        .send();
    pub.publishWith()
        .topic("props/none")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("plain".getBytes())
        .send();

    Mqtt5Publish m = inbox5.next();
    assertThat(m.getTopic().toString()).isEqualTo("props/full");
    assertThat(Inbox.text(m)).isEqualTo("{\"t\":21.5}");
    assertThat(m.getContentType().map(Object::toString)).contains("application/json");
    assertThat(m.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(m.getResponseTopic().map(Object::toString)).contains("props/replies/42");
    assertThat(m.getCorrelationData().map(PropertiesIT::bytes))
        .hasValueSatisfying(b -> assertThat(b).containsExactly(correlation));
    assertThat(userProperties(m)).containsExactly("k=1", "a=x", "k=2", "k=1", "ünï=çødé", "empty=");
    assertThat(m.getMessageExpiryInterval()).isPresent();
    assertThat(m.getMessageExpiryInterval().getAsLong()).isBetween(290L, 300L);

    Mqtt5Publish none = inbox5.next();
    assertThat(none.getTopic().toString()).isEqualTo("props/none");
    assertThat(none.getContentType()).isEmpty();
    assertThat(none.getPayloadFormatIndicator()).isEmpty();
    assertThat(none.getResponseTopic()).isEmpty();
    assertThat(none.getCorrelationData()).isEmpty();
    assertThat(none.getMessageExpiryInterval()).isEmpty();
    assertThat(none.getUserProperties().asList()).isEmpty();

    Mqtt3Publish m3 = inbox3.next();
    assertThat(m3.getTopic().toString()).isEqualTo("props/full");
    assertThat(Inbox.text(m3)).isEqualTo("{\"t\":21.5}");
    assertThat(m3.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(Inbox.text(inbox3.next())).isEqualTo("plain");
    pub.disconnect();
    sub5.disconnect();
    sub3.disconnect();
  }

  @Test
  void mqtt3PublishReachesMqtt5SubscribersWithoutProperties() throws Exception {
    Mqtt5BlockingClient sub5 = broker.v5("props3-sub5");
    Inbox<Mqtt5Publish> inbox5 = Inbox.connectAndSubscribe(sub5, "props3/t", MqttQos.AT_LEAST_ONCE);
    Mqtt3BlockingClient pub3 = broker.v3("props3-pub");
    pub3.connect();
    pub3.publishWith()
        .topic("props3/t")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("from v3".getBytes())
        .send();
    Mqtt5Publish m = inbox5.next();
    assertThat(Inbox.text(m)).isEqualTo("from v3");
    assertThat(m.getMessageExpiryInterval()).isEmpty();
    assertThat(m.getUserProperties().asList()).isEmpty();
    assertThat(m.getContentType()).isEmpty();
    pub3.disconnect();
    sub5.disconnect();
  }

  @Test
  void messageExpiryIsReducedByTheTimeAMessageWaitedAndExpiredMessagesAreDropped()
      throws Exception {
    Mqtt5BlockingClient sub = broker.v5("expiry-sub");
    sub.connectWith().cleanStart(true).sessionExpiryInterval(120).send();
    sub.subscribeWith().topicFilter("exp/#").qos(MqttQos.AT_LEAST_ONCE).send();
    sub.disconnect();

    Mqtt5BlockingClient pub = broker.v5("expiry-pub");
    pub.connect();
    pub.publishWith()
        .topic("exp/long")
        .qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(30)
        .payload("long".getBytes())
        .send();
    pub.publishWith()
        .topic("exp/short")
        .qos(MqttQos.AT_LEAST_ONCE)
        .messageExpiryInterval(1)
        .payload("short".getBytes())
        .send();
    pub.publishWith()
        .topic("exp/none")
        .qos(MqttQos.AT_LEAST_ONCE)
        .payload("none".getBytes())
        .send();
    pub.disconnect();
    Thread.sleep(2_200); // the subscriber stays away longer than the short message lives

    Mqtt5BlockingClient back = broker.v5("expiry-sub");
    Inbox<Mqtt5Publish> inbox = Inbox.of(back);
    back.connectWith().cleanStart(false).sessionExpiryInterval(120).send();
    Mqtt5Publish first = inbox.next();
    assertThat(Inbox.text(first)).isEqualTo("long");
    assertThat(first.getMessageExpiryInterval()).isPresent();
    assertThat(first.getMessageExpiryInterval().getAsLong()).isBetween(1L, 28L);
    Mqtt5Publish second = inbox.next();
    assertThat(Inbox.text(second)).isEqualTo("none");
    assertThat(second.getMessageExpiryInterval()).isEmpty();
    back.disconnectWith().sessionExpiryInterval(0).send();
  }

  @Test
  void responderAnswersOnTheResponseTopicWithTheCorrelationData() throws Exception {
    Mqtt5BlockingClient responder = broker.v5("responder");
    responder.connect();
    responder
        .toAsync()
        .publishes(
            MqttGlobalPublishFilter.ALL,
            request -> {
              String topic = request.getResponseTopic().orElseThrow().toString();
              responder
                  .toAsync()
                  .publishWith()
                  .topic(topic)
                  .qos(MqttQos.AT_LEAST_ONCE)
                  .correlationData(request.getCorrelationData().orElseThrow())
                  .payload(("echo " + Inbox.text(request)).getBytes())
                  .send();
            });
    responder.subscribeWith().topicFilter("svc/echo").qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient requester = broker.v5("requester");
    Inbox<Mqtt5Publish> replies =
        Inbox.connectAndSubscribe(requester, "svc/replies/requester", MqttQos.AT_LEAST_ONCE);
    for (int i = 1; i <= 3; i++) {
      requester
          .publishWith()
          .topic("svc/echo")
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(("hello " + i).getBytes())
          .responseTopic("svc/replies/requester")
          .correlationData(new byte[] {(byte) i, 7})
          .send();
    }
    for (int i = 1; i <= 3; i++) {
      Mqtt5Publish reply = replies.next();
      assertThat(reply.getTopic().toString()).isEqualTo("svc/replies/requester");
      assertThat(Inbox.text(reply)).isEqualTo("echo hello " + i);
      int n = i;
      assertThat(reply.getCorrelationData().map(PropertiesIT::bytes))
          .hasValueSatisfying(b -> assertThat(b).containsExactly((byte) n, 7));
    }
    requester.disconnect();
    responder.disconnect();
  }
}
