package io.mqttgrid.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The inputs of {@link ProtocolFuzzIT}: hostile byte sequences derived from valid MQTT 3.1.1 and 5
 * packets, all drawn from one seeded {@link Random} per batch, so that a seed and a batch number
 * give the same bytes again.
 *
 * <p>Hand-written on purpose: the clients the tests use (HiveMQ, Paho) refuse to encode a malformed
 * packet, and {@code RawMqttClient}'s encoders build only well-formed ones, while this needs
 * control over every flag, length and property byte.
 */
final class ProtocolFuzzInputs {

  /** What an input does; the report of a failure names it. */
  enum Kind {
    /**
     * a valid CONNECT, then mutated PUBLISH/SUBSCRIBE/UNSUBSCRIBE/acks/PINGREQ/DISCONNECT/AUTH
     * packets
     */
    CONNECT_THEN_MUTATED,
    /**
     * a CONNECT (3.1.1 or 5) with bad protocol name, level, flags, properties, client id, will or
     * bytes
     */
    MUTATED_CONNECT,
    /** some other packet where CONNECT must come first */
    PACKET_BEFORE_CONNECT,
    /** random bytes */
    RANDOM_BYTES,
    /** a valid CONNECT, then a second CONNECT (valid or mutated) on the same connection */
    SECOND_CONNECT,
    /**
     * AUTH packets: after CONNECT with and without an authentication method, with invalid reason
     * codes
     */
    AUTH_EXCHANGE,
    /** WebSocket: MQTT bytes in a text frame (MQTT over WebSocket is binary only) */
    WS_TEXT_FRAME,
    /** WebSocket: an upgrade to another path than /mqtt, then a valid CONNECT */
    WS_WRONG_PATH,
    /**
     * WebSocket: an upgrade without the "mqtt" subprotocol, or with another one, then a valid
     * CONNECT
     */
    WS_WRONG_SUBPROTOCOL,
    /** WebSocket: a malformed upgrade request */
    WS_BAD_HANDSHAKE,
    /**
     * WebSocket: frames a client must not send (unmasked, reserved opcode or bits, bad control
     * frames)
     */
    WS_BAD_FRAMING
  }

  /**
   * How the bytes travel. Over WebSocket, each element of {@link Input#writes} is one frame (or
   * more).
   */
  enum Framing {
    TCP,
    /** one binary frame per write */
    WS_BINARY,
    /** each write cut into several binary frames: MQTT packets may span frames */
    WS_SPLIT,
    /** each write as one fragmented binary message (first frame, continuation frames) */
    WS_FRAGMENTED,
    /** text frames */
    WS_TEXT,
    /** the writes are raw bytes after the upgrade, framing included */
    WS_RAW
  }

  /**
   * One connection's input. {@code writes} are sent in order; after the first, the runner waits
   * briefly for the broker's answer (a CONNACK) before sending the next. {@code cleanFirstConnect}:
   * the first write starts with a valid CONNECT for a clean session that ends with the connection,
   * so no session may outlive it.
   */
  record Input(
      String id,
      Kind kind,
      String detail,
      int version,
      Framing framing,
      String wsPath,
      String wsSubprotocol,
      String wsRequest,
      List<byte[]> writes,
      boolean cleanFirstConnect) {

    byte[] allBytes() {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      writes.forEach(all::writeBytes);
      return all.toByteArray();
    }

    /** Hex of the first {@code max} bytes of all writes, for failure messages. */
    String hex(int max) {
      byte[] b = allBytes();
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < Math.min(max, b.length); i++) {
        sb.append(String.format("%02x", b[i] & 0xFF));
        if (i % 4 == 3) {
          sb.append(' ');
        }
      }
      return sb.toString().trim()
          + (b.length > max ? " ... (" + b.length + " bytes)" : " (" + b.length + " bytes)");
    }

    boolean websocket() {
      return framing != Framing.TCP;
    }

