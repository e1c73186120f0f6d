package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.RawMqttClient.Connect;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.WithBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * MQTT over WebSocket with frames a browser library would never send, on a raw socket: a text frame
 * (MQTT-6.0.0-1), reserved bits, a CONNECT in fragments, a request for a path other than /mqtt.
 */
// a long CONNECT timeout, so that a connection left open is not closed by it within the test's wait
@WithBroker("mqtt.connect-timeout=60")
class WebSocketGuardIT {

  static TestBroker broker;

  @Test
  void connectInATextFrameClosesTheConnection() throws IOException {
    try (Socket s = upgraded("/mqtt")) {
      writeFrame(s, 0x81, new Connect("text-frame").encode(5)); // FIN + text
      assertThat(closeStatus(s)).isEqualTo(1003);
    }
  }

  @Test
  void reservedFrameBitsCloseTheConnection() throws IOException {
    try (Socket s = upgraded("/mqtt")) {
      writeFrame(s, 0x80 | 0x20 | 0x02, new Connect("rsv-bits").encode(5)); // FIN + RSV2 + binary
      assertThat(closeStatus(s)).isIn(1002, -1);
    }
  }

  @Test
  void connectSplitOverFragmentedFramesIsAnswered() throws IOException {
    try (Socket s = upgraded("/mqtt")) {
      byte[] connect = new Connect("fragmented").encode(5);
      int half = connect.length / 2;
      writeFrame(s, 0x02, Arrays.copyOfRange(connect, 0, half)); // binary, not FIN
      writeFrame(s, 0x80, Arrays.copyOfRange(connect, half, connect.length)); // FIN + continuation
      byte[] connack = readBinaryFrame(s);
      assertThat(connack[0] & 0xFF).isEqualTo(0x20);
      assertThat(connack[3]).isZero(); // reason Success (after flags)
    }
  }

  @Test
  void secondConnectWithABadProtocolLevelLeavesNoSessionOnline() throws Exception {
    for (int delayMillis : new int[] {0, 50}) {
      try (Socket s = upgraded("/mqtt")) {
        writeFrame(s, 0x82, new Connect("ws-ghost").encode(5));
        if (delayMillis > 0) {
          assertThat(readBinaryFrame(s)[0] & 0xFF).isEqualTo(0x20);
          Thread.sleep(delayMillis);
        }
        writeFrame(s, 0x82, new Connect("ws-ghost").encode(7));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (s.getInputStream().read() >= 0 && System.nanoTime() < deadline) {
          // CONNACK, DISCONNECT 0x82 and the close frame, until the socket closes
        }
      }
    }
    Await.until(
        "no session online",
        Duration.ofSeconds(5),
        () -> broker.broker().sessions().onlineCount() == 0);
    assertThat(broker.broker().sessions().onlineCount()).isZero();
  }

  @Test
  void anotherPathIsAnswered404() throws IOException {
    try (Socket s = new Socket("127.0.0.1", broker.websocketPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(handshake("/not-mqtt").getBytes(StandardCharsets.US_ASCII));
      String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 404");
    }
  }

  private static String handshake(String path) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
  }

  private static Socket upgraded(String path) throws IOException {
    Socket s = new Socket("127.0.0.1", broker.websocketPort());
    s.setSoTimeout(5000);
    s.getOutputStream().write(handshake(path).getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed during the handshake: " + head);
      }
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
    return s;
  }

  private static void writeFrame(Socket s, int firstByte, byte[] payload) throws IOException {
    OutputStream out = s.getOutputStream();
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(firstByte);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else {
      f.write(0x80 | 126);
      f.write(payload.length >> 8);
      f.write(payload.length);
    }
    byte[] mask = {1, 2, 3, 4};
    f.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i % 4]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /**
   * The next frame's opcode and payload from the server (unmasked), or null when the socket closed.
   */
  private static byte[][] readFrame(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    int b0 = in.read();
    if (b0 < 0) {
      return null;
    }
    int len = in.read() & 0x7F;
    if (len == 126) {
      len = (in.read() << 8) | in.read();
    }
    return new byte[][] {{(byte) (b0 & 0x0F)}, in.readNBytes(len)};
  }

  private static byte[] readBinaryFrame(Socket s) throws IOException {
    byte[][] frame = readFrame(s);
    assertThat(frame).as("a frame before the close").isNotNull();
    assertThat(frame[0][0]).isEqualTo((byte) 2);
    return frame[1];
  }

  /**
   * The status of the server's close frame; -1 if the socket closed without one; fails if it stays
   * open.
   */
  private static int closeStatus(Socket s) throws IOException {
    try {
      byte[][] frame = readFrame(s);
      if (frame == null) {
        return -1;
      }
      assertThat(frame[0][0]).as("a close frame").isEqualTo((byte) 8);
      return ((frame[1][0] & 0xFF) << 8) | (frame[1][1] & 0xFF);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection stayed open");
    }
  }
}
