/* Unit tests for src/retry_after.c: Retry-After and HTTP-date. */
#include "retry_after.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      failures++;                                          \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);          \
      printf(__VA_ARGS__);                                 \
      printf("\n");                                        \
    }                                                      \
  } while (0)

#define NOW INT64_C(1700000000)      /* Tue, 14 Nov 2023 22:13:20 GMT */
#define NOW_2099 INT64_C(4083955200) /* Mon, 01 Jun 2099 00:00:00 GMT */
#define T1994 INT64_C(784111777)     /* Sun, 06 Nov 1994 08:49:37 GMT */
#define CAP HS_RA_MAX_DELAY_S

/* ---- hs__http_date_parse ------------------------------------------------ */

typedef struct date_case {
  const char *s;
  int64_t now;
  int ok;       /* expect 0 */
  int64_t t;    /* expected Unix time when ok */
} date_case;

static const date_case date_cases[] = {
  /* the three forms of RFC 9110 §5.6.7, all the same instant */
  { "Sun, 06 Nov 1994 08:49:37 GMT", NOW, 1, T1994 },
  { "Sunday, 06-Nov-94 08:49:37 GMT", NOW, 1, T1994 },
  { "Sun Nov  6 08:49:37 1994", NOW, 1, T1994 },
  { "Sun Nov 06 08:49:37 1994", NOW, 1, T1994 },          /* date3 allows 2DIGIT */
  { "Wed Nov 16 08:49:37 1994", NOW, 1, T1994 + 10 * 86400 },
  /* optional whitespace around the value */
  { "  Sun, 06 Nov 1994 08:49:37 GMT\t ", NOW, 1, T1994 },
  /* epoch, leap days, leap second, range ends */
  { "Thu, 01 Jan 1970 00:00:00 GMT", NOW, 1, 0 },
  { "Wed, 31 Dec 1969 23:59:59 GMT", NOW, 1, -1 },
  { "Tue, 29 Feb 2000 00:00:00 GMT", NOW, 1, INT64_C(951782400) },
  { "Thu, 29 Feb 2024 12:00:00 GMT", NOW, 1, INT64_C(1709208000) },
  { "Sun, 06 Nov 1994 23:59:60 GMT", NOW, 1, INT64_C(784166400) },
  { "Fri, 31 Dec 9999 23:59:59 GMT", NOW, 1, INT64_C(253402300799) },
  { "Sat, 01 Jan 0000 00:00:00 GMT", NOW, 1, INT64_C(-62167219200) },
  /* lenient: case-insensitive names, wrong but valid weekday */
  { "sun, 06 nov 1994 08:49:37 gmt", NOW, 1, T1994 },
  { "SUNDAY, 06-NOV-94 08:49:37 GMT", NOW, 1, T1994 },
  { "Mon, 06 Nov 1994 08:49:37 GMT", NOW, 1, T1994 },
  { "Friday, 06-Nov-94 08:49:37 GMT", NOW, 1, T1994 },
  { "Thu Nov  6 08:49:37 1994", NOW, 1, T1994 },
  /* RFC 850 two-digit years: at most 50 years ahead of now, else the past century */
  { "Sunday, 01-Jan-73 00:00:00 GMT", NOW, 1, INT64_C(3250454400) },   /* 2073: 50 years ahead */
  { "Tuesday, 01-Jan-74 00:00:00 GMT", NOW, 1, INT64_C(126230400) },   /* 2074 is 51: 1974 */
  { "Sunday, 01-Jan-23 00:00:00 GMT", NOW, 1, INT64_C(1672531200) },
  { "Monday, 01-Jan-01 00:00:00 GMT", NOW_2099, 1, INT64_C(4133980800) }, /* 2101, not 2001 */
  { "Monday, 01-Jan-01 00:00:00 GMT", NOW, 1, INT64_C(978307200) },
  { "Sunday, 06-Nov-94 08:49:37 GMT", NOW_2099, 1, INT64_C(784111777) + INT64_C(3155760000) },
  /* rejected: impossible dates and times */
  { "Mon, 30 Feb 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 29 Feb 2023 08:49:37 GMT", NOW, 0, 0 },
  { "Thu, 29 Feb 1900 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 31 Apr 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 00 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 32 Dec 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 25:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 24:00:00 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:60:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:61 GMT", NOW, 0, 0 },
  { "Sun Nov 31 08:49:37 1994", NOW, 0, 0 },
  /* rejected: unknown names, wrong name length for the form */
  { "Sux, 06 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nox 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 November 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sunday, 06 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06-Nov-94 08:49:37 GMT", NOW, 0, 0 },
  { "Sunday Nov  6 08:49:37 1994", NOW, 0, 0 },
  { "Sundae, 06-Nov-94 08:49:37 GMT", NOW, 0, 0 },
  /* rejected: zone must be GMT, present */
  { "Sun, 06 Nov 1994 08:49:37 UTC", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:37 +0000", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:37", NOW, 0, 0 },
  { "Sunday, 06-Nov-94 08:49:37", NOW, 0, 0 },
  { "Sunday, 06-Nov-94 08:49:37 EST", NOW, 0, 0 },
  { "Sun Nov  6 08:49:37 1994 GMT", NOW, 0, 0 },
  /* rejected: layout */
  { "Sun, 6 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun,  06 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun,06 Nov 1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 94 08:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 8:49:37 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49 GMT", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:37 GMTx", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:37 GMT junk", NOW, 0, 0 },
  { "Sun, 06 Nov 19945 08:49:37 GMT", NOW, 0, 0 },
  { "Sunday, 06-Nov-1994 08:49:37 GMT", NOW, 0, 0 },
  { "Sun Nov 6 08:49:37 1994", NOW, 0, 0 },
  { "Sun Nov  6 08:49:37 94", NOW, 0, 0 },
  { "Sun Nov   6 08:49:37 1994", NOW, 0, 0 },
  { "Sun Nov  x 08:49:37 1994", NOW, 0, 0 },
  { "Sun", NOW, 0, 0 },
  { "Sun,", NOW, 0, 0 },
  { "", NOW, 0, 0 },
  { "   ", NOW, 0, 0 },
  { "120", NOW, 0, 0 },
  { "1994-11-06T08:49:37Z", NOW, 0, 0 },
  { "Sun, 06 Nov 1994 08:49:37 GMT\n", NOW, 0, 0 },  /* only SP / HTAB are OWS */
};

