package io.mqttgrid.http;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code api-version} query parameter every Event Grid data-plane request carries. A version is
 * a date, {@code YYYY-MM-DD} or {@code YYYY-MM-DD-preview}; MQTT Grid serves each API from the
 * first version that had it onwards (the documented previews, and any later preview or GA version,
 * which keeps clients working when Microsoft moves the version on), and refuses a missing or older
 * one as Event Grid does.
 */
final class ApiVersions {

  /**
   * HTTP publish: the how-to's version (2025-02-15-preview) and its later revision
   * (2025-08-01-preview).
   */
  static final LocalDate PUBLISH_SINCE = LocalDate.of(2025, 2, 15);

  /** The retained-message API: 2025-11-16-preview. */
  static final LocalDate RETAINED_SINCE = LocalDate.of(2025, 11, 16);

  private static final Pattern VERSION = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})(-preview)?");

  private ApiVersions() {}

  /** Refuses (400) a missing api-version, one not of the date form, or one before {@code since}. */
  static void require(String version, LocalDate since) {
    if (version == null || version.isEmpty()) {
      throw ApiException.badRequest(
          "MissingApiVersion",
          "the query parameter 'api-version' is required, e.g. "
              + "api-version="
              + since
              + "-preview");
    }
    Matcher m = VERSION.matcher(version);
    LocalDate date = null;
    if (m.matches()) {
      try {
        date =
            LocalDate.of(
                Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)));
      } catch (DateTimeException e) {
        date = null;
      }
    }
    if (date == null || date.isBefore(since)) {
      throw ApiException.badRequest(
          "UnsupportedApiVersion",
          "api-version '"
              + version
              + "' is not supported here; "
              + "use "
              + since
              + "-preview or a later version");
    }
  }
}
