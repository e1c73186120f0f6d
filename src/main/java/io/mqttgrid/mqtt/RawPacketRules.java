package io.mqttgrid.mqtt;

import io.mqttgrid.wire.ReasonCode;
import io.mqttgrid.wire.VarInt;
import io.netty.buffer.ByteBuf;

/**
 * Checks on a client's packet as bytes, before Netty's MQTT decoder reads it: the rules the decoder
 * cannot enforce because its result no longer shows them, or because it waits for more bytes
 * instead of failing.
 *
 * <ul>
 *   <li>A length (string, property section, binary) that runs past the end of its packet: the
 *       packet is malformed at once, instead of the decoder waiting for megabytes that belong to
 *       later packets.
 *   <li>MQTT 5 properties: an unknown identifier is malformed; a property other than User Property
 *       given twice is a protocol error (Netty keeps only the last one); Authentication Data
 *       without Authentication Method is a protocol error (3.1.2.11.10); a client PUBLISH with a
 *       Subscription Identifier (MQTT-3.3.4-6) or a Response Topic with wildcards (MQTT-3.3.2-14)
 *       is a protocol error.
 *   <li>CONNACK, SUBACK, UNSUBACK and PINGRESP from a client are protocol errors.
 *   <li>SUBSCRIBE with reserved option bits set is malformed (MQTT-3.8.3-5); SUBSCRIBE and
 *       UNSUBSCRIBE without a topic filter are protocol errors (MQTT-3.8.3-3, MQTT-3.10.3-2); an
 *       MQTT 3.1.1 CONNECT with a password and no user name is malformed (MQTT-3.1.2-22).
 * </ul>
 *
 * Written by hand because Netty's decoder (the one vertx-mqtt uses) drops duplicate properties and
 * reserved bits while decoding, and no other maintained Java MQTT codec plugs into vertx-mqtt's
 * pipeline.
 */
final class RawPacketRules {

  /**
   * A rule the packet breaks: the MQTT 5 reason for the DISCONNECT (or CONNACK), and what was
   * wrong.
   */
  record Violation(ReasonCode reason, String detail) {}

  static final int CONNECT = 1;
  static final int PUBLISH = 3;
  static final int PUBACK = 4;
  static final int PUBCOMP = 7;
  static final int SUBSCRIBE = 8;
  static final int UNSUBSCRIBE = 10;
  static final int DISCONNECT = 14;
  static final int AUTH = 15;

  private static final int PROP_SUBSCRIPTION_IDENTIFIER = 0x0B;
  private static final int PROP_RESPONSE_TOPIC = 0x08;
  private static final int PROP_AUTHENTICATION_METHOD = 0x15;
  private static final int PROP_AUTHENTICATION_DATA = 0x16;
  private static final int PROP_USER_PROPERTY = 0x26;

  private RawPacketRules() {}

  /** Thrown inside the reader; never leaves this class. */
  private static final class Broken extends RuntimeException {
    final Violation violation;

    Broken(ReasonCode reason, String detail) {
      super(detail, null, false, false);
      this.violation = new Violation(reason, detail);
    }
  }

