package io.mqttgrid.access;

/**
 * Stands in for an Azure RBAC role assignment (Event Grid's Microsoft Entra ID JWT authentication):
 * an {@code OAUTH2-JWT} principal (its {@code oid}) may publish or subscribe on one topic space, or
 * on all of them.
 *
 * @param principalId the token's object id, which is the principal's authentication name
 * @param topicSpaceName the scope: one topic space, or null for the whole namespace
 */
public record RoleAssignment(
    String name, String principalId, PermissionBinding.Permission role, String topicSpaceName) {}
