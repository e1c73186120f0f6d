package io.mqttgrid.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.BrokerConfig;
import io.mqttgrid.access.Permissions;
import io.mqttgrid.routing.MessageRouter;
import io.mqttgrid.routing.PublishService;
import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.PublishedMessage.UserProperty;
import io.mqttgrid.routing.Subscriber;
import io.mqttgrid.routing.Subscription;
import io.mqttgrid.wire.MqttLimits;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pipeline without a broker: the order of its steps (rules, rights, quota), the message it
 * builds, and the future that stands for the publisher's acknowledgement.
 */
class PublishPipelineTest {

  private static final MqttLimits DEFAULTS = BrokerConfig.of(Map.of()).limits;

  private final MessageRouter router = new MessageRouter();
  private final List<PublishedMessage> retained = new ArrayList<>();
  private Promise<Void> retainedHeld;
  private final PublishPipeline pipeline =
      new PublishPipeline(
          new PublishService(
              "node-a",
              router,
              m -> {
                retained.add(m);
                return retainedHeld == null ? Future.succeededFuture() : retainedHeld.future();
              }),
          DEFAULTS);
  private final List<PublishedMessage> delivered = new ArrayList<>();

  private final Permissions devicesOnly =
      new Permissions() {
        @Override
        public boolean canPublish(String topic) {
          return topic.startsWith("devices/");
        }

        @Override
        public boolean canSubscribe(String filter) {
          return false;
        }
      };

  private void subscribe(String filter) {
    router.subscribe(
        new Subscriber() {
          @Override
          public String clientId() {
            return "sub";
          }

          @Override
          public boolean isOnline() {
            return true;
          }

          @Override
          public Future<Void> deliver(
              PublishedMessage message, int qos, boolean retain, int[] ids, String group) {
            delivered.add(message);
            return Future.succeededFuture();
          }
        },
        new Subscription(filter, 1, false, false, 0, 0));
  }

  private static PublishRequest request(String topic) {
    return PublishRequest.of(topic, 1, false, "hello".getBytes(StandardCharsets.UTF_8));
  }

  private static PublishPipeline.Refused refused(PublishPipeline.Result result) {
    assertThat(result).isInstanceOf(PublishPipeline.Refused.class);
    return (PublishPipeline.Refused) result;
  }

  @Test
  void anAuthorizedMessageIsBuiltAndRouted() {
    subscribe("devices/#");
    PublishRequest request =
        PublishRequest.of(
            "devices/d1",
            1,
            false,
            "hi".getBytes(StandardCharsets.UTF_8),
            "replies/d1",
            new byte[] {1, 2},
            List.of(new UserProperty("k", "v")),
            "text/plain",
            60,
            1);
    long before = System.currentTimeMillis();
    PublishPipeline.Result result =
        pipeline.publish(PublishSource.http("backend", () -> devicesOnly), request);
    assertThat(result).isInstanceOf(PublishPipeline.Routed.class);
    PublishPipeline.Routed routed = (PublishPipeline.Routed) result;
    PublishedMessage m = routed.message();
    assertThat(m.id()).startsWith("node-a:");
    assertThat(m.publisherClientId()).isEqualTo("backend");
    assertThat(m.topic()).isEqualTo("devices/d1");
    assertThat(m.createdAtMillis()).isBetween(before, System.currentTimeMillis());
    assertThat(m.expiresAtMillis()).isEqualTo(m.createdAtMillis() + 60_000);
    assertThat(m.responseTopic()).isEqualTo("replies/d1");
    assertThat(m.correlationData()).containsExactly(1, 2);
    assertThat(m.userProperties()).containsExactly(new UserProperty("k", "v"));
    assertThat(m.contentType()).isEqualTo("text/plain");
    assertThat(m.payloadFormat()).isEqualTo(1);
    assertThat(routed.reached().result()).isEqualTo(1);
    assertThat(delivered).containsExactly(m);
  }

  @Test
  void aTopicOutsideThePublishersRightsIsNotAuthorized() {
    subscribe("#");
    PublishPipeline.Refused r =
        refused(
            pipeline.publish(
                PublishSource.http("backend", () -> devicesOnly), request("factory/line1")));
    assertThat(r.cause()).isEqualTo(PublishRefusal.NOT_AUTHORIZED);
    assertThat(r.detail()).contains("'backend'").contains("'factory/line1'");
    assertThat(delivered).isEmpty();
  }

