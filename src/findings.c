/* The findings engine: each rule is a row (id, severity, summary, spec) and a small
 * function that looks at a finished result. One place to add a rule: RULES below.
 * Findings only describe; they never change what the request did. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "retry_after.h"

typedef struct rule_ctx {
  hs_result *r;
  const hs_request *req;
  const struct rule *rule;
} rule_ctx;

typedef void (*rule_fn)(rule_ctx *x);

typedef struct rule {
  const char *id, *severity, *summary, *spec;
  rule_fn check;
} rule;

#define FIND(x, hop, ...) finding((x), (hop), __VA_ARGS__)
static void finding(rule_ctx *x, int hop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
#include <stdio.h>
static void finding(rule_ctx *x, int hop, const char *fmt, ...) {
  char buf[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (hs__result_add_finding(x->r, x->rule->id, hop, "%s", buf) == 0)
    x->r->findings[x->r->n_findings - 1].severity = x->rule->severity;
}

static const char *hdr(const hs_hop *h, const char *name) { return hs__headers_get(&h->headers, name, 0); }

/* ---- the rules ------------------------------------------------------------------------ */

static void status_out_of_range(rule_ctx *x) {
  for (size_t i = 0; i < x->r->n_hops; i++) {
    int s = x->r->hops[i].status;
    if (s && (s < 100 || s > 599))
      FIND(x, (int)i, "status %d is outside 100-599; treated as a server error (RFC 9110 §15)", s);
  }
}

static void redirect_without_location(rule_ctx *x) {
  for (size_t i = 0; i < x->r->n_hops; i++) {
    const hs_hop *h = &x->r->hops[i];
    int s = h->status;
    if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && !h->location_url)
      FIND(x, (int)i, h->location ? "%d with a Location that does not resolve (%s); not followed"
                                  : "%d without a Location header%s; nothing to follow",
           s, h->location ? h->location : "");
  }
}

static void redirect_not_followed(rule_ctx *x) {
  const hs_hop *h = hs__result_last_hop(x->r);
  if (!h) return;
  int s = h->status;
  if (s == 300 || s == 304 || s == 305 || s == 306)
    FIND(x, (int)x->r->n_hops - 1, "%d is never followed automatically; it is the final response", s);
}

static void https_downgrade(rule_ctx *x) {
  for (size_t i = 0; i < x->r->n_hops; i++) {
    const hs_hop *h = &x->r->hops[i];
    if (h->location_url && strncasecmp(h->url, "https:", 6) == 0 &&
        strncasecmp(h->location_url, "http:", 5) == 0)
      FIND(x, (int)i, "redirect from https to plain http (%s)%s", h->location_url,
           x->r->error == HS_ERR_DOWNGRADE_REFUSED ? "; refused" : "; followed because allow_downgrade is set");
  }
}

static void tls_not_verified(rule_ctx *x) {
  if (x->req->verify) return;
  for (size_t i = 0; i < x->r->n_hops; i++)
    if (strncasecmp(x->r->hops[i].url, "https:", 6) == 0) {
      FIND(x, (int)i, "TLS certificate verification is off (verify = false): anyone on the path could answer");
      return;
    }
}

static void retry_after_invalid(rule_ctx *x) {
  for (size_t i = 0; i < x->r->n_hops; i++) {
    const hs_hop *h = &x->r->hops[i];
    const char *vals[8];
    size_t n = 0;
    const char *v;
    while (n < 8 && (v = hs__headers_get(&h->headers, "retry-after", n))) vals[n++] = v;
    if (!n) continue;
    hs_retry_after ra = hs__retry_after_parse(vals, n, hdr(h, "date"), (int64_t)hs__wall_now());
    if (ra.kind == HS_RA_INVALID)
      FIND(x, (int)i, "Retry-After \"%s\"%s is not delta-seconds or an HTTP-date; fell back to backoff",
           vals[0], n > 1 ? " (repeated with different values)" : "");
  }
}

static void missing_retry_after(rule_ctx *x) {
  for (size_t i = 0; i < x->r->n_hops; i++) {
    const hs_hop *h = &x->r->hops[i];
    if ((h->status == 429 || h->status == 503) && !hdr(h, "retry-after"))
      FIND(x, (int)i, "%d without Retry-After: clients can only guess when to come back", h->status);
  }
}

static const rule RULES[] = {
  { "status-out-of-range", "warning", "A status code outside 100-599", "RFC 9110 §15", status_out_of_range },
  { "redirect-without-location", "warning", "A redirect status without a usable Location", "RFC 9110 §10.2.2", redirect_without_location },
  { "redirect-not-followed", "info", "300, 304, 305 and 306 are not followed automatically", "RFC 9110 §15.4", redirect_not_followed },
  { "https-downgrade", "warning", "A redirect from https to http", "RFC 9110 §4.2.2", https_downgrade },
  { "tls-not-verified", "warning", "TLS verification was turned off", "RFC 9110 §4.3.4", tls_not_verified },
  { "retry-after-invalid", "warning", "Retry-After that is neither delta-seconds nor an HTTP-date", "RFC 9110 §10.2.3", retry_after_invalid },
  { "missing-retry-after", "info", "429 or 503 without Retry-After", "RFC 6585 §4, RFC 9110 §15.6.4", missing_retry_after },
};
#define N_RULES (sizeof RULES / sizeof *RULES)

void hs__findings_run(hs_result *r, const hs_request *req) {
  for (size_t i = 0; i < N_RULES; i++) {
    rule_ctx x = { r, req, &RULES[i] };
    RULES[i].check(&x);
  }
}

size_t hs_rule_count(void) { return N_RULES; }
const char *hs_rule_id(size_t i) { return i < N_RULES ? RULES[i].id : NULL; }
const char *hs_rule_severity(size_t i) { return i < N_RULES ? RULES[i].severity : NULL; }
const char *hs_rule_summary(size_t i) { return i < N_RULES ? RULES[i].summary : NULL; }
const char *hs_rule_spec(size_t i) { return i < N_RULES ? RULES[i].spec : NULL; }
