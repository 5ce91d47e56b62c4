/* The findings engine: each rule is a row (id, severity, summary, spec) and a small
 * function that looks at a finished result. One place to add a rule: RULES below.
 * Findings only describe; they never change what the request did.
 *
 * Severity, chosen once (API.md: a rule's severity rises only in a major release):
 *   error    the message framing is broken; the response cannot be trusted as received.
 *   warning  the server broke a MUST of the RFCs (or the request was made unsafely), in a
 *            way a client can trip over.
 *   info     a description worth reading: what the status means here, what to do next.
 * A correct, ordinary exchange (a plain 200 from nginx or a Python server) yields nothing:
 * noise makes people stop reading findings. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "retry.h"
#include "url.h"

typedef struct rule_ctx {
  hs_result *r;
  const struct rule *rule;
} rule_ctx;

typedef void (*rule_fn)(rule_ctx *x);

typedef struct rule {
  const char *id, *severity, *summary, *spec;
  rule_fn check;
} rule;

#define FIND(x, hop, ...) finding((x), (hop), __VA_ARGS__)
static void finding(rule_ctx *x, int hop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finding(rule_ctx *x, int hop, const char *fmt, ...) {
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  hs__result_add_finding(x->r, x->rule->id, x->rule->severity, hop, buf);
}

/* ---- small helpers ------------------------------------------------------------------ */

#define EACH_HOP(x, i, h) \
  for (size_t i = 0; i < (x)->r->n_hops; i++) \
    for (const hs_hop *h = &(x)->r->hops[i]; h; h = NULL) \
      if (h->status)

/* Values quoted in messages are clipped: a message is a sentence, not a dump. */
#define CLIP "%.120s"

static const char *hdr(const hs_hop *h, const char *name) { return hs__headers_get(&h->headers, name, 0); }
static const char *sent(const hs_hop *h, const char *name) {
  return hs__headers_get(hs__hop_request_headers(h), name, 0);
}
static const char *reason(int code) {
  const char *s = hs_status_reason(code);
  return s ? s : "";
}
/* The rule's finding, msg, for every hop answered `status` without header `name`. */
static void status_without(rule_ctx *x, int status, const char *name, const char *msg) {
  EACH_HOP(x, i, h) {
    if (h->status == status && !hdr(h, name)) FIND(x, (int)i, "%s", msg);
  }
}

static bool is_followable(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }
static bool is_last(const rule_ctx *x, size_t i) { return i + 1 == x->r->n_hops; }
static bool ieq(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }

/* A Content-Length value: 1*DIGIT with optional whitespace; -1 when it is not that. */
static int64_t parse_length(const char *v) {
  if (!v) return -1;
  while (*v == ' ' || *v == '\t') v++;
  if (!isdigit((unsigned char)*v)) return -1;
  int64_t n = 0;
  for (; isdigit((unsigned char)*v); v++) {
    if (n > (INT64_MAX - 9) / 10) return -1;
    n = n * 10 + (*v - '0');
  }
  while (*v == ' ' || *v == '\t') v++;
  return *v ? -1 : n;
}

/* The Retry-After of a hop's response, read the way the engine reads it. */
/* "Now" for the rules is when the request ended, however late they run. */
static hs_retry_after hop_retry_after(const rule_ctx *x, const hs_hop *h, const char **first) {
  *first = hdr(h, "retry-after");
  return hs__headers_retry_after(&h->headers, (int64_t)(x->r->finished_at ? x->r->finished_at : hs__wall_now()));
}

/* The Link header fields of a hop, parsed. */
static void hop_links(const hs_hop *h, hs_links *out) {
  memset(out, 0, sizeof *out);
  for (size_t k = 0; k < h->headers.n; k++)
    if (hs__strcaseeq(h->headers.v[k].name, "link")) hs__links_parse(out, h->headers.v[k].value);
}

static bool rel_has(const hs_link *l, const char *want) {
  const char *rel = hs__link_param(l, "rel");
  if (!rel) return false;
  size_t n = strlen(want);
  for (const char *p = rel; *p;) {
    while (*p == ' ' || *p == '\t') p++;
    const char *e = p;
    while (*e && *e != ' ' && *e != '\t') e++;
    if ((size_t)(e - p) == n && strncasecmp(p, want, n) == 0) return true;
    p = e;
  }
  return false;
}

/* Appends to a fixed buffer, truncating quietly. */
static void cat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t cap, const char *fmt, ...) {
  size_t n = strlen(buf);
  if (n + 1 >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, cap - n, fmt, ap);
  va_end(ap);
}

static bool is_tchar(char c) {
  return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "Basic (realm "api"), Bearer" from the challenges of every field called name
 * (RFC 9110 §11.6.1: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]). */
