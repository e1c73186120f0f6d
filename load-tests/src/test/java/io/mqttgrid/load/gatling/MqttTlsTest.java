package io.mqttgrid.load.gatling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MqttTlsTest {

  @Test
  void sslUrlsTurnTlsOnWithPort8883AndKeepTheTrustFile() {
    MqttSettings settings = MqttSettings.DEFAULT.withTrustCertificateFile("server.crt").withUrl("ssl://broker");
    assertEquals("broker", settings.host());
    assertEquals(8883, settings.port());
    assertTrue(settings.tls().enabled());
    assertEquals("server.crt", settings.tls().trustCertificateFile());
    assertTrue(MqttSettings.DEFAULT.withUrl("mqtts://127.0.0.1:22884").tls().enabled());
  }

  @Test
  void tcpUrlsStayPlainAndRefuseAClientCertificate() {
    MqttSettings settings = MqttSettings.DEFAULT.withUrl("tcp://127.0.0.1");
    assertEquals(1883, settings.port());
    assertFalse(settings.tls().enabled());
    assertNull(settings.tls().sslConfig(MqttConnectAuth.Values.NONE));
    assertThrows(IllegalArgumentException.class, () -> settings.tls().sslConfig(
        new MqttConnectAuth.Values("client.crt", "client.key", null, null)));
    assertThrows(IllegalArgumentException.class, () -> MqttSettings.DEFAULT.withUrl("http://127.0.0.1"));
  }
}
