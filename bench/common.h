/* Shared by the benchmark programs: reading the URL list, the status histogram,
 * and the one summary line the runner parses. Not part of the library. */
#ifndef HS_BENCH_COMMON_H
#define HS_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_urls { char **v; size_t n; char *text; } bench_urls;

/* One URL a line; the lines point into one buffer. Exits on failure (a bench tool, not the library). */
static inline bench_urls bench_read_urls(const char *path) {
  bench_urls u = { NULL, 0, NULL };
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  u.text = malloc((size_t)len + 1);
  if (!u.text || fread(u.text, 1, (size_t)len, f) != (size_t)len) { perror(path); exit(2); }
  fclose(f);
  u.text[len] = '\0';
  size_t cap = 0;
  for (long i = 0; i < len; i++) cap += u.text[i] == '\n';
  u.v = malloc((cap + 1) * sizeof *u.v);
  if (!u.v) exit(2);
  for (char *p = u.text, *nl; *p; p = nl + 1) {
    nl = strchr(p, '\n');
    if (!nl) nl = p + strlen(p) - 1;
    if (nl > p) { nl[0] = '\0'; u.v[u.n++] = p; }
    if (!nl[1]) break;
  }
  return u;
}

static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmHWM / VmRSS of this process, in kB (0 when /proc is not there). */
static inline long bench_proc_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  size_t n = strlen(field);
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, n) && line[n] == ':') { kb = strtol(line + n + 1, NULL, 10); break; }
  fclose(f);
  return kb;
}

typedef struct bench_tally { uint64_t status[600]; uint64_t urls, exchanges, errors; } bench_tally;

static inline void bench_count(bench_tally *t, int status, uint64_t exchanges) {
  t->urls++;
  t->exchanges += exchanges;
  if (status > 0 && status < 600) t->status[status]++; else t->errors++;
}

/* RESULT urls=.. exchanges=.. errors=.. seconds=.. statuses=200:n,204:n hwm_kb=.. base_kb=.. */
static inline void bench_report(const bench_tally *t, double seconds, long base_kb) {
  printf("RESULT urls=%llu exchanges=%llu errors=%llu seconds=%.6f statuses=", (unsigned long long)t->urls,
         (unsigned long long)t->exchanges, (unsigned long long)t->errors, seconds);
  const char *sep = "";
  for (int s = 0; s < 600; s++)
    if (t->status[s]) { printf("%s%d:%llu", sep, s, (unsigned long long)t->status[s]); sep = ","; }
  printf(" hwm_kb=%ld base_kb=%ld\n", bench_proc_kb("VmHWM"), base_kb);
  fflush(stdout);
}

#endif
