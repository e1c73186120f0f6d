package io.mqttgrid.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientBuilder;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.mqttgrid.testing.Await;
import io.mqttgrid.testing.TestBroker;
import io.mqttgrid.testing.TlsListeners;
import io.mqttgrid.testing.TwoNodes;
import io.mqttgrid.testing.WithBroker;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every payload a publisher sends reaches its subscribers byte for byte, on every listener, while
 * the broker holds the publisher back: a 3.1.1 publisher that sends far past the Receive Maximum
 * (its reading is paused, so decoded publishes wait in Vert.x's inbound queue) and an MQTT 5
 * publisher kept at the Receive Maximum its CONNACK gave it. A persistent subscriber makes every
 * publish wait for its queue's store, which is what holds the publisher. Payload sizes vary from 1
 * byte to a few KiB so that packets straddle the socket's reads. One case runs across two nodes, so
 * that the payloads also travel in the node-to-node batches.
 *
 * <p>Each message's number is the last level of its topic; its payload is made from that number
 * alone, so a subscriber rebuilds the payload it should have got and compares every byte. A payload
 * of 8 bytes or more also carries the number in its first four bytes and a CRC-32 of the rest in
 * its last four, to say whose bytes arrived instead. QoS 1 lets a message arrive twice, but only
 * intact; none may be missing.
 */
@WithBroker(configMethod = "brokerConfig")
class PayloadIntegrityIT {

  private static final int MESSAGES = 1_000;
  private static final int RECEIVE_MAXIMUM = 16;

  /** Sizes cycled through, each grown by 0 to 12 bytes as the numbers go round. */
  private static final int[] SIZES = {1, 2, 7, 8, 9, 31, 100, 257, 1000, 1459, 2048, 3001, 4096};

  /** The sizes of the WebSocket frames a stream cut anywhere is written in, in turn. */
  private static final int[] PIECES = {1, 5, 64, 700, 1460, 3000, 9000, 123};

  @TempDir static Path dir;
  static TlsListeners tls;
  static TestBroker broker;

  static Map<String, String> brokerConfig() throws Exception {
    tls = TlsListeners.create(dir);
    return tls.brokerConfig("limits.receive-maximum", String.valueOf(RECEIVE_MAXIMUM));
  }

  /**
   * Who publishes: the HiveMQ client in MQTT 3.1.1 or 5, or a 3.1.1 byte stream (CONNECT and every
   * PUBLISH at once, without waiting for the CONNACK) written in pieces cut anywhere. The HiveMQ
   * client sends each packet in a WebSocket frame of its own, so over WebSocket the 3.1.1 publisher
   * is the stream: MQTT over WebSocket lets frames end inside a packet (MQTT-6.0.0-2), and the
   * packets sent before the CONNACK wait in the broker's guard.
   */
  enum Publisher {
    MQTT_3,
    MQTT_5,
    MQTT_3_CUT_ANYWHERE
  }

  enum Transport {
    TCP,
    TLS,
    WEBSOCKET,
    SECURE_WEBSOCKET
  }

  static Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    vertx.close().await();
  }

  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({
    "TCP, MQTT_3",
    "TCP, MQTT_5",
    "TLS, MQTT_3",
    "TLS, MQTT_5",
    "WEBSOCKET, MQTT_5",
    "WEBSOCKET, MQTT_3_CUT_ANYWHERE",
    "SECURE_WEBSOCKET, MQTT_5",
    "SECURE_WEBSOCKET, MQTT_3_CUT_ANYWHERE"
  })
  void everyPayloadArrivesIntactWhileThePublisherIsHeldBack(
      Transport transport, Publisher publisher) throws Exception {
    Function<String, MqttClientBuilder> client = client(transport);
    run(transport + "-" + publisher, transport, publisher, client, client);
  }

  /**
   * Across two nodes: the 3.1.1 publisher on one, the subscribers on the other, so that every
   * payload also crosses in the node-to-node batches; the publisher is held until the other node
   * answers that the persistent subscriber's queue holds the message.
   */
  @Test
  void everyPayloadArrivesIntactAcrossTwoNodes() throws Exception {
    try (TwoNodes nodes =
        TwoNodes.start(dir, Map.of("limits.receive-maximum", String.valueOf(RECEIVE_MAXIMUM)))) {
      run(
          "two-nodes",
          Transport.TCP,
          Publisher.MQTT_3,
          tcp(nodes.a.mqttPort()),
          tcp(nodes.b.mqttPort()));
    }
  }

  private static void run(
      String caseName,
      Transport transport,
      Publisher publisher,
      Function<String, MqttClientBuilder> publishing,
      Function<String, MqttClientBuilder> subscribing)
      throws Exception {
    String name = caseName.toLowerCase();
    String topic = "integrity/" + name + "/";
    Subscriber clean = new Subscriber(name + "-clean", true, subscribing, topic);
    Subscriber persistent = new Subscriber(name + "-persistent", false, subscribing, topic);
    // held until the end: a WebSocket client no longer referenced is shut down by Vert.x's
    // cleaner at the next garbage collection, closing the publisher's socket mid-stream
    WebSocketClient cutAnywhere = null;
    try {
      List<CompletableFuture<?>> sent;
      if (publisher == Publisher.MQTT_3_CUT_ANYWHERE) {
        cutAnywhere = vertx.createWebSocketClient();
        publishCutAnywhere(cutAnywhere, transport, name + "-pub", topic);
        sent = List.of();
      } else {
        int version = publisher == Publisher.MQTT_3 ? 3 : 5;
        sent = publishAll(publishing, name + "-pub", version, topic);
      }
      Await.until(
          MESSAGES + " messages at both subscribers",
          Duration.ofSeconds(60),
          () ->
              clean.complete() && persistent.complete()
                  || anyFailed(sent)
                  // a broken payload never becomes intact: stop once nothing more arrives
                  || allAcknowledged(sent)
                      && (clean.broken() || persistent.broken())
                      && clean.quiet()
                      && persistent.quiet());
      assertThat(failures(sent)).as("publishes the broker refused").isEmpty();
      clean.assertIntact();
      persistent.assertIntact();
    } finally {
      clean.close();
      persistent.close();
      if (cutAnywhere != null) {
        cutAnywhere.close().await();
      }
    }
  }

  /**
   * Opens a WebSocket and writes a 3.1.1 CONNECT and every message's QoS 1 PUBLISH in one go, in
   * binary frames of {@link #PIECES} bytes in turn, none aligned with a packet. The broker's
   * answers are read and dropped.
   */
  private static void publishCutAnywhere(
      WebSocketClient client, Transport transport, String id, String topic) throws Exception {
    boolean secure = transport == Transport.SECURE_WEBSOCKET;
    if (!secure && transport != Transport.WEBSOCKET) {
      throw new IllegalArgumentException("pieces cut anywhere are WebSocket frames: " + transport);
    }
    WebSocketConnectOptions options =
        new WebSocketConnectOptions()
            .setHost("127.0.0.1")
            .setPort(secure ? tls.wssPort : broker.websocketPort())
            .setURI("/mqtt")
            .addSubProtocol("mqtt")
            .setSsl(secure);
    if (secure) {
      options.setSslOptions(
          new ClientSSLOptions()
              .setTrustOptions(TrustOptions.wrap(tls.server.trustManagerFactory()))
              .setHostnameVerificationAlgorithm(""));
    }
    WebSocket ws =
        client.connect(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ws.handler(answers -> {});
    Buffer stream = Buffer.buffer().appendBytes(RawPackets.connect(id));
    for (int n = 0; n < MESSAGES; n++) {
      stream.appendBytes(RawPackets.publishQos1(topic + n, n + 1, payload(n)));
    }
    for (int at = 0, i = 0; at < stream.length(); i++) {
      int end = Math.min(stream.length(), at + PIECES[i % PIECES.length]);
      ws.writeFrame(WebSocketFrame.binaryFrame(stream.getBuffer(at, end), true));
      at = end;
    }
  }

  private static Function<String, MqttClientBuilder> tcp(int port) {
    return id -> MqttClient.builder().identifier(id).serverHost("127.0.0.1").serverPort(port);
  }

  /** A client builder for {@code transport}, on the broker's loopback address. */
  private static Function<String, MqttClientBuilder> client(Transport transport) {
    return id -> {
      if (transport == Transport.TLS || transport == Transport.SECURE_WEBSOCKET) {
        try {
          return tls.client(id, transport == Transport.SECURE_WEBSOCKET, null);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      MqttClientBuilder b =
          MqttClient.builder()
              .identifier(id)
              .serverHost("127.0.0.1")
              .serverPort(transport == Transport.TCP ? broker.mqttPort() : broker.websocketPort());
      return transport == Transport.WEBSOCKET
          ? b.webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
          : b;
    };
  }

  /**
   * Sends every message at once, without waiting for an acknowledgement: the client sends as many
   * as its own limit allows (65,535 for 3.1.1, which has no Receive Maximum; the broker's for MQTT
   * 5). Disconnects once all are acknowledged.
   */
  private static List<CompletableFuture<?>> publishAll(
      Function<String, MqttClientBuilder> client, String id, int version, String topic) {
    List<CompletableFuture<?>> sent = new ArrayList<>(MESSAGES);
    if (version == 3) {
      Mqtt3AsyncClient c = client.apply(id).useMqttVersion3().buildAsync();
      c.connect().join();
      for (int n = 0; n < MESSAGES; n++) {
        sent.add(
            c.publishWith().topic(topic + n).qos(MqttQos.AT_LEAST_ONCE).payload(payload(n)).send());
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
          .whenComplete((v, e) -> c.disconnect());
    } else {
      Mqtt5AsyncClient c = client.apply(id).useMqttVersion5().buildAsync();
      c.connect().join();
      for (int n = 0; n < MESSAGES; n++) {
        sent.add(
            c.publishWith()
                .topic(topic + n)
                .qos(MqttQos.AT_LEAST_ONCE)
                .payload(payload(n))
                .send()
                .thenAccept(
                    r ->
                        r.getError()
                            .ifPresent(
                                e -> {
                                  throw new IllegalStateException(e);
                                })));
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
          .whenComplete((v, e) -> c.disconnect());
    }
    return sent;
  }

  private static boolean allAcknowledged(List<CompletableFuture<?>> sent) {
    return sent.stream().allMatch(CompletableFuture::isDone);
  }

  private static boolean anyFailed(List<CompletableFuture<?>> sent) {
    return sent.stream().anyMatch(CompletableFuture::isCompletedExceptionally);
  }

  private static List<String> failures(List<CompletableFuture<?>> sent) {
    List<String> out = new ArrayList<>();
    for (int n = 0; n < sent.size() && out.size() < 10; n++) {
      CompletableFuture<?> f = sent.get(n);
      if (f.isCompletedExceptionally()) {
        String number = "message " + n + ": ";
        out.add(f.handle((v, e) -> number + e).join());
      }
    }
    return out;
  }

  /** The payload of message {@code n}: the same bytes whoever makes it. */
  static byte[] payload(int n) {
    int size = SIZES[n % SIZES.length] + (n / SIZES.length) % 13;
    byte[] b = new byte[size];
    long x = 0x9E3779B97F4A7C15L * (n + 1);
    for (int i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      b[i] = (byte) x;
    }
    if (size >= 8) {
      ByteBuffer.wrap(b).putInt(0, n).putInt(size - 4, crc(b, size - 4));
    }
    return b;
  }

  private static int crc(byte[] b, int length) {
    CRC32 crc = new CRC32();
    crc.update(b, 0, length);
    return (int) crc.getValue();
  }

  /** What a payload that is not message {@code n}'s says about itself. */
  private static String describe(int n, byte[] got) {
    byte[] want = payload(n);
    int diff = Arrays.mismatch(want, got);
    String own = "";
    if (got.length >= 8) {
      ByteBuffer b = ByteBuffer.wrap(got);
      own =
          ", carries number "
              + b.getInt(0)
              + (b.getInt(got.length - 4) == crc(got, got.length - 4)
                  ? " with a valid checksum"
                  : " with a broken checksum");
    }
    return "message "
        + n
        + ": "
        + got.length
        + " bytes of "
        + want.length
        + " expected, first difference at byte "
        + diff
        + own;
  }

  /** A subscriber to every message of one case; checks each payload as it arrives. */
  private static final class Subscriber implements AutoCloseable {
    private final Mqtt5AsyncClient client;
    private final BitSet intact = new BitSet(MESSAGES);
    private final ConcurrentLinkedQueue<String> broken = new ConcurrentLinkedQueue<>();
    private final String prefix;
    private volatile long lastArrival = System.nanoTime();

    Subscriber(
        String id, boolean cleanStart, Function<String, MqttClientBuilder> client, String prefix) {
      this.prefix = prefix;
      this.client = client.apply(id).useMqttVersion5().buildAsync();
      this.client.publishes(MqttGlobalPublishFilter.ALL, this::check);
      this.client
          .connectWith()
          .cleanStart(cleanStart)
          .sessionExpiryInterval(cleanStart ? 0 : 300)
          .send()
          .join();
      this.client
          .subscribeWith()
          .topicFilter(prefix + "#")
          .qos(MqttQos.AT_LEAST_ONCE)
          .send()
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
    }

    private void check(Mqtt5Publish p) {
      lastArrival = System.nanoTime();
      String topic = p.getTopic().toString();
      byte[] got = p.getPayloadAsBytes();
      int n;
      try {
        n = Integer.parseInt(topic.substring(prefix.length()));
      } catch (RuntimeException e) {
        broken.add("unexpected topic " + topic);
        return;
      }
      if (Arrays.equals(got, payload(n))) {
        synchronized (intact) {
          intact.set(n);
        }
      } else {
        broken.add(describe(n, got));
      }
    }

    boolean complete() {
      synchronized (intact) {
        return intact.cardinality() == MESSAGES;
      }
    }

    boolean broken() {
      return !broken.isEmpty();
    }

    /** Nothing arrived for a second. */
    boolean quiet() {
      return System.nanoTime() - lastArrival > TimeUnit.SECONDS.toNanos(1);
    }

    void assertIntact() {
      List<String> firstBroken = broken.stream().limit(10).toList();
      BitSet missing;
      synchronized (intact) {
        missing = (BitSet) intact.clone();
      }
      missing.flip(0, MESSAGES);
      assertThat(firstBroken)
          .as("payloads that arrived changed (first 10 of %d)", broken.size())
          .isEmpty();
      assertThat(missing.cardinality())
          .as(
              "messages never delivered intact, first: %s",
              missing.stream().limit(10).boxed().toList())
          .isZero();
    }

    @Override
    public void close() {
      client.disconnect().exceptionally(e -> null);
    }
  }

  /** MQTT 3.1.1 packets as bytes, for the stream cut anywhere. */
  private static final class RawPackets {
    private RawPackets() {}

    static byte[] connect(String clientId) {
      byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
      ByteBuffer body = ByteBuffer.allocate(10 + 2 + id.length);
      body.putShort((short) 4).put("MQTT".getBytes(StandardCharsets.US_ASCII));
      body.put((byte) 4).put((byte) 0x02).putShort((short) 60); // 3.1.1, clean session, keep-alive
      body.putShort((short) id.length).put(id);
      return packet(0x10, body.array());
    }

    static byte[] publishQos1(String topic, int packetId, byte[] payload) {
      byte[] t = topic.getBytes(StandardCharsets.UTF_8);
      ByteBuffer body = ByteBuffer.allocate(2 + t.length + 2 + payload.length);
      body.putShort((short) t.length).put(t).putShort((short) packetId).put(payload);
      return packet(0x32, body.array());
    }

    private static byte[] packet(int firstByte, byte[] body) {
      ByteBuffer p = ByteBuffer.allocate(1 + 4 + body.length);
      p.put((byte) firstByte);
      int remaining = body.length;
      do {
        int digit = remaining % 128;
        remaining /= 128;
        p.put((byte) (remaining > 0 ? digit | 0x80 : digit));
      } while (remaining > 0);
      p.put(body);
      return Arrays.copyOf(p.array(), p.position());
    }
  }
}