static void challenges(const hs_hop *h, const char *name, char *out, size_t cap) {
  out[0] = '\0';
  bool have_realm = true; /* of the scheme last written */
  for (size_t k = 0; k < h->headers.n; k++) {
    if (!hs__strcaseeq(h->headers.v[k].name, name)) continue;
    const char *p = h->headers.v[k].value;
    while (*p) {
      while (*p == ' ' || *p == '\t' || *p == ',') p++;
      const char *t = p;
      while (is_tchar(*p)) p++;
      size_t tlen = (size_t)(p - t);
      const char *q = p;
      while (*q == ' ' || *q == '\t') q++;
      if (tlen && *q != '=') { /* an auth-scheme; a parameter or token68 may follow */
        cat(out, cap, "%s%.*s", out[0] ? ", " : "", (int)tlen, t);
        have_realm = false;
        p = q;
        t = p;
        while (is_tchar(*p)) p++;
        tlen = (size_t)(p - t);
        q = p;
        while (*q == ' ' || *q == '\t') q++;
      }
      if (tlen && *q == '=') { /* auth-param: name = token / quoted-string */
        p = q + 1;
        while (*p == ' ' || *p == '\t') p++;
        const char *v = p;
        size_t vlen;
        if (*p == '"') {
          v = ++p;
          while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
          vlen = (size_t)(p - v);
          if (*p) p++;
        } else {
          while (*p && *p != ',' && *p != ' ' && *p != '\t') p++;
          vlen = (size_t)(p - v);
        }
        if (!have_realm && tlen == 5 && strncasecmp(t, "realm", 5) == 0) {
          cat(out, cap, " (realm \"%.*s\")", (int)(vlen > 60 ? 60 : vlen), v);
          have_realm = true;
        }
      }
      while (*p && *p != ',') p++; /* the rest of this element (token68 and the like) */
    }
  }
}

/* ---- 1xx ------------------------------------------------------------------------------ */

static void interim_to_http10(rule_ctx *x) {
  if (!x->r->rq_http_version || strcmp(x->r->rq_http_version, "1.0")) return;
  for (size_t k = 0; k < x->r->n_interim; k++) {
    const hs_interim *it = &x->r->interim[k];
    FIND(x, (int)it->hop, "%d %s came in answer to an HTTP/1.0 request: a server must not send 1xx "
         "responses to HTTP/1.0 clients, which cannot tell them from the final response",
         it->status, reason(it->status));
  }
}

static void early_hints_without_link(rule_ctx *x) {
  for (size_t k = 0; k < x->r->n_interim; k++) {
    const hs_interim *it = &x->r->interim[k];
    if (it->status == 103 && !hs__headers_get(&it->headers, "link", 0))
      FIND(x, (int)it->hop, "103 Early Hints without a Link header: it hints at nothing to preload or "
           "preconnect, so it only costs a round of parsing");
  }
}

static void missing_upgrade(rule_ctx *x) {
  /* Both are final answers: a result has one of them at most. */
  status_without(x, 101, "upgrade", "101 Switching Protocols without an Upgrade header: the server switched "
                 "protocols without saying to which");
  status_without(x, 426, "upgrade", "426 Upgrade Required without an Upgrade header: the server wants another "
                 "protocol but does not say which");
}

static void unrequested_upgrade(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 101 || sent(h, "upgrade")) continue;
    const char *up = hdr(h, "upgrade");
    FIND(x, (int)i, "101 Switching Protocols%s%s%s to a request that sent no Upgrade header: a server "
         "must only switch to a protocol the client offered", up ? " (Upgrade: " : "",
         up ? up : "", up ? ")" : "");
  }
}

/* ---- 2xx ------------------------------------------------------------------------------ */

static void created_without_location(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 201 && !hdr(h, "location"))
      FIND(x, (int)i, "201 Created without a Location header: the new resource is then the request "
           "URL itself (%s %.200s); if something else was created, clients cannot find it",
           h->method, h->url);
  }
}

static void accepted_for_processing(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 202) continue;
    const char *loc = hdr(h, "location"), *cloc = hdr(h, "content-location"), *first;
    hs_retry_after ra = hop_retry_after(x, h, &first);
    char more[400] = "";
    if (loc) cat(more, sizeof more, "; Location: " CLIP " may tell how it goes", loc);
    if (cloc && !(loc && !strcmp(loc, cloc)))
      cat(more, sizeof more, "; Content-Location: " CLIP " names the status", cloc);
    if (ra.kind == HS_RA_DELTA || ra.kind == HS_RA_DATE)
      cat(more, sizeof more, "; Retry-After: " CLIP " says when to look (in %lld s)", first,
          (long long)ra.delay_s);
    FIND(x, (int)i, "202 Accepted: the work goes on elsewhere and its outcome is not known yet%s",
         more[0] ? more : "; no Location or Retry-After says where or when to check on it");
  }
}

