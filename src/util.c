/* Small helpers every file needs: strings, growable arrays, clocks. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

char *hs__strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *hs__strdup(const char *s) { return s ? hs__strndup(s, strlen(s)) : NULL; }

char *hs__printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = malloc((size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

char *hs__concat(const char *first, ...) {
  va_list ap;
  size_t n = 0;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *)) n += strlen(s);
  va_end(ap);
  char *out = malloc(n + 1), *p = out;
  if (!out) return NULL;
  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *)) {
    size_t k = strlen(s);
    memcpy(p, s, k);
    p += k;
  }
  va_end(ap);
  *p = '\0';
  return out;
}

/* ASCII only, as header names are: no locale, no table lookups. */
int hs__strcaseeq(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    if (x != y) {
      unsigned char lx = x | 0x20;
      if (lx != (y | 0x20) || lx < 'a' || lx > 'z') return 0;
    }
    if (!x) return 1;
  }
}

/* One table, so that a pointer into it is known by its address alone. */
#define C(x) { x, sizeof x - 1 }
static const struct common_str { char s[23]; unsigned char n; } common[] = {
  C("GET"), C("HEAD"), C("POST"), C("PUT"), C("DELETE"), C("OPTIONS"), C("PATCH"), C("TRACE"), C(""),
  C("OK"), C("Created"), C("Accepted"), C("No Content"), C("Partial Content"), C("Multiple Choices"),
  C("Moved Permanently"), C("Found"), C("See Other"), C("Not Modified"), C("Temporary Redirect"),
  C("Permanent Redirect"), C("Bad Request"), C("Unauthorized"), C("Forbidden"), C("Not Found"),
  C("Method Not Allowed"), C("Gone"), C("Too Many Requests"), C("Internal Server Error"),
  C("Bad Gateway"), C("Service Unavailable"), C("Gateway Timeout"), C("Continue"),
  C("Switching Protocols"), C("Processing"), C("Early Hints"),
};
#undef C
#define N_COMMON (sizeof common / sizeof *common)

char *hs__str_common(const char *s, size_t n) {
  for (size_t i = 0; i < N_COMMON; i++)
    if (common[i].n == n && memcmp(common[i].s, s, n) == 0) return (char *)common[i].s;
  return hs__strndup(s, n);
}

bool hs__str_is_common(const char *s) {
  return s >= (const char *)common && s < (const char *)(common + N_COMMON);
}

void hs__str_free(char *s) {
  if (!hs__str_is_common(s)) free(s);
}

int hs__grow(void **v, size_t *cap, size_t n, size_t sz) {
  if (n < *cap) return 0;
  /* Big records (hops, attempts) usually number one: start small. */
  size_t ncap = *cap ? *cap * 2 : sz > 64 ? 1 : 4;
  while (ncap <= n) ncap *= 2;
  void *p = realloc(*v, ncap * sz);
  if (!p) return -1;
  *v = p;
  *cap = ncap;
  return 0;
}

int64_t hs__now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double hs__wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void hs__timing_none(hs_timing *t) {
  t->queue = t->dns = t->connect = t->tls = t->send = t->wait = t->receive = t->total = HS_NONE;
  t->reused = false;
}

void hs__buf_add(hs_buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->n + n + 1) ncap *= 2;
    char *p = realloc(b->p, ncap);
    if (!p) { b->oom = 1; return; }
    b->p = p;
    b->cap = ncap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

void hs__buf_adds(hs_buf *b, const char *s) { hs__buf_add(b, s, strlen(s)); }

void hs__buf_printf(hs_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) { hs__buf_add(b, small, (size_t)n); return; }
  char *big = malloc((size_t)n + 1);
  if (!big) { b->oom = 1; return; }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  hs__buf_add(b, big, (size_t)n);
  free(big);
}

void hs__buf_json_str(hs_buf *b, const char *s, size_t n) {
  hs__buf_add(b, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
    hs__buf_add(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': hs__buf_adds(b, "\\\""); break;
    case '\\': hs__buf_adds(b, "\\\\"); break;
    case '\n': hs__buf_adds(b, "\\n"); break;
    case '\r': hs__buf_adds(b, "\\r"); break;
    case '\t': hs__buf_adds(b, "\\t"); break;
    default: hs__buf_printf(b, "\\u%04x", c);
    }
  }
  hs__buf_add(b, s + run, n - run);
  hs__buf_add(b, "\"", 1);
}
