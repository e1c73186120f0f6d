package io.mqttgrid.access;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's access control: the namespace model as last compiled. A new model is compiled once, off the
 * event loops, and swapped in whole; sessions then recompute their rights from it.
 */
public final class NamespaceAccess implements AccessControl {

  private static final Logger LOG = LoggerFactory.getLogger(NamespaceAccess.class);

  private final boolean allowNotInQueries;
  private volatile AccessPolicy policy;
  private List<String> reported = List.of();

  public NamespaceAccess(NamespaceModel model, boolean allowNotInQueries) {
    this.allowNotInQueries = allowNotInQueries;
    update(model);
  }

  /** Compiles a new model version; resources that cannot be used are logged once and grant nothing. */
  public synchronized void update(NamespaceModel model) {
    AccessPolicy compiled = AccessPolicy.compile(model, allowNotInQueries);
    policy = compiled;
    if (!compiled.problems().equals(reported)) {
      for (String problem : compiled.problems()) {
        LOG.warn("namespace model: {} (left out, grants nothing)", problem);
      }
      reported = compiled.problems();
    }
  }

  @Override
  public Permissions permissionsFor(ClientIdentity identity) {
    return policy.permissionsFor(identity);
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