static void body_not_allowed(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (s != 204 && s != 205 && s != 304) continue;
    const char *cl = hdr(h, "content-length"), *te = hdr(h, "transfer-encoding");
    int64_t n = parse_length(cl);
    size_t got = is_last(x, i) ? x->r->body_len : 0;
    if (got) {
      FIND(x, (int)i, "%d %s came with a body (%zu bytes received): a %d response cannot have content",
           s, reason(s), got, s);
    } else if (s == 304) {
      /* Content-Length and Transfer-Encoding on a 304 describe the 200 it stands for. */
    } else if (te) {
      FIND(x, (int)i, "%d %s came with Transfer-Encoding: " CLIP ": a %d response cannot have "
           "content, so the bytes that follow may be read as the next response", s, reason(s), te, s);
    } else if (cl && n != 0) {
      FIND(x, (int)i, "%d %s came with Content-Length: " CLIP ": a %d response cannot have content, "
           "so a body sent with it may be read as the next response", s, reason(s), cl, s);
    }
  }
}

static void missing_content_range(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 206 || hdr(h, "content-range")) continue;
    const char *ct = hdr(h, "content-type");
    if (ct && strncasecmp(ct, "multipart/byteranges", 20) == 0) continue;
    FIND(x, (int)i, "206 Partial Content without Content-Range (and not multipart/byteranges): "
         "nothing says which part of the resource this is");
  }
}

static void partial_content_without_range(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 206 && h->sent && !sent(h, "range"))
      FIND(x, (int)i, "206 Partial Content to a request that sent no Range header: a client that "
           "did not ask for a part may take it for the whole%s%s",
           hdr(h, "content-range") ? "; Content-Range: " : "",
           hdr(h, "content-range") ? hdr(h, "content-range") : "");
  }
}

static void content_length_mismatch(rule_ctx *x) {
  const hs_result *r = x->r;
  const hs_hop *h = hs__result_last_hop(r);
  if (!h || !h->status) return;
  int s = h->status;
  if (ieq(h->method, "HEAD") || s < 200 || s == 204 || s == 304) return;
  if (r->error != HS_ERR_NONE && r->error != HS_ERR_INCOMPLETE_BODY) return;
  if (hdr(h, "transfer-encoding") || hs__headers_count(&h->headers, "content-length") != 1) return;
  int64_t n = parse_length(hdr(h, "content-length"));
  if (n < 0 || n == (int64_t)r->body_len) return;
  FIND(x, (int)r->n_hops - 1, "Content-Length: %lld but %zu bytes of body %s", (long long)n,
       r->body_len, (int64_t)r->body_len < n ? "arrived before the connection ended" : "were received");
}

/* ---- 3xx ------------------------------------------------------------------------------ */

static void redirect_without_location(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (!is_followable(s)) continue;
    if (!h->location_url) /* the engine resolves every Location it gets */
      FIND(x, (int)i, h->location ? "%d with a Location that does not resolve (" CLIP "); not followed"
                                  : "%d without a Location header%s; nothing to follow",
           s, h->location ? h->location : "");
  }
}

static void redirect_not_followed(rule_ctx *x) {
  const hs_hop *h = hs__result_last_hop(x->r);
  if (!h) return;
  int s = h->status;
  if (s == 300 || s == 304 || s == 305 || s == 306)
    FIND(x, (int)x->r->n_hops - 1, "%d %s is never followed automatically; it is the final response%s",
         s, reason(s), s == 304 ? " (use the cached copy it refers to)" : "");
}

static void method_changed_to_get(rule_ctx *x) {
  for (size_t i = 0; i + 1 < x->r->n_hops; i++) {
    const hs_hop *h = &x->r->hops[i], *next = &x->r->hops[i + 1];
    if ((h->status == 301 || h->status == 302) && ieq(h->method, "POST") && ieq(next->method, "GET"))
      FIND(x, (int)i, "%d %s turned POST into GET for the next hop (the body was dropped), as "
           "browsers do; to keep the method and body use %s, or 303 to say a GET is meant",
           h->status, reason(h->status), h->status == 301 ? "308" : "307 (or 308 if the move is permanent)");
  }
}

static void permanent_redirect(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 301 && h->status != 308) continue;
    const char *t = h->location_url;
    if (t)
      FIND(x, (int)i, "%d %s is permanent: update stored links from %.200s to %.200s", h->status,
           reason(h->status), h->url, t);
  }
}

static void cross_origin_redirect(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (!is_followable(h->status)) continue;
    const char *t = h->location_url;
    char *from = hs__url_origin(h->url), *to = t ? hs__url_origin(t) : NULL;
    if (from && to && strcmp(from, to)) {
      /* What the engine keeps from another origin (API.md, Redirects). */
      const char *dropped = x->r->rq_secret_names ? x->r->rq_secret_names : "";
      bool followed = !is_last(x, i);
      FIND(x, (int)i, "%d redirects to another origin: %s to %s%s%s%s", h->status, from, to,
           followed && dropped[0] ? "; " : "", followed ? dropped : "",
           followed && dropped[0] ? " not sent there (nor to any later hop)" : "");
    }
    free(from); free(to);
  }
}

static void https_downgrade(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (!is_followable(h->status) || strncasecmp(h->url, "https:", 6)) continue;
    const char *t = h->location_url;
    if (t && strncasecmp(t, "http:", 5) == 0)
      FIND(x, (int)i, "redirect from https to plain http (%.200s)%s", t,
           !is_last(x, i) ? "; followed because allow_downgrade is set"
           : x->r->error == HS_ERR_DOWNGRADE_REFUSED ? "; refused" : "; not followed");
  }
}

