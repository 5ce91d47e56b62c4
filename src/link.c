/* Link header parsing; see link.h for the grammar and the decisions. */
#include "link.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* ASCII only, so the result never depends on the locale. */
static int is_ows(char c) { return c == ' ' || c == '\t'; }  /* RFC 9110 §5.6.3 */
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* tchar, RFC 9110 §5.6.2 */
static int is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
  return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A lenient unquoted value character: visible, not a delimiter of this grammar. */
static int is_value_char(char c) {
  unsigned char u = (unsigned char)c;
  return (u > 0x20 && u != 0x7f) && c != ';' && c != ',' && c != '"';
}

static const char *skip_ows(const char *p) {
  while (is_ows(*p)) p++;
  return p;
}

static char *dup_range(const char *b, const char *e) { return hs__strndup(b, (size_t)(e - b)); }

static void link_clear(hs_link *l) {
  free(l->href);
  for (size_t i = 0; i < l->n_params; i++) {
    free(l->params[i].name);
    free(l->params[i].value);
  }
  free(l->params);
  l->href = NULL;
  l->params = NULL;
  l->n_params = 0;
}

/* Parse outcomes of one step. */
enum { OK = 0, BAD = 1, NOMEM = -1 };

/* quoted-string (RFC 9110 §5.6.4) at p, which is '"'. Unquoted into *out,
 * *pp past the closing quote. */
static int quoted(const char **pp, char **out) {
  const char *p = *pp + 1;
  size_t n = 0;
  const char *q = p;
  for (;;) {  /* measure first, so one allocation fits */
    if (*q == '\0') return BAD;
    if (*q == '"') break;
    if (*q == '\\') {
      if (q[1] == '\0') return BAD;
      q++;
    }
    q++;
    n++;
  }
  char *s = malloc(n + 1);
  if (!s) return NOMEM;
  char *w = s;
  while (*p != '"') {
    if (*p == '\\') p++;
    *w++ = *p++;
  }
  *w = '\0';
  *pp = p + 1;
  *out = s;
  return OK;
}

static int add_param(hs_link *l, size_t *cap, char *name, char *value) {
  if (l->n_params == *cap) {
    size_t nc = *cap ? *cap * 2 : 4;
    hs_link_param *np = realloc(l->params, nc * sizeof *np);
    if (!np) return NOMEM;
    l->params = np;
    *cap = nc;
  }
  l->params[l->n_params].name = name;
  l->params[l->n_params].value = value;
  l->n_params++;
  return OK;
}

/* One link-param after the ';' and its OWS. */
static int param(const char **pp, hs_link *l, size_t *cap) {
  const char *p = *pp;
  const char *nb = p;
  while (is_tchar(*p)) p++;
  if (p == nb) return BAD;
  const char *ne = p;
  char *name = NULL, *value = NULL;

  p = skip_ows(p);  /* BWS */
  if (*p == '=') {
    p = skip_ows(p + 1);  /* BWS */
    if (*p == '"') {
      int rc = quoted(&p, &value);
      if (rc != OK) return rc;
    } else {
      const char *vb = p;
      while (is_value_char(*p)) p++;
      if (!(value = dup_range(vb, p))) return NOMEM;
    }
  }
  if (!(name = dup_range(nb, ne))) {
    free(value);
    return NOMEM;
  }
  for (char *c = name; *c; c++) *c = to_lower(*c);  /* names are case-insensitive (§3) */
  if (add_param(l, cap, name, value) != OK) {
    free(name);
    free(value);
    return NOMEM;
  }
  *pp = p;
  return OK;
}

/* One link-value at p, which is '<'. On OK, *pp is at the ',' or the end. */
static int link_value(const char **pp, hs_link *l) {
  const char *p = *pp + 1;
  const char *hb = p;
  while (*p && *p != '>') p++;  /* a URI reference holds no '>' (RFC 3986) */
  if (*p != '>') return BAD;
  if (!(l->href = dup_range(hb, p))) return NOMEM;
  p++;

  size_t cap = 0;
  for (;;) {
    p = skip_ows(p);
    if (*p == '\0' || *p == ',') break;
    if (*p != ';') return BAD;
    p = skip_ows(p + 1);
    if (*p == '\0' || *p == ',' || *p == ';') continue;  /* "; ;" and a trailing ';' are harmless */
    int rc = param(&p, l, &cap);
    if (rc != OK) return rc;
  }
  *pp = p;
  return OK;
}

/* Past the next ',' outside <> and quotes, or to the end. */
static const char *resync(const char *p) {
  int in_angle = 0;
  while (*p) {
    if (in_angle) {
      if (*p == '>') in_angle = 0;  /* no quoting inside <> */
    } else if (*p == '"') {
      for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1]) p++;
      if (!*p) break;
    } else if (*p == '<') {
      in_angle = 1;
    } else if (*p == ',') {
      return p + 1;
    }
    p++;
  }
  return p;
}

static int push(hs_links *out, hs_link *l) {
  if (out->n == out->cap) {
    size_t nc = out->cap ? out->cap * 2 : 4;
    hs_link *nv = realloc(out->v, nc * sizeof *nv);
    if (!nv) return NOMEM;
    out->v = nv;
    out->cap = nc;
  }
  out->v[out->n++] = *l;
  return OK;
}

int hs__links_parse(hs_links *out, const char *value) {
  if (!out) return -1;
  if (!value) return 0;
  const char *p = value;
  for (;;) {
    while (is_ows(*p) || *p == ',') p++;  /* empty list elements, RFC 9110 §5.6.1 */
    if (*p == '\0') return 0;
    if (*p != '<') {
      p = resync(p);
      continue;
    }
    hs_link l = { NULL, NULL, 0 };
    int rc = link_value(&p, &l);
    if (rc == OK) rc = push(out, &l);
    if (rc == NOMEM) {
      link_clear(&l);
      return -1;
    }
    if (rc == BAD) {
      link_clear(&l);
      p = resync(p);
    }
  }
}

void hs__links_free(hs_links *links) {
  if (!links) return;
  for (size_t i = 0; i < links->n; i++) link_clear(&links->v[i]);
  free(links->v);
  links->v = NULL;
  links->n = links->cap = 0;
}

const char *hs__link_param(const hs_link *link, const char *name) {
  if (!link || !name) return NULL;
  for (size_t i = 0; i < link->n_params; i++)
    if (hs__strcaseeq(link->params[i].name, name)) return link->params[i].value;
  return NULL;
}