    String describe() {
      String transport =
          websocket()
              ? "WebSocket "
                  + framing
                  + " path "
                  + abbreviate(wsPath, 20)
                  + " subprotocol "
                  + wsSubprotocol
              : "TCP";
      return id
          + " ["
          + kind
          + ", "
          + transport
          + ", MQTT "
          + (version == 5 ? "5" : "3.1.1")
          + "] "
          + detail
          + "; bytes: "
          + hex(48);
    }
  }

  private final long seed;
  private final String clientPrefix;

  ProtocolFuzzInputs(long seed, String clientPrefix) {
    this.seed = seed;
    this.clientPrefix = clientPrefix;
  }

  /** The inputs of batch {@code batch}: the same for the same seed, whatever ran before. */
  List<Input> batch(int batch, int count, boolean websocket) {
    Random rnd = new Random(seed ^ (0x9E3779B97F4A7C15L * (batch + 1)));
    List<Input> inputs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String id = "b" + batch + "#" + i;
      String clientId = clientPrefix + "-" + batch + "-" + i;
      inputs.add(
          websocket ? webSocketInput(rnd, id, clientId) : tcpInput(rnd, id, clientId, Framing.TCP));
    }
    return inputs;
  }

  // ------------------------------------------------------------------------------------------
  // kinds

  private Input tcpInput(Random rnd, String id, String clientId, Framing framing) {
    int version = rnd.nextInt(5) < 2 ? 4 : 5;
    int k = rnd.nextInt(100);
    Builder b = new Builder(id, version, framing);
    if (k < 35) {
      connectThenMutated(rnd, b, clientId);
    } else if (k < 55) {
      mutatedConnect(rnd, b, clientId);
    } else if (k < 65) {
      packetBeforeConnect(rnd, b, clientId);
    } else if (k < 75) {
      randomBytes(rnd, b);
    } else if (k < 87) {
      secondConnect(rnd, b, clientId);
    } else {
      authExchange(rnd, b, clientId);
    }
    return b.build();
  }

  private Input webSocketInput(Random rnd, String id, String clientId) {
    int k = rnd.nextInt(100);
    if (k < 70) {
      Framing framing =
          switch (rnd.nextInt(3)) {
            case 0 -> Framing.WS_BINARY;
            case 1 -> Framing.WS_SPLIT;
            default -> Framing.WS_FRAGMENTED;
          };
      return tcpInput(rnd, id, clientId, framing);
    }
    int version = rnd.nextBoolean() ? 4 : 5;
    Builder b = new Builder(id, version, Framing.WS_BINARY);
    byte[] connect = validConnect(version, clientId);
    if (k < 76) {
      b.kind = Kind.WS_TEXT_FRAME;
      b.framing = Framing.WS_TEXT;
      b.detail("valid CONNECT in a text frame");
      b.write(connect, true);
      if (rnd.nextBoolean()) {
        b.write(
            publish(
                version,
                0,
                false,
                false,
                topic(rnd, false).bytes,
                0,
                noProps(version),
                payload(rnd)));
      }
    } else if (k < 82) {
      b.kind = Kind.WS_WRONG_PATH;
      b.wsPath =
          pick(
              rnd,
              "/",
              "/mqtt/",
              "/MQTT",
              "/mqttx",
              "/ws",
              "/mqtt?x=1",
              "/mqtt/../mqtt",
              "//mqtt",
              "/%00",
              "/" + "m".repeat(3000));
      b.detail("upgrade to " + abbreviate(b.wsPath, 20));
      b.write(connect, true);
    } else if (k < 88) {
      b.kind = Kind.WS_WRONG_SUBPROTOCOL;
      b.wsSubprotocol =
          pick(rnd, "", "mqttv3.1", "xmpp", "MQTT", "mqtt, mqtt", "xmpp, mqtt", "\u00e9");
      b.detail("subprotocol '" + b.wsSubprotocol + "'");
      b.write(connect, true);
    } else if (k < 93) {
      b.kind = Kind.WS_BAD_HANDSHAKE;
      b.wsRequest =
          pick(
              rnd,
              "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  + "Sec-WebSocket-Protocol: mqtt\r\n\r\n", // no key
              "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                  + "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
              "POST /mqtt HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\u0010\u0002\u0000\u0000",
              "GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n",
              "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: !!\r\n"
                  + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
              "GET /mqtt HTTP/1.1\r\n" + "X-Long: " + "a".repeat(9000) + "\r\n\r\n",
              "\u0010\u0010\u0000\u0004MQTT\u0004\u0002\u0000<\u0000\u0000");
      b.detail("upgrade request '" + abbreviate(b.wsRequest.replace("\r\n", "\\r\\n"), 40) + "'");
      b.write(connect, true);
    } else {
      b.kind = Kind.WS_BAD_FRAMING;
      b.framing = Framing.WS_RAW;
      badFraming(rnd, b, connect, version);
    }
    return b.build();
  }

  private void connectThenMutated(Random rnd, Builder b, String clientId) {
    b.kind = Kind.CONNECT_THEN_MUTATED;
    b.write(validConnect(b.version, clientId), true);
    b.cleanFirstConnect = true;
    int n = 1 + rnd.nextInt(4);
    boolean pipelined = rnd.nextInt(4) == 0;
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    boolean mutated = false;
    for (int i = 0; i < n; i++) {
      boolean mutate = !mutated && i == n - 1 || rnd.nextInt(3) > 0;
      Packet p = randomPacket(rnd, b.version, mutate);
      if (mutate && (rnd.nextInt(3) == 0 || !p.mutated)) {
        p = mutateBytes(rnd, p);
      }
      mutated |= p.mutated;
      b.detail(p.what);
      rest.writeBytes(p.bytes);
    }
    if (pipelined) {
      b.appendToLastWrite(rest.toByteArray());
      b.detail("(pipelined with CONNECT)");
    } else {
      b.write(rest.toByteArray());
    }
  }

  private void mutatedConnect(Random rnd, Builder b, String clientId) {
    b.kind = Kind.MUTATED_CONNECT;
    Packet p = mutatedConnectPacket(rnd, b.version, clientId);
    b.detail(p.what);
    b.write(p.bytes, true);
    if (rnd.nextBoolean()) {
      Packet next = randomPacket(rnd, b.version, false);
      b.detail("then " + next.what);
      b.write(next.bytes);
    }
  }

  private void packetBeforeConnect(Random rnd, Builder b, String clientId) {
    b.kind = Kind.PACKET_BEFORE_CONNECT;
    Packet p = randomPacket(rnd, b.version, rnd.nextInt(4) == 0);
    b.detail(p.what + " before CONNECT");
    b.write(p.bytes, true);
    if (rnd.nextBoolean()) {
      b.detail("then a valid CONNECT");
      b.write(validConnect(b.version, clientId));
    }
  }

  private void randomBytes(Random rnd, Builder b) {
    b.kind = Kind.RANDOM_BYTES;
    byte[] bytes = new byte[1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 4096 : 200)];
    rnd.nextBytes(bytes);
    if (rnd.nextInt(3) == 0) {
      bytes[0] = 0x10; // a CONNECT header gets the decoder further
      b.detail("CONNECT type byte, then random bytes");
    } else {
      b.detail("random bytes");
    }
    b.write(bytes, true);
  }

  private void secondConnect(Random rnd, Builder b, String clientId) {
    b.kind = Kind.SECOND_CONNECT;
    b.write(validConnect(b.version, clientId), true);
    b.cleanFirstConnect = true;
    Packet second;
    switch (rnd.nextInt(6)) {
      case 0 -> second = new Packet("same CONNECT again", validConnect(b.version, clientId), false);
      case 1 ->
          second =
              new Packet(
                  "CONNECT of the other MQTT version",
                  validConnect(9 - b.version, clientId),
                  false);
      case 2 ->
          second =
              new Packet(
                  "CONNECT with another client id",
                  validConnect(b.version, clientId + "-2"),
                  false);
      case 3 ->
          second =
              new Packet(
                  "CONNECT cleanStart=0 (session expiry 3600 in MQTT 5)",
                  connect(
                      "MQTT",
                      b.version,
                      0x00,
                      60,
                      b.version == 5 ? props(prop(0x11, u32(3600))) : null,
                      utf8(clientId),
                      null,
                      null,
                      null,
                      null,
                      null),
                  false);
      default -> second = mutatedConnectPacket(rnd, b.version, clientId);
    }
    b.detail("second " + second.what);
    boolean pipelined = rnd.nextInt(4) == 0;
    if (pipelined) {
      b.appendToLastWrite(second.bytes);
      b.detail("(pipelined)");
    } else {
      b.write(second.bytes);
    }
    if (rnd.nextBoolean()) {
      b.write(
          publish(
              b.version,
              1,
              false,
              false,
              utf8("fz/after-second-connect"),
              1,
              noProps(b.version),
              payload(rnd)));
      b.detail("then PUBLISH q1");
    }
  }

  private void authExchange(Random rnd, Builder b, String clientId) {
    b.kind = Kind.AUTH_EXCHANGE;
    int version = rnd.nextInt(6) == 0 ? 4 : 5;
    b.version = version;
    int variant = rnd.nextInt(4);
    if (variant == 0) {
      b.version = 5;
      // enhanced authentication that the broker does not offer
      String method = pick(rnd, "SCRAM-SHA-1", "", "GS2-KRB5", "x".repeat(300));
      b.write(
          connect(
              "MQTT",
              5,
              0x02,
              60,
              props(prop(0x15, str(method)), prop(0x16, bin(randomBytes(rnd, 16)))),
              utf8(clientId),
              null,
              null,
              null,
              null,
              null),
          true);
      b.detail("CONNECT with authentication method '" + abbreviate(method, 12) + "'");
    } else if (variant == 1) {
      Packet auth = authPacket(rnd);
      b.write(auth.bytes, true);
      b.detail(auth.what + " before CONNECT");
      return;
    } else {
      b.write(validConnect(version, clientId), true);
      b.cleanFirstConnect = true;
      b.detail("valid CONNECT");
    }
    int n = 1 + rnd.nextInt(2);
    for (int i = 0; i < n; i++) {
      Packet auth = authPacket(rnd);
      if (rnd.nextInt(4) == 0) {
        auth = mutateBytes(rnd, auth);
      }
      b.detail(auth.what);
      b.write(auth.bytes);
    }
  }

  private Packet authPacket(Random rnd) {
    int reason =
        pickInt(rnd, 0x00, 0x18, 0x19, 0x01, 0x04, 0x80, 0x87, 0x8C, 0xFF, rnd.nextInt(256));
    Props props =
        switch (rnd.nextInt(5)) {
          case 0 -> new Props("no properties", props());
          case 1 ->
              new Props(
                  "method SCRAM-SHA-1 and data",
                  props(prop(0x15, str("SCRAM-SHA-1")), prop(0x16, bin(randomBytes(rnd, 8)))));
          case 2 -> new Props("method twice", props(prop(0x15, str("A")), prop(0x15, str("B"))));
          default -> randomProps(rnd, 15, 5);
        };
    if (rnd.nextInt(8) == 0) {
      return new Packet("AUTH with no body", new byte[] {(byte) 0xF0, 0x00}, false);
    }
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    v.write(reason);
    v.writeBytes(props.bytes);
    return new Packet(
        "AUTH reason 0x" + Integer.toHexString(reason) + " " + props.what,
        packet(0xF0, v.toByteArray()),
        true);
  }

  private void badFraming(Random rnd, Builder b, byte[] connect, int version) {
    byte[] ping = {(byte) 0xC0, 0x00};
    switch (rnd.nextInt(9)) {
      case 0 -> {
        b.detail("unmasked binary frame with a CONNECT");
        b.write(wsFrame(0x82, connect, false), true);
      }
      case 1 -> {
        b.detail("reserved opcode 0x3 after a valid CONNECT frame");
        b.write(wsFrame(0x82, connect, true), true);
        b.write(wsFrame(0x83, ping, true));
      }
      case 2 -> {
        b.detail("RSV1 set without an extension");
        b.write(wsFrame(0xC2, connect, true), true);
      }
      case 3 -> {
        b.detail("fragmented ping (control frame without FIN)");
        b.write(wsFrame(0x82, connect, true), true);
        b.write(wsFrame(0x09, new byte[] {1, 2}, true));
      }
      case 4 -> {
        b.detail("ping with 126 bytes of payload (control frames carry at most 125)");
        b.write(wsFrame(0x82, connect, true), true);
        b.write(wsFrame(0x89, new byte[126], true));
      }
      case 5 -> {
        b.detail("continuation frame without a first frame");
        b.write(wsFrame(0x80, connect, true), true);
      }
      case 6 -> {
        b.detail("close frame with a one-byte body, after a valid CONNECT frame");
        b.write(wsFrame(0x82, connect, true), true);
        b.write(wsFrame(0x88, new byte[] {3}, true));
      }
      case 7 -> {
        b.detail("64-bit payload length with the top bit set");
        b.write(
            new byte[] {
              (byte) 0x82, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4, 0x10, 0x00
            },
            true);
      }
      default -> {
        byte[] garbage = randomBytes(rnd, 1 + rnd.nextInt(100));
        b.detail("random bytes after the upgrade");
        b.write(garbage, true);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // packets

  /** A packet and what was done to it; {@code mutated}: it is not what a correct client sends. */
  record Packet(String what, byte[] bytes, boolean mutated) {}

  /** Encoded MQTT 5 properties (length included) and what they are. */
  record Props(String what, byte[] bytes) {}

  /** A topic name or filter and what kind it is. */
  record Topic(String what, byte[] bytes, boolean garbage) {}

  static byte[] validConnect(int version, String clientId) {
    return connect(
        "MQTT",
        version,
        0x02,
        60,
        version == 5 ? props() : null,
        utf8(clientId),
        null,
        null,
        null,
        null,
        null);
  }

  /**
   * A CONNECT as given: {@code props} and {@code willProps} are encoded MQTT 5 properties or null
   * (left out); the payload fields are written when not null, whatever the flags say.
   */
  static byte[] connect(
      String protocolName,
      int level,
      int flags,
      int keepAlive,
      byte[] props,
      byte[] clientId,
      byte[] willProps,
      byte[] willTopic,
      byte[] willPayload,
      byte[] user,
      byte[] password) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeString(v, utf8(protocolName));
    v.write(level);
    v.write(flags);
    writeU16(v, keepAlive);
    if (props != null) {
      v.writeBytes(props);
    }
    writeString(v, clientId);
    if (willTopic != null) {
      if (willProps != null) {
        v.writeBytes(willProps);
      }
      writeString(v, willTopic);
      writeString(v, willPayload);
    }
    if (user != null) {
      writeString(v, user);
    }
    if (password != null) {
      writeString(v, password);
    }
    return packet(0x10, v.toByteArray());
  }

  private Packet mutatedConnectPacket(Random rnd, int version, String clientId) {
    List<String> what = new ArrayList<>();
    String protocolName = "MQTT";
    int level = version;
    int flags = 0x02;
    int keepAlive = 60;
    byte[] props = version == 5 ? props() : null;
    byte[] id = utf8(clientId);
    byte[] willProps = null;
    byte[] willTopic = null;
    byte[] willPayload = null;
    byte[] user = null;
    byte[] password = null;
    int mutations = 1 + rnd.nextInt(2);
    for (int m = 0; m < mutations; m++) {
      switch (rnd.nextInt(12)) {
        case 0 -> {
          protocolName =
              pick(rnd, "MQIsdp", "MQTT ", "mqtt", "", "MQTTMQTT", "M\u0000TT", "\u00e9QTT");
          what.add("protocol name '" + protocolName + "'");
        }
        case 1 -> {
          level = pickInt(rnd, 0, 1, 2, 3, 6, 7, 0x84, 255, 9 - version);
          what.add("protocol level " + level);
        }
        case 2 -> {
          flags |= 0x01;
          what.add("reserved flag set");
        }
        case 3 -> {
          int willQos = rnd.nextInt(4);
          flags |= 0x04 | (willQos << 3) | (rnd.nextBoolean() ? 0x20 : 0);
          willProps =
              version == 5
                  ? randomPropsFor(rnd, 0x18, 0x01, 0x02, 0x03, 0x08, 0x09, 0x26).bytes
                  : null;
          Topic t = topic(rnd, false);
          willTopic = t.bytes;
          willPayload = payload(rnd);
          what.add("will QoS " + willQos + " on " + t.what + " topic");
        }
        case 4 -> {
          flags |= pickInt(rnd, 0x04, 0x20, 0x08, 0x18);
          what.add("will flags 0x" + Integer.toHexString(flags) + " without a will");
        }
        case 5 -> {
          flags |= 0x40;
          password = randomBytes(rnd, rnd.nextInt(20));
          what.add("password without user name");
        }
        case 6 -> {
          flags |= 0x80;
          if (rnd.nextBoolean()) {
            user = utf8("user");
            what.add("user name");
          } else {
            what.add("user name flag without a user name");
          }
        }
        case 7 -> {
          flags &= ~0x02;
          if (version == 5) {
            props = props(prop(0x11, u32(pickLong(rnd, 0L, 5L, 3600L, 0xFFFFFFFFL))));
          }
          what.add("cleanStart=0");
        }
        case 8 -> {
          keepAlive = pickInt(rnd, 0, 1, 65535);
          what.add("keep alive " + keepAlive);
        }
        case 9 -> {
          if (version == 5) {
            Props p = randomPropsFor(rnd, 0x11, 0x21, 0x27, 0x22, 0x19, 0x17, 0x26, 0x15, 0x16);
            props = p.bytes;
            what.add("properties: " + p.what);
          } else {
            props = props(prop(0x11, u32(10)));
            what.add("MQTT 5 properties in a 3.1.1 CONNECT");
          }
        }
        case 10 -> {
          int kind = rnd.nextInt(5);
          id =
              switch (kind) {
                case 0 -> new byte[0];
                case 1 -> new byte[] {'c', (byte) 0xC3, 0x28};
                case 2 -> utf8("c".repeat(200 + rnd.nextInt(300)));
                case 3 -> utf8(clientId + "/#+\u0000");
                default -> randomBytes(rnd, rnd.nextInt(30));
              };
          what.add(
              "client id "
                  + nth(kind, "empty", "invalid UTF-8", "long", "with / # + NUL", "random bytes"));
        }
        default -> {
          user = utf8("u");
          password = utf8("p");
          flags |= pickInt(rnd, 0xC0, 0x40, 0x80, 0x00);
          what.add("user name and password, flags 0x" + Integer.toHexString(flags));
        }
      }
    }
    byte[] bytes =
        connect(
            protocolName,
            level,
            flags,
            keepAlive,
            props,
            id,
            willProps,
            willTopic,
            willPayload,
            user,
            password);
    Packet p = new Packet("v" + version + " CONNECT: " + String.join(", ", what), bytes, true);
    return rnd.nextInt(4) == 0 ? mutateBytes(rnd, p) : p;
  }

  /**
   * A PUBLISH, SUBSCRIBE, UNSUBSCRIBE, acknowledgement, PINGREQ, DISCONNECT or AUTH; with field
   * mutations if asked.
   */
  private Packet randomPacket(Random rnd, int version, boolean mutate) {
    int type = rnd.nextInt(100);
    if (type < 35) {
      return randomPublish(rnd, version, mutate);
    } else if (type < 55) {
      return randomSubscribe(rnd, version, mutate, true);
    } else if (type < 62) {
      return randomSubscribe(rnd, version, mutate, false);
    } else if (type < 77) {
      return randomAck(rnd, version, mutate);
    } else if (type < 82) {
      return mutate && rnd.nextBoolean()
          ? new Packet("PINGREQ with flags 1", new byte[] {(byte) 0xC1, 0x00}, true)
          : new Packet("PINGREQ", new byte[] {(byte) 0xC0, 0x00}, false);
    } else if (type < 93) {
      return randomDisconnect(rnd, version, mutate);
    }
    Packet auth = authPacket(rnd);
    return new Packet(auth.what, auth.bytes, auth.mutated || version == 4);
  }

  private Packet randomPublish(Random rnd, int version, boolean mutate) {
    int qos = rnd.nextInt(3);
    boolean retain = rnd.nextInt(5) == 0;
    boolean dup = qos > 0 && rnd.nextInt(5) == 0;
    Topic topic = new Topic("normal", utf8("fz/" + rnd.nextInt(1000)), false);
    byte[] props = noProps(version);
    String propsWhat = "";
    int packetId = 1 + rnd.nextInt(65535);
    List<String> what = new ArrayList<>();
    if (mutate) {
      switch (rnd.nextInt(version == 5 ? 5 : 3)) {
        case 0 -> {
          qos = 3;
          what.add("QoS 3");
        }
        case 1 -> {
          topic = topic(rnd, false);
          what.add(topic.what + " topic");
        }
        case 2 -> {
          packetId = 0;
          qos = 1 + rnd.nextInt(2);
          what.add("packet id 0");
        }
        case 3 -> {
          Props p = randomPropsFor(rnd, 0x01, 0x02, 0x23, 0x08, 0x09, 0x26, 0x0B, 0x03);
          props = p.bytes;
          propsWhat = " properties: " + p.what;
        }
        default -> {
          // topic alias without a topic, or beyond the maximum the broker granted (10)
          int alias = pickInt(rnd, 0, 11, 65535, 1);
          topic = new Topic("empty", new byte[0], true);
          props = props(prop(0x23, u16(alias)));
          what.add("empty topic with topic alias " + alias);
        }
      }
    } else if (version == 5 && rnd.nextBoolean()) {
      Props p = randomProps(rnd, 3, 0x01, 0x02, 0x08, 0x09, 0x26, 0x03);
      props = p.bytes;
      propsWhat = " properties: " + p.what;
    }
    byte[] bytes = publish(version, qos, retain, dup, topic.bytes, packetId, props, payload(rnd));
    return new Packet(
        "PUBLISH q"
            + qos
            + (retain ? " retain" : "")
            + (dup ? " dup" : "")
            + " "
            + String.join(", ", what)
            + propsWhat,
        bytes,
        mutate);
  }

  private Packet randomSubscribe(Random rnd, int version, boolean mutate, boolean subscribe) {
    int headerFlags = 0x02;
    int packetId = 1 + rnd.nextInt(65535);
    byte[] props = noProps(version);
    List<String> what = new ArrayList<>();
    int n = 1 + rnd.nextInt(3);
    ByteArrayOutputStream filters = new ByteArrayOutputStream();
    int mutation = mutate ? rnd.nextInt(version == 5 ? 6 : 5) : -1;
    if (mutation == 0) {
      headerFlags = pickInt(rnd, 0x00, 0x03, 0x0A);
      what.add("header flags " + headerFlags);
    } else if (mutation == 1) {
      packetId = 0;
      what.add("packet id 0");
    } else if (mutation == 2) {
      n = 0;
      what.add("no topic filter");
    } else if (mutation == 5) {
      Props p = subscribe ? randomPropsFor(rnd, 0x0B, 0x26) : randomPropsFor(rnd, 0x26);
      props = p.bytes;
      what.add("properties: " + p.what);
    }
    for (int i = 0; i < n; i++) {
      Topic filter =
          mutation == 3
              ? topic(rnd, true)
              : new Topic(
                  "normal",
                  utf8(pick(rnd, "fz/#", "fz/+/x", "fz/" + rnd.nextInt(100), "$share/g/fz/s", "#")),
                  false);
      if (mutation == 3) {
        what.add(filter.what + " filter");
      }
      writeString(filters, filter.bytes);
      if (subscribe) {
        int options = rnd.nextInt(3) | (version == 5 ? rnd.nextInt(16) << 2 & 0x0C : 0);
        if (mutation == 4) {
          options = pickInt(rnd, 3, 0x40, 0x80, 0x30, 0xFF, version == 4 ? 0x04 : 0x33);
          what.add("options 0x" + Integer.toHexString(options));
        }
        filters.write(options);
      }
    }
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU16(v, packetId);
    if (version == 5) {
      v.writeBytes(props);
    }
    v.writeBytes(filters.toByteArray());
    int type = subscribe ? 0x80 : 0xA0;
    return new Packet(
        (subscribe ? "SUBSCRIBE " : "UNSUBSCRIBE ") + String.join(", ", what),
        packet(type | headerFlags, v.toByteArray()),
        mutate);
  }

  private Packet randomAck(Random rnd, int version, boolean mutate) {
    int type = 4 + rnd.nextInt(4); // PUBACK, PUBREC, PUBREL, PUBCOMP
    String name = List.of("PUBACK", "PUBREC", "PUBREL", "PUBCOMP").get(type - 4);
    int headerFlags = type == 6 ? 0x02 : 0x00;
    int packetId = 1 + rnd.nextInt(65535);
    int reason = -1;
    byte[] props = null;
    String what = "";
    if (mutate) {
      switch (rnd.nextInt(4)) {
        case 0 -> {
          // 0x10 and 0x80.. are valid for PUBACK/PUBREC, 0x92 for PUBREL/PUBCOMP; the rest is not
          reason =
              pickInt(
                  rnd,
                  0x01,
                  0x05,
                  0x11,
                  0x7F,
                  0x81,
                  0x8F,
                  0xA2,
                  0xFF,
                  0x92,
                  0x10,
                  0x87,
                  rnd.nextInt(256));
          what = " reason 0x" + Integer.toHexString(reason);
        }
        case 1 -> {
          headerFlags = type == 6 ? 0x00 : 0x02;
          what = " header flags " + headerFlags;
        }
        case 2 -> {
          packetId = 0;
          what = " packet id 0";
        }
        default -> {
          reason = 0;
          Props p = version == 5 ? randomPropsFor(rnd, 0x1F, 0x26) : new Props("ignored", props());
          props = p.bytes;
          what = " properties: " + p.what;
        }
      }
    } else if (version == 5 && rnd.nextBoolean()) {
      reason = 0;
      props = props(prop(0x1F, str("fine")));
    }
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeU16(v, packetId);
    if (reason >= 0) {
      v.write(reason);
    }
    if (props != null) {
      v.writeBytes(props);
    }
    return new Packet(name + what, packet(type << 4 | headerFlags, v.toByteArray()), mutate);
  }

  private Packet randomDisconnect(Random rnd, int version, boolean mutate) {
    if (!mutate) {
      return new Packet("DISCONNECT", new byte[] {(byte) 0xE0, 0x00}, false);
    }
    int variant = rnd.nextInt(4);
    if (variant == 0) {
      int reason = pickInt(rnd, 0x01, 0x03, 0x05, 0x7F, 0x84, 0x8E, 0xFF, rnd.nextInt(256));
      return new Packet(
          "DISCONNECT reason 0x" + Integer.toHexString(reason),
          new byte[] {(byte) 0xE0, 0x01, (byte) reason},
          true);
    } else if (variant == 1) {
      // MQTT-3.14.2-2: not allowed after a CONNECT with Session Expiry 0
      return new Packet(
          "DISCONNECT with session expiry 3600",
          packet(0xE0, concat(new byte[] {0x00}, props(prop(0x11, u32(3600))))),
          true);
    } else if (variant == 2) {
      Props p = randomPropsFor(rnd, 0x11, 0x1F, 0x26, 0x1C);
      return new Packet(
          "DISCONNECT properties: " + p.what,
          packet(0xE0, concat(new byte[] {0x04}, p.bytes)),
          true);
    }
    return new Packet("DISCONNECT with flags 1", new byte[] {(byte) 0xE1, 0x00}, true);
  }

  static byte[] publish(
      int version,
      int qos,
      boolean retain,
      boolean dup,
      byte[] topic,
      int packetId,
      byte[] props,
      byte[] payload) {
    ByteArrayOutputStream v = new ByteArrayOutputStream();
    writeString(v, topic);
    if (qos > 0) {
      writeU16(v, packetId);
    }
    if (version == 5) {
      v.writeBytes(props);
    }
    v.writeBytes(payload);
    return packet(0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0), v.toByteArray());
  }

  // ------------------------------------------------------------------------------------------ byte
  // mutations

  /**
   * Mutates the encoded packet: bit flips, truncation, wrong or malformed remaining length,
   * garbage.
   */
  private Packet mutateBytes(Random rnd, Packet p) {
    byte[] b = p.bytes;
    int bodyAt = bodyOffset(b);
    int body = b.length - bodyAt;
    String what;
    byte[] out;
    switch (rnd.nextInt(8)) {
      case 0 -> {
        out = b.clone();
        int flips = 1 + rnd.nextInt(3);
        StringBuilder at = new StringBuilder();
        for (int i = 0; i < flips; i++) {
          int bit = rnd.nextInt(out.length * 8);
          out[bit / 8] ^= (byte) (1 << (bit % 8));
          at.append(i == 0 ? "" : ",").append(bit / 8).append('.').append(bit % 8);
        }
        what = "bit flips at " + at;
      }
      case 1 -> {
        int keep = b.length <= 1 ? 0 : 1 + rnd.nextInt(b.length - 1);
        out = Arrays.copyOf(b, keep);
        what = "truncated to " + keep + " of " + b.length + " bytes";
      }
      case 2 -> {
        int longer = body + 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 100_000);
        out =
            concat(
                concat(new byte[] {b[0]}, varInt(longer)), Arrays.copyOfRange(b, bodyAt, b.length));
        what = "remaining length " + longer + " for " + body + " bytes";
      }
      case 3 -> {
        int shorter = body == 0 ? 0 : rnd.nextInt(body);
        out =
            concat(
                concat(new byte[] {b[0]}, varInt(shorter)),
                Arrays.copyOfRange(b, bodyAt, b.length));
        what = "remaining length " + shorter + " for " + body + " bytes";
      }
      case 4 -> {
        byte[] bad =
            pick(
                rnd,
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F},
                new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01},
                new byte[] {
                  (byte) (0x80 | body & 0x7F), 0x00
                }, // not the shortest encoding (MQTT-1.5.5-1)
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        out = concat(concat(new byte[] {b[0]}, bad), Arrays.copyOfRange(b, bodyAt, b.length));
        what = "remaining length encoded as " + hexOf(bad);
      }
      case 5 -> {
        out = b.clone();
        int at = rnd.nextInt(out.length);
        out[at] = (byte) rnd.nextInt(256);
        what = "byte " + at + " set to 0x" + Integer.toHexString(out[at] & 0xFF);
      }
      case 6 -> {
        byte[] extra = randomBytes(rnd, 1 + rnd.nextInt(40));
        out = packet(b[0] & 0xFF, concat(Arrays.copyOfRange(b, bodyAt, b.length), extra));
        what = extra.length + " random bytes appended inside the packet";
      }
      default -> {
        byte[] extra = randomBytes(rnd, 1 + rnd.nextInt(40));
        out = concat(b, extra);
        what = extra.length + " random bytes after the packet";
      }
    }
    return new Packet(p.what + " | " + what, out, true);
  }

  private static int bodyOffset(byte[] p) {
    int i = 1;
    while (i < p.length && i < 5 && (p[i] & 0x80) != 0) {
      i++;
    }
    return Math.min(i + 1, p.length);
  }

  // ------------------------------------------------------------------------------------------
  // fields

  private Topic topic(Random rnd, boolean filter) {
    return switch (rnd.nextInt(12)) {
      case 0 -> new Topic("random-bytes", randomBytes(rnd, rnd.nextInt(40)), true);
      case 1 -> new Topic("invalid-UTF-8", new byte[] {'f', 'z', '/', (byte) 0xC3, 0x28}, true);
      case 2 ->
          new Topic(
              "surrogate", new byte[] {'f', 'z', '/', (byte) 0xED, (byte) 0xA0, (byte) 0x80}, true);
      case 3 -> new Topic("NUL", utf8("fz/a\u0000b"), true);
      case 4 -> {
        String t = pick(rnd, "+", "#", "fz/#/x", "fz+", "fz/#", "fz/+/x", "##", "fz/x#");
        yield new Topic(
            "wildcard '" + t + "'",
            utf8(t),
            !filter || t.equals("##") || t.contains("x#") || t.contains("#/") || t.equals("fz+"));
      }
      case 5 -> new Topic("empty", new byte[0], true);
      case 6 -> new Topic("long", utf8("fz/" + "a/".repeat(500 + rnd.nextInt(1500))), false);
      case 7 -> {
        String t =
            pick(rnd, "$SYS/x", "$share/g/fz", "$share//fz", "$share/g", "$share/g+/fz", "$", "/");
        yield new Topic("'" + t + "'", utf8(t), true);
      }
      case 8 -> new Topic("control characters", utf8("fz/\u0001\u001f\u007f\u0085"), true);
      case 9 -> new Topic("non-characters", utf8("fz/\uFFFF\uFEFF"), true);
      case 10 ->
          new Topic("length prefix beyond the packet", new byte[] {(byte) 0xFF, (byte) 0xFF}, true);
      default -> new Topic("normal", utf8("fz/ok/" + rnd.nextInt(100)), false);
    };
  }

  private static byte[] payload(Random rnd) {
    return randomBytes(rnd, rnd.nextInt(rnd.nextInt(10) == 0 ? 2000 : 40));
  }

  // ------------------------------------------------------------------------------------------
  // properties

  private static final int[] BYTE_PROPS = {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A};
  private static final int[] U16_PROPS = {0x13, 0x21, 0x22, 0x23};
  private static final int[] U32_PROPS = {0x02, 0x11, 0x18, 0x27};
  private static final int[] STRING_PROPS = {0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F};
  private static final int[] BINARY_PROPS = {0x09, 0x16};
  private static final int[] ALL_PROPS = {
    0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C,
    0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A
  };

  /**
   * Properties for a packet that allows {@code allowed}: valid ones with odd values, repeated ones,
   * ones not allowed in this packet, unknown identifiers, and wrong lengths.
   */
  private Props randomPropsFor(Random rnd, int... allowed) {
    switch (rnd.nextInt(7)) {
      case 0 -> {
        return randomProps(rnd, 3, allowed);
      }
      case 1 -> {
        int id = allowed[rnd.nextInt(allowed.length)];
        byte[] one = randomProp(rnd, id);
        return new Props("0x" + Integer.toHexString(id) + " twice", props(one, one));
      }
      case 2 -> {
        int id = ALL_PROPS[rnd.nextInt(ALL_PROPS.length)];
        return new Props(
            "0x" + Integer.toHexString(id) + " (maybe not allowed here)",
            props(randomProp(rnd, id)));
      }
      case 3 -> {
        int id = pickInt(rnd, 0x00, 0x04, 0x05, 0x10, 0x7F, 0x80, 0xFF);
        return new Props(
            "unknown id 0x" + Integer.toHexString(id), props(new byte[] {(byte) id, 1, 2}));
      }
      case 4 -> {
        byte[] one = randomProp(rnd, allowed[rnd.nextInt(allowed.length)]);
        int claimed = one.length + 1 + rnd.nextInt(50);
        return new Props(
            "property length " + claimed + " for " + one.length + " bytes",
            concat(varInt(claimed), one));
      }
      case 5 -> {
        // a string property whose length prefix runs past the properties
        return new Props(
            "string length beyond the properties",
            concat(varInt(4), new byte[] {0x1F, 0x00, 0x40, 'x'}));
      }
      default -> {
        return new Props(
            "property length as 5-byte varint",
            new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
      }
    }
  }

  /**
   * Up to {@code max} valid properties of the allowed identifiers, with random (also boundary)
   * values.
   */
  private static Props randomProps(Random rnd, int max, int... allowed) {
    int n = rnd.nextInt(max + 1);
    List<byte[]> list = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = allowed[rnd.nextInt(allowed.length)];
      list.add(randomProp(rnd, id));
      ids.add("0x" + Integer.toHexString(id));
    }
    return new Props(
        ids.isEmpty() ? "none" : String.join(" ", ids), props(list.toArray(new byte[0][])));
  }

  private static byte[] randomProp(Random rnd, int id) {
    if (contains(BYTE_PROPS, id)) {
      return prop(id, new byte[] {(byte) pickInt(rnd, 0, 1, 2, 0xFF)});
    } else if (contains(U16_PROPS, id)) {
      return prop(id, u16(pickInt(rnd, 0, 1, 10, 65535)));
    } else if (contains(U32_PROPS, id)) {
      return prop(id, u32(pickLong(rnd, 0L, 1L, 60L, 0xFFFFFFFFL)));
    } else if (contains(STRING_PROPS, id)) {
      return prop(
          id,
          rnd.nextInt(4) == 0 ? bin(new byte[] {(byte) 0xC3, 0x28}) : str("v" + rnd.nextInt(100)));
    } else if (contains(BINARY_PROPS, id)) {
      return prop(id, bin(randomBytes(rnd, rnd.nextInt(20))));
    } else if (id == 0x0B) {
      return prop(id, varInt(pickInt(rnd, 0, 1, 268_435_455)));
    }
    return prop(0x26, concat(str("k"), str("v"))); // user property
  }

  static byte[] props(byte[]... entries) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] e : entries) {
      all.writeBytes(e);
    }
    return concat(varInt(all.size()), all.toByteArray());
  }

  static byte[] noProps(int version) {
    return version == 5 ? new byte[] {0} : new byte[0];
  }

  static byte[] prop(int id, byte[] value) {
    return concat(new byte[] {(byte) id}, value);
  }

  // ------------------------------------------------------------------------------------------
  // WebSocket frames

  /**
   * A WebSocket frame with {@code firstByte} (FIN, RSV, opcode), masked as a client must unless
   * told not to.
   */
  static byte[] wsFrame(int firstByte, byte[] payload, boolean masked) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(firstByte);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      f.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      f.write(maskBit | 126);
      writeU16(f, payload.length);
    } else {
      f.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) ((long) payload.length >> shift));
      }
    }
    if (masked) {
      byte[] key = {0x37, (byte) 0xFA, 0x21, 0x3D}; // fixed: the mask has no security role here
      f.writeBytes(key);
      byte[] m = payload.clone();
      for (int i = 0; i < m.length; i++) {
        m[i] ^= key[i % 4];
      }
      f.writeBytes(m);
    } else {
      f.writeBytes(payload);
    }
    return f.toByteArray();
  }

  // ------------------------------------------------------------------------------------------
  // encoding

  static byte[] packet(int firstByte, byte[] body) {
    return concat(concat(new byte[] {(byte) firstByte}, varInt(body.length)), body);
  }

  static byte[] varInt(int value) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    do {
      int digit = value % 128;
      value /= 128;
      o.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
    return o.toByteArray();
  }

  private static void writeU16(ByteArrayOutputStream o, int v) {
    o.write(v >> 8);
    o.write(v);
  }

  private static void writeString(ByteArrayOutputStream o, byte[] s) {
    writeU16(o, s.length);
    o.writeBytes(s);
  }

  static byte[] u16(int v) {
    return new byte[] {(byte) (v >> 8), (byte) v};
  }

  static byte[] u32(long v) {
    return new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v};
  }

  static byte[] str(String s) {
    return bin(utf8(s));
  }

  static byte[] bin(byte[] b) {
    return concat(u16(b.length), b);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static byte[] randomBytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private static String hexOf(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xFF));
    }
    return sb.toString();
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  @SafeVarargs
  private static <T> T pick(Random rnd, T... options) {
    return options[rnd.nextInt(options.length)];
  }

  private static int pickInt(Random rnd, int... options) {
    return options[rnd.nextInt(options.length)];
  }

  private static long pickLong(Random rnd, long... options) {
    return options[rnd.nextInt(options.length)];
  }

  private static String nth(int index, String... options) {
    return options[index];
  }

  /** Collects one input. */
  private static final class Builder {
    final String id;
    int version;
    Framing framing;
    Kind kind;
    String wsPath = "/mqtt";
    String wsSubprotocol = "mqtt";
    String wsRequest;
    boolean cleanFirstConnect;
    final List<String> details = new ArrayList<>();
    final List<byte[]> writes = new ArrayList<>();

    Builder(String id, int version, Framing framing) {
      this.id = id;
      this.version = version;
      this.framing = framing;
    }

    void detail(String d) {
      details.add(d);
    }

    void write(byte[] bytes) {
      writes.add(bytes);
    }

    /** The first write: starts the list anew (a kind may have replaced an earlier default). */
    void write(byte[] bytes, boolean first) {
      if (first) {
        writes.clear();
      }
      writes.add(bytes);
    }

    void appendToLastWrite(byte[] bytes) {
      writes.set(writes.size() - 1, concat(writes.get(writes.size() - 1), bytes));
    }

    Input build() {
      return new Input(
          id,
          kind,
          String.join("; ", details),
          version,
          framing,
          wsPath,
          wsSubprotocol,
          wsRequest,
          List.copyOf(writes),
          cleanFirstConnect);
    }
  }
}