static void long_redirect_chain(rule_ctx *x) {
  size_t redirects = x->r->n_hops ? x->r->n_hops - 1 : 0;
  if (redirects > 5)
    FIND(x, -1, "%zu redirects (%zu hops) before the final response: clients that stop after 5 "
         "(as HTTP/1.1 once recommended) give up, and each hop costs a round trip", redirects,
         x->r->n_hops);
}

static void multiple_choices(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 300) continue;
    hs_links links;
    hop_links(h, &links);
    char list[500] = "";
    size_t n = 0;
    for (size_t k = 0; k < links.n; k++) {
      if (hs__link_param(&links.v[k], "rel") && !rel_has(&links.v[k], "alternate")) continue;
      cat(list, sizeof list, "%s%.100s", n++ ? ", " : "", links.v[k].href);
    }
    hs__links_free(&links);
    const char *loc = hdr(h, "location");
    if (n || loc)
      FIND(x, (int)i, "300 Multiple Choices: %s%s%s%s" CLIP, n ? "the choices (Link): " : "", list,
           n && loc ? "; " : "", loc ? "the server prefers (Location) " : "", loc ? loc : "");
    else
      FIND(x, (int)i, "300 Multiple Choices lists no choice in Link or Location headers; they can "
           "only be in the body, for a person to pick");
  }
}

static void not_modified_unconditional(rule_ctx *x) {
  static const char *const cond[] = { "if-none-match", "if-modified-since", "if-match",
                                      "if-unmodified-since", "if-range" };
  EACH_HOP(x, i, h) {
    if (h->status != 304 || !h->sent) continue;
    bool conditional = false;
    for (size_t k = 0; k < sizeof cond / sizeof *cond; k++) conditional |= sent(h, cond[k]) != NULL;
    if (!conditional)
      FIND(x, (int)i, "304 Not Modified to a request that was not conditional (no If-None-Match or "
           "If-Modified-Since was sent): the client has no cached copy this could refer to");
  }
}

/* ---- 4xx ------------------------------------------------------------------------------ */

static void missing_www_authenticate(rule_ctx *x) {
  status_without(x, 401, "www-authenticate", "401 Unauthorized without WWW-Authenticate: the client is "
                 "not told which authentication scheme to use");
}

static void missing_proxy_authenticate(rule_ctx *x) {
  status_without(x, 407, "proxy-authenticate", "407 Proxy Authentication Required without "
                 "Proxy-Authenticate: the client is not told how to authenticate to the proxy");
}

static void auth_challenge(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 401 && h->status != 407) continue;
    bool proxy = h->status == 407;
    char list[400];
    challenges(h, proxy ? "proxy-authenticate" : "www-authenticate", list, sizeof list);
    if (!list[0]) continue;
    bool sent_creds = sent(h, proxy ? "proxy-authorization" : "authorization") != NULL;
    FIND(x, (int)i, "%d asks for %s%s", h->status, list,
         sent_creds ? (proxy ? "; the Proxy-Authorization sent was not accepted"
                             : "; the Authorization sent was not accepted")
                    : (proxy ? "; no Proxy-Authorization was sent" : "; no Authorization was sent"));
  }
}

static void missing_allow(rule_ctx *x) {
  status_without(x, 405, "allow", "405 Method Not Allowed without an Allow header: the client is not "
                 "told which methods would work");
}

static void allowed_methods(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 405) continue;
    char list[300] = "";
    for (size_t k = 0; k < h->headers.n; k++)
      if (hs__strcaseeq(h->headers.v[k].name, "allow"))
        cat(list, sizeof list, "%s%.100s", list[0] ? ", " : "", h->headers.v[k].value);
    if (!hdr(h, "allow")) continue;
    bool empty = strspn(list, " \t,") == strlen(list);
    FIND(x, (int)i, empty ? "%s is not allowed on %.200s, and Allow is empty: no method is"
                          : "%s is not allowed on %.200s; Allow: %s",
         h->method, h->url, list);
  }
}

static void content_too_large(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 413) continue;
    const char *cl = sent(h, "content-length"), *first;
    hs_retry_after ra = hop_retry_after(x, h, &first);
    char size[64] = "";
    if (cl) snprintf(size, sizeof size, " (%.30s bytes sent)", cl);
    if (ra.kind == HS_RA_DELTA || ra.kind == HS_RA_DATE)
      FIND(x, (int)i, "413 Content Too Large: the server refused the request content%s; Retry-After: "
           CLIP " says the limit is temporary", size, first);
    else
      FIND(x, (int)i, "413 Content Too Large: the server refused the request content%s; without "
           "Retry-After the limit is not temporary: send less", size);
  }
}

