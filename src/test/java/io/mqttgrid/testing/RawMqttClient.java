package io.mqttgrid.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny blocking MQTT client over a plain socket, for what real clients will not do: malformed or hostile
 * bytes, packets out of order, and reading the exact reason codes and properties the broker sends back.
 * Packets are built by the static helpers (MQTT 3.1.1 = level 4, MQTT 5 = level 5) and written as bytes.
 */
public final class RawMqttClient implements AutoCloseable {

  public static final int CONNECT = 1;
  public static final int CONNACK = 2;
  public static final int PUBLISH = 3;
  public static final int PUBACK = 4;
  public static final int SUBSCRIBE = 8;
  public static final int SUBACK = 9;
  public static final int PINGREQ = 12;
  public static final int PINGRESP = 13;
  public static final int DISCONNECT = 14;

  /** MQTT 5 property identifiers used by the tests. */
  public static final int PROP_SESSION_EXPIRY = 0x11;
  public static final int PROP_ASSIGNED_CLIENT_ID = 0x12;
  public static final int PROP_SERVER_KEEP_ALIVE = 0x13;
  public static final int PROP_AUTH_METHOD = 0x15;
  public static final int PROP_RECEIVE_MAXIMUM = 0x21;
  public static final int PROP_TOPIC_ALIAS_MAXIMUM = 0x22;
  public static final int PROP_MAXIMUM_QOS = 0x24;
  public static final int PROP_RETAIN_AVAILABLE = 0x25;
  public static final int PROP_MAXIMUM_PACKET_SIZE = 0x27;
  public static final int PROP_WILDCARD_AVAILABLE = 0x28;
  public static final int PROP_SUBSCRIPTION_IDS_AVAILABLE = 0x29;
  public static final int PROP_SHARED_AVAILABLE = 0x2A;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final int version;

