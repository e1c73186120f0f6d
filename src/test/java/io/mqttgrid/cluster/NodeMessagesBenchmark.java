package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.buffer.Buffer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: a measurement to run by hand (docs/performance.md, "Cross-node QoS 1"). The CPU time
 * this thread spends encoding batches of 256 publishes (64-byte payloads) and decoding them again,
 * with {@link NodeMessages} and with the form it replaced (each message through {@link
 * PublishedMessage#toBytes} and appended, decoded from a copy with {@link
 * PublishedMessage#fromBytes}), alternately, per repetition.
 *
 * <p>{@code java -cp target/classes:target/test-classes:<dependencies>
 * io.mqttgrid.cluster.NodeMessagesBenchmark [batches]} (default 4000).
 */
public final class NodeMessagesBenchmark {

  private static final int BATCH = 256;

  private NodeMessagesBenchmark() {}

  public static void main(String[] args) {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    PublishedMessage[] messages = new PublishedMessage[BATCH];
    for (int i = 0; i < BATCH; i++) {
      messages[i] =
          new PublishedMessage(
              "n1:" + i,
              "bench/throughput/123456789",
              new byte[64],
              1,
              false,
              "bench-pub-123456789",
              1L,
              0L,
              -1,
              null,
              null,
              null,
              null);
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long delivered = 0;
    for (int rep = 0; rep < 8; rep++) {
      long t0 = threads.getCurrentThreadCpuTime();
      for (int k = 0; k < batches; k++) {
        Buffer batch = Buffer.buffer(1024).appendInt(0);
        for (PublishedMessage m : messages) {
          copyingAppend(batch, m);
        }
        delivered += copyingDecode(Buffer.buffer(batch.setInt(0, BATCH).getBytes()));
      }
      long t1 = threads.getCurrentThreadCpuTime();
      for (int k = 0; k < batches; k++) {
        Buffer batch = NodeMessages.newBatch();
        for (PublishedMessage m : messages) {
          NodeMessages.append(batch, m, true, List.of());
        }
        // a copy, as the event bus hands the receiver its own buffer
        Buffer received = Buffer.buffer(NodeMessages.seal(batch, BATCH).getBytes());
        delivered += NodeMessages.decodeBatch(received).size();
      }
      long t2 = threads.getCurrentThreadCpuTime();
      double n = (double) batches * BATCH;
      System.out.printf(
          Locale.ROOT,
          "round %d: copying form %.3f us, NodeMessages %.3f us of CPU per message (encode +"
              + " decode)%n",
          rep + 1,
          (t1 - t0) / n / 1000,
          (t2 - t1) / n / 1000);
    }
    System.out.println(delivered + " messages decoded");
  }

  private static void copyingAppend(Buffer batch, PublishedMessage m) {
    int lengthAt = batch.length();
    batch.appendInt(0).appendByte((byte) 1).appendInt(0).appendBytes(m.toBytes());
    batch.setInt(lengthAt, batch.length() - lengthAt - 4);
  }

  private static int copyingDecode(Buffer b) {
    int count = b.getInt(0);
    int pos = 4;
    for (int i = 0; i < count; i++) {
      int length = b.getInt(pos);
      pos += 4;
      int groups = b.getInt(pos + 1);
      int at = pos + 5;
      for (int g = 0; g < groups; g++) {
        int len = b.getInt(at);
        b.getString(at + 4, at + 4 + len, StandardCharsets.UTF_8.name());
        at += 4 + len;
      }
      PublishedMessage.fromBytes(b.getBytes(at, pos + length));
      pos += length;
    }
    return count;
  }
}