static void range_not_satisfiable_without_content_range(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 416 && !hdr(h, "content-range"))
      FIND(x, (int)i, "416 Range Not Satisfiable without Content-Range: bytes */LENGTH would tell the "
           "client the current size%s%s", sent(h, "range") ? "; Range sent: " : "",
           sent(h, "range") ? sent(h, "range") : "");
  }
}

static void unavailable_for_legal_reasons(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 451) continue;
    hs_links links;
    hop_links(h, &links);
    char by[400] = "";
    for (size_t k = 0; k < links.n; k++)
      if (rel_has(&links.v[k], "blocked-by"))
        cat(by, sizeof by, "%s%.150s", by[0] ? ", " : "", links.v[k].href);
    hs__links_free(&links);
    if (by[0])
      FIND(x, (int)i, "451 Unavailable For Legal Reasons; blocked by %s (Link rel=\"blocked-by\")", by);
    else
      FIND(x, (int)i, "451 Unavailable For Legal Reasons, with no Link rel=\"blocked-by\" naming who "
           "blocks it");
  }
}

/* ---- 5xx ------------------------------------------------------------------------------ */

static void missing_retry_after(rule_ctx *x) {
  /* Every try counts: a 503 that was retried is no longer the hop's response. */
  int last_hop = -1;
  for (size_t i = 0; i < x->r->n_attempts; i++) {
    const hs_attempt *a = &x->r->attempts[i];
    if (!a->no_retry_after || (int)a->hop == last_hop) continue;
    last_hop = (int)a->hop;
    FIND(x, (int)a->hop, "%d without Retry-After (try %zu): clients can only guess when to come back",
         a->status, i + 1);
  }
}

static void get_not_implemented(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 501 && (ieq(h->method, "GET") || ieq(h->method, "HEAD")))
      FIND(x, (int)i, "501 Not Implemented for %s: every general-purpose server must support GET "
           "and HEAD", h->method);
  }
}

static void http_version_not_supported(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status != 505) continue;
    const char *v = x->r->rq_http_version;
    FIND(x, (int)i, "505 HTTP Version Not Supported: the server refuses the HTTP version of the "
         "request%s%s%s; its body should say which versions it supports", v ? " (HTTP/" : "",
         v ? v : "", v ? ")" : "");
  }
}

static void loop_detected(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 508)
      FIND(x, (int)i, "508 Loop Detected: the server met an infinite loop while processing the request "
           "(WebDAV, e.g. Depth: infinity over bindings); repeating it will not help");
  }
}

/* ---- any class ------------------------------------------------------------------------ */

static void status_out_of_range(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status < 100 || h->status > 599)
      FIND(x, (int)i, "status %d is outside 100-599; treated as a server error (RFC 9110 §15)", h->status);
  }
}

static void unknown_status(rule_ctx *x) {
  for (size_t k = 0; k < x->r->n_interim; k++) {
    int s = x->r->interim[k].status;
    if (s >= 100 && s <= 599 && !(hs_status_flags(s) & HS_STATUS_KNOWN))
      FIND(x, (int)x->r->interim[k].hop, "interim status %d is not a registered code; it is treated "
           "as 100 Continue", s);
  }
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (s < 100 || s > 599 || (hs_status_flags(s) & HS_STATUS_KNOWN)) continue;
    int as = hs_status_treat_as(s);
    FIND(x, (int)i, "%d is not a registered status code; clients treat it as %d %s", s, as, reason(as));
  }
}

static void deprecated_status(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (!(hs_status_flags(s) & HS_STATUS_DEPRECATED)) continue;
    FIND(x, (int)i, "%d %s is deprecated%s", s, reason(s),
         s == 305 ? ": clients ignore it for security reasons (it told them to use a proxy)"
         : s == 306 ? ": the code is reserved and unused; no client knows what to do with it"
         : ": its specification (RFC 2774) is historic");
  }
}

static void experimental_status(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (hs_status_flags(s) & HS_STATUS_EXPERIMENTAL)
      FIND(x, (int)i, "%d %s is %s", s, reason(s),
           s == 402 ? "reserved for future use; what it means is up to this server"
                    : "experimental; clients may not know it");
  }
}

static bool reason_matches(int code, const char *phrase) {
  size_t n = strlen(phrase);
  while (n && (phrase[n - 1] == ' ' || phrase[n - 1] == '\t')) n--;
  const char *r = hs_status_reason(code);
  if (r && strlen(r) == n && strncasecmp(r, phrase, n) == 0) return true;
  for (size_t k = 0; (r = hs_status_alias(code, k)); k++)
    if (strlen(r) == n && strncasecmp(r, phrase, n) == 0) return true;
  return false;
}

