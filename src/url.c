/* URL handling: plain URLs read by hand (hs__url_plain), everything else through curl_url. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "internal.h"
#include "url.h"

static CURLU *parse(const char *url) {
  CURLU *u = curl_url();
  if (!u) return NULL;
  if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    curl_url_cleanup(u);
    return NULL;
  }
  return u;
}

static char *part(CURLU *u, CURLUPart what, unsigned flags) {
  char *v = NULL;
  if (curl_url_get(u, what, &v, flags) != CURLUE_OK) return NULL;
  char *copy = hs__strdup(v);
  curl_free(v);
  return copy;
}

static void lower(char *s) {
  for (; s && *s; s++) *s = (char)tolower((unsigned char)*s);
}

char *hs__url_origin(const char *url) {
  CURLU *u = parse(url);
  if (!u) return NULL;
  char *scheme = part(u, CURLUPART_SCHEME, 0);
  char *host = part(u, CURLUPART_HOST, 0);
  char *port = part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  curl_url_cleanup(u);
  char *o = NULL;
  if (scheme && host) {
    lower(scheme);
    lower(host);
    o = hs__printf("%s://%s:%s", scheme, host, port ? port : "");
  }
  free(scheme); free(host); free(port);
  return o;
}

char *hs__url_normalize(const char *url) {
  CURLU *u = parse(url);
  if (!u) return NULL;
  char *host = part(u, CURLUPART_HOST, 0);
  lower(host);
  if (host) curl_url_set(u, CURLUPART_HOST, host, 0);
  free(host);
  curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
  char *n = part(u, CURLUPART_URL, CURLU_NO_DEFAULT_PORT);
  curl_url_cleanup(u);
  return n;
}

/* A path and query that curl_url would keep exactly as written: plain characters,
 * no dot segments, no fragment, not ending in an empty query. */
static bool plain_path(const char *p) {
  /* The characters of a plain path or query: visible ASCII but # \ " < > ^ ` { | }. */
  static const uint32_t ok[8] = { 0, 0xaffffff2, 0xafffffff, 0x47fffffe, 0, 0, 0, 0 };
  const char *start = p;
  for (; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if (!(ok[ch >> 5] & (1u << (ch & 31)))) return false;
    if (ch == '/' && p[1] == '.') return false; /* dot segments: curl_url resolves them */
  }
  return !(p > start && p[-1] == '?'); /* curl_url drops an empty query */
}

static long digits_value(const char *p, size_t n) {
  long v = 0;
  while (n--) v = v * 10 + (*p++ - '0');
  return v;
}

bool hs__url_plain(const char *url, hs_url_plain *u) {
  const char *p;
  if (!strncmp(url, "http://", 7)) u->scheme = "http", p = url + 7;
  else if (!strncmp(url, "https://", 8)) u->scheme = "https", p = url + 8;
  else return false;
  const char *host = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-') p++;
  size_t host_len = (size_t)(p - host);
  if (!host_len || host[0] == '.' || host[0] == '-' || host[host_len - 1] == '.') return false;
  /* A host whose every label starts with a digit may be an IPv4 address in one of the
   * forms curl_url rewrites (127.1, 0x7f.0.0.1, 2130706433): only a plain dotted quad
   * is read here. */
  bool numeric = true;
  for (size_t i = 0; i < host_len; i++)
    if ((i == 0 || host[i - 1] == '.') && !(host[i] >= '0' && host[i] <= '9')) numeric = false;
  if (numeric) {
    int labels = 0;
    for (const char *q = host; q < host + host_len;) {
      const char *e = q;
      while (e < host + host_len && *e >= '0' && *e <= '9') e++;
      size_t len = (size_t)(e - q);
      if (!len || len > 3 || (len > 1 && *q == '0') || digits_value(q, len) > 255) return false;
      labels++;
      if (e == host + host_len) break;
      if (*e != '.') return false;
      q = e + 1;
    }
    if (labels != 4) return false;
  }
  u->host = host;
  u->host_len = host_len;
  u->given = NULL;
  u->given_len = 0;
  if (*p == ':') {
    u->given = ++p;
    while (*p >= '0' && *p <= '9') p++;
    u->given_len = (size_t)(p - u->given);
    if (u->given_len < 1 || u->given_len > 5 || u->given[0] == '0' || digits_value(u->given, u->given_len) > 65535)
      return false;
  }
  u->rest = p;
  return (!*p || *p == '/' || *p == '?') && plain_path(p);
}

hs_url_spans hs__url_spans(const char *url, const hs_url_plain *u) {
  hs_url_spans s = { 0 };
  size_t end = (size_t)(u->rest - url) + strlen(u->rest);
  if (end > UINT16_MAX) return s;
  s.host_at = (uint16_t)(u->host - url);
  s.host_len = (uint16_t)u->host_len;
  s.port_at = u->given ? (uint16_t)(u->given - url) : 0;
  s.port_len = (uint16_t)u->given_len;
  s.rest_at = (uint16_t)(u->rest - url);
  s.https = u->scheme[4] == 's';
  s.ok = true;
  return s;
}

