package io.mqttgrid.cluster;

import io.mqttgrid.routing.PublishedMessage;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a publish sent to another node (never JSON, ARCHITECTURE.md lesson 3): whether
 * that node's plain subscriptions match, the shared groups it must serve, then the message.
 */
final class NodeMessages {

  record Delivery(PublishedMessage message, boolean plain, List<String> sharedGroups) {}

  private NodeMessages() {}

  static Buffer encode(PublishedMessage message, boolean plain, List<String> sharedGroups) {
    Buffer b = Buffer.buffer(message.payload().length + 128);
    b.appendByte((byte) (plain ? 1 : 0));
    b.appendInt(sharedGroups.size());
    for (String g : sharedGroups) {
      byte[] bytes = g.getBytes(StandardCharsets.UTF_8);
      b.appendInt(bytes.length).appendBytes(bytes);
    }
    b.appendBytes(message.toBytes());
    return b;
  }

  static Delivery decode(Buffer b) {
    int pos = 0;
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
    PublishedMessage message = PublishedMessage.fromBytes(b.getBytes(pos, b.length()));
    return new Delivery(message, plain, groups);
  }
}
