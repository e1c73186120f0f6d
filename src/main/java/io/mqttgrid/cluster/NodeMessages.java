package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.mqttgrid.routing.QueueFullException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    write(bytesOf(b), message, plain, sharedGroups);
    return b;
  }

  /**
   * Writes one publish straight into the buffer it travels in, the message through {@link
   * PublishedMessage#writeTo} (the same bytes as {@link PublishedMessage#toBytes}, so nodes of
   * either version read each other), without an intermediate array to grow and copy.
   */
  private static void write(
      ByteBuf out, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    out.writeByte(plain ? 1 : 0);
    out.writeInt(sharedGroups.size());
    for (String g : sharedGroups) {
      int lengthAt = out.writerIndex();
      out.writeInt(0);
      out.setInt(lengthAt, out.writeCharSequence(g, StandardCharsets.UTF_8));
    }
    try {
      message.writeTo(new ByteBufOutputStream(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteBuf grows; it never fails a write
    }
  }

  static Delivery decode(Buffer b) {
    ByteBuf in = bytesOf(b);
    return decode(in, 0, in.writerIndex());
  }

  /**
   * Reads one publish from {@code in} where it lies (a slice shares the received frame's memory):
   * only the message's own fields are copied out, into the arrays and strings it holds.
   */
  private static Delivery decode(ByteBuf frame, int start, int end) {
    ByteBuf in = frame.slice(start, end - start);
    boolean plain = in.readByte() == 1;
    int n = in.readInt();
    if (n < 0 || n > in.readableBytes() / 4) {
      throw new IllegalArgumentException("impossible number of shared groups " + n);
    }
    List<String> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = in.readInt();
      if (len < 0 || len > in.readableBytes()) {
        throw new IllegalArgumentException("shared group " + i + " is cut off");
      }
      groups.add(in.readCharSequence(len, StandardCharsets.UTF_8).toString());
    }
    try {
      return new Delivery(PublishedMessage.readFrom(new ByteBufInputStream(in)), plain, groups);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable message: " + e, e);
    }
  }

  /**
   * The Netty buffer under a Vert.x one, to write into and read from in place. Vert.x's Buffer
   * offers only whole-array appends and copying reads; its internal interface (meant for code
   * integrating with Netty) gives the ByteBuf itself, whose {@code writerIndex} is the Buffer's
   * length.
   */
  private static ByteBuf bytesOf(Buffer b) {
    return b instanceof BufferInternal internal
        ? internal.unwrap()
        : Unpooled.wrappedBuffer(b.getBytes());
  }

  /** A batch with no publish yet: {@link #append} adds them, {@link #seal} completes it. */
  static Buffer newBatch() {
    return Buffer.buffer(1024).appendInt(0);
  }

  /** Adds one publish to the end of {@code batch}, written in place. */
  static void append(
      Buffer batch, PublishedMessage message, boolean plain, List<String> sharedGroups) {
    if (!(batch instanceof BufferInternal internal)) {
      throw new IllegalArgumentException("not a buffer of newBatch(): " + batch.getClass());
    }
    ByteBuf out = internal.unwrap();
    int lengthAt = out.writerIndex();
    out.writeInt(0);
    write(out, message, plain, sharedGroups);
    out.setInt(lengthAt, out.writerIndex() - lengthAt - 4);
  }

  /** Writes the number of publishes {@code batch} holds into it. */
  static Buffer seal(Buffer batch, int count) {
    return batch.setInt(0, count);
  }

  static List<Delivery> decodeBatch(Buffer b) {
    ByteBuf in = bytesOf(b);
    int total = in.writerIndex();
    int count = in.getInt(0);
    if (count < 0) {
      throw new IllegalArgumentException("negative count " + count);
    }
    List<Delivery> batch = new ArrayList<>(Math.min(count, 4096));
    int pos = 4;
    for (int i = 0; i < count; i++) {
      if (pos + 4 > total) {
        throw new IllegalArgumentException("publish " + i + " of " + count + " is missing");
      }
      int length = in.getInt(pos);
      pos += 4;
      if (length < 0 || pos + length > total) {
        throw new IllegalArgumentException("publish " + i + " of " + count + " is cut off");
      }
      batch.add(decode(in, pos, pos + length));
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
