/* A finished result copied into one block its holder owns (the Lua binding: a
 * result userdata). A result is built piece by piece (a dozen allocations: hops,
 * tries, header lists, strings, the body); a host that frees results long after
 * they were made (Lua's collector) would touch every piece again, cold, and Lua
 * would not know what they weigh. The packed copy needs nothing freed: it is
 * never changed (findings not yet worked out are worked out on a copy of its
 * record: hs__findings_view), and its request heads are not referenced: the
 * block's holder keeps them alive.
 *
 * One walk does both jobs: with no block it only measures, with one it copies.
 * Every record is built in a local and stored only when there is somewhere to
 * store it, so the two walks cannot disagree. Static strings (hs__str_common)
 * stay static. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct packer { char *base; size_t off; } packer;

static void *take(packer *p, size_t n) {
  p->off = (p->off + 7) & ~(size_t)7; /* records hold 8-byte fields */
  void *at = p->base ? p->base + p->off : NULL;
  p->off += n;
  return at;
}

static void *copy(packer *p, const void *src, size_t n) {
  void *at = take(p, n);
  if (at && n) memcpy(at, src, n);
  return at;
}

static char *str(packer *p, const char *s) {
  if (!s || hs__str_is_common(s)) return (char *)s;
  size_t n = strlen(s) + 1;
  char *at = p->base ? p->base + p->off : NULL; /* strings need no alignment */
  if (at) memcpy(at, s, n);
  p->off += n;
  return at;
}

static void headers(packer *p, hs_headers *dst, const hs_headers *src) {
  *dst = (hs_headers){ 0 };
  if (!src->n) return;
  hs_header *v = take(p, src->n * sizeof *v);
  char *block = src->block ? copy(p, src->block, src->block_len) : NULL;
  if (src->block) {
    /* A list cut from a block is read-only: all its names and values lie in it. */
    for (size_t i = 0; v && i < src->n; i++) {
      const hs_header *s = &src->v[i];
      v[i].name = block + (s->name - src->block);
      v[i].value = s->value ? block + (s->value - src->block) : NULL;
    }
  } else {
    for (size_t i = 0; i < src->n; i++) {
      hs_header e = { str(p, src->v[i].name), str(p, src->v[i].value) };
      if (v) v[i] = e;
    }
  }
  dst->v = v;
  dst->n = dst->cap = src->n;
  dst->block = block;
  dst->block_len = src->block_len;
}

static void links(packer *p, hs_links *dst, const hs_links *src) {
  *dst = (hs_links){ 0 };
  if (!src->n) return;
  hs_link *v = take(p, src->n * sizeof *v);
  for (size_t i = 0; i < src->n; i++) {
    const hs_link *s = &src->v[i];
    hs_link l = { str(p, s->href), NULL, s->n_params };
    if (s->n_params) {
      l.params = take(p, s->n_params * sizeof *l.params);
      for (size_t k = 0; k < s->n_params; k++) {
        hs_link_param q = { str(p, s->params[k].name), str(p, s->params[k].value) };
        if (l.params) l.params[k] = q;
      }
    }
    if (v) v[i] = l;
  }
  dst->v = v;
  dst->n = dst->cap = src->n;
}

static hs_tls_info *tls(packer *p, const hs_tls_info *src) {
  if (!src) return NULL;
  hs_tls_info *t = take(p, sizeof *t);
  hs_tls_info c = *src;
  c.version = str(p, src->version);
  c.cipher = str(p, src->cipher);
  c.subject = str(p, src->subject);
  c.issuer = str(p, src->issuer);
  if (t) *t = c;
  return t;
}

static void hop(packer *p, hs_hop *dst, const hs_hop *src) {
  *dst = *src;
  dst->url = str(p, src->url);
  dst->method = str(p, src->method);
  dst->reason_phrase = str(p, src->reason_phrase);
  headers(p, &dst->headers, &src->headers);
  dst->location = str(p, src->location);
  dst->location_url = str(p, src->location_url);
  dst->tls = tls(p, src->tls);
}

/* The walk: returns the block's size; fills out only when p->base is set. */
static size_t walk(packer *p, const hs_result *src) {
  hs_result *r = take(p, sizeof *r);
  hs_result c = *src;
  c.refs = 1;
  c.packed = true;

  c.hops = c.n_hops ? take(p, c.n_hops * sizeof *c.hops) : NULL;
  c.cap_hops = c.n_hops;
  for (size_t i = 0; i < c.n_hops; i++) {
    hs_hop h;
    hop(p, &h, &src->hops[i]);
    if (c.hops) c.hops[i] = h;
  }
  c.interim = c.n_interim ? take(p, c.n_interim * sizeof *c.interim) : NULL;
  c.cap_interim = c.n_interim;
  for (size_t i = 0; i < c.n_interim; i++) {
    hs_interim x = src->interim[i];
    x.reason_phrase = str(p, x.reason_phrase);
    headers(p, &x.headers, &src->interim[i].headers);
    links(p, &x.links, &src->interim[i].links);
    if (c.interim) c.interim[i] = x;
  }
  c.attempts = c.n_attempts ? take(p, c.n_attempts * sizeof *c.attempts) : NULL;
  c.cap_attempts = c.n_attempts;
  for (size_t i = 0; i < c.n_attempts; i++) {
    hs_attempt a = src->attempts[i];
    a.error_message = str(p, a.error_message);
    a.bad_retry_after = str(p, a.bad_retry_after);
    if (c.attempts) c.attempts[i] = a;
  }
  c.findings = c.n_findings ? take(p, c.n_findings * sizeof *c.findings) : NULL;
  c.cap_findings = c.n_findings;
  for (size_t i = 0; i < c.n_findings; i++) {
    hs_finding f = src->findings[i];
    f.message = str(p, f.message);
    if (c.findings) c.findings[i] = f;
  }
  if (src->trailers) {
    c.trailers = take(p, sizeof *c.trailers);
    hs_headers t;
    headers(p, &t, src->trailers);
    if (c.trailers) *c.trailers = t;
  }
  if (src->body) {
    c.body = take(p, src->body_len + 1);
    if (c.body) memcpy(c.body, src->body, src->body_len), c.body[src->body_len] = '\0';
  }
  c.error_message = str(p, src->error_message);
  c.rq_http_version = str(p, src->rq_http_version);
  c.rq_secret_names = str(p, src->rq_secret_names);
  c.request_url = str(p, src->request_url);
  c.request_method = str(p, src->request_method);
  if (r) *r = c;
  return p->off;
}

size_t hs__result_pack_size(const hs_result *r) {
  packer measure = { NULL, 0 };
  return walk(&measure, r);
}

hs_result *hs__result_pack(const hs_result *r, void *block) {
  packer fill = { block, 0 };
  walk(&fill, r);
  return block;
}