static void nonstandard_reason_phrase(rule_ctx *x) {
  /* An empty phrase is allowed (RFC 9112 §4); HTTP/2 and 3 have none. */
  for (size_t k = 0; k < x->r->n_interim; k++) {
    const hs_interim *it = &x->r->interim[k];
    if (it->reason_phrase && it->reason_phrase[0] && (hs_status_flags(it->status) & HS_STATUS_KNOWN) &&
        !reason_matches(it->status, it->reason_phrase))
      FIND(x, (int)it->hop, "interim %d came with the reason phrase \"" CLIP "\", not \"%s\"",
           it->status, it->reason_phrase, reason(it->status));
  }
  EACH_HOP(x, i, h) {
    int s = h->status;
    if (h->reason_phrase && h->reason_phrase[0] && (hs_status_flags(s) & HS_STATUS_KNOWN) &&
        !reason_matches(s, h->reason_phrase))
      FIND(x, (int)i, "%d came with the reason phrase \"" CLIP "\", not \"%s\"; clients go by the "
           "code alone", s, h->reason_phrase, reason(s));
  }
}

static void missing_date(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status >= 200 && h->status <= 499 && !hdr(h, "date"))
      FIND(x, (int)i, "%d without a Date header: an origin server with a clock must send one, and "
           "caches and Retry-After dates are read against it", h->status);
  }
}

static void retry_after_invalid(rule_ctx *x) {
  /* Earlier tries of a hop are gone from the hop's headers; their attempts keep it. */
  for (size_t k = 0; k < x->r->n_attempts; k++) {
    const hs_attempt *a = &x->r->attempts[k];
    if (a->bad_retry_after && k + 1 < x->r->n_attempts && x->r->attempts[k + 1].hop == a->hop)
      FIND(x, (int)a->hop, "Retry-After \"" CLIP "\" on try %zu is not delta-seconds or an HTTP-date; fell back to backoff",
           a->bad_retry_after, k + 1);
  }
  EACH_HOP(x, i, h) {
    const char *first;
    hs_retry_after ra = hop_retry_after(x, h, &first);
    if (ra.kind == HS_RA_INVALID)
      FIND(x, (int)i, "Retry-After \"" CLIP "\"%s is not delta-seconds or an HTTP-date; fell back to backoff",
           first, hs__headers_count(&h->headers, "retry-after") > 1 ? " (repeated with different values)" : "");
  }
}

static void retry_after_past(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    const char *first;
    hs_retry_after ra = hop_retry_after(x, h, &first);
    if (ra.kind == HS_RA_DATE && ra.past)
      FIND(x, (int)i, "Retry-After: " CLIP " is in the past (against %s); it counts as 0, so there "
           "is no wait", first, hdr(h, "date") ? "the response's Date" : "this machine's clock");
  }
}

static void retry_after_given(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    if (h->status == 202 || h->status == 413) continue; /* their own rules name it */
    const char *first;
    hs_retry_after ra = hop_retry_after(x, h, &first);
    bool valid = ra.kind == HS_RA_DELTA || (ra.kind == HS_RA_DATE && !ra.past);
    /* What the engine did with it: the last wait a Retry-After caused after a try of this hop.
     * An earlier try's response is gone once retried, but its attempt keeps status and wait. */
    const hs_attempt *waited = NULL;
    size_t nth = 0, tries = 0;
    for (size_t k = 0; k < x->r->n_attempts; k++) {
      const hs_attempt *a = &x->r->attempts[k];
      if (a->hop != i) continue;
      tries++;
      if (a->wait_us != HS_NONE && a->cause && !strcmp(a->cause, "retry-after")) waited = a, nth = tries;
    }
    char did[160] = "";
    if (waited)
      snprintf(did, sizeof did, "; waited %.3g s before the next %s", waited->wait_us / 1e6,
               waited->status >= 300 && waited->status <= 399 ? "hop" : "try");
    else if (valid && is_last(x, i) && x->r->error == HS_ERR_RETRY_BUDGET)
      snprintf(did, sizeof did, "; longer than the retry budget, so not waited for");
    if (valid)
      FIND(x, (int)i, "%d with Retry-After: " CLIP ": come back in %lld s%s", h->status, first,
           (long long)ra.delay_s, did);
    else if (waited)
      FIND(x, (int)i, "try %zu got %d with Retry-After%s", nth, waited->status, did);
  }
}

static void heuristic_caching(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int s = h->status;
    /* 200, 203, 204, 206 are left out: heuristic caching of successes is everyday HTTP. */
    if (!(hs_status_flags(s) & HS_STATUS_CACHEABLE) || s == 200 || s == 203 || s == 204 || s == 206)
      continue;
    if (hdr(h, "cache-control") || hdr(h, "expires")) continue;
    FIND(x, (int)i, "%d %s is cacheable by default and came without Cache-Control or Expires: caches "
         "may keep reusing it for a time of their own choosing; send Cache-Control: no-store if it "
         "must not be stored, or max-age to say for how long", s, reason(s));
  }
}

