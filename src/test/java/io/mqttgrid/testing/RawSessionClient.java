package io.mqttgrid.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A raw-socket MQTT 3.1.1 / 5 client for session tests: it acknowledges nothing on its own, so a test decides
 * when (or whether) PUBACK, PUBREC, PUBREL and PUBCOMP go out, and sees every packet the broker sends with
 * its flags, packet id, reason code and properties. A reader thread queues incoming packets; the end of the
 * stream is a packet of type {@link #CLOSED}.
 */
public final class RawSessionClient implements AutoCloseable {

  public static final int CONNACK = 2;
  public static final int PUBLISH = 3;
  public static final int PUBACK = 4;
  public static final int PUBREC = 5;
  public static final int PUBREL = 6;
  public static final int PUBCOMP = 7;
  public static final int SUBACK = 9;
  public static final int UNSUBACK = 11;
  public static final int PINGRESP = 13;
  public static final int DISCONNECT = 14;
  /** Not an MQTT packet: the broker closed the connection. */
  public static final int CLOSED = -1;

  // MQTT 5 property identifiers used by the tests
  public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
  public static final int SESSION_EXPIRY_INTERVAL = 0x11;
  public static final int SERVER_REFERENCE = 0x1C;
  public static final int RECEIVE_MAXIMUM = 0x21;
  public static final int MAXIMUM_QOS = 0x24;

  private static final long DEFAULT_TIMEOUT_MS = 10_000;

  private final Socket socket;
  private final OutputStream out;
  private final boolean v5;
  private final BlockingQueue<Packet> incoming = new LinkedBlockingQueue<>();
  private final Thread reader;

  private RawSessionClient(int port, boolean v5) throws IOException {
    this.socket = new Socket("127.0.0.1", port);
    this.socket.setTcpNoDelay(true);
    this.out = socket.getOutputStream();
    this.v5 = v5;
    this.reader = new Thread(this::readLoop, "raw-session-client-reader");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  public static RawSessionClient v5(int port) throws IOException {
    return new RawSessionClient(port, true);
  }

  public static RawSessionClient v3(int port) throws IOException {
    return new RawSessionClient(port, false);
  }

  // ------------------------------------------------------------------ packets the broker sends

  /** One packet from the broker, decoded as far as the session tests need. */
  public static final class Packet {
    public final int type;
    public final int flags;
    public final byte[] body;
    private final boolean v5;
    private int packetId;
    private int reasonCode;
    private boolean sessionPresent;
    private String topic;
    private byte[] payload;
    private final Map<Integer, List<Object>> properties = new LinkedHashMap<>();
    private final List<Integer> subackCodes = new ArrayList<>();

    Packet(int type, int flags, byte[] body, boolean v5) {
      this.type = type;
      this.flags = flags;
      this.body = body;
      this.v5 = v5;
      if (type != CLOSED) {
        decode();
      }
    }

    public int packetId() {
      return packetId;
    }

    /** Reason code (v5; 0 when the packet omits it), or the CONNACK return code (v3). */
    public int reasonCode() {
      return reasonCode;
    }

    public boolean sessionPresent() {
      return sessionPresent;
    }

    public boolean dup() {
      return (flags & 0x08) != 0;
    }

    public int qos() {
      return (flags >> 1) & 0x03;
    }

    public boolean retain() {
      return (flags & 0x01) != 0;
    }

    public String topic() {
      return topic;
    }

    public byte[] payload() {
      return payload;
    }

    public String payloadText() {
      return payload == null ? null : new String(payload, StandardCharsets.UTF_8);
    }

    public List<Integer> subackCodes() {
      return subackCodes;
    }

    /** The first value of property {@code id}: Integer, String, byte[] or String[2]; null when absent. */
    public Object property(int id) {
      List<Object> values = properties.get(id);
      return values == null ? null : values.get(0);
    }

    public boolean hasProperty(int id) {
      return properties.containsKey(id);
    }

    private void decode() {
      Reader r = new Reader(body);
      switch (type) {
        case CONNACK -> {
          sessionPresent = (r.u8() & 0x01) != 0;
          reasonCode = r.u8();
          if (v5 && r.remaining() > 0) {
            readProperties(r);
          }
        }
        case PUBLISH -> {
          topic = r.string();
          if (qos() > 0) {
            packetId = r.u16();
          }
          if (v5) {
            readProperties(r);
          }
          payload = r.rest();
        }
        case PUBACK, PUBREC, PUBREL, PUBCOMP -> {
          packetId = r.u16();
          if (r.remaining() > 0) {
            reasonCode = r.u8();
          }
          if (r.remaining() > 0) {
            readProperties(r);
          }
        }
        case SUBACK, UNSUBACK -> {
          packetId = r.u16();
          if (v5) {
            readProperties(r);
          }
          while (r.remaining() > 0) {
            subackCodes.add(r.u8());
          }
        }
        case DISCONNECT -> {
          if (r.remaining() > 0) {
            reasonCode = r.u8();
          }
          if (r.remaining() > 0) {
            readProperties(r);
          }
        }
        default -> {
        }
      }
    }

    private void readProperties(Reader r) {
      int length = r.varInt();
      int end = r.pos + length;
      while (r.pos < end) {
        int id = r.varInt();
        Object value = switch (id) {
          case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> r.u8();
          case 0x13, 0x21, 0x22, 0x23 -> r.u16();
          case 0x02, 0x11, 0x18, 0x27 -> r.u32();
          case 0x0B -> r.varInt();
          case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F -> r.string();
          case 0x09, 0x16 -> r.binary();
          case 0x26 -> new String[] {r.string(), r.string()};
          default -> throw new IllegalStateException("unknown property id " + id);
        };
        properties.computeIfAbsent(id, k -> new ArrayList<>()).add(value);
      }
    }

    @Override
    public String toString() {
      return type == CLOSED ? "CLOSED" : "Packet{type=" + type + ", flags=" + flags + ", id=" + packetId + ", reason="
          + reasonCode + ", topic=" + topic + ", payload=" + payloadText() + ", props=" + properties.keySet() + "}";
    }
  }

  private static final class Reader {
    final byte[] b;
    int pos;

    Reader(byte[] b) {
      this.b = b;
    }

    int remaining() {
      return b.length - pos;
    }

    int u8() {
      return b[pos++] & 0xFF;
    }

    int u16() {
      return (u8() << 8) | u8();
    }

    int u32() {
      return (u16() << 16) | u16();
    }

    int varInt() {
      int value = 0;
      int shift = 0;
      int digit;
      do {
        digit = u8();
        value |= (digit & 0x7F) << shift;
        shift += 7;
      } while ((digit & 0x80) != 0);
      return value;
    }

    byte[] binary() {
      int n = u16();
      byte[] v = java.util.Arrays.copyOfRange(b, pos, pos + n);
      pos += n;
      return v;
    }

    String string() {
      return new String(binary(), StandardCharsets.UTF_8);
    }

    byte[] rest() {
      byte[] v = java.util.Arrays.copyOfRange(b, pos, b.length);
      pos = b.length;
      return v;
    }
  }

  private void readLoop() {
    try (InputStream raw = socket.getInputStream()) {
      DataInputStream in = new DataInputStream(raw);
      while (true) {
        int first = in.read();
        if (first < 0) {
          break;
        }
        int length = 0;
        int shift = 0;
        int digit;
        do {
          digit = in.readUnsignedByte();
          length |= (digit & 0x7F) << shift;
          shift += 7;
        } while ((digit & 0x80) != 0);
        byte[] body = new byte[length];
        in.readFully(body);
        incoming.add(new Packet(first >> 4, first & 0x0F, body, v5));
      }
    } catch (EOFException | java.net.SocketException e) {
      // the connection ended
    } catch (IOException e) {
      // treated as closed
    }
    incoming.add(new Packet(CLOSED, 0, new byte[0], v5));
  }

  // ------------------------------------------------------------------ receiving

  /** The next packet, or null if none arrives within {@code timeoutMs}. */
  public Packet poll(long timeoutMs) throws InterruptedException {
    return incoming.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The next packet, which must be of {@code type}. */
  public Packet expect(int type) throws InterruptedException {
    return expect(type, DEFAULT_TIMEOUT_MS);
  }

  public Packet expect(int type, long timeoutMs) throws InterruptedException {
    Packet p = poll(timeoutMs);
    if (p == null) {
      throw new AssertionError("no packet of type " + type + " within " + timeoutMs + " ms");
    }
    if (p.type != type) {
      throw new AssertionError("expected packet type " + type + " but got " + p);
    }
    return p;
  }

  /** Skips packets until one matches; fails after {@code timeoutMs}. */
  public Packet awaitPacket(Predicate<Packet> match, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      Packet p = left <= 0 ? null : poll(left);
      if (p == null) {
        throw new AssertionError("no matching packet within " + timeoutMs + " ms");
      }
      if (match.test(p)) {
        return p;
      }
    }
  }

  /** True when the broker closes the connection within {@code timeoutMs}; other packets are skipped. */
  public boolean closedWithin(long timeoutMs) throws InterruptedException {
    try {
      awaitPacket(p -> p.type == CLOSED, timeoutMs);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  /** Packets received within {@code timeoutMs} from now; for asserting that nothing (else) arrives. */
  public List<Packet> drain(long timeoutMs) throws InterruptedException {
    List<Packet> got = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return got;
      }
      Packet p = poll(left);
      if (p != null) {
        got.add(p);
      }
    }
  }

  // ------------------------------------------------------------------ sending

  /** CONNECT options; {@code null} leaves a property out. */
  public static final class Connect {
    String clientId;
    boolean cleanStart = true;
    int keepAlive = 60;
    Long sessionExpiry;
    Integer receiveMaximum;

    public Connect(String clientId) {
      this.clientId = clientId;
    }

    public Connect cleanStart(boolean v) {
      this.cleanStart = v;
      return this;
    }

    public Connect keepAlive(int seconds) {
      this.keepAlive = seconds;
      return this;
    }

    public Connect sessionExpiry(long seconds) {
      this.sessionExpiry = seconds;
      return this;
    }

    public Connect receiveMaximum(int v) {
      this.receiveMaximum = v;
      return this;
    }
  }

  /** Sends CONNECT and returns the CONNACK. */
  public Packet connect(Connect c) throws IOException, InterruptedException {
    sendConnect(c);
    return expect(CONNACK);
  }

  /** Sends CONNECT without waiting for the answer. */
  public void sendConnect(Connect c) throws IOException {
    Buf vh = new Buf();
    vh.string("MQTT");
    vh.u8(v5 ? 5 : 4);
    vh.u8(c.cleanStart ? 0x02 : 0x00);
    vh.u16(c.keepAlive);
    if (v5) {
      Buf props = new Buf();
      if (c.sessionExpiry != null) {
        props.u8(SESSION_EXPIRY_INTERVAL).u32(c.sessionExpiry.intValue());
      }
      if (c.receiveMaximum != null) {
        props.u8(RECEIVE_MAXIMUM).u16(c.receiveMaximum);
      }
      vh.properties(props);
    }
    vh.string(c.clientId);
    send(0x10, vh);
  }

  /** Sends SUBSCRIBE for one filter and returns the SUBACK. */
  public Packet subscribe(int packetId, String filter, int qos) throws IOException, InterruptedException {
    Buf b = new Buf();
    b.u16(packetId);
    if (v5) {
      b.varInt(0);
    }
    b.string(filter);
    b.u8(qos);
    send(0x82, b);
    return expect(SUBACK);
  }

  public void publish(String topic, String payload, int qos, int packetId, boolean dup) throws IOException {
    Buf b = new Buf();
    b.string(topic);
    if (qos > 0) {
      b.u16(packetId);
    }
    if (v5) {
      b.varInt(0);
    }
    b.bytes(payload.getBytes(StandardCharsets.UTF_8));
    send(0x30 | (dup ? 0x08 : 0) | (qos << 1), b);
  }

  public void puback(int packetId) throws IOException {
    ack(0x40, packetId);
  }

  public void pubrec(int packetId) throws IOException {
    ack(0x50, packetId);
  }

  public void pubrel(int packetId) throws IOException {
    ack(0x62, packetId);
  }

  public void pubcomp(int packetId) throws IOException {
    ack(0x70, packetId);
  }

  private void ack(int header, int packetId) throws IOException {
    send(header, new Buf().u16(packetId));
  }

  /** DISCONNECT (v5: reason 0 and, when not null, a Session Expiry Interval). */
  public void disconnect(Long sessionExpiry) throws IOException {
    Buf b = new Buf();
    if (v5 && sessionExpiry != null) {
      b.u8(0x00);
      b.properties(new Buf().u8(SESSION_EXPIRY_INTERVAL).u32(sessionExpiry.intValue()));
    }
    send(0xE0, b);
  }

  /** Ends the TCP connection without DISCONNECT, as a device that loses its network. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  private synchronized void send(int header, Buf body) throws IOException {
    Buf packet = new Buf();
    packet.u8(header);
    packet.varInt(body.size());
    packet.bytes(body.toByteArray());
    out.write(packet.toByteArray());
    out.flush();
  }

  private static final class Buf {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    Buf u8(int v) {
      b.write(v);
      return this;
    }

    Buf u16(int v) {
      return u8(v >> 8).u8(v & 0xFF);
    }

    Buf u32(int v) {
      return u16(v >>> 16).u16(v & 0xFFFF);
    }

    Buf varInt(int v) {
      do {
        int digit = v & 0x7F;
        v >>>= 7;
        u8(v > 0 ? digit | 0x80 : digit);
      } while (v > 0);
      return this;
    }

    Buf bytes(byte[] bytes) {
      b.writeBytes(bytes);
      return this;
    }

    Buf string(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      return u16(bytes.length).bytes(bytes);
    }

    Buf properties(Buf props) {
      return varInt(props.size()).bytes(props.toByteArray());
    }

    int size() {
      return b.size();
    }

    byte[] toByteArray() {
      return b.toByteArray();
    }
  }
}