  private RawMqttClient(Socket socket, int version) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
  }

  /** Opens a socket; {@code version} (4 or 5) only tells the reader how to parse replies. */
  public static RawMqttClient open(String host, int port, int version) {
    return open(host, port, version, 0);
  }

  /**
   * Opens a socket with a receive buffer of {@code receiveBufferBytes} (0: the system's), set before connecting
   * so that the TCP window follows it: a client that then stops reading makes the broker's writes back up.
   */
  public static RawMqttClient open(String host, int port, int version, int receiveBufferBytes) {
    try {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      if (receiveBufferBytes > 0) {
        s.setReceiveBufferSize(receiveBufferBytes);
      }
      s.connect(new InetSocketAddress(host, port), 10_000);
      return new RawMqttClient(s, version);
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect to " + host + ":" + port, e);
    }
  }

  public static RawMqttClient open(int port, int version) {
    return open("127.0.0.1", port, version);
  }

  /**
   * Opens a socket, sends a CONNECT for a clean session with {@code clientId} and {@code keepAlive}, and
   * expects a successful CONNACK.
   */
  public static RawMqttClient connected(int port, int version, String clientId, int keepAlive) {
    RawMqttClient c = open(port, version);
    c.write(new Connect(version, clientId).keepAlive(keepAlive).toBytes());
    Packet connack = c.read(Duration.ofSeconds(10));
    if (connack == null || connack.type() != CONNACK || connack.reasonCode() != 0) {
      c.close();
      throw new AssertionError("connect of " + clientId + " failed: " + connack);
    }
    return c;
  }

  public void write(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("write failed", e);
    }
  }

  /** Writes bytes, ignoring a connection the broker already closed (the test looks at what comes back). */
  public void writeQuietly(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      // closed by the broker: the caller checks that
    }
  }

  /**
   * The next packet, or null when the broker closed the connection. Fails the test when neither happens
   * within {@code timeout}.
   */
  public Packet read(Duration timeout) {
    try {
      socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int remaining = 0;
      int multiplier = 1;
      for (int i = 0; ; i++) {
        int digit = readByte();
        remaining += (digit & 0x7F) * multiplier;
        if ((digit & 0x80) == 0) {
          break;
        }
        if (i == 3) {
          throw new AssertionError("broker sent a remaining length of more than 4 bytes");
        }
        multiplier *= 128;
      }
      byte[] body = in.readNBytes(remaining);
      if (body.length < remaining) {
        return null;
      }
      return new Packet(b0 >> 4, b0 & 0x0F, body, version);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no packet and no close within " + timeout);
    } catch (EOFException | SocketException e) {
      return null; // reset or closed
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Packets read until the broker closes the connection; fails the test if it stays open past the timeout. */
  public List<Packet> readUntilClosed(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Packet> packets = new ArrayList<>();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("connection still open after " + timeout + "; received " + packets);
      }
      Packet p;
      try {
        p = read(Duration.ofNanos(left));
      } catch (AssertionError timedOut) {
        throw new AssertionError("connection still open after " + timeout + "; received " + packets);
      }
      if (p == null) {
        return packets;
      }
      packets.add(p);
    }
  }

  /** Whether the connection is still open after {@code wait}; fails the test if anything arrives meanwhile. */
  public boolean isOpenAfter(Duration wait) {
    try {
      socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
      int b = in.read();
      if (b < 0) {
        return false;
      }
      throw new AssertionError("unexpected data from the broker: first byte 0x" + Integer.toHexString(b));
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  // ---------------------------------------------------------------- packets received

  /** A packet from the broker: type (1-15), the flags nibble, and the bytes after the remaining length. */
  public record Packet(int type, int flags, byte[] body, int version) {

    /**
     * The reason code: CONNACK's return code / reason code, DISCONNECT's and AUTH's reason (0 when
     * absent), the reason of PUBACK/PUBREC/PUBREL/PUBCOMP (0 when absent), SUBACK's first code.
     */
    public int reasonCode() {
      return switch (type) {
        case CONNACK -> body[1] & 0xFF;
        case DISCONNECT, 15 -> body.length == 0 ? 0 : body[0] & 0xFF;
        case PUBACK, 5, 6, 7 -> body.length > 2 ? body[2] & 0xFF : 0;
        case SUBACK -> body[version == 5 ? propertiesStart(2) : 2] & 0xFF;
        default -> throw new IllegalStateException("no reason code in packet type " + type);
      };
    }

    /** MQTT 5 properties of a CONNACK or DISCONNECT, by identifier (repeated ones as lists). */
    public Map<Integer, Object> properties() {
      int at = switch (type) {
        case CONNACK -> 2;
        case DISCONNECT -> body.length <= 1 ? -1 : 1;
        default -> throw new IllegalStateException("properties of packet type " + type + " not parsed");
      };
      Map<Integer, Object> props = new LinkedHashMap<>();
      if (version != 5 || at < 0 || at >= body.length) {
        return props;
      }
      int[] pos = {at};
      long length = readVarInt(body, pos);
      int end = pos[0] + (int) length;
      while (pos[0] < end) {
        int id = body[pos[0]++] & 0xFF;
        Object value = switch (id) {
          case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> body[pos[0]++] & 0xFF;
          case 0x13, 0x21, 0x22, 0x23 -> u16(pos);
          case 0x02, 0x11, 0x18, 0x27 -> u32(pos);
          case 0x0B -> (int) readVarInt(body, pos);
          case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> string(pos);
          case 0x09, 0x16 -> binary(pos);
          case 0x26 -> List.of(string(pos), string(pos));
          default -> throw new IllegalStateException("unknown property 0x" + Integer.toHexString(id));
        };
        props.put(id, value);
      }
      return props;
    }

    private int propertiesStart(int at) {
      int[] pos = {at};
      long length = readVarInt(body, pos);
      return pos[0] + (int) length;
    }

    private int u16(int[] pos) {
      int v = ((body[pos[0]] & 0xFF) << 8) | (body[pos[0] + 1] & 0xFF);
      pos[0] += 2;
      return v;
    }

    private long u32(int[] pos) {
      long v = 0;
      for (int i = 0; i < 4; i++) {
        v = (v << 8) | (body[pos[0]++] & 0xFF);
      }
      return v;
    }

    private String string(int[] pos) {
      int len = u16(pos);
      String s = new String(body, pos[0], len, StandardCharsets.UTF_8);
      pos[0] += len;
      return s;
    }

    private byte[] binary(int[] pos) {
      int len = u16(pos);
      byte[] b = Arrays.copyOfRange(body, pos[0], pos[0] + len);
      pos[0] += len;
      return b;
    }

    /** Packet identifier of a PUBLISH at QoS 1 or 2, or of an acknowledgement (PUBACK, SUBACK, ...). */
    public int packetId() {
      int at = type == PUBLISH ? 2 + (((body[0] & 0xFF) << 8) | (body[1] & 0xFF)) : 0;
      return ((body[at] & 0xFF) << 8) | (body[at + 1] & 0xFF);
    }

    public int qos() {
      return (flags >> 1) & 3;
    }

    /** Bytes on the wire: fixed header and body. */
    public int size() {
      return packetSize(body.length);
    }

    /** Topic of a PUBLISH. */
    public String topic() {
      int[] pos = {0};
      return string(pos);
    }

    /** Payload of a PUBLISH. */
    public byte[] payload() {
      int[] pos = {0};
      int topicLen = u16(pos);
      int at = 2 + topicLen + (((flags >> 1) & 3) > 0 ? 2 : 0);
      if (version == 5) {
        at = propertiesStart(at);
      }
      return Arrays.copyOfRange(body, at, body.length);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("Packet[type=").append(type).append(", flags=").append(flags)
          .append(", body=");
      for (int i = 0; i < Math.min(body.length, 32); i++) {
        sb.append(String.format("%02x", body[i]));
      }
      return sb.append(body.length > 32 ? "..." : "").append(']').toString();
    }
  }

  private static long readVarInt(byte[] b, int[] pos) {
    long value = 0;
    int multiplier = 1;
    while (true) {
      int digit = b[pos[0]++] & 0xFF;
      value += (long) (digit & 0x7F) * multiplier;
      if ((digit & 0x80) == 0) {
        return value;
      }
      multiplier *= 128;
    }
  }

  // ---------------------------------------------------------------- packets sent

  /** MQTT 5 properties, in the order added. */
  public static final class Props {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public Props byteProp(int id, int value) {
      bytes.write(id);
      bytes.write(value);
      return this;
    }

    public Props u16(int id, int value) {
      bytes.write(id);
      bytes.write(value >> 8);
      bytes.write(value);
      return this;
    }

    public Props u32(int id, long value) {
      bytes.write(id);
      for (int shift = 24; shift >= 0; shift -= 8) {
        bytes.write((int) (value >> shift));
      }
      return this;
    }

    public Props string(int id, String value) {
      bytes.write(id);
      writeString(bytes, value.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    byte[] encoded() {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      writeVarInt(o, bytes.size());
      o.writeBytes(bytes.toByteArray());
      return o.toByteArray();
    }
  }

  /** A CONNECT packet. Protocol level 4 = MQTT 3.1.1, 5 = MQTT 5; anything else is sent as given. */
  public static final class Connect {
    private final int level;
    private final byte[] clientId;
    private String protocolName = "MQTT";
    private boolean cleanStart = true;
    private int keepAlive = 60;
    private int reservedFlag;
    private Props props = new Props();
    private String willTopic;
    private byte[] willPayload;
    private int willQos;

    public Connect(int level, String clientId) {
      this.level = level;
      this.clientId = clientId.getBytes(StandardCharsets.UTF_8);
    }

    public Connect cleanStart(boolean clean) {
      this.cleanStart = clean;
      return this;
    }

    public Connect keepAlive(int seconds) {
      this.keepAlive = seconds;
      return this;
    }

    public Connect properties(Props p) {
      this.props = p;
      return this;
    }

    public Connect will(String topic, byte[] payload, int qos) {
      this.willTopic = topic;
      this.willPayload = payload;
      this.willQos = qos;
      return this;
    }

    /** Sets the reserved bit 0 of the connect flags, which MQTT-3.1.2-3 says the server must refuse. */
    public Connect reservedFlag() {
      this.reservedFlag = 1;
      return this;
    }

    public Connect protocolName(String name) {
      this.protocolName = name;
      return this;
    }

    public byte[] toBytes() {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeString(v, protocolName.getBytes(StandardCharsets.UTF_8));
      v.write(level);
      int flags = (cleanStart ? 0x02 : 0) | reservedFlag;
      if (willTopic != null) {
        flags |= 0x04 | (willQos << 3);
      }
      v.write(flags);
      v.write(keepAlive >> 8);
      v.write(keepAlive);
      if (level == 5) {
        v.writeBytes(props.encoded());
      }
      writeString(v, clientId);
      if (willTopic != null) {
        if (level == 5) {
          v.write(0); // no will properties
        }
        writeString(v, willTopic.getBytes(StandardCharsets.UTF_8));
        writeString(v, willPayload);
      }
      return packet(0x10, v.toByteArray());
    }
  }

  /** A PUBLISH with the topic given as raw bytes (to send invalid UTF-8) and no properties. */
  public static byte[] publish(int version, byte[] topic, byte[] payload, int qos, int packetId) {
    return publish(version, topic, payload, qos, packetId, new Props());
  }

  /** A PUBLISH with MQTT 5 properties (ignored for version 4). */
  public static byte[] publish(int version, byte[] topic, byte[] payload, int qos, int packetId, Props props) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeString(v, topic);
    if (qos > 0) {
      v.write(packetId >> 8);
      v.write(packetId);
    }
    if (version == 5) {
      v.writeBytes(props.encoded());
    }
    v.writeBytes(payload);
    return packet(0x30 | (qos << 1), v.toByteArray());
  }

  public static byte[] publish(int version, String topic, byte[] payload, int qos, int packetId) {
    return publish(version, topic.getBytes(StandardCharsets.UTF_8), payload, qos, packetId);
  }

  /** A SUBSCRIBE for one filter. */
  public static byte[] subscribe(int version, int packetId, String filter, int qos) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    v.write(packetId >> 8);
    v.write(packetId);
    if (version == 5) {
      v.write(0);
    }
    writeString(v, filter.getBytes(StandardCharsets.UTF_8));
    v.write(qos);
    return packet(0x82, v.toByteArray());
  }

  /** A PUBACK with reason Success. */
  public static byte[] puback(int packetId) {
    return new byte[] {0x40, 2, (byte) (packetId >> 8), (byte) packetId};
  }

  public static byte[] pingreq() {
    return new byte[] {(byte) 0xC0, 0};
  }

  /** A normal DISCONNECT (reason 0 in MQTT 5). */
  public static byte[] disconnect() {
    return new byte[] {(byte) 0xE0, 0};
  }

  /** Fixed header (first byte + remaining length) followed by {@code rest}. */
  public static byte[] packet(int firstByte, byte[] rest) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(firstByte);
    writeVarInt(o, rest.length);
    o.writeBytes(rest);
    return o.toByteArray();
  }

  /** Size on the wire of a packet whose variable header and payload are {@code remaining} bytes. */
  public static int packetSize(int remaining) {
    return 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4) + remaining;
  }

  private static void writeString(ByteArrayOutputStream o, byte[] s) {
    o.write(s.length >> 8);
    o.write(s.length);
    o.writeBytes(s);
  }

  private static void writeVarInt(ByteArrayOutputStream o, int value) {
    do {
      int digit = value % 128;
      value /= 128;
      o.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
  }
}
