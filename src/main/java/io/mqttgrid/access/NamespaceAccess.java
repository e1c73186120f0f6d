package io.mqttgrid.access;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's access control: the namespace model as last compiled. A new model is compiled once,
 * off the event loops, and swapped in whole with its version; sessions then recompute their rights
 * from it.
 */
public final class NamespaceAccess implements AccessControl {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceAccess.class);

  /** A compiled policy and the version of the model it was compiled from, swapped together. */
  private record Compiled(AccessPolicy policy, long modelVersion) {}

  private final boolean allowNotInQueries;
  private volatile Compiled compiled;
  private List<String> reported = List.of();

  public NamespaceAccess(NamespaceModel model, long modelVersion, boolean allowNotInQueries) {
    this.allowNotInQueries = allowNotInQueries;
    update(model, modelVersion);
  }

  /**
   * Compiles a new model version; resources that cannot be used are logged once and grant nothing.
   * A version older than the one in use is ignored.
   */
  public synchronized void update(NamespaceModel model, long modelVersion) {
    if (compiled != null && modelVersion < compiled.modelVersion()) {
      return;
    }
    AccessPolicy policy = AccessPolicy.compile(model, allowNotInQueries);
    compiled = new Compiled(policy, modelVersion);
    if (!policy.problems().equals(reported)) {
      for (String problem : policy.problems()) {
        LOG.warn("namespace model: {} (left out, grants nothing)", problem);
      }
      reported = policy.problems();
    }
  }

  @Override
  public Permissions permissionsFor(ClientIdentity identity) {
    return compiled.policy().permissionsFor(identity);
  }

  /** Whether client-group queries may use {@code not} ({@code namespace.allow-not-in-queries}). */
  public boolean allowNotInQueries() {
    return allowNotInQueries;
  }

  /** The policy sessions are authorized by now (the management API's access explainer reads it). */
  public AccessPolicy policy() {
    return compiled.policy();
  }

  @Override
  public long modelVersion() {
    return compiled.modelVersion();
  }

  /** The parse error of a client-group query, or null when it parses (for input validation). */
  public static String queryProblem(String query, boolean allowNot) {
    try {
      ClientGroupQuery.parse(query, allowNot);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** The parse error of a topic template, or null when it parses (for input validation). */
  public static String templateProblem(String template) {
    try {
      TopicTemplate.parse(template);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }
}
