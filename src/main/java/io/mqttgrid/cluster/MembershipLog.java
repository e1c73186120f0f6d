package io.mqttgrid.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line per member that joins or leaves, with the member count after it: Hazelcast itself logs at
 * WARN here (logback.xml), and an operator wants to see a cluster grow and shrink.
 */
public final class MembershipLog implements MembershipListener {

  private static final Logger LOG = LoggerFactory.getLogger(MembershipLog.class);

  private final String nodeId;

  public MembershipLog(String nodeId) {
    this.nodeId = nodeId;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.info("node {}: cluster member {} joined, {} members", nodeId, event.getMember().getAddress(),
        event.getMembers().size());
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    LOG.info("node {}: cluster member {} left, {} members", nodeId, event.getMember().getAddress(),
        event.getMembers().size());
  }
}