  @Test
  void aPublisherWhoseRightsEndedGetsNoAnswerOfItsOwn() {
    assertThat(
            refused(
                    pipeline.publish(
                        PublishSource.mqttClient("c1", () -> null, PublishSource.Quota.UNLIMITED),
                        request("devices/d1")))
                .cause())
        .isEqualTo(PublishRefusal.PUBLISHER_GONE);
  }

  @Test
  void theRulesComeBeforeTheRightsAndTheRightsBeforeTheQuota() {
    AtomicInteger rightsAsked = new AtomicInteger();
    AtomicInteger quotaTaken = new AtomicInteger();
    PublishSource source =
        PublishSource.mqttClient(
            "c1",
            () -> {
              rightsAsked.incrementAndGet();
              return devicesOnly;
            },
            bytes -> {
              quotaTaken.addAndGet(bytes);
              return quotaTaken.get() <= 5;
            });
    assertThat(refused(pipeline.publish(source, request("devices/+"))).cause())
        .isEqualTo(PublishRefusal.TOPIC_WILDCARD);
    assertThat(rightsAsked).hasValue(0);
    assertThat(refused(pipeline.publish(source, request("other"))).cause())
        .isEqualTo(PublishRefusal.NOT_AUTHORIZED);
    assertThat(rightsAsked).hasValue(1);
    assertThat(quotaTaken).as("a refused message takes nothing from the quota").hasValue(0);
    assertThat(pipeline.publish(source, request("devices/d1")))
        .isInstanceOf(PublishPipeline.Routed.class);
    assertThat(quotaTaken).hasValue(5);
    assertThat(refused(pipeline.publish(source, request("devices/d1"))).cause())
        .isEqualTo(PublishRefusal.QUOTA_EXCEEDED);
  }

  @Test
  void theBrokerItselfMayPublishToItsOwnTopicsAndNoOneElse() {
    subscribe("$events/#");
    assertThat(pipeline.publish(PublishSource.system("mqttgrid"), request("$events/clients/c1")))
        .isInstanceOf(PublishPipeline.Routed.class);
    assertThat(delivered).hasSize(1);
    Permissions everything =
        new Permissions() {
          @Override
          public boolean canPublish(String topic) {
            return true;
          }

          @Override
          public boolean canSubscribe(String filter) {
            return true;
          }
        };
    assertThat(
            refused(
                    pipeline.publish(
                        PublishSource.bridge("remote", everything, PublishSource.Quota.UNLIMITED),
                        request("$events/clients/c1")))
                .cause())
        .isEqualTo(PublishRefusal.RESERVED_TOPIC);
  }

  @Test
  void aRetainedMessageIsAcknowledgedOnlyOnceTheRetainedStoreHoldsIt() {
    retainedHeld = Promise.promise();
    PublishPipeline.Routed routed =
        (PublishPipeline.Routed)
            pipeline.publish(
                PublishSource.system("s"),
                PublishRequest.of("devices/d1", 1, true, new byte[] {1}));
    assertThat(retained).containsExactly(routed.message());
    assertThat(routed.reached().isComplete()).isFalse();
    retainedHeld.complete();
    assertThat(routed.reached().succeeded()).isTrue();
  }

  @Test
  void aStoreThatThrowsFailsTheFutureInsteadOfThePublisher() {
    PublishPipeline failing =
        new PublishPipeline(
            new PublishService(
                "node-a",
                router,
                m -> {
                  throw new IllegalStateException("Hazelcast instance is not active");
                }),
            DEFAULTS);
    PublishPipeline.Routed routed =
        (PublishPipeline.Routed)
            failing.publish(
                PublishSource.system("s"),
                PublishRequest.of("devices/d1", 1, true, new byte[] {1}));
    assertThat(routed.reached().failed()).isTrue();
  }

  @Test
  void aMessageBuiltForLaterHasAFreshIdAndNoExpiryUnlessAsked() {
    PublishedMessage a = pipeline.message(request("devices/d1"), "c1");
    PublishedMessage b = pipeline.message(request("devices/d1"), "c1");
    assertThat(a.id()).isNotEqualTo(b.id());
    assertThat(a.expiresAtMillis()).isZero();
    assertThat(a.publisherClientId()).isEqualTo("c1");
    PublishedMessage now =
        pipeline.message(
            PublishRequest.of("t", 1, false, new byte[0], null, null, List.of(), null, 0, -1),
            "c1");
    assertThat(now.expiresAtMillis())
        .as("an interval of 0 expires at once")
        .isEqualTo(now.createdAtMillis());
  }
}
