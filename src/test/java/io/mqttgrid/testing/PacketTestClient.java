package io.mqttgrid.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw-socket MQTT client (3.1.1 and 5) for what real clients will not do: drop the socket without
 * DISCONNECT, send invalid filters or topic aliases, and read the exact reason codes the broker answers.
 * Packets are built byte by byte here; nothing is validated on the way out. Packets skipped while waiting
 * for another type are kept for later reads.
 */
public final class PacketTestClient implements AutoCloseable {

  public static final int CONNACK = 2;
  public static final int PUBLISH = 3;
  public static final int PUBACK = 4;
  public static final int SUBACK = 9;
  public static final int UNSUBACK = 11;
  public static final int PINGRESP = 13;
  public static final int DISCONNECT = 14;
  public static final int AUTH = 15;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final int version;
  private Packet connack;
  private final java.util.ArrayDeque<Packet> skipped = new java.util.ArrayDeque<>();

  private PacketTestClient(Socket socket, int version) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    this.version = version;
  }

  /** Opens a TCP connection; {@code version} is 4 (MQTT 3.1.1) or 5. */
  public static PacketTestClient open(int port, int version) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return new PacketTestClient(s, version);
  }

  /** Opens, sends {@code connect} and checks that the CONNACK accepts it. */
  public static PacketTestClient connect(int port, Connect connect) throws IOException {
    PacketTestClient c = open(port, connect.version);
    c.send(connect.encode());
    Packet ack = c.read(Duration.ofSeconds(10));
    if (ack == null || ack.type() != CONNACK || ack.body()[1] != 0) {
      c.close();
      throw new IOException("connect refused: " + ack);
    }
    c.connack = ack;
    return c;
  }

  /** The CONNACK that accepted this connection (after {@link #connect}). */
  public Packet connack() {
    return connack;
  }

  public int version() {
    return version;
  }

  public void send(byte[] packet) throws IOException {
    out.write(packet);
    out.flush();
  }

  /** The next packet, or null when the broker closed the connection. Fails on timeout. */
  public Packet read(Duration timeout) throws IOException {
    if (!skipped.isEmpty()) {
      return skipped.poll();
    }
    return readFromSocket(timeout);
  }

  private Packet readFromSocket(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
    try {
      int header = in.read();
      if (header < 0) {
        return null;
      }
      int length = 0;
      int multiplier = 1;
      int b;
      do {
        b = in.readUnsignedByte();
        length += (b & 0x7F) * multiplier;
        multiplier *= 128;
      } while ((b & 0x80) != 0);
      byte[] body = new byte[length];
      in.readFully(body);
      return new Packet(header >> 4, header & 0x0F, body, version);
    } catch (EOFException | SocketException closed) {
      return null;
    } catch (SocketTimeoutException e) {
      throw new IOException("no packet within " + timeout, e);
    }
  }

  /** Reads until a packet of {@code type} arrives; packets of other types are kept for later reads. */
  public Packet readUntil(int type, Duration timeout) throws IOException {
    for (Packet p : skipped) {
      if (p.type() == type) {
        skipped.remove(p);
        return p;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      Packet p = readFromSocket(Duration.ofMillis(left));
      if (p == null) {
        throw new IOException("connection closed while waiting for packet type " + type);
      }
      if (p.type() == type) {
        return p;
      }
      skipped.add(p);
    }
  }

  /** The next PUBLISH, acknowledged if QoS 1. */
  public Packet readPublish(Duration timeout) throws IOException {
    Packet p = readUntil(PUBLISH, timeout);
    if (p.qos() == 1) {
      send(puback(p.packetId()));
    }
    return p;
  }

  /**
   * Reads what the broker sends before it closes the connection; returns the DISCONNECT it sent, or null
   * if it closed without one. Fails if the connection stays open.
   */
  public Packet awaitClose(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Packet disconnect = null;
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new IOException("connection still open after " + timeout);
      }
      Packet p = read(Duration.ofMillis(left));
      if (p == null) {
        return disconnect;
      }
      if (p.type() == DISCONNECT) {
        disconnect = p;
      }
    }
  }

  /** Ends the connection without DISCONNECT: for the broker an abnormal loss of the client. */
  @Override
  public void close() throws IOException {
    socket.close();
  }

  // ---------------------------------------------------------------- packets

  /** A packet as read: fixed-header type and flags, and the rest. */
  public record Packet(int type, int flags, byte[] body, int version) {

    public int qos() {
      return (flags >> 1) & 3;
    }

    public boolean retain() {
      return (flags & 1) != 0;
    }

    public boolean dup() {
      return (flags & 8) != 0;
    }

    /** CONNACK: the reason code (v5) or return code (v3). */
    public int connackCode() {
      return body[1] & 0xFF;
    }

    /** DISCONNECT (v5): the reason code, 0 when absent. */
    public int disconnectReason() {
      return body.length == 0 ? 0 : body[0] & 0xFF;
    }

    public int packetId() {
      if (type == PUBLISH) {
        int topicLength = u16(body, 0);
        return u16(body, 2 + topicLength);
      }
      return u16(body, 0);
    }

    /** SUBACK / UNSUBACK: one code per filter. */
    public List<Integer> reasonCodes() {
      int i = 2;
      if (version == 5) {
        int[] len = varInt(body, i);
        i = len[1] + len[0];
      }
      List<Integer> codes = new ArrayList<>();
      for (; i < body.length; i++) {
        codes.add(body[i] & 0xFF);
      }
      return codes;
    }

    public String topic() {
      return new String(body, 2, u16(body, 0), StandardCharsets.UTF_8);
    }

    private int propertiesStart() {
      return 2 + u16(body, 0) + (qos() > 0 ? 2 : 0);
    }

    /** PUBLISH payload. */
    public byte[] payload() {
      int i = propertiesStart();
      if (version == 5) {
        int[] len = varInt(body, i);
        i = len[1] + len[0];
      }
      byte[] p = new byte[body.length - i];
      System.arraycopy(body, i, p, 0, p.length);
      return p;
    }

    public String payloadText() {
      return new String(payload(), StandardCharsets.UTF_8);
    }

    /** PUBLISH (v5): the Subscription Identifiers, in the order sent. */
    public List<Integer> subscriptionIds() {
      return properties().getOrDefault(0x0B, List.of()).stream().map(v -> (Integer) v).toList();
    }

    /**
     * The MQTT 5 properties of a PUBLISH, CONNACK, DISCONNECT or AUTH, by identifier, in the order sent: Integer for
     * numbers, String for strings, byte[] for binary data, String[2] for user properties.
     */
    public java.util.Map<Integer, List<Object>> properties() {
      java.util.Map<Integer, List<Object>> props = new java.util.LinkedHashMap<>();
      int start = switch (type) {
        case PUBLISH -> propertiesStart();
        case CONNACK -> 2;
        case DISCONNECT, AUTH -> 1;
        default -> throw new IllegalStateException("no properties read for packet type " + type);
      };
      if (version != 5 || start >= body.length) {
        return props;
      }
      int[] len = varInt(body, start);
      int end = len[1] + len[0];
      int i = len[1];
      while (i < end) {
        int id = body[i++] & 0xFF;
        Object value;
        switch (id) {
          case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> value = body[i++] & 0xFF;
          case 0x13, 0x21, 0x22, 0x23 -> {
            value = u16(body, i);
            i += 2;
          }
          case 0x02, 0x11, 0x18, 0x27 -> {
            value = (int) (((long) u16(body, i) << 16) | u16(body, i + 2));
            i += 4;
          }
          case 0x0B -> {
            int[] v = varInt(body, i);
            value = v[0];
            i = v[1];
          }
          case 0x09, 0x16 -> {
            int n = u16(body, i);
            value = java.util.Arrays.copyOfRange(body, i + 2, i + 2 + n);
            i += 2 + n;
          }
          case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> {
            int n = u16(body, i);
            value = new String(body, i + 2, n, StandardCharsets.UTF_8);
            i += 2 + n;
          }
          case 0x26 -> {
            int n = u16(body, i);
            String name = new String(body, i + 2, n, StandardCharsets.UTF_8);
            i += 2 + n;
            int m = u16(body, i);
            String v = new String(body, i + 2, m, StandardCharsets.UTF_8);
            i += 2 + m;
            value = new String[] {name, v};
          }
          default -> throw new IllegalStateException("unknown property " + id);
        }
        props.computeIfAbsent(id, k -> new ArrayList<>()).add(value);
      }
      return props;
    }

    @Override
    public String toString() {
      return "Packet[type=" + type + ", flags=" + flags + ", length=" + body.length + "]";
    }
  }

  /** MQTT 5 properties, encoded as they are added. */
  public static final class Props {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public Props byteProp(int id, int value) {
      bytes.write(id);
      bytes.write(value);
      return this;
    }

    public Props twoByte(int id, int value) {
      bytes.write(id);
      writeU16(bytes, value);
      return this;
    }

    public Props fourByte(int id, long value) {
      bytes.write(id);
      bytes.write((int) (value >> 24));
      bytes.write((int) (value >> 16));
      bytes.write((int) (value >> 8));
      bytes.write((int) value);
      return this;
    }

    public Props varInt(int id, int value) {
      bytes.write(id);
      writeVarInt(bytes, value);
      return this;
    }

    public Props string(int id, String value) {
      bytes.write(id);
      writeString(bytes, value);
      return this;
    }

    public Props binary(int id, byte[] value) {
      bytes.write(id);
      writeU16(bytes, value.length);
      bytes.write(value, 0, value.length);
      return this;
    }

    public Props userProperty(String name, String value) {
      bytes.write(0x26);
      writeString(bytes, name);
      writeString(bytes, value);
      return this;
    }

    byte[] encoded() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b = bytes.toByteArray();
      writeVarInt(out, b.length);
      out.write(b, 0, b.length);
      return out.toByteArray();
    }
  }

  /** A CONNECT packet. */
  public static final class Connect {
    final int version;
    final String clientId;
    boolean cleanStart = true;
    int keepAlive = 60;
    Props properties = new Props();
    String willTopic;
    byte[] willPayload;
    int willQos;
    boolean willRetain;
    Props willProperties = new Props();

    private Connect(int version, String clientId) {
      this.version = version;
      this.clientId = clientId;
    }

    public static Connect v5(String clientId) {
      return new Connect(5, clientId);
    }

    public static Connect v3(String clientId) {
      return new Connect(4, clientId);
    }

    public Connect cleanStart(boolean clean) {
      this.cleanStart = clean;
      return this;
    }

    public Connect keepAlive(int seconds) {
      this.keepAlive = seconds;
      return this;
    }

    public Connect properties(Props props) {
      this.properties = props;
      return this;
    }

    public Connect will(String topic, String payload, int qos, boolean retain, Props props) {
      this.willTopic = topic;
      this.willPayload = payload.getBytes(StandardCharsets.UTF_8);
      this.willQos = qos;
      this.willRetain = retain;
      this.willProperties = props == null ? new Props() : props;
      return this;
    }

    public byte[] encode() {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeString(v, "MQTT");
      v.write(version);
      int flags = cleanStart ? 0x02 : 0;
      if (willTopic != null) {
        flags |= 0x04 | (willQos << 3) | (willRetain ? 0x20 : 0);
      }
      v.write(flags);
      writeU16(v, keepAlive);
      if (version == 5) {
        write(v, properties.encoded());
      }
      writeString(v, clientId);
      if (willTopic != null) {
        if (version == 5) {
          write(v, willProperties.encoded());
        }
        writeString(v, willTopic);
        writeU16(v, willPayload.length);
        write(v, willPayload);
      }
      return packet(0x10, v.toByteArray());
    }
  }

  /** One filter of a SUBSCRIBE with its options byte (QoS in bits 0-1, No Local 2, RAP 3, RH 4-5). */
  public record Filter(String filter, int options) {
    public static Filter of(String filter, int qos) {
      return new Filter(filter, qos);
    }
  }

  public byte[] subscribe(int packetId, Props props, Filter... filters) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU16(v, packetId);
    if (version == 5) {
      write(v, (props == null ? new Props() : props).encoded());
    }
    for (Filter f : filters) {
      writeString(v, f.filter());
      v.write(f.options());
    }
    return packet(0x82, v.toByteArray());
  }

  public byte[] unsubscribe(int packetId, String... filters) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU16(v, packetId);
    if (version == 5) {
      write(v, new Props().encoded());
    }
    for (String f : filters) {
      writeString(v, f);
    }
    return packet(0xA2, v.toByteArray());
  }

  public byte[] publish(String topic, String payload, int qos, boolean retain, int packetId, Props props) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeString(v, topic);
    if (qos > 0) {
      writeU16(v, packetId);
    }
    if (version == 5) {
      write(v, (props == null ? new Props() : props).encoded());
    }
    write(v, payload.getBytes(StandardCharsets.UTF_8));
    return packet(0x30 | (qos << 1) | (retain ? 1 : 0), v.toByteArray());
  }

  public byte[] puback(int packetId) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU16(v, packetId);
    return packet(0x40, v.toByteArray());
  }

  /** DISCONNECT; {@code reason} is used by MQTT 5 only. */
  public byte[] disconnect(int reason) {
    if (version != 5) {
      return new byte[] {(byte) 0xE0, 0};
    }
    return new byte[] {(byte) 0xE0, 1, (byte) reason};
  }

  /** An MQTT 5 AUTH packet: reason code (0x19 re-authenticate) and properties (method, data). */
  public byte[] auth(int reason, Props props) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    v.write(reason);
    write(v, props.encoded());
    return packet(0xF0, v.toByteArray());
  }

  // ---------------------------------------------------------------- encoding helpers

  private static byte[] packet(int header, byte[] variable) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    writeVarInt(out, variable.length);
    write(out, variable);
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, byte[] b) {
    out.write(b, 0, b.length);
  }

  private static void writeU16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8);
    out.write(v);
  }

  private static void writeString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeU16(out, b.length);
    write(out, b);
  }

  private static void writeVarInt(ByteArrayOutputStream out, int value) {
    do {
      int digit = value % 128;
      value /= 128;
      out.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
  }

  private static int u16(byte[] b, int i) {
    return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
  }

  /** Returns {value, index after it}. */
  private static int[] varInt(byte[] b, int i) {
    int value = 0;
    int multiplier = 1;
    int digit;
    do {
      digit = b[i++] & 0xFF;
      value += (digit & 0x7F) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    return new int[] {value, i};
  }
}
