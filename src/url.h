/* URL questions the redirect rules ask, answered with libcurl's URL API. */
#ifndef HS_URL_H
#define HS_URL_H

#include <stdbool.h>
#include <stdint.h>

/* "scheme://host:port" with the default port filled in; NULL if it does not parse. */
char *hs__url_origin(const char *url);
/* Lowercase scheme and host, no default port, no fragment: what hs_url_facts.normal holds
 * (the loop key); test_url checks the facts against it. */
char *hs__url_normalize(const char *url);
/* location resolved against base (RFC 3986 §5); NULL if unusable. Keeps a fragment;
 * inherits base's fragment when location has none (RFC 9110 §10.2.2). */
char *hs__url_resolve(const char *base, const char *location);

/* The common shape, already normal (lowercase http or https, a lowercase host
 * name or IPv4 address, an optional port, a path and query of plain characters,
 * no dot segments, no fragment): a URL that curl_url and libcurl keep exactly as
 * written. Read without building a CURLU; false for anything else. */
typedef struct hs_url_plain {
  const char *scheme;         /* static "http" or "https" */
  const char *host; size_t host_len;
  const char *given; size_t given_len;   /* the port as written, NULL if none */
  const char *rest;           /* path and query: "" or starts with '/' or '?' */
} hs_url_plain;
bool hs__url_plain(const char *url, hs_url_plain *u);
/* The port of a plain URL's scheme, for one that gives none: "80" or "443". */
static inline const char *hs__url_default_port(const hs_url_plain *u) { return u->scheme[4] == 's' ? "443" : "80"; }
/* Where a plain URL's parts lie in it, as offsets: kept with a hop's URL so that
 * its request head is written without reading the URL again. ok is false when
 * the URL is not plain (or too long for 16-bit offsets). */
typedef struct hs_url_spans {
  uint16_t host_at, host_len, port_at, port_len, rest_at;
  bool https, ok;
} hs_url_spans;
hs_url_spans hs__url_spans(const char *url, const hs_url_plain *u); /* u from hs__url_plain(url) */

/* Everything the engine needs to know of a hop's URL, from one parse. */
typedef struct hs_url_facts {
  char scheme[16]; /* lowercase; empty if none (a longer one is cut: only http and https are fetched) */
  char *origin;   /* as hs__url_origin */
  char *normal;   /* as hs__url_normalize; only when asked for */
  char *wire;     /* what goes to libcurl (no fragment); NULL for a plain URL, which goes as given */
  hs_url_spans spans; /* a plain URL's parts (ok false for any other): not read again for its hop */
} hs_url_facts;
/* 0 when it parses (scheme set; the others may be NULL for a URL with no host),
 * -1 when it does not. Free with hs__url_facts_free either way. */
int hs__url_facts(const char *url, hs_url_facts *f, bool normal);
void hs__url_facts_free(hs_url_facts *f);

#endif
