package io.mqttgrid.routing;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
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
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInput in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
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
