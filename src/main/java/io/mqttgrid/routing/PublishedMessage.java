package io.mqttgrid.routing;

import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One application message as it travels through the broker: from an MQTT or HTTP publisher, or a
 * will. Immutable; the MQTT 5 properties that subscribers receive unchanged travel with it (spec
 * section 1.3).
 *
 * @param id unique across the cluster (node id + counter), used to drop duplicates in a session
 *     queue when a session moves
 * @param expiresAtMillis 0 when the message never expires, else the wall-clock time it expires
 * @param payloadFormat -1 when absent, else 0 or 1
 */
public record PublishedMessage(
    String id,
    String topic,
    byte[] payload,
    int qos,
    boolean retain,
    String publisherClientId,
    long createdAtMillis,
    long expiresAtMillis,
    int payloadFormat,
    String contentType,
    String responseTopic,
    byte[] correlationData,
    List<UserProperty> userProperties) {

  public record UserProperty(String name, String value) {}

  public PublishedMessage {
    userProperties = userProperties == null ? List.of() : List.copyOf(userProperties);
  }

  public PublishedMessage withRetain(boolean newRetain) {
    return newRetain == retain
        ? this
        : new PublishedMessage(
            id,
            topic,
            payload,
            qos,
            newRetain,
            publisherClientId,
            createdAtMillis,
            expiresAtMillis,
            payloadFormat,
            contentType,
            responseTopic,
            correlationData,
            userProperties);
  }

  public PublishedMessage withQos(int newQos) {
    return newQos == qos
        ? this
        : new PublishedMessage(
            id,
            topic,
            payload,
            newQos,
            retain,
            publisherClientId,
            createdAtMillis,
            expiresAtMillis,
            payloadFormat,
            contentType,
            responseTopic,
            correlationData,
            userProperties);
  }

  /**
   * The same message as if published at {@code nowMillis}: its expiry interval counts from then.
   */
  public PublishedMessage publishedAt(long nowMillis) {
    long expires = expiresAtMillis == 0 ? 0 : nowMillis + (expiresAtMillis - createdAtMillis);
    return new PublishedMessage(
        id,
        topic,
        payload,
        qos,
        retain,
        publisherClientId,
        nowMillis,
        expires,
        payloadFormat,
        contentType,
        responseTopic,
        correlationData,
        userProperties);
  }

  public boolean isExpired(long nowMillis) {
    return expiresAtMillis != 0 && nowMillis >= expiresAtMillis;
  }

  /**
   * Seconds left for the Message Expiry Interval sent to a subscriber (MQTT-3.3.2-6), or -1 if
   * none.
   */
  public long remainingExpirySeconds(long nowMillis) {
    if (expiresAtMillis == 0) {
      return -1;
    }
    long left = expiresAtMillis - nowMillis;
    return left <= 0 ? 0 : (left + 999) / 1000;
  }

  /** Rough number of bytes this message holds, for queue bounds. */
  public int weight() {
    return payload.length + topic.length() + 64;
  }

  // A compact binary form, used by the Hazelcast-stored records and the cluster event-bus codec:
  // field by field, so adding a field is a versioned change here and nowhere else.

  private static final int FORMAT = 1;

  public void writeTo(DataOutput out) throws IOException {
    out.writeByte(FORMAT);
    writeString(out, id);
    writeString(out, topic);
    out.writeInt(payload.length);
    out.write(payload);
    out.writeByte(qos);
    out.writeBoolean(retain);
    writeNullable(out, publisherClientId);
    out.writeLong(createdAtMillis);
    out.writeLong(expiresAtMillis);
    out.writeByte(payloadFormat);
    writeNullable(out, contentType);
    writeNullable(out, responseTopic);
    out.writeInt(correlationData == null ? -1 : correlationData.length);
    if (correlationData != null) {
      out.write(correlationData);
    }
    out.writeInt(userProperties.size());
    for (UserProperty p : userProperties) {
      writeString(out, p.name());
      writeString(out, p.value());
    }
  }

  public static PublishedMessage readFrom(DataInput in) throws IOException {
    int format = in.readByte();
    if (format != FORMAT) {
      throw new IOException("unknown message format " + format);
    }
    String id = readString(in);
    String topic = readString(in);
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    int qos = in.readByte();
    boolean retain = in.readBoolean();
    String publisher = readNullable(in);
    long created = in.readLong();
    long expires = in.readLong();
    int payloadFormat = in.readByte();
    String contentType = readNullable(in);
    String responseTopic = readNullable(in);
    int corrLen = in.readInt();
    byte[] corr = null;
    if (corrLen >= 0) {
      corr = new byte[corrLen];
      in.readFully(corr);
    }
    int n = in.readInt();
    List<UserProperty> props = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      props.add(new UserProperty(readString(in), readString(in)));
    }
    return new PublishedMessage(
        id,
        topic,
        payload,
        qos,
        retain,
        publisher,
        created,
        expires,
        payloadFormat,
        contentType,
        responseTopic,
        corr,
        props);
  }

  /**
   * The message in its binary form ({@link #writeTo}), in an array of exactly its size: a stored
   * message is written this way twice (into its queue's Hazelcast entry and its database row), and
   * a growing buffer copied to its size at the end allocated each message's bytes twice over.
   */
  public byte[] toBytes() {
    byte[] bytes = new byte[encodedSize()];
    FixedArrayOutput array = new FixedArrayOutput(bytes);
    try (DataOutputStream out = new DataOutputStream(array)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (array.position != bytes.length) {
      throw new IllegalStateException(
          "message written in " + array.position + " bytes, sized " + bytes.length);
    }
    return bytes;
  }

  /** How many bytes {@link #writeTo} writes. */
  private int encodedSize() {
    int size = 1 + stringSize(id) + stringSize(topic) + 4 + payload.length + 1 + 1;
    size += nullableSize(publisherClientId) + 8 + 8 + 1;
    size += nullableSize(contentType) + nullableSize(responseTopic);
    size += 4 + (correlationData == null ? 0 : correlationData.length) + 4;
    for (UserProperty p : userProperties) {
      size += stringSize(p.name()) + stringSize(p.value());
    }
    return size;
  }

  private static int stringSize(String s) {
    return 4 + (isAscii(s) ? s.length() : s.getBytes(StandardCharsets.UTF_8).length);
  }

  private static int nullableSize(String s) {
    return 1 + (s == null ? 0 : stringSize(s));
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Writes into an array sized beforehand; writing past its end is a sizing bug. */
  private static final class FixedArrayOutput extends OutputStream {
    private final byte[] bytes;
    int position;

    FixedArrayOutput(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public void write(int b) {
      bytes[position++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, bytes, position, len);
      position += len;
    }
  }

  public static PublishedMessage fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
      return readFrom(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // Length-prefixed UTF-8 rather than writeUTF: an MQTT string of 65,535 bytes can exceed
  // writeUTF's limit
  // in its modified encoding.
  private static void writeString(DataOutput out, String s) throws IOException {
    if (isAscii(s)) {
      // UTF-8 of ASCII is its chars' low bytes: no array of them per string (topics, ids)
      out.writeInt(s.length());
      for (int i = 0; i < s.length(); i++) {
        out.write(s.charAt(i));
      }
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInput in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void writeNullable(DataOutput out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      writeString(out, s);
    }
  }

  private static String readNullable(DataInput in) throws IOException {
    return in.readBoolean() ? readString(in) : null;
  }
}