static void test_date_parse(void) {
  for (size_t i = 0; i < sizeof date_cases / sizeof *date_cases; i++) {
    const date_case *c = &date_cases[i];
    int64_t t = -12345;
    int rc = hs__http_date_parse(c->s, &t, c->now);
    if (c->ok) {
      CHECK(rc == 0 && t == c->t, "date \"%s\": rc %d t %" PRId64 ", want %" PRId64,
            c->s, rc, t, c->t);
    } else {
      CHECK(rc == -1, "date \"%s\": rc %d t %" PRId64 ", want -1", c->s, rc, t);
    }
  }
  int64_t t;
  CHECK(hs__http_date_parse(NULL, &t, NOW) == -1, "NULL date string");
  /* Extreme "now" values must not overflow the two-digit-year arithmetic. */
  CHECK(hs__http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t, INT64_MAX) == 0,
        "RFC 850 date with now = INT64_MAX");
  CHECK(hs__http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t, INT64_MIN) == 0,
        "RFC 850 date with now = INT64_MIN");
}

/* ---- hs__http_date_format ----------------------------------------------- */

typedef struct fmt_case { int64_t t; const char *s; } fmt_case;

static const fmt_case fmt_cases[] = {
  { 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
  { -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
  { T1994, "Sun, 06 Nov 1994 08:49:37 GMT" },
  { INT64_C(951782400), "Tue, 29 Feb 2000 00:00:00 GMT" },
  { NOW, "Tue, 14 Nov 2023 22:13:20 GMT" },
  { INT64_C(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT" },
  { INT64_C(253402300800), "Fri, 31 Dec 9999 23:59:59 GMT" },  /* clamped */
  { INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
  { INT64_C(-62167219200), "Sat, 01 Jan 0000 00:00:00 GMT" },
  { INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT" },
};

static const char *const wd_names[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const mon_names[12] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static void test_date_format(void) {
  char buf[64];
  for (size_t i = 0; i < sizeof fmt_cases / sizeof *fmt_cases; i++) {
    memset(buf, 'X', sizeof buf);
    hs__http_date_format(fmt_cases[i].t, buf);
    CHECK(strcmp(buf, fmt_cases[i].s) == 0, "format %" PRId64 ": \"%s\", want \"%s\"",
          fmt_cases[i].t, buf, fmt_cases[i].s);
    CHECK(strlen(buf) == 29, "format %" PRId64 ": length %zu", fmt_cases[i].t, strlen(buf));
  }

  /* Round trip, and the calendar against the C library's gmtime over
   * 1900..2100 (a step that is prime to a day walks every time of day). */
  int mismatches = 0;
  for (int64_t t = INT64_C(-2208988800); t < INT64_C(4102444800); t += INT64_C(86400) * 17 + 3607) {
    int64_t back = -1;
    hs__http_date_format(t, buf);
    if (hs__http_date_parse(buf, &back, NOW) != 0 || back != t) {
      if (mismatches++ < 5) CHECK(0, "round trip %" PRId64 ": \"%s\" -> %" PRId64, t, buf, back);
      continue;
    }
    time_t tt = (time_t)t;
    struct tm *tm = gmtime(&tt);
    if (!tm) continue;  /* a C library without negative time_t: nothing to compare */
    char want[64];
    snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd_names[tm->tm_wday],
             tm->tm_mday, mon_names[tm->tm_mon], tm->tm_year + 1900, tm->tm_hour, tm->tm_min,
             tm->tm_sec);
    if (strcmp(buf, want) != 0 && mismatches++ < 5)
      CHECK(0, "format %" PRId64 ": \"%s\", gmtime says \"%s\"", t, buf, want);
  }
  CHECK(mismatches == 0, "%d round-trip / gmtime mismatches", mismatches);
}

/* ---- hs__retry_after_parse ---------------------------------------------- */

#define MAXV 3
typedef struct ra_case {
  const char *name;
  size_t n;
  const char *values[MAXV];
  const char *date;   /* the response's Date header, or NULL */
  int64_t now;
  hs_ra_kind kind;
  int64_t delay;
  int past;
} ra_case;

#define IMF "Sun, 06 Nov 1994 08:49:37 GMT"
#define R850 "Sunday, 06-Nov-94 08:49:37 GMT"
#define ASC "Sun Nov  6 08:49:37 1994"
#define DATE_MINUS_120 "Sun, 06 Nov 1994 08:47:37 GMT"

static const ra_case ra_cases[] = {
  { "no header", 0, { NULL }, NULL, NOW, HS_RA_NONE, 0, 0 },
  { "no header, with Date", 0, { NULL }, IMF, NOW, HS_RA_NONE, 0, 0 },
  /* delta-seconds */
  { "delta", 1, { "120" }, NULL, NOW, HS_RA_DELTA, 120, 0 },
  { "delta zero", 1, { "0" }, NULL, NOW, HS_RA_DELTA, 0, 0 },
  { "delta leading zeros", 1, { "00120" }, NULL, NOW, HS_RA_DELTA, 120, 0 },
  { "delta OWS", 1, { " \t120 \t" }, NULL, NOW, HS_RA_DELTA, 120, 0 },
  { "delta ignores Date", 1, { "120" }, IMF, NOW, HS_RA_DELTA, 120, 0 },
  { "delta just below cap", 1, { "315359999" }, NULL, NOW, HS_RA_DELTA, CAP - 1, 0 },
  { "delta at cap", 1, { "315360000" }, NULL, NOW, HS_RA_DELTA, CAP, 0 },
  { "delta above cap", 1, { "315360001" }, NULL, NOW, HS_RA_DELTA, CAP, 0 },
  { "delta overflow", 1, { "99999999999999999999" }, NULL, NOW, HS_RA_DELTA, CAP, 0 },
  { "delta huge overflow", 1, { "9999999999999999999999999999999999999999999" }, NULL, NOW,
    HS_RA_DELTA, CAP, 0 },
  /* invalid delta-seconds */
  { "plus sign", 1, { "+120" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "negative", 1, { "-5" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "fraction", 1, { "1.5" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "trailing junk", 1, { "12abc" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "inner space", 1, { "12 0" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "exponent", 1, { "1e3" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "hex", 1, { "0x10" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "overflow then junk", 1, { "99999999999999999999x" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "empty", 1, { "" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "whitespace only", 1, { " \t " }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "NULL value", 1, { NULL }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "words", 1, { "soon" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "newline is not OWS", 1, { "120\r\n" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  /* HTTP-date, read against the Date header */
  { "IMF vs Date", 1, { IMF }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  { "RFC 850 vs Date", 1, { R850 }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  { "asctime vs Date", 1, { ASC }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  { "Date in RFC 850 form", 1, { IMF }, "Sunday, 06-Nov-94 08:47:37 GMT", NOW, HS_RA_DATE, 120, 0 },
  { "Date in asctime form", 1, { IMF }, "Sun Nov  6 08:47:37 1994", NOW, HS_RA_DATE, 120, 0 },
  { "Date wins over now (skew)", 1, { IMF }, DATE_MINUS_120, T1994 - 5, HS_RA_DATE, 120, 0 },
  { "date OWS", 1, { "  " IMF "\t" }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  /* HTTP-date, read against now */
  { "no Date: now", 1, { IMF }, NULL, T1994 - 60, HS_RA_DATE, 60, 0 },
  { "bad Date: now", 1, { IMF }, "yesterday", T1994 - 60, HS_RA_DATE, 60, 0 },
  { "empty Date: now", 1, { IMF }, "", T1994 - 60, HS_RA_DATE, 60, 0 },
  { "Feb 30 Date: now", 1, { IMF }, "Wed, 30 Feb 1994 08:47:37 GMT", T1994 - 60, HS_RA_DATE, 60, 0 },
  /* past dates */
  { "date equals Date", 1, { IMF }, IMF, NOW, HS_RA_DATE, 0, 1 },
  { "date before Date", 1, { DATE_MINUS_120 }, IMF, NOW, HS_RA_DATE, 0, 1 },
  { "date before now", 1, { IMF }, NULL, NOW, HS_RA_DATE, 0, 1 },
  { "date one second ahead", 1, { IMF }, NULL, T1994 - 1, HS_RA_DATE, 1, 0 },
  /* far future dates clamp to the cap */
  { "far future date", 1, { "Fri, 31 Dec 9999 23:59:59 GMT" }, NULL, NOW, HS_RA_DATE, CAP, 0 },
  { "far future vs now=INT64_MIN", 1, { IMF }, NULL, INT64_MIN, HS_RA_DATE, CAP, 0 },
  { "date vs now=INT64_MAX", 1, { IMF }, NULL, INT64_MAX, HS_RA_DATE, 0, 1 },
  /* lenient date decisions */
  { "wrong weekday", 1, { "Mon, 06 Nov 1994 08:49:37 GMT" }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  { "lowercase names", 1, { "sun, 06 nov 1994 08:49:37 gmt" }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  /* invalid dates */
  { "Feb 30", 1, { "Wed, 30 Feb 1994 08:49:37 GMT" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "hour 25", 1, { "Sun, 06 Nov 1994 25:49:37 GMT" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "unknown weekday", 1, { "Xyz, 06 Nov 1994 08:49:37 GMT" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "IMF without GMT", 1, { "Sun, 06 Nov 1994 08:49:37" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "RFC 850 without GMT", 1, { "Sunday, 06-Nov-94 08:49:37" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "ISO 8601", 1, { "1994-11-06T08:49:37Z" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  /* repeated fields */
  { "two equal", 2, { "120", "120" }, NULL, NOW, HS_RA_DELTA, 120, 0 },
  { "equal after trimming", 3, { "120", " 120", "120\t" }, NULL, NOW, HS_RA_DELTA, 120, 0 },
  { "two different", 2, { "120", "60" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "differ in third", 3, { "120", "120", "121" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "one empty", 2, { "120", "" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "one NULL", 2, { "120", NULL }, NULL, NOW, HS_RA_INVALID, 0, 0 },
  { "same date twice", 2, { IMF, IMF }, DATE_MINUS_120, NOW, HS_RA_DATE, 120, 0 },
  { "same instant, two forms", 2, { IMF, R850 }, DATE_MINUS_120, NOW, HS_RA_INVALID, 0, 0 },
  { "two equal invalid", 2, { "soon", "soon" }, NULL, NOW, HS_RA_INVALID, 0, 0 },
};

static const char *kind_name(hs_ra_kind k) {
  switch (k) {
  case HS_RA_NONE: return "NONE";
  case HS_RA_DELTA: return "DELTA";
  case HS_RA_DATE: return "DATE";
  case HS_RA_INVALID: return "INVALID";
  }
  return "?";
}

static void test_retry_after(void) {
  for (size_t i = 0; i < sizeof ra_cases / sizeof *ra_cases; i++) {
    const ra_case *c = &ra_cases[i];
    hs_retry_after r = hs__retry_after_parse(c->values, c->n, c->date, c->now);
    CHECK(r.kind == c->kind && r.delay_s == c->delay && r.past == c->past,
          "retry-after \"%s\": %s delay %" PRId64 " past %d, want %s delay %" PRId64 " past %d",
          c->name, kind_name(r.kind), r.delay_s, r.past, kind_name(c->kind), c->delay, c->past);
  }
  hs_retry_after r = hs__retry_after_parse(NULL, 0, NULL, NOW);
  CHECK(r.kind == HS_RA_NONE && r.delay_s == 0 && r.past == 0, "NULL values, n 0");
  CHECK(CAP == INT64_C(315360000), "HS_RA_MAX_DELAY_S is 10 years of 365 days");
}

int main(void) {
  test_date_parse();
  test_date_format();
  test_retry_after();
  if (failures) {
    printf("%d failure(s)\n", failures);
    return 1;
  }
  printf("test_retry_after: all passed\n");
  return 0;
}
