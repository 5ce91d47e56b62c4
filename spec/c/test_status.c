/* The status registry: seed list, flags, aliases, unknown and invalid codes. */
#include <stdio.h>
#include <string.h>

#include "httpstatus.h"

static int failures;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      failures++; \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__); \
      printf("\n"); \
    } \
  } while (0)

static const int seed[] = {
  100, 101, 102, 103,
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
  300, 301, 302, 303, 304, 305, 306, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
  417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
};
#define NSEED (sizeof seed / sizeof seed[0])

/* Zero-terminated lists of the codes that carry each flag, and nothing else. */
static const int deprecated[] = { 305, 306, 510, 0 };
static const int experimental[] = { 402, 425, 0 };
static const int webdav[] = { 102, 207, 208, 423, 424, 507, 508, 0 };
static const int cacheable[] = { 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 451,
                                 501, 0 };
static const int retryable[] = { 408, 425, 429, 502, 503, 504, 0 };

static int in_list(const int *list, int code) {
  for (; *list; list++)
    if (*list == code) return 1;
  return 0;
}

static int in_seed(int code) {
  for (size_t i = 0; i < NSEED; i++)
    if (seed[i] == code) return 1;
  return 0;
}

static const char *str(const char *s) { return s ? s : "(null)"; }

static void check_flag(const char *name, unsigned flag, const int *list) {
  for (int code = -5; code <= 700; code++) {
    int want = in_list(list, code);
    int got = (hs_status_flags(code) & flag) != 0;
    CHECK(want == got, "%s on %d: want %d, got %d", name, code, want, got);
  }
}

static void check_reason(int code, const char *want) {
  const char *got = hs_status_reason(code);
  CHECK(got && strcmp(got, want) == 0, "reason of %d: want \"%s\", got \"%s\"", code, want,
        str(got));
}

static void check_spec(int code, const char *want) {
  const char *got = hs_status_spec(code);
  CHECK(got && strcmp(got, want) == 0, "spec of %d: want \"%s\", got \"%s\"", code, want,
        str(got));
}

/* want: NULL-terminated list of the expected aliases, in order. */
static void check_aliases(int code, const char *const *want) {
  size_t i = 0;
  for (; want[i]; i++) {
    const char *got = hs_status_alias(code, i);
    CHECK(got && strcmp(got, want[i]) == 0, "alias %zu of %d: want \"%s\", got \"%s\"", i, code,
          want[i], str(got));
  }
  CHECK(hs_status_alias(code, i) == NULL, "%d has more than %zu aliases", code, i);
  CHECK(hs_status_alias(code, (size_t)-1) == NULL, "%d: huge alias index", code);
}

static void test_known(void) {
  for (size_t i = 0; i < NSEED; i++) {
    int code = seed[i];
    unsigned flags = hs_status_flags(code);
    CHECK(flags & HS_STATUS_KNOWN, "%d should be known", code);
    CHECK(hs_status_class(code) == (hs_class)(code / 100), "class of %d", code);
    CHECK(hs_status_treat_as(code) == code, "treat_as of %d: got %d", code,
          hs_status_treat_as(code));
    const char *texts[] = { hs_status_reason(code), hs_status_description(code),
                            hs_status_advice(code), hs_status_spec(code) };
    for (size_t t = 0; t < 4; t++)
      CHECK(texts[t] && texts[t][0], "%d: text %zu missing", code, t);
    const char *spec = hs_status_spec(code);
    CHECK(spec && strncmp(spec, "RFC ", 4) == 0, "%d: spec \"%s\"", code, str(spec));
  }
  /* Nothing outside the seed list is known. */
  for (int code = -5; code <= 700; code++) {
    if (in_seed(code)) continue;
    CHECK(hs_status_flags(code) == 0, "%d should have no flags", code);
  }
}