  /**
   * Checks one whole packet.
   *
   * @param packet the packet from its first byte to its last (not consumed)
   * @param protocolVersion the connection's MQTT protocol level (4 = 3.1.1, 5 = 5); ignored for
   *     CONNECT
   * @return the first rule broken, or null
   */
  static Violation check(ByteBuf packet, int protocolVersion) {
    Reader r = new Reader(packet);
    try {
      int first = r.u8();
      int type = first >>> 4;
      int remaining = r.varInt();
      if (remaining != r.left()) {
        throw new Broken(
            ReasonCode.MALFORMED_PACKET,
            "remaining length " + remaining + " but " + r.left() + " bytes follow");
      }
      boolean v5 = protocolVersion == 5;
      switch (type) {
        case CONNECT -> connect(r);
        case PUBLISH -> publish(r, (first >> 1) & 3, v5);
        case PUBACK, 5, 6, PUBCOMP -> {
          r.u16();
          if (r.left() > 0) {
            r.u8();
          }
          if (v5 && r.left() > 0) {
            properties(r, type);
          }
        }
        case SUBSCRIBE -> subscribe(r, v5);
        case UNSUBSCRIBE -> unsubscribe(r, v5);
        case DISCONNECT, AUTH -> {
          if (v5 && r.left() > 0) {
            r.u8();
            if (r.left() > 0) {
              properties(r, type);
            }
          }
        }
        case 2, 9, 11, 13 ->
            throw new Broken(
                ReasonCode.PROTOCOL_ERROR,
                "packet type " + type + " is sent only by a server (MQTT 5 section 4.13)");
        default -> {
          // PINGREQ and reserved types: Netty's decoder judges them
        }
      }
      if (r.left() != 0 && type != PUBLISH) {
        throw new Broken(
            ReasonCode.MALFORMED_PACKET, r.left() + " bytes after the end of the packet's fields");
      }
      return null;
    } catch (Broken b) {
      return b.violation;
    }
  }

  private static void connect(Reader r) {
    r.skipString(); // protocol name: Netty's decoder checks it against the level
    int level = r.u8();
    int flags = r.u8();
    r.u16(); // keep alive
    boolean v5 = level == 5;
    boolean userName = (flags & 0x80) != 0;
    boolean password = (flags & 0x40) != 0;
    boolean will = (flags & 0x04) != 0;
    if (!v5 && password && !userName) {
      throw new Broken(ReasonCode.MALFORMED_PACKET, "password without user name (MQTT-3.1.2-22)");
    }
    if (v5) {
      properties(r, CONNECT);
    }
    r.skipString(); // client identifier
    if (will) {
      if (v5) {
        properties(r, -1); // will properties
      }
      r.skipString();
      r.skipString(); // will payload: same length-prefixed shape
    }
    if (userName) {
      r.skipString();
    }
    if (password) {
      r.skipString();
    }
  }

  private static void publish(Reader r, int qos, boolean v5) {
    r.skipString();
    if (qos > 0) {
      r.u16();
    }
    if (v5) {
      properties(r, PUBLISH);
    }
    // the rest is the payload
  }

  private static void subscribe(Reader r, boolean v5) {
    r.u16();
    if (v5) {
      properties(r, SUBSCRIBE);
    }
    if (r.left() == 0) {
      throw new Broken(
          ReasonCode.PROTOCOL_ERROR, "SUBSCRIBE without a topic filter (MQTT-3.8.3-3)");
    }
    int reserved = v5 ? 0xC0 : 0xFC;
    while (r.left() > 0) {
      r.skipString();
      int options = r.u8();
      if ((options & reserved) != 0) {
        throw new Broken(
            ReasonCode.MALFORMED_PACKET, "reserved subscription option bits set (MQTT-3.8.3-5)");
      }
    }
  }

  private static void unsubscribe(Reader r, boolean v5) {
    r.u16();
    if (v5) {
      properties(r, UNSUBSCRIBE);
    }
    if (r.left() == 0) {
      throw new Broken(
          ReasonCode.PROTOCOL_ERROR, "UNSUBSCRIBE without a topic filter (MQTT-3.10.3-2)");
    }
    while (r.left() > 0) {
      r.skipString();
    }
  }

