/* URL rules: origins (default ports normalised), loop keys, Location resolution. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static int failures;

static void expect_str(const char *what, char *got, const char *want, int line) {
  if ((!got && want) || (got && !want) || (got && want && strcmp(got, want))) {
    fprintf(stderr, "test_url.c:%d: %s: got %s, want %s\n", line, what, got ? got : "(null)", want ? want : "(null)");
    failures++;
  }
  free(got);
}
#define ORIGIN(u, w) expect_str("origin " u, hs__url_origin(u), w, __LINE__)
#define NORM(u, w) expect_str("normalize " u, hs__url_normalize(u), w, __LINE__)
static char *fact(const char *url, size_t offset) {
  hs_url_facts f;
  hs__url_facts(url, &f, true);
  char *v = *(char **)((char *)&f + offset);
  char *copy = v ? strdup(v) : NULL;
  hs__url_facts_free(&f);
  return copy;
}
#define FACT(u, field, w) expect_str("facts " #field " " u, fact(u, offsetof(hs_url_facts, field)), w, __LINE__)
static char *fact_scheme(const char *url) {
  hs_url_facts f;
  hs__url_facts(url, &f, true);
  char *copy = f.scheme[0] ? strdup(f.scheme) : NULL;
  hs__url_facts_free(&f);
  return copy;
}
#define FACT_SCHEME(u, w) expect_str("facts scheme " u, fact_scheme(u), w, __LINE__)
#define RESOLVE(b, l, w) expect_str("resolve " l, hs__url_resolve(b, l), w, __LINE__)

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  /* http://h and http://h:80 are one origin; scheme and host case do not matter. */
  ORIGIN("http://h/x", "http://h:80");
  ORIGIN("http://h:80/y", "http://h:80");
  ORIGIN("HTTP://H:80", "http://h:80");
  ORIGIN("https://h/", "https://h:443");
  ORIGIN("https://h:8443/", "https://h:8443");
  ORIGIN("not a url", NULL);
  /* Loop keys: lowercase scheme and host, no default port, no fragment. */
  NORM("HTTP://Example.COM:80/a?b#frag", "http://example.com/a?b");
  NORM("https://example.com:443/", "https://example.com/");
  NORM("http://example.com:8080/A", "http://example.com:8080/A");
  /* Location resolution (RFC 3986 §5), fragments inherited (RFC 9110 §10.2.2). */
  RESOLVE("http://h/a/b?q", "../c", "http://h/c");
  RESOLVE("http://h/a/b", "/x?y=1", "http://h/x?y=1");
  RESOLVE("http://h/a", "//other:81/p", "http://other:81/p");
  RESOLVE("http://h/a", "https://s/p", "https://s/p");
  RESOLVE("http://h/a#keep", "/b", "http://h/b#keep");
  RESOLVE("http://h/a#old", "/b#new", "http://h/b#new");
  RESOLVE("http://h/a", "ftp://f/x", "ftp://f/x");
  RESOLVE("http://h/a", "", NULL);
  RESOLVE("http://h/a", "/bad\r\nheader", NULL);
  /* Plain absolute URLs, and absolute paths on plain bases, take a shortcut: it must agree with curl_url. */
  static const char *bases[] = { "http://h/a/b?q", "http://127.0.0.1:8080/r3?i=7", "https://x.example:443/",
                                 "http://h", "http://h?q=1", "HTTP://H/a", "http://u@h/a", "http://h/a#f",
                                 "http://[::1]:81/a", "http://h:80/a" };
  static const char *locs[] = { "/s200", "/a/b?c=d&e", "/a/./b", "/a/../b", "/x?", "/%41%zz", "/a b",
                                "/x#frag", "/", "/?q", "/a\\b", "/caf\xc3\xa9",
                                "http://o:81/p?q", "https://o/", "http://O/p", "http://o/./p", "http://o/p#f",
                                "http://127.1/", "http://o:080/", "httpx://o/", "http://b.test", "http://b.test?q=1",
                                "http://b.test:81" };
  for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
    for (size_t l = 0; l < sizeof locs / sizeof *locs; l++) {
      CURLU *u = curl_url();
      char *want = NULL, *frag = NULL;
      curl_url_set(u, CURLUPART_URL, bases[b], CURLU_NON_SUPPORT_SCHEME);
      curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
      if (curl_url_set(u, CURLUPART_URL, locs[l], CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        char *f2 = NULL;
        if (curl_url_get(u, CURLUPART_FRAGMENT, &f2, 0) != CURLUE_OK && frag)
          curl_url_set(u, CURLUPART_FRAGMENT, frag, 0);
        curl_free(f2);
        curl_url_get(u, CURLUPART_URL, &want, 0);
      }
      char what[256];
      snprintf(what, sizeof what, "resolve %s on %s", locs[l], bases[b]);
      expect_str(what, hs__url_resolve(bases[b], locs[l]), want, __LINE__);
      curl_free(want);
      curl_free(frag);
      curl_url_cleanup(u);
    }
  /* The facts the engine keeps per hop, from one parse. */
  FACT_SCHEME("HTTP://Example.COM:80/a?b#frag", "http");
  FACT("HTTP://Example.COM:80/a?b#frag", origin, "http://example.com:80");
  FACT("HTTP://Example.COM:80/a?b#frag", normal, "http://example.com/a?b");
  FACT("HTTP://Example.COM:80/a?b#frag", wire, "HTTP://Example.COM:80/a?b");
  FACT("https://h:8443", origin, "https://h:8443");
  FACT("https://h:8443", normal, "https://h:8443/");
  FACT_SCHEME("file:///etc/passwd", "file");
  FACT("file:///etc/passwd", origin, NULL);
  /* The fast path for plain URLs must agree with curl_url on every field. */
  static const char *const plain[] = {
    "http://h", "http://h/", "http://127.0.0.1:8080/a/b?c=d&e", "https://example.com:443/x",
    "http://example.com:80", "https://a-b.example/p;q?x=%41", "http://h:65535/?", "http://h/a/b.c/d",
    "http://h/a/./b", "http://h/a/../b", "http://h?only=query", "http://h:0/", "http://H/", "http://h/a b",
    "http://h:/", "http://h./", "http://h/#f", "http://127.1/", "http://0x7f.0.0.1/", "http://2130706433/",
    "http://127.000.0.1/", "http://1password.example/", "http://10.0.0.256/",
  };
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    hs_url_facts f;
    if (hs__url_facts(plain[i], &f, true) == 0 && f.origin) {
      char *norm = hs__url_normalize(plain[i]), *origin = hs__url_origin(plain[i]);
      expect_str(plain[i], strdup(f.normal), norm, __LINE__);
      expect_str(plain[i], strdup(f.origin), origin, __LINE__);
      free(norm);
      free(origin);
    }
    hs__url_facts_free(&f);
  }
  /* Spans (where a plain URL's parts lie) rebuild its origin and its path. */
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    hs_url_plain u;
    if (!hs__url_plain(plain[i], &u)) continue;
    hs_url_spans s = hs__url_spans(plain[i], &u);
    char built[256];
    const char *url = plain[i];
    snprintf(built, sizeof built, "%s://%.*s:%.*s", s.https ? "https" : "http", (int)s.host_len, url + s.host_at,
             s.port_len ? (int)s.port_len : s.https ? 3 : 2, s.port_len ? url + s.port_at : s.https ? "443" : "80");
    char *origin = hs__url_origin(url);
    expect_str(url, strdup(built), origin, __LINE__);
    free(origin);
    if (!s.ok || strcmp(url + s.rest_at, u.rest)) { fprintf(stderr, "spans: %s\n", url); failures++; }
  }
  /* Every byte in a path: plain exactly when it is visible ASCII other than # \ " < > ^ ` { | }. */
  for (int ch = 1; ch < 256; ch++) {
    char url[16];
    snprintf(url, sizeof url, "http://h/a%cb", ch);
    hs_url_plain u;
    bool want = ch > 0x20 && ch < 0x7f && !strchr("#\\\"<>^`{|}", ch);
    if (hs__url_plain(url, &u) != want) { fprintf(stderr, "plain path byte 0x%02x\n", ch); failures++; }
  }
  {
    hs_url_facts f;
    if (hs__url_facts("not a url", &f, true) == 0) { fprintf(stderr, "facts: parsed garbage\n"); failures++; }
    hs__url_facts_free(&f);
  }
  FACT("http://h/a?b#c", wire, "http://h/a?b");
  FACT_SCHEME("HTTPS://h/", "https");
  curl_global_cleanup();
  if (failures) { fprintf(stderr, "test_url: %d failures\n", failures); return 1; }
  puts("test_url: all passed");
  return 0;
}
