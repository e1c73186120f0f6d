package io.mqttgrid.access;

/** A CA certificate client certificates may chain to (spec section 2.7). */
public record CaCertificate(String name, String description, String encodedCertificate) {}