  /** One MQTT 5 property section (section 2.2.2); {@code packetType} -1 for the will properties. */
  private static void properties(Reader r, int packetType) {
    int length = r.varInt();
    if (length > r.left()) {
      throw new Broken(
          ReasonCode.MALFORMED_PACKET, "property length " + length + " runs past the packet");
    }
    int end = r.position() + length;
    long seen = 0; // identifiers are below 64
    while (r.position() < end) {
      int id = r.varInt();
      if (id >= 64 || !knownProperty(id)) {
        throw new Broken(
            ReasonCode.MALFORMED_PACKET,
            "unknown property identifier 0x" + Integer.toHexString(id));
      }
      if (id != PROP_USER_PROPERTY) {
        if ((seen & (1L << id)) != 0) {
          throw new Broken(
              ReasonCode.PROTOCOL_ERROR, "property 0x" + Integer.toHexString(id) + " given twice");
        }
        seen |= 1L << id;
      }
      if (packetType == PUBLISH && id == PROP_SUBSCRIPTION_IDENTIFIER) {
        throw new Broken(
            ReasonCode.PROTOCOL_ERROR,
            "Subscription Identifier in a client PUBLISH (MQTT-3.3.4-6)");
      }
      if (packetType == PUBLISH && id == PROP_RESPONSE_TOPIC) {
        String topic = r.string();
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
          throw new Broken(ReasonCode.PROTOCOL_ERROR, "wildcard in Response Topic (MQTT-3.3.2-14)");
        }
      } else {
        skipValue(r, id);
      }
      if (r.position() > end) {
        throw new Broken(
            ReasonCode.MALFORMED_PACKET,
            "property 0x" + Integer.toHexString(id) + " runs past its property section");
      }
    }
    if ((packetType == CONNECT || packetType == AUTH)
        && (seen & (1L << PROP_AUTHENTICATION_DATA)) != 0
        && (seen & (1L << PROP_AUTHENTICATION_METHOD)) == 0) {
      throw new Broken(
          ReasonCode.PROTOCOL_ERROR, "Authentication Data without Authentication Method");
    }
  }

  private static boolean knownProperty(int id) {
    return switch (id) {
      case 0x01,
          0x02,
          0x03,
          0x08,
          0x09,
          0x0B,
          0x11,
          0x12,
          0x13,
          0x15,
          0x16,
          0x17,
          0x18,
          0x19,
          0x1A,
          0x1C,
          0x1F,
          0x21,
          0x22,
          0x23,
          0x24,
          0x25,
          0x26,
          0x27,
          0x28,
          0x29,
          0x2A ->
          true;
      default -> false;
    };
  }

  /** Skips a property's value by the type the specification gives its identifier (table 2-4). */
  private static void skipValue(Reader r, int id) {
    switch (id) {
      case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A -> r.skip(1);
      case 0x13, 0x21, 0x22, 0x23 -> r.skip(2);
      case 0x02, 0x11, 0x18, 0x27 -> r.skip(4);
      case 0x0B -> r.varInt();
      case 0x26 -> {
        r.skipString();
        r.skipString();
      }
      default -> r.skipString(); // UTF-8 strings and binary data share the 2-byte length prefix
    }
  }

  /** A bounds-checked reader over the packet's bytes; running past the end breaks the packet. */
  private static final class Reader {
    private final ByteBuf buf;
    private int pos;
    private final int end;

    Reader(ByteBuf buf) {
      this.buf = buf;
      this.pos = buf.readerIndex();
      this.end = buf.writerIndex();
    }

    int position() {
      return pos;
    }

    int left() {
      return end - pos;
    }

    int u8() {
      need(1);
      return buf.getUnsignedByte(pos++);
    }

    int u16() {
      need(2);
      int v = buf.getUnsignedShort(pos);
      pos += 2;
      return v;
    }

    void skip(int n) {
      need(n);
      pos += n;
    }

    void skipString() {
      skip(u16());
    }

    String string() {
      int n = u16();
      need(n);
      String s = buf.toString(pos, n, java.nio.charset.StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    int varInt() {
      long read = VarInt.read(buf, pos, end);
      if (read == VarInt.INCOMPLETE) {
        throw new Broken(ReasonCode.MALFORMED_PACKET, "a length runs past the end of the packet");
      }
      if (read == VarInt.TOO_LONG) {
        throw new Broken(ReasonCode.MALFORMED_PACKET, "variable byte integer longer than 4 bytes");
      }
      pos += VarInt.length(read);
      return VarInt.value(read);
    }

    private void need(int n) {
      if (n > end - pos) {
        throw new Broken(ReasonCode.MALFORMED_PACKET, "a length runs past the end of the packet");
      }
    }
  }
}
