package io.mqttgrid.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.wire.ReasonCode;
import org.junit.jupiter.api.Test;

/**
 * How the reason code of a server-side DISCONNECT reads as a life-cycle reason (spec section 7).
 */
class DisconnectionReasonTest {

  @Test
  void theReasonCodesTheBrokerEndsConnectionsWithMapToSection7sValues() {
    assertThat(DisconnectionReason.of(ReasonCode.SESSION_TAKEN_OVER).wireName())
        .isEqualTo("SessionTakenOver");
    assertThat(DisconnectionReason.of(ReasonCode.SERVER_SHUTTING_DOWN).wireName())
        .isEqualTo("ServerInitiatedDisconnect");
    assertThat(DisconnectionReason.of(ReasonCode.KEEP_ALIVE_TIMEOUT).wireName())
        .isEqualTo("ConnectionLost");
    assertThat(DisconnectionReason.of(ReasonCode.NOT_AUTHORIZED).wireName())
        .isEqualTo("ClientAuthenticationError");
    assertThat(DisconnectionReason.of(ReasonCode.QUOTA_EXCEEDED).wireName())
        .isEqualTo("QuotaExceeded");
    assertThat(DisconnectionReason.of(ReasonCode.MESSAGE_RATE_TOO_HIGH).wireName())
        .isEqualTo("QuotaExceeded");
    assertThat(DisconnectionReason.of(ReasonCode.PROTOCOL_ERROR).wireName())
        .isEqualTo("ClientError");
    assertThat(DisconnectionReason.of(ReasonCode.TOPIC_ALIAS_INVALID).wireName())
        .isEqualTo("ClientError");
    assertThat(DisconnectionReason.of(ReasonCode.PACKET_TOO_LARGE).wireName())
        .isEqualTo("ClientError");
    assertThat(DisconnectionReason.of(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR).wireName())
        .isEqualTo("ServerError");
  }
}
