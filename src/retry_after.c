/* Retry-After and HTTP-date parsing; see retry_after.h for the decisions. */
#include "retry_after.h"

#include <string.h>

#define SECS_PER_DAY 86400

static const char *const day_short[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const day_long[7] = {
  "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
};
static const char *const month_name[12] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* ASCII only, so the result never depends on the locale. */
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_ows(char c) { return c == ' ' || c == '\t'; }  /* RFC 9110 §5.6.3 */
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic
 * Gregorian date (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse, also Hinnant's. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* The range the 4-digit year of an IMF-fixdate can show: 0000-01-01 .. 9999-12-31. */
static int64_t min_time(void) { return days_from_civil(0, 1, 1) * SECS_PER_DAY; }
static int64_t max_time(void) { return days_from_civil(9999, 12, 31) * SECS_PER_DAY + SECS_PER_DAY - 1; }

/* A cursor over [p, end). */
typedef struct cur { const char *p, *end; } cur;

static int lit(cur *c, const char *s) {
  size_t n = strlen(s);
  if ((size_t)(c->end - c->p) < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (to_lower(c->p[i]) != to_lower(s[i])) return 0;
  c->p += n;
  return 1;
}

/* Exactly n digits. */
static int digits(cur *c, int n, int *v) {
  if (c->end - c->p < n) return 0;
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(c->p[i])) return 0;
    x = x * 10 + (c->p[i] - '0');
  }
  c->p += n;
  *v = x;
  return 1;
}

/* A whole alphabetic word matching one of names (case-insensitive); its index or -1. */
static int name(cur *c, const char *const *names, int count) {
  const char *q = c->p;
  while (q < c->end && is_alpha(*q)) q++;
  size_t len = (size_t)(q - c->p);
  for (int i = 0; i < count; i++) {
    if (strlen(names[i]) != len) continue;
    cur t = *c;
    if (lit(&t, names[i])) { c->p = q; return i; }
  }
  return -1;
}

/* time-of-day = hour ":" minute ":" second (§5.6.7) */
static int time_of_day(cur *c, int *h, int *mi, int *s) {
  return digits(c, 2, h) && lit(c, ":") && digits(c, 2, mi) && lit(c, ":") && digits(c, 2, s);
}

/* The RFC 850 two-digit year: the year ending in yy within (cur-50, cur+50],
 * so a year "more than 50 years in the future" falls in the past (§5.6.7). */
static int64_t full_year(int yy, int64_t now_unix) {
  if (now_unix < min_time()) now_unix = min_time();
  if (now_unix > max_time()) now_unix = max_time();
  int64_t cy;
  unsigned m, d;
  civil_from_days(floor_div(now_unix, SECS_PER_DAY), &cy, &m, &d);
  int64_t y = cy - cy % 100 + yy;
  if (y > cy + 50) y -= 100;
  else if (y <= cy - 50) y += 100;
  return y;
}

static int parse_date(const char *b, const char *e, int64_t *out, int64_t now_unix) {
  cur c = { b, e };
  int64_t year;
  int mon, day, h, mi, s, y;

  if (name(&c, day_short, 7) >= 0) {
    if (c.p < c.end && *c.p == ',') {
      /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
      if (!(lit(&c, ", ") && digits(&c, 2, &day) && lit(&c, " "))) return -1;
      if ((mon = name(&c, month_name, 12)) < 0) return -1;
      if (!(lit(&c, " ") && digits(&c, 4, &y) && lit(&c, " ") &&
            time_of_day(&c, &h, &mi, &s) && lit(&c, " GMT")))
        return -1;
      year = y;
    } else {
      /* asctime: Sun Nov  6 08:49:37 1994, day = 2DIGIT / ( SP DIGIT ) */
      if (!lit(&c, " ") || (mon = name(&c, month_name, 12)) < 0 || !lit(&c, " ")) return -1;
      if (lit(&c, " ")) {
        if (!digits(&c, 1, &day)) return -1;
      } else if (!digits(&c, 2, &day)) {
        return -1;
      }
      if (!(lit(&c, " ") && time_of_day(&c, &h, &mi, &s) && lit(&c, " ") && digits(&c, 4, &y)))
        return -1;
      year = y;
    }
  } else if (name(&c, day_long, 7) >= 0) {
    /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
    if (!(lit(&c, ", ") && digits(&c, 2, &day) && lit(&c, "-"))) return -1;
    if ((mon = name(&c, month_name, 12)) < 0) return -1;
    if (!(lit(&c, "-") && digits(&c, 2, &y) && lit(&c, " ") &&
          time_of_day(&c, &h, &mi, &s) && lit(&c, " GMT")))
      return -1;
    year = full_year(y, now_unix);
  } else {
    return -1;
  }
  if (c.p != c.end) return -1;

  /* The date must exist; second 60 is a leap second (§5.6.7). The day name
   * is not checked against the date (see retry_after.h). */
  if (day < 1 || (unsigned)day > days_in_month(year, (unsigned)mon + 1)) return -1;
  if (h > 23 || mi > 59 || s > 60) return -1;
  *out = days_from_civil(year, (unsigned)mon + 1, (unsigned)day) * SECS_PER_DAY +
         h * 3600 + mi * 60 + s;
  return 0;
}

static void trim(const char *s, const char **b, const char **e) {
  const char *p = s ? s : "";
  const char *q = p + strlen(p);
  while (p < q && is_ows(*p)) p++;
  while (q > p && is_ows(q[-1])) q--;
  *b = p;
  *e = q;
}

int hs__http_date_parse(const char *s, int64_t *out, int64_t now_unix) {
  if (!s || !out) return -1;
  const char *b, *e;
  trim(s, &b, &e);
  return parse_date(b, e, out, now_unix);
}

void hs__http_date_format(int64_t t, char *buf) {
  if (t < min_time()) t = min_time();
  if (t > max_time()) t = max_time();
  int64_t days = floor_div(t, SECS_PER_DAY);
  int64_t secs = t - days * SECS_PER_DAY;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  /* 1970-01-01 was a Thursday. */
  int wd = (int)(((days % 7) + 7 + 4) % 7);
  int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
  int yy = (int)y;

  /* Fixed layout, every field in range after the clamp: no snprintf needed. */
  char *p = buf;
  memcpy(p, day_short[wd], 3); p += 3;
  *p++ = ','; *p++ = ' ';
  *p++ = (char)('0' + d / 10); *p++ = (char)('0' + d % 10);
  *p++ = ' ';
  memcpy(p, month_name[m - 1], 3); p += 3;
  *p++ = ' ';
  *p++ = (char)('0' + yy / 1000); *p++ = (char)('0' + yy / 100 % 10);
  *p++ = (char)('0' + yy / 10 % 10); *p++ = (char)('0' + yy % 10);
  *p++ = ' ';
  *p++ = (char)('0' + h / 10); *p++ = (char)('0' + h % 10); *p++ = ':';
  *p++ = (char)('0' + mi / 10); *p++ = (char)('0' + mi % 10); *p++ = ':';
  *p++ = (char)('0' + s / 10); *p++ = (char)('0' + s % 10);
  memcpy(p, " GMT", 5);  /* with the NUL: 29 characters + 1 */
}

hs_retry_after hs__retry_after_parse(const char *const *values, size_t n,
                                     const char *date_value, int64_t now_unix) {
  hs_retry_after r = { HS_RA_NONE, 0, 0 };
  if (n == 0 || !values) return r;
  r.kind = HS_RA_INVALID;

  const char *b, *e;
  trim(values[0], &b, &e);
  /* Retry-After is a singleton field: repeats are fine only if they agree. */
  for (size_t i = 1; i < n; i++) {
    const char *b2, *e2;
    trim(values[i], &b2, &e2);
    if (e2 - b2 != e - b || memcmp(b, b2, (size_t)(e - b)) != 0) return r;
  }
  if (b == e) return r;

  if (is_digit(*b)) {
    /* delta-seconds = 1*DIGIT (§10.2.3); too large clamps to the cap. */
    int64_t v = 0;
    for (const char *p = b; p < e; p++) {
      if (!is_digit(*p)) return r;
      if (v < HS_RA_MAX_DELAY_S) v = v * 10 + (*p - '0');
    }
    r.kind = HS_RA_DELTA;
    r.delay_s = v > HS_RA_MAX_DELAY_S ? HS_RA_MAX_DELAY_S : v;
    return r;
  }

  int64_t t, ref = now_unix;
  if (parse_date(b, e, &t, now_unix) != 0) return r;
  int64_t server_now;
  /* The server's own clock, when it says, cancels out skew between clocks. */
  if (date_value && hs__http_date_parse(date_value, &server_now, now_unix) == 0) ref = server_now;
  r.kind = HS_RA_DATE;
  if (t <= ref) {
    r.past = 1;
  } else if (ref < t - HS_RA_MAX_DELAY_S) {  /* t is bounded, so no overflow here */
    r.delay_s = HS_RA_MAX_DELAY_S;
  } else {
    r.delay_s = t - ref;
  }
  return r;
}
