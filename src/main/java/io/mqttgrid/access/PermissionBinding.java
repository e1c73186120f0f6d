package io.mqttgrid.access;

/**
 * Grants a client group publish or subscribe rights on a topic space (Event Grid's permission
 * bindings).
 */
public record PermissionBinding(
    String name,
    String description,
    String clientGroupName,
    String topicSpaceName,
    Permission permission) {

  public enum Permission {
    Publisher,
    Subscriber
  }
}