static void test_reasons(void) {
  check_reason(100, "Continue");
  check_reason(102, "Processing");
  check_reason(103, "Early Hints");
  check_reason(200, "OK");
  check_reason(203, "Non-Authoritative Information");
  check_reason(226, "IM Used");
  check_reason(302, "Found");
  check_reason(306, "(Unused)");
  check_reason(308, "Permanent Redirect");
  check_reason(404, "Not Found");
  check_reason(413, "Content Too Large");
  check_reason(414, "URI Too Long");
  check_reason(416, "Range Not Satisfiable");
  check_reason(418, "I'm a teapot");
  check_reason(421, "Misdirected Request");
  check_reason(422, "Unprocessable Content");
  check_reason(425, "Too Early");
  check_reason(429, "Too Many Requests");
  check_reason(451, "Unavailable For Legal Reasons");
  check_reason(503, "Service Unavailable");
  check_reason(505, "HTTP Version Not Supported");
  check_reason(511, "Network Authentication Required");
  const char *d = hs_status_description(418);
  CHECK(d && strstr(d, "Unused"), "418's description should mention its (Unused) status");
}

static void test_specs(void) {
  check_spec(100, "RFC 9110 §15.2.1");
  check_spec(101, "RFC 9110 §15.2.2");
  check_spec(102, "RFC 2518 §10.1");
  check_spec(103, "RFC 8297");
  check_spec(200, "RFC 9110 §15.3.1");
  check_spec(206, "RFC 9110 §15.3.7");
  check_spec(207, "RFC 4918 §11.1");
  check_spec(208, "RFC 5842 §7.1");
  check_spec(226, "RFC 3229 §10.4.1");
  check_spec(300, "RFC 9110 §15.4.1");
  check_spec(308, "RFC 9110 §15.4.9");
  check_spec(400, "RFC 9110 §15.5.1");
  check_spec(413, "RFC 9110 §15.5.14");
  check_spec(418, "RFC 9110 §15.5.19");
  check_spec(421, "RFC 9110 §15.5.20");
  check_spec(422, "RFC 9110 §15.5.21");
  check_spec(423, "RFC 4918 §11.3");
  check_spec(424, "RFC 4918 §11.4");
  check_spec(425, "RFC 8470 §5.2");
  check_spec(426, "RFC 9110 §15.5.22");
  check_spec(428, "RFC 6585 §3");
  check_spec(429, "RFC 6585 §4");
  check_spec(431, "RFC 6585 §5");
  check_spec(451, "RFC 7725 §3");
  check_spec(500, "RFC 9110 §15.6.1");
  check_spec(505, "RFC 9110 §15.6.6");
  check_spec(506, "RFC 2295 §8.1");
  check_spec(507, "RFC 4918 §11.5");
  check_spec(508, "RFC 5842 §7.2");
  check_spec(510, "RFC 2774 §7");
  check_spec(511, "RFC 6585 §6");
  /* RFC 9110 numbers its 15.x.y subsections in code order: check them all. */
  static const struct { int first, last, section; } runs[] = {
    { 100, 101, 2 }, { 200, 206, 3 }, { 300, 308, 4 }, { 400, 418, 5 }, { 500, 505, 6 },
  };
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++)
    for (int code = runs[r].first; code <= runs[r].last; code++) {
      char want[32];
      snprintf(want, sizeof want, "RFC 9110 §15.%d.%d", runs[r].section,
               code - runs[r].first + 1);
      check_spec(code, want);
    }
}

static void test_aliases(void) {
  static const char *const none[] = { NULL };
  check_aliases(413, (const char *const[]){ "Payload Too Large", "Request Entity Too Large",
                                            NULL });
  check_aliases(414, (const char *const[]){ "Request-URI Too Long", NULL });
  check_aliases(416, (const char *const[]){ "Requested Range Not Satisfiable", NULL });
  check_aliases(422, (const char *const[]){ "Unprocessable Entity", NULL });
  check_aliases(302, (const char *const[]){ "Moved Temporarily", NULL });
  check_aliases(306, (const char *const[]){ "Switch Proxy", NULL });
  check_aliases(200, none);
  check_aliases(429, none);
  check_aliases(499, none);
  check_aliases(99, none);
  check_aliases(600, none);
}