/* Pieces of text, joined into one allocation. */
typedef struct piece { const char *p; size_t n; } piece;
static char *join(const piece *v, size_t count) {
  size_t n = 0;
  for (size_t i = 0; i < count; i++) n += v[i].n;
  char *out = malloc(n + 1), *w = out;
  if (!out) return NULL;
  for (size_t i = 0; i < count; i++) memcpy(w, v[i].p, v[i].n), w += v[i].n;
  *w = '\0';
  return out;
}

static int simple_facts(const char *url, hs_url_facts *f, bool normal) {
  hs_url_plain u;
  if (!hs__url_plain(url, &u)) return -1;
  size_t slen = strlen(u.scheme);
  const char *def = hs__url_default_port(&u);
  size_t dlen = strlen(def);
  piece port = u.given ? (piece){ u.given, u.given_len } : (piece){ def, dlen };
  bool default_port = port.n == dlen && !memcmp(port.p, def, dlen);
  memcpy(f->scheme, u.scheme, slen + 1);
  piece o[] = { { u.scheme, slen }, { "://", 3 }, { u.host, u.host_len }, { ":", 1 }, port };
  f->origin = join(o, 5);
  if (normal) {
    piece n[] = { { u.scheme, slen }, { "://", 3 }, { u.host, u.host_len }, { ":", default_port ? 0 : 1 },
                  { port.p, default_port ? 0 : port.n }, { "/", *u.rest == '/' ? 0 : 1 }, { u.rest, strlen(u.rest) } };
    f->normal = join(n, 7);
  }
  f->spans = hs__url_spans(url, &u);
  /* wire stays NULL: the URL goes to libcurl as it is. */
  if (!f->origin || (normal && !f->normal)) {
    hs__url_facts_free(f);
    return -1;
  }
  return 0;
}

char *hs__url_resolve(const char *base, const char *location) {
  if (!location || !*location) return NULL;
  for (const char *p = location; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return NULL;
  /* The common cases need no CURLU: a plain absolute URL stays as it is (unless it
   * inherits the base's fragment), and an absolute path ("/next") on a plain base is
   * the base's scheme and authority followed by the path as written. */
  hs_url_plain su;
  if (location[0] == 'h' && !strchr(base, '#') && hs__url_plain(location, &su) && *su.rest == '/')
    return hs__strdup(location); /* with a path: curl_url would add the "/" of an empty one */
  if (location[0] == '/' && location[1] != '/' && plain_path(location)) {
    if (hs__url_plain(base, &su)) {
      size_t prefix = (size_t)(su.rest - base);
      char *out = malloc(prefix + strlen(location) + 1);
      if (out) {
        memcpy(out, base, prefix);
        strcpy(out + prefix, location);
      }
      return out;
    }
  }
  CURLU *u = parse(base);
  if (!u) return NULL;
  char *base_fragment = part(u, CURLUPART_FRAGMENT, 0);
  char *out = NULL;
  if (curl_url_set(u, CURLUPART_URL, location, CURLU_NON_SUPPORT_SCHEME) ==
      CURLUE_OK) {
    char *frag = part(u, CURLUPART_FRAGMENT, 0);
    if (!frag && base_fragment) curl_url_set(u, CURLUPART_FRAGMENT, base_fragment, 0);
    free(frag);
    out = part(u, CURLUPART_URL, 0);
  }
  free(base_fragment);
  curl_url_cleanup(u);
  return out;
}

/* Parts only: assembling a URL (curl_url_get of CURLUPART_URL) costs a formatted
 * print each time, and this runs for every hop of every request. */
int hs__url_facts(const char *url, hs_url_facts *f, bool normal) {
  memset(f, 0, sizeof *f);
  if (simple_facts(url, f, normal) == 0) return 0;
  CURLU *u = parse(url);
  if (!u) return -1;
  char *scheme = part(u, CURLUPART_SCHEME, 0);
  if (scheme) snprintf(f->scheme, sizeof f->scheme, "%s", scheme); /* only http(s) matter: a longer one may be cut */
  free(scheme);
  char *host = part(u, CURLUPART_HOST, 0);
  char *port = part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  char *given = part(u, CURLUPART_PORT, 0);
  char *path = part(u, CURLUPART_PATH, 0);
  char *query = part(u, CURLUPART_QUERY, 0);
  curl_url_cleanup(u);
  lower(f->scheme);
  lower(host);
  if (f->scheme[0] && host && port) {
    f->origin = hs__concat(f->scheme, "://", host, ":", port, (char *)NULL);
    bool default_port = !given || (!strcmp(f->scheme, "http") && !strcmp(given, "80")) ||
                        (!strcmp(f->scheme, "https") && !strcmp(given, "443"));
    if (normal)
      f->normal = hs__concat(f->scheme, "://", host, default_port ? "" : ":", default_port ? "" : given,
                             path ? path : "/", query && *query ? "?" : "", query ? query : "", (char *)NULL);
    const char *hash = strchr(url, '#');
    f->wire = hash ? hs__strndup(url, (size_t)(hash - url)) : hs__strdup(url);
  }
  free(host); free(port); free(given); free(path); free(query);
  return f->scheme[0] ? 0 : -1;
}

void hs__url_facts_free(hs_url_facts *f) {
  free(f->origin); free(f->normal); free(f->wire);
  memset(f, 0, sizeof *f);
}
