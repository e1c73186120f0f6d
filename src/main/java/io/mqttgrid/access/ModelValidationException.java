package io.mqttgrid.access;

/**
 * Namespace model input that breaks a rule of Event Grid's namespace resource model (counts, names,
 * shapes). The message names the field and the rule, so the management API can answer 400 with it
 * and the file loader can log it.
 */
public final class ModelValidationException extends RuntimeException {

  private final String field;

  public ModelValidationException(String field, String rule) {
    super(field + ": " + rule);
    this.field = field;
  }

  /** The JSON path of the offending field, e.g. {@code clients.device1.attributes.floor}. */
  public String field() {
    return field;
  }
}