static void test_unknown(void) {
  static const struct { int code, cls, treat_as; } cases[] = {
    { 104, 1, 100 }, { 199, 1, 100 }, { 209, 2, 200 }, { 299, 2, 200 }, { 309, 3, 300 },
    { 419, 4, 400 }, { 420, 4, 400 }, { 427, 4, 400 }, { 499, 4, 400 }, { 509, 5, 500 },
    { 512, 5, 500 }, { 599, 5, 500 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int code = cases[i].code;
    CHECK(hs_status_class(code) == (hs_class)cases[i].cls, "class of unknown %d", code);
    CHECK(hs_status_treat_as(code) == cases[i].treat_as, "treat_as of %d: got %d", code,
          hs_status_treat_as(code));
    CHECK(hs_status_flags(code) == 0, "flags of unknown %d", code);
    CHECK(!hs_status_reason(code) && !hs_status_description(code) && !hs_status_advice(code) &&
          !hs_status_spec(code), "strings of unknown %d should be NULL", code);
  }
}

static void test_invalid(void) {
  static const int cases[] = { -2147483647 - 1, -1, 0, 1, 10, 99, 600, 601, 999, 1000,
                               2147483647 };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int code = cases[i];
    CHECK(hs_status_class(code) == HS_CLASS_INVALID, "class of invalid %d", code);
    CHECK(hs_status_treat_as(code) == 0, "treat_as of invalid %d", code);
    CHECK(hs_status_flags(code) == 0, "flags of invalid %d", code);
    CHECK(!hs_status_reason(code) && !hs_status_description(code) && !hs_status_advice(code) &&
          !hs_status_spec(code) && !hs_status_alias(code, 0),
          "strings of invalid %d should be NULL", code);
  }
}

static void test_class_names(void) {
  static const char *const want[] = { NULL, "informational", "success", "redirection",
                                      "client_error", "server_error" };
  for (int c = 0; c <= 5; c++) {
    const char *got = hs_class_name((hs_class)c);
    CHECK(want[c] ? (got && strcmp(got, want[c]) == 0) : got == NULL, "class name %d: \"%s\"",
          c, str(got));
  }
  CHECK(hs_class_name((hs_class)6) == NULL, "class name 6");
  CHECK(strcmp(str(hs_class_name(hs_status_class(503))), "server_error") == 0, "class of 503");
}

static void test_codes(void) {
  const int *codes = NULL;
  size_t n = hs_status_codes(&codes);
  CHECK(n == NSEED, "hs_status_codes: %zu codes, want %zu", n, NSEED);
  CHECK(codes != NULL, "hs_status_codes: NULL array");
  if (!codes) return;
  for (size_t i = 0; i < n && i < NSEED; i++)
    CHECK(codes[i] == seed[i], "codes[%zu] = %d, want %d", i, codes[i], seed[i]);
  for (size_t i = 1; i < n; i++)
    CHECK(codes[i - 1] < codes[i], "codes not ascending at %zu", i);
  CHECK(hs_status_codes(NULL) == n, "hs_status_codes(NULL) should still count");
}

int main(void) {
  test_known();
  test_reasons();
  test_specs();
  check_flag("deprecated", HS_STATUS_DEPRECATED, deprecated);
  check_flag("experimental", HS_STATUS_EXPERIMENTAL, experimental);
  check_flag("webdav", HS_STATUS_WEBDAV, webdav);
  check_flag("cacheable", HS_STATUS_CACHEABLE, cacheable);
  check_flag("retryable", HS_STATUS_RETRYABLE, retryable);
  test_aliases();
  test_unknown();
  test_invalid();
  test_class_names();
  test_codes();
  if (failures) {
    printf("test_status: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_status: ok (%zu known codes)\n", NSEED);
  return 0;
}
