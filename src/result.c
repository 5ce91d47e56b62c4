/* hs_result: what happened, hop by hop. Built by the engine, read-only after. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The first hop and try, behind the result (hs__result_new). */
typedef struct result_room { hs_result r; hs_hop hop; hs_attempt attempt; } result_room;

hs_result *hs__result_new(void) {
  result_room *room = malloc(sizeof *room);
  if (!room) return NULL;
  hs_result *r = &room->r;
  memset(r, 0, sizeof *r);
  r->hops = &room->hop;
  r->cap_hops = 1;
  r->attempts = &room->attempt;
  r->cap_attempts = 1;
  r->refs = 1;
  r->retry_after_us = HS_NONE;
  r->queue_us = r->total_us = HS_NONE;
  r->started_at = hs__wall_now();
  return r;
}

/* hs__grow for an array that may still be in the result's own room (at `room`). */
static int grow(void **v, size_t *cap, size_t n, size_t sz, void *room) {
  if (n < *cap || *v != room) return hs__grow(v, cap, n, sz);
  void *p = malloc(2 * *cap * sz);
  if (!p) return -1;
  memcpy(p, room, n * sz);
  *v = p;
  *cap *= 2;
  return 0;
}

hs_hop *hs__result_add_hop(hs_result *r, const char *url, const char *method) {
  if (grow((void **)&r->hops, &r->cap_hops, r->n_hops, sizeof *r->hops, &((result_room *)r)->hop)) return NULL;
  hs_hop *h = &r->hops[r->n_hops];
  memset(h, 0, sizeof *h);
  h->url = hs__strdup(url);
  h->method = method ? hs__str_common(method, strlen(method)) : NULL;
  if (!h->url || !h->method) { free(h->url); hs__str_free(h->method); return NULL; }
  r->n_hops++;
  return h;
}

hs_attempt *hs__result_add_attempt(hs_result *r, size_t hop) {
  if (grow((void **)&r->attempts, &r->cap_attempts, r->n_attempts, sizeof *r->attempts,
           &((result_room *)r)->attempt))
    return NULL;
  hs_attempt *a = &r->attempts[r->n_attempts];
  memset(a, 0, sizeof *a);
  a->hop = hop;
  a->wait_us = HS_NONE;
  hs__timing_none(&a->timing);
  r->n_attempts++;
  return a;
}

hs_interim *hs__result_add_interim(hs_result *r) {
  if (hs__grow((void **)&r->interim, &r->cap_interim, r->n_interim, sizeof *r->interim))
    return NULL;
  hs_interim *i = &r->interim[r->n_interim++];
  memset(i, 0, sizeof *i);
  return i;
}

int hs__result_add_finding(hs_result *r, const char *id, const char *severity, int hop, const char *message) {
  if (hs__grow((void **)&r->findings, &r->cap_findings, r->n_findings, sizeof *r->findings))
    return -1;
  hs_finding *f = &r->findings[r->n_findings];
  f->id = id;
  f->severity = severity;
  f->hop = hop;
  if (!(f->message = hs__strdup(message))) return -1;
  r->n_findings++;
  return 0;
}

void hs__result_set_error(hs_result *r, hs_error_kind kind, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(r->error_message);
  r->error = kind;
  r->error_message = hs__strdup(buf);
}

const hs_timing *hs__hop_timing(const hs_result *r, size_t hop) {
  static const hs_timing none = { HS_NONE, HS_NONE, HS_NONE, HS_NONE, HS_NONE, HS_NONE, HS_NONE, HS_NONE, false };
  for (size_t i = r->n_attempts; i-- > 0;)
    if (r->attempts[i].hop == hop) return &r->attempts[i].timing;
  return &none;
}

void hs__result_timing(const hs_result *r, hs_timing *sum) {
  hs__timing_none(sum);
  int64_t *dst[] = { &sum->dns, &sum->connect, &sum->tls, &sum->send, &sum->wait, &sum->receive };
  for (size_t i = 0; i < r->n_attempts; i++) {
    const hs_timing *t = &r->attempts[i].timing;
    const int64_t src[] = { t->dns, t->connect, t->tls, t->send, t->wait, t->receive };
    for (size_t k = 0; k < 6; k++)
      if (src[k] != HS_NONE) *dst[k] = (*dst[k] == HS_NONE ? 0 : *dst[k]) + src[k];
  }
  sum->queue = r->queue_us;
  sum->total = r->total_us;
  sum->reused = r->n_hops && hs__hop_timing(r, r->n_hops - 1)->reused;
}

const hs_headers *hs__hop_request_headers(const hs_hop *h) {
  static const hs_headers none;
  return h->sent ? &h->sent->h : &none;
}

hs_hop *hs__result_last_hop(const hs_result *r) {
  return r->n_hops ? &r->hops[r->n_hops - 1] : NULL;
}