static void duplicate_content_length(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    int64_t seen = -2;
    size_t count = 0;
    bool differ = false;
    char list[300] = "";
    for (size_t k = 0; k < h->headers.n; k++) {
      if (!hs__strcaseeq(h->headers.v[k].name, "content-length")) continue;
      const char *v = h->headers.v[k].value;
      cat(list, sizeof list, "%s%.60s", list[0] ? ", " : "", v);
      /* "5, 5" is one field holding a list: each element counts (RFC 9110 §8.6). */
      for (const char *p = v; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        count++;
        char *end;
        long long n = isdigit((unsigned char)*p) ? strtoll(p, &end, 10) : -1;
        if (n < 0) { differ = true; break; }
        if (seen != -2 && seen != n) differ = true;
        seen = n;
        p = end;
        while (*p && *p != ',') { if (*p != ' ' && *p != '\t') differ = true; p++; }
      }
    }
    if (differ && count > 1)
      FIND(x, (int)i, "Content-Length values disagree (%s): the body's end is ambiguous, and the "
           "response must be treated as broken", list);
  }
}

static void content_length_with_transfer_encoding(rule_ctx *x) {
  EACH_HOP(x, i, h) {
    const char *cl = hdr(h, "content-length"), *te = hdr(h, "transfer-encoding");
    if (cl && te)
      FIND(x, (int)i, "Content-Length: " CLIP " together with Transfer-Encoding: " CLIP ": a server "
           "must not send both; Content-Length was ignored, and intermediaries that read it "
           "differently can be smuggled past", cl, te);
  }
}

static void tls_not_verified(rule_ctx *x) {
  if (x->r->rq_verify) return;
  for (size_t i = 0; i < x->r->n_hops; i++) /* with or without a response: TLS came first */
    if (strncasecmp(x->r->hops[i].url, "https:", 6) == 0) {
      FIND(x, (int)i, "TLS certificate verification is off (verify = false): anyone on the path could answer");
      return;
    }
}

/* ---- the table: one row per rule, grouped by status class --------------------------- */

static const rule RULES[] = {
  /* 1xx */
  { "interim-to-http10", "warning", "A 1xx interim response to an HTTP/1.0 request",
    "RFC 9110 §15.2", interim_to_http10 },
  { "early-hints-without-link", "info", "103 Early Hints without a Link header",
    "RFC 8297 §2", early_hints_without_link },
  { "missing-upgrade", "warning", "101 or 426 without an Upgrade header",
    "RFC 9110 §15.2.2, §15.5.22", missing_upgrade },
  { "unrequested-upgrade", "warning", "101 to a request that offered no Upgrade",
    "RFC 9110 §7.8", unrequested_upgrade },
  /* 2xx */
  { "created-without-location", "info", "201 Created without a Location header",
    "RFC 9110 §15.3.2", created_without_location },
  { "accepted-for-processing", "info", "202 Accepted: the outcome is not known yet; where and when to look",
    "RFC 9110 §15.3.3", accepted_for_processing },
  { "body-not-allowed", "warning", "204, 205 or 304 with content",
    "RFC 9110 §15.3.5, §15.3.6, §15.4.5", body_not_allowed },
  { "missing-content-range", "warning", "206 without Content-Range",
    "RFC 9110 §15.3.7", missing_content_range },
  { "partial-content-without-range", "warning", "206 to a request that sent no Range",
    "RFC 9110 §14.2, §15.3.7", partial_content_without_range },
  { "content-length-mismatch", "warning", "Content-Length disagrees with the body received",
    "RFC 9112 §6.3", content_length_mismatch },
  /* 3xx */
  { "redirect-without-location", "warning", "A redirect status without a usable Location",
    "RFC 9110 §10.2.2", redirect_without_location },
  { "redirect-not-followed", "info", "300, 304, 305 and 306 are not followed automatically",
    "RFC 9110 §15.4", redirect_not_followed },
  { "method-changed-to-get", "info", "A 301 or 302 turned POST into GET",
    "RFC 9110 §15.4.2, §15.4.3", method_changed_to_get },
  { "permanent-redirect", "info", "301 or 308: update stored links",
    "RFC 9110 §15.4.2, §15.4.9", permanent_redirect },
  { "cross-origin-redirect", "info", "A redirect to another origin (scheme, host or port)",
    "RFC 9110 §15.4, RFC 6454 §4", cross_origin_redirect },
  { "https-downgrade", "warning", "A redirect from https to http",
    "RFC 9110 §4.2.2", https_downgrade },
  { "long-redirect-chain", "info", "More than 5 redirects",
    "RFC 9110 §15.4", long_redirect_chain },
  { "multiple-choices", "info", "300 Multiple Choices: the choices offered",
    "RFC 9110 §15.4.1", multiple_choices },
  { "not-modified-unconditional", "warning", "304 to a request that was not conditional",
    "RFC 9110 §15.4.5, §13.1", not_modified_unconditional },
  /* 4xx */
  { "missing-www-authenticate", "warning", "401 without WWW-Authenticate",
    "RFC 9110 §15.5.2, §11.6.1", missing_www_authenticate },
  { "missing-proxy-authenticate", "warning", "407 without Proxy-Authenticate",
    "RFC 9110 §15.5.8, §11.7.1", missing_proxy_authenticate },
  { "auth-challenge", "info", "401 or 407: the authentication schemes asked for",
    "RFC 9110 §11.6.1", auth_challenge },
  { "missing-allow", "warning", "405 without an Allow header",
    "RFC 9110 §15.5.6, §10.2.1", missing_allow },
  { "allowed-methods", "info", "405: the methods Allow lists",
    "RFC 9110 §10.2.1", allowed_methods },
  { "content-too-large", "info", "413: temporary (Retry-After) or not",
    "RFC 9110 §15.5.14", content_too_large },
  { "range-not-satisfiable-without-content-range", "info", "416 without Content-Range",
    "RFC 9110 §15.5.17", range_not_satisfiable_without_content_range },
  { "unavailable-for-legal-reasons", "info", "451: who blocks it (Link rel=\"blocked-by\")",
    "RFC 7725 §3, §4", unavailable_for_legal_reasons },
  /* 5xx */
  { "missing-retry-after", "info", "429 or 503 without Retry-After",
    "RFC 6585 §4, RFC 9110 §15.6.4", missing_retry_after },
  { "get-not-implemented", "warning", "501 Not Implemented for GET or HEAD",
    "RFC 9110 §9.1, §15.6.2", get_not_implemented },
  { "http-version-not-supported", "info", "505: the server refuses the request's HTTP version",
    "RFC 9110 §15.6.6", http_version_not_supported },
  { "loop-detected", "info", "508 Loop Detected (WebDAV)",
    "RFC 5842 §7.2", loop_detected },
  /* any class */
  { "status-out-of-range", "warning", "A status code outside 100-599",
    "RFC 9110 §15", status_out_of_range },
  { "unknown-status", "info", "An unregistered status code, treated as the x00 of its class",
    "RFC 9110 §15", unknown_status },
  { "deprecated-status", "warning", "A deprecated status code (305, 306, 510)",
    "RFC 9110 §15.4.6, §15.4.7; RFC 2774", deprecated_status },
  { "experimental-status", "info", "An experimental or reserved status code (402, 425)",
    "RFC 9110 §15.5.3, RFC 8470 §5.2", experimental_status },
  { "nonstandard-reason-phrase", "info", "A reason phrase that is not the registered one for its code",
    "RFC 9112 §4", nonstandard_reason_phrase },
  { "missing-date", "info", "A 2xx, 3xx or 4xx without a Date header",
    "RFC 9110 §6.6.1", missing_date },
  { "retry-after-invalid", "warning", "Retry-After that is neither delta-seconds nor an HTTP-date",
    "RFC 9110 §10.2.3", retry_after_invalid },
  { "retry-after-past", "info", "Retry-After with a date in the past",
    "RFC 9110 §10.2.3", retry_after_past },
  { "retry-after-given", "info", "Retry-After: when to come back, and whether it was waited for",
    "RFC 9110 §10.2.3", retry_after_given },
  { "heuristic-caching", "info", "A cacheable-by-default redirect or error without Cache-Control or Expires",
    "RFC 9111 §4.2.2, RFC 9110 §15.1", heuristic_caching },
  { "duplicate-content-length", "error", "Content-Length values that disagree",
    "RFC 9110 §8.6, RFC 9112 §6.3", duplicate_content_length },
  { "content-length-with-transfer-encoding", "error", "Content-Length together with Transfer-Encoding",
    "RFC 9112 §6.1, §6.3", content_length_with_transfer_encoding },
  { "tls-not-verified", "warning", "TLS verification was turned off",
    "RFC 9110 §4.3.4", tls_not_verified },
};
#define N_RULES (sizeof RULES / sizeof *RULES)

