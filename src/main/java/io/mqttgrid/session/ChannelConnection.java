package io.mqttgrid.session;

/** The outbound window's view of a session's client connection. */
final class ChannelConnection implements OutboundWindow.Connection<OutgoingMessage> {
  private final ClientChannel channel;

  ChannelConnection(ClientChannel channel) {
    this.channel = channel;
  }

  @Override
  public int sendWindow() {
    return channel.sendWindow();
  }

  @Override
  public boolean tooLargeForClient(OutgoingMessage o, int qos) {
    return channel.tooLargeForClient(o.message, qos, o.subscriptionIds);
  }

  @Override
  public void publish(
      OutgoingMessage o, int qos, boolean dup, int packetId, OutboundWindow.Written whenWritten) {
    channel
        .sendPublish(o.message, qos, o.retain, dup, packetId, o.subscriptionIds)
        .onComplete(ar -> whenWritten.done(ar.succeeded()));
  }

  @Override
  public void pubrel(int packetId) {
    channel.sendPubrel(packetId);
  }
}
