package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary forms of what nodes send each other for a delivery (never JSON: a compact binary form
 * per message). A publish: whether the receiving node's plain subscriptions match, the shared
 * groups it must serve, then the message. A batch: the number of publishes, then each with its
 * length, in the order they are to be delivered. The answer to a batch: one outcome per publish, in
 * the same order.
 */
final class NodeMessages {

  record Delivery(PublishedMessage message, boolean plain, List<String> sharedGroups) {}

  /** What became of one publish of a batch on the node that received it. */
  private static final byte DELIVERED = 0;

  private static final byte QUEUE_FULL = 1;
  private static final byte FAILED = 2;

  private NodeMessages() {}

  static Buffer encode(PublishedMessage message, boolean plain, List<String> sharedGroups) {
    Buffer b = Buffer.buffer(message.payload().length + 128);
    appendTo(b, message, plain, sharedGroups);
    return b;
  }

  private static void appendTo(
      Buffer b, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    b.appendByte((byte) (plain ? 1 : 0));
    b.appendInt(sharedGroups.size());
    for (String g : sharedGroups) {
      byte[] bytes = g.getBytes(StandardCharsets.UTF_8);
      b.appendInt(bytes.length).appendBytes(bytes);
    }
    b.appendBytes(message.toBytes());
  }

  static Delivery decode(Buffer b) {
    return decode(b, 0, b.length());
  }

  private static Delivery decode(Buffer b, int start, int end) {
    int pos = start;
    boolean plain = b.getByte(pos++) == 1;
    int n = b.getInt(pos);
    pos += 4;
    List<String> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = b.getInt(pos);
      pos += 4;
      groups.add(b.getString(pos, pos + len, "UTF-8"));
      pos += len;
    }
    PublishedMessage message = PublishedMessage.fromBytes(b.getBytes(pos, end));
    return new Delivery(message, plain, groups);
  }

  /** A batch with no publish yet: {@link #append} adds them, {@link #seal} completes it. */
  static Buffer newBatch() {
    return Buffer.buffer(1024).appendInt(0);
  }

  /** Adds one publish to the end of {@code batch}. */
  static void append(
      Buffer batch, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    int lengthAt = batch.length();
    batch.appendInt(0);
    appendTo(batch, message, plain, sharedGroups);
    batch.setInt(lengthAt, batch.length() - lengthAt - 4);
  }

  /** Writes the number of publishes {@code batch} holds into it. */
  static Buffer seal(Buffer batch, int count) {
    return batch.setInt(0, count);
  }

  static List<Delivery> decodeBatch(Buffer b) {
    int count = b.getInt(0);
    if (count < 0) {
      throw new IllegalArgumentException("negative count " + count);
    }
    List<Delivery> batch = new ArrayList<>(Math.min(count, 4096));
    int pos = 4;
    for (int i = 0; i < count; i++) {
      int length = b.getInt(pos);
      pos += 4;
      if (length < 0 || pos + length > b.length()) {
        throw new IllegalArgumentException("publish " + i + " of " + count + " is cut off");
      }
      batch.add(decode(b, pos, pos + length));
      pos += length;
    }
    return batch;
  }

  /**
   * The answer to a batch: for each publish, in order, the number of subscribers that hold it, or
   * why they do not (their queues are full; another failure with its event-bus failure code).
   */
  static Buffer encodeOutcomes(List<Future<Integer>> outcomes) {
    Buffer b = Buffer.buffer(4 + outcomes.size() * 5).appendInt(outcomes.size());
    for (Future<Integer> f : outcomes) {
      if (f.succeeded()) {
        b.appendByte(DELIVERED).appendInt(f.result());
      } else if (f.cause() instanceof QueueFullException) {
        appendString(b.appendByte(QUEUE_FULL), f.cause().getMessage());
      } else {
        int code = f.cause() instanceof ReplyException r ? r.failureCode() : 500;
        appendString(b.appendByte(FAILED).appendInt(code), f.cause().getMessage());
      }
    }
    return b;
  }

  /**
   * The outcomes {@link #encodeOutcomes} wrote, as the futures the publishers wait on see them: a
   * count, a {@link QueueFullException} or a {@link ReplyException} (RECIPIENT_FAILURE with the
   * receiver's code), as a request per publish used to fail.
   */
  static List<Future<Integer>> decodeOutcomes(Buffer b) {
    int count = b.getInt(0);
    List<Future<Integer>> outcomes = new ArrayList<>(Math.min(Math.max(count, 0), 4096));
    int pos = 4;
    for (int i = 0; i < count; i++) {
      byte kind = b.getByte(pos++);
      switch (kind) {
        case DELIVERED -> {
          outcomes.add(Future.succeededFuture(b.getInt(pos)));
          pos += 4;
        }
        case QUEUE_FULL -> {
          String message = readString(b, pos);
          pos += 4 + b.getInt(pos);
          outcomes.add(Future.failedFuture(new QueueFullException(message)));
        }
        case FAILED -> {
          int code = b.getInt(pos);
          pos += 4;
          String message = readString(b, pos);
          pos += 4 + b.getInt(pos);
          outcomes.add(
              Future.failedFuture(
                  new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message)));
        }
        default -> throw new IllegalArgumentException("unknown outcome " + kind);
      }
    }
    return outcomes;
  }

  private static void appendString(Buffer b, String s) {
    byte[] bytes = String.valueOf(s).getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static String readString(Buffer b, int pos) {
    int len = b.getInt(pos);
    return b.getString(pos + 4, pos + 4 + len, "UTF-8");
  }
}
