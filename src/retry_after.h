/* Retry-After (RFC 9110 §10.2.3) and HTTP-date (RFC 9110 §5.6.7).
 *
 * Pure C, no locale, no libc time conversion: the calendar arithmetic is
 * done here (days-from-civil), so results are the same on every platform.
 *
 * Decisions where the RFC leaves room or real servers stray:
 * - Delays are capped at HS_RA_MAX_DELAY_S. A larger delta-seconds, one too
 *   big for any integer, or a date further ahead gives exactly the cap; the
 *   caller's max_wait decides what to do with it.
 * - delta-seconds is 1*DIGIT only: no sign, no fraction, no trailing junk.
 *   Optional whitespace (SP / HTAB) around the value is ignored (§5.5).
 * - Day and month names, and "GMT", match case-insensitively (the RFC says
 *   case-sensitive; nothing is ambiguous, and curl and browsers accept it).
 * - A day name that is valid but wrong for the date is accepted (as curl and
 *   browsers do); an unknown name is rejected. IMF-fixdate and asctime take
 *   the short names, RFC 850 the long ones.
 * - The calendar date and time must exist: Feb 30, hour 24, minute 60 are
 *   rejected; second 60 (a leap second, §5.6.7) is accepted.
 * - RFC 850 two-digit years are read against now_unix: the year with those
 *   last two digits that is at most 50 years after the current year.
 * - Several Retry-After fields: used when all are the same after trimming,
 *   INVALID when they differ (no way to know which the server meant).
 */
#ifndef HS_RETRY_AFTER_H
#define HS_RETRY_AFTER_H

#include <stdint.h>
#include <stddef.h>

/* Ten years of 365 days: longer than any sane wait, far below overflow. */
#define HS_RA_MAX_DELAY_S ((int64_t)10 * 365 * 86400)

typedef enum hs_ra_kind { HS_RA_NONE = 0, HS_RA_DELTA, HS_RA_DATE, HS_RA_INVALID } hs_ra_kind;

typedef struct hs_retry_after {
  hs_ra_kind kind;
  int64_t delay_s;   /* seconds to wait, >= 0; 0 for NONE/INVALID */
  int past;          /* a date at or before the reference time (delay_s is then 0) */
} hs_retry_after;

/* values: every Retry-After header value of one response (n may be 0).
 * date_value: that response's Date header or NULL; dates are read against it
 * (clock skew) when it parses, else against now_unix. */
hs_retry_after hs__retry_after_parse(const char *const *values, size_t n,
                                     const char *date_value, int64_t now_unix);

/* 0 and *out = Unix seconds on success, -1 if s is not an HTTP-date.
 * Surrounding SP / HTAB is ignored. now_unix only matters for RFC 850 dates. */
int hs__http_date_parse(const char *s, int64_t *out, int64_t now_unix);

/* IMF-fixdate of t into buf (at least 30 bytes). t is clamped to years
 * 0000..9999, the range the 4-digit year can show. */
void hs__http_date_format(int64_t t, char *buf);

#endif
