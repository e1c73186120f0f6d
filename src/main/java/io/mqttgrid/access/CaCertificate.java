package io.mqttgrid.access;

/** A CA certificate client certificates may chain to (as Event Grid's CA certificate resource). */
public record CaCertificate(String name, String description, String encodedCertificate) {}