void hs__findings_ensure(const hs_result *cr) {
  hs_result *r = (hs_result *)cr; /* findings are a cache of what the result already says */
  if (!r || r->findings_done || r->packed) return;
  r->findings_done = true;
  if (r->rq_findings) hs__findings_run(r);
}

/* A packed result never changes (nothing would free what it grew). */
const hs_result *hs__findings_view(const hs_result *r, hs_result *tmp) {
  if (!r->packed || r->findings_done) {
    hs__findings_ensure(r);
    return r;
  }
  *tmp = *r;
  tmp->packed = false;
  tmp->findings = NULL;
  tmp->n_findings = tmp->cap_findings = 0;
  hs__findings_ensure(tmp);
  return tmp;
}

void hs__findings_view_end(const hs_result *view, const hs_result *r) {
  if (view == r) return;
  for (size_t i = 0; i < view->n_findings; i++) free(view->findings[i].message);
  free(view->findings);
}

void hs__findings_run(hs_result *r) {
  for (size_t i = 0; i < N_RULES; i++) {
    rule_ctx x = { r, &RULES[i] };
    RULES[i].check(&x);
  }
}

size_t hs_rule_count(void) { return N_RULES; }
const char *hs_rule_id(size_t i) { return i < N_RULES ? RULES[i].id : NULL; }
const char *hs_rule_severity(size_t i) { return i < N_RULES ? RULES[i].severity : NULL; }
const char *hs_rule_summary(size_t i) { return i < N_RULES ? RULES[i].summary : NULL; }
const char *hs_rule_spec(size_t i) { return i < N_RULES ? RULES[i].spec : NULL; }
