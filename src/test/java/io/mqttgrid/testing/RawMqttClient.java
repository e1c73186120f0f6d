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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A blocking MQTT 3.1.1 / 5 client over a plain socket, for what real clients will not do:
 * malformed or hostile bytes, packets out of order, acknowledgements withheld or sent late, a
 * socket dropped without DISCONNECT, and the exact reason codes and properties the broker answers.
 *
 * <p>{@link Packets} builds packets as bytes (nothing is validated on the way out); {@link #send}
 * writes any bytes; the instance helpers ({@link #publish}, {@link #puback}, ...) send a built
 * packet in the protocol version the connection was opened with. Nothing is acknowledged unless the
 * test does it (or asks {@link #readPublish} to). Reading happens on the caller's thread only, so a
 * test that stops reading makes the broker's writes back up; the end of the stream is read as a
 * packet of type {@link #CLOSED}, and stays so.
 *
 * <p>Hand-written because the real clients (HiveMQ, Vert.x) refuse to send what these tests send.
 */
public final class RawMqttClient implements AutoCloseable {

  public static final int CONNECT = 1;
  public static final int CONNACK = 2;
  public static final int PUBLISH = 3;
  public static final int PUBACK = 4;
  public static final int PUBREC = 5;
  public static final int PUBREL = 6;
  public static final int PUBCOMP = 7;
  public static final int SUBSCRIBE = 8;
  public static final int SUBACK = 9;
  public static final int UNSUBSCRIBE = 10;
  public static final int UNSUBACK = 11;
  public static final int PINGREQ = 12;
  public static final int PINGRESP = 13;
  public static final int DISCONNECT = 14;
  public static final int AUTH = 15;

  /** Not an MQTT packet: the broker closed (or reset) the connection. */
  public static final int CLOSED = -1;

  /** MQTT 5 property identifiers used by the tests. */
  public static final int PROP_MESSAGE_EXPIRY = 0x02;

  public static final int PROP_SESSION_EXPIRY = 0x11;
  public static final int PROP_ASSIGNED_CLIENT_ID = 0x12;
  public static final int PROP_SERVER_KEEP_ALIVE = 0x13;
  public static final int PROP_AUTH_METHOD = 0x15;
  public static final int PROP_AUTH_DATA = 0x16;
  public static final int PROP_SERVER_REFERENCE = 0x1C;
  public static final int PROP_RECEIVE_MAXIMUM = 0x21;
  public static final int PROP_TOPIC_ALIAS_MAXIMUM = 0x22;
  public static final int PROP_TOPIC_ALIAS = 0x23;
  public static final int PROP_MAXIMUM_QOS = 0x24;
  public static final int PROP_RETAIN_AVAILABLE = 0x25;
  public static final int PROP_MAXIMUM_PACKET_SIZE = 0x27;
  public static final int PROP_WILDCARD_AVAILABLE = 0x28;
  public static final int PROP_SUBSCRIPTION_IDS_AVAILABLE = 0x29;
  public static final int PROP_SHARED_AVAILABLE = 0x2A;

  /** How long {@link #expect(int)} waits. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final int version;

  /** Packets read while waiting for another type, handed out first by the next reads. */
  private final ArrayDeque<Packet> kept = new ArrayDeque<>();

  private boolean ended;
  private Packet connack;

  private RawMqttClient(Socket socket, int version) throws IOException {
    this.socket = socket;
    // unbuffered: what the test has not read stays in the socket, where the TCP window sees it
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
  }

  // ---------------------------------------------------------------- opening

  /**
   * Opens a socket; {@code version} (4 = MQTT 3.1.1, 5 = MQTT 5) is what the helpers send and the
   * reader parses.
   */
  public static RawMqttClient open(int port, int version) {
    return open("127.0.0.1", port, version);
  }

  public static RawMqttClient open(String host, int port, int version) {
    return open(host, port, version, 0);
  }

  /**
   * Opens a socket with a receive buffer of {@code receiveBufferBytes} (0: the system's), set
   * before connecting so that the TCP window follows it: a client that then stops reading makes the
   * broker's writes back up.
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

  /** Opens a socket, sends {@code connect} and fails the test unless the CONNACK accepts it. */
  public static RawMqttClient connected(int port, int version, Connect connect) {
    RawMqttClient c = open(port, version);
    Packet ack = c.connect(connect);
    if (ack.reasonCode() != 0) {
      c.close();
      throw new AssertionError("connect of " + connect.clientId + " refused: " + ack);
    }
    return c;
  }

  /**
   * Sends {@code connect} in this connection's version and returns the answer, which must be a
   * CONNACK.
   */
  public Packet connect(Connect connect) {
    sendConnect(connect);
    connack = expect(CONNACK);
    return connack;
  }

  /** Sends CONNECT without waiting for the answer. */
  public void sendConnect(Connect connect) {
    send(connect.encode(version));
  }

  /** The CONNACK of {@link #connect}, or null. */
  public Packet connack() {
    return connack;
  }

  public int version() {
    return version;
  }

  // ---------------------------------------------------------------- sending

  /** Writes {@code bytes} as they are: a packet, part of one, several, or garbage. */
  public void send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("write failed", e);
    }
  }

  /**
   * Writes bytes, ignoring a connection the broker already closed (the test looks at what comes
   * back).
   */
  public void sendQuietly(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      // closed by the broker: the caller checks that
    }
  }

  public void publish(
      String topic, String payload, int qos, boolean retain, int packetId, Props props) {
    send(Packets.publish(version, topic, payload, qos, retain, packetId, props));
  }

  public void subscribe(int packetId, Props props, Filter... filters) {
    send(Packets.subscribe(version, packetId, props, filters));
  }

  public void subscribe(int packetId, String filter, int qos) {
    send(Packets.subscribe(version, packetId, filter, qos));
  }

  public void unsubscribe(int packetId, String... filters) {
    send(Packets.unsubscribe(version, packetId, filters));
  }

  public void puback(int packetId) {
    send(Packets.puback(packetId));
  }

  public void pubrec(int packetId) {
    send(Packets.pubrec(packetId));
  }

  public void pubrel(int packetId) {
    send(Packets.pubrel(packetId));
  }

  public void pubcomp(int packetId) {
    send(Packets.pubcomp(packetId));
  }

  public void pingreq() {
    send(Packets.pingreq());
  }

  /** A normal DISCONNECT without reason code or properties. */
  public void disconnect() {
    send(Packets.disconnect());
  }

  /** DISCONNECT with a reason code (MQTT 5; MQTT 3.1.1 has none). */
  public void disconnect(int reason) {
    send(Packets.disconnect(version, reason));
  }

  /** MQTT 5 DISCONNECT with reason 0 and a Session Expiry Interval. */
  public void disconnectWithSessionExpiry(long seconds) {
    send(Packets.disconnect(version, 0, new Props().u32(PROP_SESSION_EXPIRY, seconds)));
  }

  /** MQTT 5 AUTH: reason code (0x19 re-authenticate) and properties (method, data). */
  public void auth(int reason, Props props) {
    send(Packets.auth(reason, props));
  }

  /** Ends the connection without DISCONNECT: for the broker an abnormal loss of the client. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  // ---------------------------------------------------------------- receiving

  /**
   * The next packet, or a packet of type {@link #CLOSED} when the connection ended. Fails the test
   * when neither happens within {@code timeout}.
   */
  public Packet read(Duration timeout) {
    Packet p = poll(timeout);
    if (p == null) {
      throw new AssertionError("no packet and no close within " + timeout);
    }
    return p;
  }

  /**
   * The next packet, a packet of type {@link #CLOSED} when the connection ended, or null after
   * {@code timeout}.
   */
  public Packet poll(Duration timeout) {
    if (!kept.isEmpty()) {
      return kept.poll();
    }
    return readFromSocket(timeout);
  }

  /** The next packet, which must be of {@code type}, within {@link #DEFAULT_TIMEOUT}. */
  public Packet expect(int type) {
    return expect(type, DEFAULT_TIMEOUT);
  }

  public Packet expect(int type, Duration timeout) {
    Packet p = poll(timeout);
    if (p == null) {
      throw new AssertionError("no packet of type " + type + " within " + timeout);
    }
    if (p.type() != type) {
      throw new AssertionError("expected packet type " + type + " but got " + p);
    }
    return p;
  }

  /**
   * The first packet of {@code type}; packets of other types are kept for later reads. Fails on
   * close.
   */
  public Packet readUntil(int type, Duration timeout) {
    for (Iterator<Packet> it = kept.iterator(); it.hasNext(); ) {
      Packet p = it.next();
      if (p.type() == type) {
        it.remove();
        return p;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Packet> skipped = new ArrayList<>();
    try {
      while (true) {
        Packet p = readFromSocket(left(deadline));
        if (p == null) {
          throw new AssertionError(
              "no packet of type " + type + " within " + timeout + "; got " + skipped);
        }
        if (p.type() == type) {
          return p;
        }
        if (p.isClosed()) {
          throw new AssertionError(
              "connection closed while waiting for packet type " + type + "; got " + skipped);
        }
        skipped.add(p);
      }
    } finally {
      kept.addAll(skipped);
    }
  }

  /** The next PUBLISH (others are kept for later reads), acknowledged if QoS 1. */
  public Packet readPublish(Duration timeout) {
    Packet p = readUntil(PUBLISH, timeout);
    if (p.qos() == 1) {
      puback(p.packetId());
    }
    return p;
  }

  /** Drops packets until one matches {@code match}; fails after {@code timeout}. */
  public Packet skipUntil(Predicate<Packet> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Packet p = poll(left(deadline));
      if (p == null) {
        throw new AssertionError("no matching packet within " + timeout);
      }
      if (match.test(p)) {
        return p;
      }
      if (p.isClosed()) {
        throw new AssertionError("connection closed before a matching packet");
      }
    }
  }

  /**
   * True when the broker closes the connection within {@code timeout}; packets before are dropped.
   */
  public boolean closedWithin(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Packet p = poll(left(deadline));
      if (p == null) {
        return false;
      }
      if (p.isClosed()) {
        return true;
      }
    }
  }

  /**
   * Packets read until the broker closes the connection; fails the test if it stays open past the
   * timeout.
   */
  public List<Packet> readUntilClosed(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Packet> packets = new ArrayList<>();
    while (true) {
      Packet p = poll(left(deadline));
      if (p == null) {
        throw new AssertionError(
            "connection still open after " + timeout + "; received " + packets);
      }
      if (p.isClosed()) {
        return packets;
      }
      packets.add(p);
    }
  }

  /**
   * Reads what the broker sends before it closes the connection; returns the DISCONNECT it sent, or
   * null if it closed without one. Fails if the connection stays open.
   */
  public Packet awaitClose(Duration timeout) {
    Packet disconnect = null;
    for (Packet p : readUntilClosed(timeout)) {
      if (p.type() == DISCONNECT) {
        disconnect = p;
      }
    }
    return disconnect;
  }

  /**
   * Packets received within {@code timeout} from now, up to and including the end of the
   * connection; for asserting that nothing (else) arrives.
   */
  public List<Packet> drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Packet> got = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      Packet p = poll(left(deadline));
      if (p != null) {
        got.add(p);
        if (p.isClosed()) {
          break;
        }
      }
    }
    return got;
  }

  /**
   * Whether the connection is still open after {@code wait}; fails the test if anything arrives
   * meanwhile.
   */
  public boolean isOpenAfter(Duration wait) {
    if (!kept.isEmpty()) {
      throw new AssertionError("unexpected packets from the broker: " + kept);
    }
    Packet p = readFromSocket(wait);
    if (p == null) {
      return true;
    }
    if (p.isClosed()) {
      return false;
    }
    throw new AssertionError("unexpected packet from the broker: " + p);
  }

  private static Duration left(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }

  /**
   * The next packet from the socket, CLOSED at (and after) the end, or null when none starts within
   * timeout.
   */
  private Packet readFromSocket(Duration timeout) {
    if (ended) {
      return closedPacket();
    }
    try {
      socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
      int b0;
      try {
        b0 = in.read();
      } catch (SocketTimeoutException e) {
        return null; // nothing consumed: the stream is still at a packet boundary
      }
      if (b0 < 0) {
        return closedPacket();
      }
      // the packet has begun: its remaining bytes are on their way, however short the caller's
      // timeout
      socket.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
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
        return closedPacket();
      }
      return new Packet(b0 >> 4, b0 & 0x0F, body, version);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the broker stopped in the middle of a packet", e);
    } catch (EOFException | SocketException e) {
      return closedPacket(); // reset or closed
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private Packet closedPacket() {
    ended = true;
    return new Packet(CLOSED, 0, new byte[0], version);
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  // ---------------------------------------------------------------- packets received

  /**
   * A packet from the broker: type (1-15, or {@link #CLOSED}), the flags nibble, the bytes after
   * the remaining length, and the protocol version they are parsed in.
   */
  public record Packet(int type, int flags, byte[] body, int version) {

    public boolean isClosed() {
      return type == CLOSED;
    }

    public int qos() {
      return (flags >> 1) & 3;
    }

    public boolean retain() {
      return (flags & 1) != 0;
    }

    public boolean dup() {
      return (flags & 8) != 0;
    }

    /** CONNACK: the session present flag. */
    public boolean sessionPresent() {
      return (body[0] & 1) != 0;
    }

    /**
     * The reason code: CONNACK's return code / reason code, DISCONNECT's and AUTH's reason (0 when
     * absent), the reason of PUBACK/PUBREC/PUBREL/PUBCOMP (0 when absent), the first code of a
     * SUBACK or UNSUBACK.
     */
    public int reasonCode() {
      return switch (type) {
        case CONNACK -> body[1] & 0xFF;
        case DISCONNECT, AUTH -> body.length == 0 ? 0 : body[0] & 0xFF;
        case PUBACK, PUBREC, PUBREL, PUBCOMP -> body.length > 2 ? body[2] & 0xFF : 0;
        case SUBACK, UNSUBACK -> reasonCodes().get(0);
        default -> throw new IllegalStateException("no reason code in " + this);
      };
    }

    /** SUBACK / UNSUBACK: one code per filter. */
    public List<Integer> reasonCodes() {
      int i = 2;
      if (version == 5) {
        i = skipProperties(i);
      }
      List<Integer> codes = new ArrayList<>();
      for (; i < body.length; i++) {
        codes.add(body[i] & 0xFF);
      }
      return codes;
    }

    /**
     * Packet identifier of a PUBLISH at QoS 1 or 2, or of an acknowledgement (PUBACK, SUBACK, ...).
     */
    public int packetId() {
      if (type == PUBLISH) {
        return u16(body, 2 + u16(body, 0));
      }
      return u16(body, 0);
    }

    /** Topic of a PUBLISH. */
    public String topic() {
      return new String(body, 2, u16(body, 0), StandardCharsets.UTF_8);
    }

    /** Payload of a PUBLISH. */
    public byte[] payload() {
      int at = publishPropertiesStart();
      if (version == 5) {
        at = skipProperties(at);
      }
      return Arrays.copyOfRange(body, at, body.length);
    }

    public String payloadText() {
      return new String(payload(), StandardCharsets.UTF_8);
    }

    /** Bytes on the wire: fixed header and body. */
    public int size() {
      return Packets.packetSize(body.length);
    }

    /** PUBLISH (v5): the Subscription Identifiers, in the order sent. */
    public List<Integer> subscriptionIds() {
      return propertyValues(0x0B).stream().map(v -> (Integer) v).toList();
    }

    /**
     * The MQTT 5 properties of a PUBLISH, CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT or
     * AUTH, by identifier, with the first value of each: Integer for one- and two-byte integers and
     * variable byte integers, Long for four-byte integers, String for strings, byte[] for binary
     * data, String[2] for a user property.
     */
    public Map<Integer, Object> properties() {
      Map<Integer, Object> first = new LinkedHashMap<>();
      allProperties().forEach((id, values) -> first.put(id, values.get(0)));
      return first;
    }

    /** The first value of property {@code id} (see {@link #properties()}), or null when absent. */
    public Object property(int id) {
      return properties().get(id);
    }

    public boolean hasProperty(int id) {
      return allProperties().containsKey(id);
    }

    /**
     * Every value of property {@code id}, in the order sent (user properties and subscription ids
     * repeat).
     */
    public List<Object> propertyValues(int id) {
      return allProperties().getOrDefault(id, List.of());
    }

    private Map<Integer, List<Object>> allProperties() {
      Map<Integer, List<Object>> props = new LinkedHashMap<>();
      int start =
          switch (type) {
            case PUBLISH -> publishPropertiesStart();
            case CONNACK -> 2;
            case PUBACK, PUBREC, PUBREL, PUBCOMP -> 3;
            case DISCONNECT, AUTH -> 1;
            default -> throw new IllegalStateException("no properties read for " + this);
          };
      if (version != 5 || start >= body.length) {
        return props;
      }
      int[] pos = {start};
      int end = readVarInt(body, pos);
      end += pos[0];
      while (pos[0] < end) {
        int id = body[pos[0]++] & 0xFF;
        Object value =
            switch (id) {
              case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> body[pos[0]++] & 0xFF;
              case 0x13, 0x21, 0x22, 0x23 -> {
                int v = u16(body, pos[0]);
                pos[0] += 2;
                yield v;
              }
              case 0x02, 0x11, 0x18, 0x27 -> {
                long v = ((long) u16(body, pos[0]) << 16) | u16(body, pos[0] + 2);
                pos[0] += 4;
                yield v;
              }
              case 0x0B -> readVarInt(body, pos);
              case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> string(pos);
              case 0x09, 0x16 -> binary(pos);
              case 0x26 -> new String[] {string(pos), string(pos)};
              default ->
                  throw new IllegalStateException("unknown property 0x" + Integer.toHexString(id));
            };
        props.computeIfAbsent(id, k -> new ArrayList<>()).add(value);
      }
      return props;
    }

    private int publishPropertiesStart() {
      return 2 + u16(body, 0) + (qos() > 0 ? 2 : 0);
    }

    private int skipProperties(int at) {
      int[] pos = {at};
      int length = readVarInt(body, pos);
      return pos[0] + length;
    }

    private byte[] binary(int[] pos) {
      int len = u16(body, pos[0]);
      byte[] b = Arrays.copyOfRange(body, pos[0] + 2, pos[0] + 2 + len);
      pos[0] += 2 + len;
      return b;
    }

    private String string(int[] pos) {
      return new String(binary(pos), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      if (type == CLOSED) {
        return "CLOSED";
      }
      StringBuilder sb =
          new StringBuilder("Packet[type=")
              .append(type)
              .append(", flags=")
              .append(flags)
              .append(", body=");
      for (int i = 0; i < Math.min(body.length, 32); i++) {
        sb.append(String.format("%02x", body[i]));
      }
      return sb.append(body.length > 32 ? "..." : "").append(']').toString();
    }
  }

  private static int u16(byte[] b, int i) {
    return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
  }

  private static int readVarInt(byte[] b, int[] pos) {
    int value = 0;
    int multiplier = 1;
    while (true) {
      int digit = b[pos[0]++] & 0xFF;
      value += (digit & 0x7F) * multiplier;
      if ((digit & 0x80) == 0) {
        return value;
      }
      multiplier *= 128;
    }
  }

  // ---------------------------------------------------------------- packets sent

  /** MQTT 5 properties, encoded in the order added. */
  public static final class Props {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public Props byteProp(int id, int value) {
      bytes.write(id);
      bytes.write(value);
      return this;
    }

    public Props u16(int id, int value) {
      bytes.write(id);
      writeU16(bytes, value);
      return this;
    }

    public Props u32(int id, long value) {
      bytes.write(id);
      for (int shift = 24; shift >= 0; shift -= 8) {
        bytes.write((int) (value >> shift));
      }
      return this;
    }

    public Props varInt(int id, int value) {
      bytes.write(id);
      writeVarInt(bytes, value);
      return this;
    }

    public Props string(int id, String value) {
      bytes.write(id);
      writeString(bytes, value.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    public Props binary(int id, byte[] value) {
      bytes.write(id);
      writeString(bytes, value);
      return this;
    }

    public Props userProperty(String name, String value) {
      bytes.write(0x26);
      writeString(bytes, name.getBytes(StandardCharsets.UTF_8));
      writeString(bytes, value.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** The property length and the properties, as they go into a packet. */
    byte[] encoded() {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      writeVarInt(o, bytes.size());
      o.writeBytes(bytes.toByteArray());
      return o.toByteArray();
    }
  }

  /**
   * What a CONNECT says; the protocol level is given when it is encoded (the connection's for
   * {@link #connect}), so that a test can also send levels no broker knows.
   */
  public static final class Connect {
    private final String clientId;
    private String protocolName = "MQTT";
    private boolean cleanStart = true;
    private int keepAlive = 60;
    private int reservedFlag;
    private Long sessionExpiry;
    private Integer receiveMaximum;
    private Props properties = new Props();
    private String willTopic;
    private byte[] willPayload;
    private int willQos;
    private boolean willRetain;
    private Props willProperties = new Props();

    public Connect(String clientId) {
      this.clientId = clientId;
    }

    public Connect cleanStart(boolean clean) {
      this.cleanStart = clean;
      return this;
    }

    public Connect keepAlive(int seconds) {
      this.keepAlive = seconds;
      return this;
    }

    /** MQTT 5 Session Expiry Interval, encoded before {@link #properties}. */
    public Connect sessionExpiry(long seconds) {
      this.sessionExpiry = seconds;
      return this;
    }

    /**
     * MQTT 5 Receive Maximum, encoded after the Session Expiry Interval and before {@link
     * #properties}.
     */
    public Connect receiveMaximum(int max) {
      this.receiveMaximum = max;
      return this;
    }

    /** Further MQTT 5 properties. */
    public Connect properties(Props props) {
      this.properties = props;
      return this;
    }

    public Connect will(String topic, String payload, int qos, boolean retain, Props props) {
      return will(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retain, props);
    }

    public Connect will(String topic, byte[] payload, int qos, boolean retain, Props props) {
      this.willTopic = topic;
      this.willPayload = payload;
      this.willQos = qos;
      this.willRetain = retain;
      this.willProperties = props == null ? new Props() : props;
      return this;
    }

    /**
     * Sets the reserved bit 0 of the connect flags, which MQTT-3.1.2-3 says the server must refuse.
     */
    public Connect reservedFlag() {
      this.reservedFlag = 1;
      return this;
    }

    public Connect protocolName(String name) {
      this.protocolName = name;
      return this;
    }

    /**
     * The CONNECT for protocol level {@code level} (4 = MQTT 3.1.1, 5 = MQTT 5; anything else is
     * sent as given).
     */
    public byte[] encode(int level) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeString(v, protocolName.getBytes(StandardCharsets.UTF_8));
      v.write(level);
      int flags = (cleanStart ? 0x02 : 0) | reservedFlag;
      if (willTopic != null) {
        flags |= 0x04 | (willQos << 3) | (willRetain ? 0x20 : 0);
      }
      v.write(flags);
      writeU16(v, keepAlive);
      if (level == 5) {
        Props all = new Props();
        if (sessionExpiry != null) {
          all.u32(PROP_SESSION_EXPIRY, sessionExpiry);
        }
        if (receiveMaximum != null) {
          all.u16(PROP_RECEIVE_MAXIMUM, receiveMaximum);
        }
        all.bytes.writeBytes(properties.bytes.toByteArray());
        v.writeBytes(all.encoded());
      }
      writeString(v, clientId.getBytes(StandardCharsets.UTF_8));
      if (willTopic != null) {
        if (level == 5) {
          v.writeBytes(willProperties.encoded());
        }
        writeString(v, willTopic.getBytes(StandardCharsets.UTF_8));
        writeString(v, willPayload);
      }
      return Packets.packet(0x10, v.toByteArray());
    }
  }

  /**
   * One filter of a SUBSCRIBE with its options byte (QoS in bits 0-1, No Local 2, RAP 3, RH 4-5).
   */
  public record Filter(String filter, int options) {
    public static Filter of(String filter, int qos) {
      return new Filter(filter, qos);
    }
  }

  /** Packets as bytes, for protocol version 4 (MQTT 3.1.1) or 5; nothing is checked. */
  public static final class Packets {

    private Packets() {}

    /** A PUBLISH; {@code props} (null: none) are sent in MQTT 5 only. */
    public static byte[] publish(
        int version,
        String topic,
        String payload,
        int qos,
        boolean retain,
        int packetId,
        Props props) {
      return publish(
          version,
          topic.getBytes(StandardCharsets.UTF_8),
          payload.getBytes(StandardCharsets.UTF_8),
          qos,
          retain,
          packetId,
          props);
    }

    /** A PUBLISH with the topic given as raw bytes (to send invalid UTF-8). */
    public static byte[] publish(
        int version,
        byte[] topic,
        byte[] payload,
        int qos,
        boolean retain,
        int packetId,
        Props props) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeString(v, topic);
      if (qos > 0) {
        writeU16(v, packetId);
      }
      if (version == 5) {
        v.writeBytes((props == null ? new Props() : props).encoded());
      }
      v.writeBytes(payload);
      return packet(0x30 | (qos << 1) | (retain ? 1 : 0), v.toByteArray());
    }

    public static byte[] publish(int version, String topic, byte[] payload, int qos, int packetId) {
      return publish(
          version, topic.getBytes(StandardCharsets.UTF_8), payload, qos, false, packetId, null);
    }

    public static byte[] publish(int version, byte[] topic, byte[] payload, int qos, int packetId) {
      return publish(version, topic, payload, qos, false, packetId, null);
    }

    public static byte[] publish(
        int version, byte[] topic, byte[] payload, int qos, int packetId, Props props) {
      return publish(version, topic, payload, qos, false, packetId, props);
    }

    /** The same PUBLISH with the DUP flag set: a redelivery. */
    public static byte[] dup(byte[] publish) {
      byte[] copy = publish.clone();
      copy[0] |= 0x08;
      return copy;
    }

    /** A SUBSCRIBE; {@code props} (null: none) are sent in MQTT 5 only. */
    public static byte[] subscribe(int version, int packetId, Props props, Filter... filters) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeU16(v, packetId);
      if (version == 5) {
        v.writeBytes((props == null ? new Props() : props).encoded());
      }
      for (Filter f : filters) {
        writeString(v, f.filter().getBytes(StandardCharsets.UTF_8));
        v.write(f.options());
      }
      return packet(0x82, v.toByteArray());
    }

    public static byte[] subscribe(int version, int packetId, String filter, int qos) {
      return subscribe(version, packetId, null, Filter.of(filter, qos));
    }

    public static byte[] unsubscribe(int version, int packetId, String... filters) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      writeU16(v, packetId);
      if (version == 5) {
        v.writeBytes(new Props().encoded());
      }
      for (String f : filters) {
        writeString(v, f.getBytes(StandardCharsets.UTF_8));
      }
      return packet(0xA2, v.toByteArray());
    }

    /** A PUBACK with reason Success (no reason code). */
    public static byte[] puback(int packetId) {
      return ack(0x40, packetId);
    }

    public static byte[] pubrec(int packetId) {
      return ack(0x50, packetId);
    }

    public static byte[] pubrel(int packetId) {
      return ack(0x62, packetId);
    }

    public static byte[] pubcomp(int packetId) {
      return ack(0x70, packetId);
    }

    private static byte[] ack(int header, int packetId) {
      return new byte[] {(byte) header, 2, (byte) (packetId >> 8), (byte) packetId};
    }

    public static byte[] pingreq() {
      return new byte[] {(byte) 0xC0, 0};
    }

    /** A normal DISCONNECT without reason code (MQTT 3.1.1 and 5). */
    public static byte[] disconnect() {
      return new byte[] {(byte) 0xE0, 0};
    }

    /** DISCONNECT with {@code reason} in MQTT 5; MQTT 3.1.1 has no reason. */
    public static byte[] disconnect(int version, int reason) {
      if (version != 5) {
        return disconnect();
      }
      return new byte[] {(byte) 0xE0, 1, (byte) reason};
    }

    /** MQTT 5 DISCONNECT with a reason code and properties; MQTT 3.1.1 has neither. */
    public static byte[] disconnect(int version, int reason, Props props) {
      if (version != 5) {
        return disconnect();
      }
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      v.write(reason);
      v.writeBytes(props.encoded());
      return packet(0xE0, v.toByteArray());
    }

    /** An MQTT 5 AUTH packet: reason code (0x19 re-authenticate) and properties (method, data). */
    public static byte[] auth(int reason, Props props) {
      ByteArrayOutputStream v = new ByteArrayOutputStream();
      v.write(reason);
      v.writeBytes(props.encoded());
      return packet(0xF0, v.toByteArray());
    }

    /** Fixed header (first byte + remaining length) followed by {@code rest}. */
    public static byte[] packet(int firstByte, byte[] rest) {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      o.write(firstByte);
      writeVarInt(o, rest.length);
      o.writeBytes(rest);
      return o.toByteArray();
    }

    /**
     * Size on the wire of a packet whose variable header and payload are {@code remaining} bytes.
     */
    public static int packetSize(int remaining) {
      return 1
          + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4)
          + remaining;
    }
  }

  private static void writeU16(ByteArrayOutputStream o, int v) {
    o.write(v >> 8);
    o.write(v);
  }

  private static void writeString(ByteArrayOutputStream o, byte[] s) {
    writeU16(o, s.length);
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
