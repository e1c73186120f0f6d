package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.wire.ReasonCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InboundQosFlowTest {

  /** Records what the flow hands over, as "PUBACK 1 SUCCESS". */
  private static final class Sent implements InboundQosFlow.AckSender {
    final List<String> packets = new ArrayList<>();

    @Override
    public void puback(int packetId, ReasonCode reason) {
      packets.add("PUBACK " + packetId + " " + reason);
    }

    @Override
    public void pubrec(int packetId, ReasonCode reason) {
      packets.add("PUBREC " + packetId + " " + reason);
    }
  }

  @Test
  void aFlowThatNeverHadAPublishHasNothingToHandOver() {
    InboundQosFlow flow = new InboundQosFlow();
    Sent sent = new Sent();
    assertThat(flow.awaitingRouting()).isZero();
    flow.flush(false, sent);
    flow.flush(true, sent);
    assertThat(sent.packets).isEmpty();
    assertThat(flow.full(1)).isFalse();
  }

  @Test
  void acknowledgementsGoInArrivalOrderWhenRoutingCompletesOutOfOrder() {
    InboundQosFlow flow = new InboundQosFlow();
    Sent sent = new Sent();
    InboundQosFlow.Pending first = flow.accept(1, 1, 0);
    InboundQosFlow.Pending second = flow.accept(2, 2, 0);
    InboundQosFlow.Pending third = flow.accept(3, 1, 0);

    flow.complete(third, ReasonCode.SUCCESS);
    flow.flush(false, sent);
    assertThat(sent.packets).isEmpty();

    flow.complete(first, ReasonCode.NO_MATCHING_SUBSCRIBERS);
    flow.flush(false, sent);
    assertThat(sent.packets).containsExactly("PUBACK 1 NO_MATCHING_SUBSCRIBERS");

    flow.complete(second, ReasonCode.SUCCESS);
    flow.flush(false, sent);
    assertThat(sent.packets)
        .containsExactly(
            "PUBACK 1 NO_MATCHING_SUBSCRIBERS", "PUBREC 2 SUCCESS", "PUBACK 3 SUCCESS");
  }

  @Test
  void theReceiveMaximumCountsPublishesUntilTheirExchangeEnds() {
    InboundQosFlow flow = new InboundQosFlow();
    Sent sent = new Sent();
    InboundQosFlow.Pending qos1 = flow.accept(1, 1, 0);
    InboundQosFlow.Pending qos2 = flow.accept(2, 2, 0);
    assertThat(flow.full(2)).isTrue();

    flow.complete(qos1, ReasonCode.SUCCESS);
    flow.complete(qos2, ReasonCode.SUCCESS);
    flow.flush(false, sent);
    assertThat(flow.full(2)).isFalse();
    assertThat(flow.full(1)).isTrue(); // the QoS 2 exchange is open until PUBREL

    assertThat(flow.release(2)).isTrue();
    assertThat(flow.full(1)).isFalse();
  }

  @Test
  void aQos2PublishAwaitsReleaseSoAResentOneIsRecognised() {
    InboundQosFlow flow = new InboundQosFlow();
    InboundQosFlow.Pending p = flow.accept(7, 2, 0);
    assertThat(flow.awaitingRelease(7)).isTrue();
    flow.complete(p, ReasonCode.SUCCESS);
    assertThat(flow.awaitingRelease(7)).isTrue();
    assertThat(flow.release(7)).isTrue();
    assertThat(flow.awaitingRelease(7)).isFalse();
    assertThat(flow.release(7)).isFalse();
  }

  @Test
  void aFailedQos2PublishEndsItsExchangeWithThePubrec() {
    InboundQosFlow flow = new InboundQosFlow();
    Sent sent = new Sent();
    InboundQosFlow.Pending p = flow.accept(7, 2, 0);
    flow.complete(p, ReasonCode.UNSPECIFIED_ERROR);
    assertThat(flow.awaitingRelease(7)).isFalse();
    flow.flush(false, sent);
    assertThat(sent.packets).containsExactly("PUBREC 7 UNSPECIFIED_ERROR");
    assertThat(flow.full(1)).isFalse();
  }

  @Test
  void aResumedSessionsPacketIdsAwaitReleaseWithoutCountingAsInFlight() {
    InboundQosFlow flow = new InboundQosFlow();
    flow.restoreAwaitingRelease(Set.of(4, 5));
    assertThat(flow.awaitingRelease(4)).isTrue();
    assertThat(flow.full(1)).isFalse();
    assertThat(flow.release(4)).isTrue();
    assertThat(flow.full(1)).isFalse(); // never below zero
  }

  @Test
  void nothingIsSentOnceTheConnectionClosed() {
    InboundQosFlow flow = new InboundQosFlow();
    Sent sent = new Sent();
    InboundQosFlow.Pending p = flow.accept(1, 1, 0);
    flow.complete(p, ReasonCode.SUCCESS);
    flow.flush(true, sent);
    assertThat(sent.packets).isEmpty();
    flow.flush(false, sent);
    assertThat(sent.packets).isEmpty();
  }
}
