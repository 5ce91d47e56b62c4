/* hs_result_to_json: the whole result as JSON, schema 1. Secrets are masked
 * unless asked for (API.md, Conventions). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void str(hs_buf *b, const char *s) {
  if (s) hs__buf_json_str(b, s, strlen(s)); else hs__buf_adds(b, "null");
}

static void secs(hs_buf *b, int64_t us) {
  if (us == HS_NONE) hs__buf_adds(b, "null"); else hs__buf_printf(b, "%.6f", us / 1e6);
}

static void headers(hs_buf *b, const hs_headers *h, int show_secrets) {
  hs__buf_adds(b, "[");
  for (size_t i = 0; i < h->n; i++) {
    hs__buf_adds(b, i ? ",[" : "[");
    str(b, h->v[i].name);
    hs__buf_adds(b, ",");
    str(b, !show_secrets && hs__header_is_secret(h->v[i].name) ? "(hidden)" : h->v[i].value);
    hs__buf_adds(b, "]");
  }
  hs__buf_adds(b, "]");
}

static void timing(hs_buf *b, const hs_timing *t) {
  hs__buf_adds(b, "{\"queue\":"); secs(b, t->queue);
  hs__buf_adds(b, ",\"dns\":"); secs(b, t->dns);
  hs__buf_adds(b, ",\"connect\":"); secs(b, t->connect);
  hs__buf_adds(b, ",\"tls\":"); secs(b, t->tls);
  hs__buf_adds(b, ",\"send\":"); secs(b, t->send);
  hs__buf_adds(b, ",\"wait\":"); secs(b, t->wait);
  hs__buf_adds(b, ",\"receive\":"); secs(b, t->receive);
  hs__buf_adds(b, ",\"total\":"); secs(b, t->total);
  hs__buf_printf(b, ",\"reused\":%s}", t->reused ? "true" : "false");
}

static void status(hs_buf *b, int s) {
  if (s) hs__buf_printf(b, "%d", s); else hs__buf_adds(b, "null");
}

char *hs_result_to_json(const hs_result *r, int show_secrets) {
  if (!r) return NULL;
  show_secrets = show_secrets || r->show_secrets;
  hs_buf b = {0};
  const hs_hop *last = hs__result_last_hop(r);
  int st = hs_result_status(r);
  hs__buf_adds(&b, "{\"schema\":1,\"status\":"); status(&b, st);
  hs__buf_adds(&b, ",\"reason\":"); str(&b, hs_status_reason(hs_status_treat_as(st)));
  hs__buf_adds(&b, ",\"reason_phrase\":"); str(&b, last ? last->reason_phrase : NULL);
  hs__buf_adds(&b, ",\"class\":");
  str(&b, st ? hs_class_name(st < 100 || st > 599 ? HS_CLASS_SERVER_ERROR : hs_status_class(st)) : NULL);
  hs__buf_printf(&b, ",\"ok\":%s,\"url\":", hs_result_ok(r) ? "true" : "false");
  str(&b, hs_result_url(r));
  hs__buf_adds(&b, ",\"method\":"); str(&b, hs_result_method(r));
  hs__buf_adds(&b, ",\"http_version\":"); str(&b, last && last->http_version[0] ? last->http_version : NULL);
  hs__buf_adds(&b, ",\"headers\":"); headers(&b, last ? &last->headers : &(hs_headers){0}, show_secrets);
  hs__buf_adds(&b, ",\"body\":"); hs__buf_json_str(&b, r->body ? r->body : "", r->body_len);
  hs__buf_printf(&b, ",\"started_at\":%.6f,\"timing\":", r->started_at);
  hs_timing sum;
  hs__result_timing(r, &sum);
  timing(&b, &sum);
  hs__buf_adds(&b, ",\"hops\":[");
  for (size_t i = 0; i < r->n_hops; i++) {
    const hs_hop *h = &r->hops[i];
    hs__buf_adds(&b, i ? ",{\"url\":" : "{\"url\":"); str(&b, h->url);
    hs__buf_adds(&b, ",\"method\":"); str(&b, h->method);
    hs__buf_adds(&b, ",\"status\":"); status(&b, h->status);
    hs__buf_adds(&b, ",\"reason_phrase\":"); str(&b, h->reason_phrase);
    hs__buf_adds(&b, ",\"location\":"); str(&b, h->location);
    hs__buf_adds(&b, ",\"location_url\":"); str(&b, h->location_url);
    hs__buf_printf(&b, ",\"tries\":%zu,\"headers\":", h->tries);
    headers(&b, &h->headers, show_secrets);
    hs__buf_adds(&b, ",\"request_headers\":"); headers(&b, hs__hop_request_headers(h), show_secrets);
    hs__buf_adds(&b, ",\"timing\":"); timing(&b, hs__hop_timing(r, i));
    hs__buf_adds(&b, "}");
  }
  hs__buf_adds(&b, "],\"interim\":[");
  for (size_t i = 0; i < r->n_interim; i++) {
    const hs_interim *it = &r->interim[i];
    hs__buf_printf(&b, "%s{\"status\":%d,\"hop\":%zu,\"at\":", i ? "," : "", it->status, it->hop + 1);
    secs(&b, it->at_us);
    hs__buf_adds(&b, ",\"reason_phrase\":"); str(&b, it->reason_phrase);
    hs__buf_adds(&b, ",\"headers\":"); headers(&b, &it->headers, show_secrets);
    hs__buf_adds(&b, ",\"links\":[");
    for (size_t k = 0; k < it->links.n; k++) {
      const hs_link *l = &it->links.v[k];
      hs__buf_adds(&b, k ? ",{\"href\":" : "{\"href\":"); str(&b, l->href);
      for (size_t p = 0; p < l->n_params; p++) {
        hs__buf_adds(&b, ","); str(&b, l->params[p].name);
        hs__buf_adds(&b, ":"); str(&b, l->params[p].value ? l->params[p].value : "");
      }
      hs__buf_adds(&b, "}");
    }
    hs__buf_adds(&b, "]}");
  }
  hs__buf_adds(&b, "],\"attempts\":[");
  for (size_t i = 0; i < r->n_attempts; i++) {
    const hs_attempt *a = &r->attempts[i];
    hs__buf_printf(&b, "%s{\"hop\":%zu,\"url\":", i ? "," : "", a->hop + 1);
    str(&b, r->hops[a->hop].url);
    hs__buf_adds(&b, ",\"method\":"); str(&b, r->hops[a->hop].method);
    hs__buf_adds(&b, ",\"status\":"); status(&b, a->status);
    hs__buf_adds(&b, ",\"error\":"); str(&b, hs__error_kind_name(a->error));
    hs__buf_adds(&b, ",\"started\":"); secs(&b, a->started_us);
    hs__buf_adds(&b, ",\"wait\":"); secs(&b, a->wait_us);
    hs__buf_adds(&b, ",\"cause\":"); str(&b, a->cause);
    if (a->held_us > 0) { hs__buf_adds(&b, ",\"held\":"); secs(&b, a->held_us); hs__buf_adds(&b, ",\"held_cause\":\"host-backoff\""); }
    if (a->sent_expect) {
      hs__buf_printf(&b, ",\"expect_continue\":true,\"got_100\":%s,\"expect_wait\":", a->got_100 ? "true" : "false");
      secs(&b, a->expect_wait_us);
    }
    hs__buf_adds(&b, ",\"timing\":"); timing(&b, &a->timing);
    hs__buf_adds(&b, "}");
  }
  hs__buf_adds(&b, "],\"error\":");
  if (r->error) {
    hs__buf_adds(&b, "{\"kind\":"); str(&b, hs__error_kind_name(r->error));
    hs__buf_adds(&b, ",\"message\":"); str(&b, r->error_message);
    hs__buf_printf(&b, ",\"detail\":{\"curl_code\":%d,\"os_errno\":%d},\"retry_after\":", r->curl_code, r->os_errno);
    secs(&b, r->retry_after_us);
    hs__buf_adds(&b, "}");
  } else {
    hs__buf_adds(&b, "null");
  }
  const hs_tls_info *t = hs__result_tls(r);
  hs__buf_adds(&b, ",\"tls\":");
  if (t) {
    hs__buf_adds(&b, "{\"version\":"); str(&b, t->version);
    hs__buf_adds(&b, ",\"cipher\":"); str(&b, t->cipher);
    hs__buf_adds(&b, ",\"subject\":"); str(&b, t->subject);
    hs__buf_adds(&b, ",\"issuer\":"); str(&b, t->issuer);
    hs__buf_adds(&b, ",\"not_after\":");
    if (t->not_after == HS_NONE) hs__buf_adds(&b, "null"); else hs__buf_printf(&b, "%lld", (long long)t->not_after);
    hs__buf_printf(&b, ",\"verified\":%s}", t->verified ? "true" : "false");
  } else {
    hs__buf_adds(&b, "null");
  }
  hs_result tmp;
  const hs_result *fr = hs__findings_view(r, &tmp);
  hs__buf_adds(&b, ",\"findings\":[");
  for (size_t i = 0; i < fr->n_findings; i++) {
    const hs_finding *f = &fr->findings[i];
    hs__buf_adds(&b, i ? ",{\"id\":" : "{\"id\":"); str(&b, f->id);
    hs__buf_adds(&b, ",\"severity\":"); str(&b, f->severity);
    hs__buf_adds(&b, ",\"message\":"); str(&b, f->message);
    if (f->hop >= 0) hs__buf_printf(&b, ",\"hop\":%d}", f->hop + 1); else hs__buf_adds(&b, ",\"hop\":null}");
  }
  hs__findings_view_end(fr, r);
  hs__buf_adds(&b, "]}");
  if (b.oom) { free(b.p); return NULL; }
  return b.p;
}
