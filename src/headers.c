/* Header lists: wire order and case kept; a repeated name is a new entry. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int hs__headers_add(hs_headers *h, const char *name, size_t nlen, const char *value, size_t vlen) {
  if (h->block) return -1; /* a list cut from a block (hs__headers_set_block) is read-only */
  size_t cap = h->cap;
  if (hs__grow((void **)&h->v, &cap, h->n, sizeof *h->v)) return -1;
  if (cap > UINT32_MAX) return -1;
  h->cap = (uint32_t)cap;
  char *n = malloc(nlen + 1 + (value ? vlen + 1 : 0));
  if (!n) return -1;
  memcpy(n, name, nlen);
  n[nlen] = '\0';
  char *v = NULL;
  if (value) {
    v = n + nlen + 1;
    memcpy(v, value, vlen);
    v[vlen] = '\0';
  }
  h->v[h->n].name = n;
  h->v[h->n].value = v;
  h->n++;
  return 0;
}

int hs__headers_addz(hs_headers *h, const char *name, const char *value) {
  return hs__headers_add(h, name, strlen(name), value, value ? strlen(value) : 0);
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

int hs__headers_add_line(hs_headers *h, const char *line, size_t len) {
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
  const char *colon = memchr(line, ':', len);
  if (!colon || colon == line) return 1;
  size_t nlen = (size_t)(colon - line);
  const char *v = colon + 1, *end = line + len;
  while (v < end && is_ows(*v)) v++;
  while (end > v && is_ows(end[-1])) end--;
  return hs__headers_add(h, line, nlen, v, (size_t)(end - v));
}

int hs__headers_set_block(hs_headers *h, const char *data, size_t n) {
  if (h->n || h->v || h->block) return -1; /* for an empty list only */
  if (n >= UINT32_MAX / 2) return -1;
  /* One entry a line at most: size the list once, with the block behind it. */
  size_t lines = n && data[n - 1] != '\n';
  for (const char *p = data, *end = data + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) lines++;
  if (!lines) lines = 1;
  hs_header *v = malloc(lines * sizeof *v + n + 1);
  if (!v) return -1;
  char *b = (char *)(v + lines);
  memcpy(b, data, n);
  b[n] = '\0';
  /* A list made here holds its entries and its block in one allocation. */
  h->v = v;
  h->cap = (uint32_t)lines;
  h->block = b;
  h->block_len = (uint32_t)(n + 1);
  char *p = b, *end = b + n;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    /* obs-fold (RFC 9112 §5.2): a line break before SP or HTAB continues the line. */
    while (nl && nl + 1 < end && is_ows(nl[1])) {
      *nl = ' ';
      if (nl > b && nl[-1] == '\r') nl[-1] = ' ';
      nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
    }
    char *le = nl ? nl : end;
    while (le > p && le[-1] == '\r') le--;
    *le = '\0';
    char *colon = memchr(p, ':', (size_t)(le - p));
    if (colon && colon > p) {
      *colon = '\0';
      char *val = colon + 1, *ve = le;
      while (val < ve && is_ows(*val)) val++;
      while (ve > val && is_ows(ve[-1])) ve--;
      *ve = '\0';
      h->v[h->n].name = p;
      h->v[h->n].value = val;
      h->n++;
    }
    p = nl ? nl + 1 : end;
  }
  return 0;
}

const char *hs__headers_get(const hs_headers *h, const char *name, size_t index) {
  for (size_t i = 0; i < h->n; i++)
    if (hs__strcaseeq(h->v[i].name, name) && index-- == 0) return h->v[i].value;
  return NULL;
}

size_t hs__headers_count(const hs_headers *h, const char *name) {
  size_t c = 0;
  for (size_t i = 0; i < h->n; i++) c += hs__strcaseeq(h->v[i].name, name);
  return c;
}

int hs__headers_copy(hs_headers *dst, const hs_headers *src) {
  for (size_t i = 0; i < src->n; i++)
    if (hs__headers_addz(dst, src->v[i].name, src->v[i].value)) return -1;
  return 0;
}

void hs__headers_free(hs_headers *h) {
  /* A list cut from a block has its names there; an added entry owns its name (and value). */
  for (size_t i = 0; !h->block && i < h->n; i++) free(h->v[i].name);
  free(h->v);
  memset(h, 0, sizeof *h);
}

int hs__header_is_secret(const char *name) {
  return hs__strcaseeq(name, "authorization") || hs__strcaseeq(name, "proxy-authorization") ||
         hs__strcaseeq(name, "cookie") || hs__strcaseeq(name, "set-cookie");
}

hs_sent_head *hs__sent_head_new(const char *data, size_t n) {
  hs_sent_head *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  atomic_init(&s->refs, 1);
  if (hs__headers_set_block(&s->h, data, n)) { hs__sent_head_unref(s); return NULL; }
  return s;
}

hs_sent_head *hs__sent_head_ref(hs_sent_head *s) {
  if (s) atomic_fetch_add(&s->refs, 1);
  return s;
}

void hs__sent_head_unref(hs_sent_head *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  hs__headers_free(&s->h);
  free(s);
}