static void hop_free(hs_hop *h) {
  free(h->url); hs__str_free(h->method); hs__str_free(h->reason_phrase);
  free(h->location); free(h->location_url);
  hs__tls_info_free(h->tls);
  hs__headers_free(&h->headers);
  hs__sent_head_unref(h->sent);
}

void hs__result_drop_untried(hs_result *r) {
  if (!r || !r->n_attempts) return;
  hs_attempt *a = &r->attempts[r->n_attempts - 1];
  if (a->status || a->error || a->timing.total != HS_NONE) return;
  free(a->error_message);
  free(a->bad_retry_after);
  r->n_attempts--;
  if (r->n_hops && r->hops[r->n_hops - 1].tries == 0) hop_free(&r->hops[--r->n_hops]);
}

/* A packed result belongs to whoever holds its block. */
void hs_result_ref(hs_result *r) { if (r && !r->packed) r->refs++; }

void hs_result_unref(hs_result *r) {
  if (!r || r->packed || --r->refs > 0) return;
  for (size_t i = 0; i < r->n_hops; i++) hop_free(&r->hops[i]);
  for (size_t i = 0; i < r->n_interim; i++) {
    hs__str_free(r->interim[i].reason_phrase);
    hs__headers_free(&r->interim[i].headers);
    hs__links_free(&r->interim[i].links);
  }
  for (size_t i = 0; i < r->n_attempts; i++) {
    free(r->attempts[i].error_message);
    free(r->attempts[i].bad_retry_after);
  }
  for (size_t i = 0; i < r->n_findings; i++) free(r->findings[i].message);
  result_room *room = (result_room *)r;
  if (r->hops != &room->hop) free(r->hops);
  if (r->attempts != &room->attempt) free(r->attempts);
  free(r->interim); free(r->findings);
  if (r->trailers) hs__headers_free(r->trailers), free(r->trailers);
  free(r->rq_http_version);
  free(r->rq_secret_names);
  free(r->body); free(r->error_message); free(r->request_url); hs__str_free(r->request_method);
  free(r);
}

int hs_result_status(const hs_result *r) {
  const hs_hop *h = r ? hs__result_last_hop(r) : NULL;
  return h ? h->status : 0;
}

int hs_result_ok(const hs_result *r) {
  int s = hs_result_status(r);
  return r && r->error == HS_ERR_NONE && s >= 200 && s <= 299;
}

const char *hs_result_url(const hs_result *r) {
  const hs_hop *h = r ? hs__result_last_hop(r) : NULL;
  return h ? h->url : r ? r->request_url : NULL;
}

const char *hs_result_method(const hs_result *r) {
  const hs_hop *h = r ? hs__result_last_hop(r) : NULL;
  return h ? h->method : r ? r->request_method : NULL;
}

const char *hs_result_error_kind(const hs_result *r) { return r ? hs__error_kind_name(r->error) : NULL; }
const char *hs_result_error_message(const hs_result *r) { return r && r->error ? r->error_message : NULL; }

const char *hs_result_body(const hs_result *r, size_t *len) {
  if (len) *len = r ? r->body_len : 0;
  return r && r->body ? r->body : "";
}

size_t hs_result_hop_count(const hs_result *r) { return r ? r->n_hops : 0; }
int hs_result_hop_status(const hs_result *r, size_t hop) {
  return r && hop < r->n_hops ? r->hops[hop].status : 0;
}
size_t hs_result_interim_count(const hs_result *r) { return r ? r->n_interim : 0; }
int hs_result_interim_status(const hs_result *r, size_t i) {
  return r && i < r->n_interim ? r->interim[i].status : 0;
}
size_t hs_result_attempt_count(const hs_result *r) { return r ? r->n_attempts : 0; }
size_t hs_result_finding_count(const hs_result *r) {
  if (!r) return 0;
  hs_result tmp;
  const hs_result *v = hs__findings_view(r, &tmp);
  size_t n = v->n_findings;
  hs__findings_view_end(v, r);
  return n;
}
const char *hs_result_finding_id(const hs_result *r, size_t i) {
  if (!r) return NULL;
  hs_result tmp;
  const hs_result *v = hs__findings_view(r, &tmp);
  const char *id = i < v->n_findings ? v->findings[i].id : NULL; /* ids are static */
  hs__findings_view_end(v, r);
  return id;
}
int64_t hs_result_total_us(const hs_result *r) { return r ? r->total_us : HS_NONE; }

hs_code hs_result_header(const hs_result *r, const char *name, size_t index, int hop,
                         const char **value) {
  if (!r || !name || !value) return HS_E_BADARG;
  *value = NULL;
  if (!r->n_hops) return HS_E_NOTFOUND;
  size_t h = hop < 0 ? r->n_hops - 1 : (size_t)hop;
  if (h >= r->n_hops) return HS_E_BADARG;
  *value = hs__headers_get(&r->hops[h].headers, name, index);
  return *value ? HS_OK : HS_E_NOTFOUND;
}

void hs_free(void *p) { free(p); }
