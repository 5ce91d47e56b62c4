/* Our client from C: every URL added to one hs_client up front (concurrency and
 * per_host CONC, retries off: the 503s carry no Retry-After and must count once),
 * then hs_client_poll until nothing is pending. Redirects are followed by the
 * engine (the default).
 *
 *   hs_bench_client URLFILE [CONC] [--keep] [--feed] [--no-findings]
 * --keep holds a reference to every result until the end, to measure what keeping
 * them costs. --feed adds 2*CONC URLs first and one more from each callback instead
 * of all of them up front (to tell the cost of a long queue from the engine's).
 * --no-findings turns the findings rules off (HS_OPT_FINDINGS 0), to measure what they cost.
 * Prints one RESULT line (see common.h). */
#include <httpstatus.h>

#include "common.h"

typedef struct state {
  bench_tally t;
  hs_result **kept; size_t n_kept;
  bench_urls *urls; size_t next;   /* --feed: the next URL to add */
  hs_request *req;
} state;

static void die(const char *what, hs_code rc) {
  fprintf(stderr, "hs_bench_client: %s: %s\n", what, hs_strerror(rc));
  exit(1);
}

static void on_done(hs_client *c, uint64_t id, hs_result *r, void *ud);

static void add_next(hs_client *c, state *s) {
  hs_code rc;
  if ((rc = hs_request_set_str(s->req, HS_OPT_URL, s->urls->v[s->next++]))) die("url", rc);
  if ((rc = hs_client_add(c, s->req, on_done, s, NULL))) die("hs_client_add", rc); /* copies req */
}

static void on_done(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  (void)id;
  state *s = ud;
  bench_count(&s->t, hs_result_status(r), hs_result_hop_count(r));
  if (s->kept) { hs_result_ref(r); s->kept[s->n_kept++] = r; }
  if (s->req && s->next < s->urls->n) add_next(c, s);
}

int main(int argc, char **argv) {
  const char *file = NULL;
  int conc = 64, keep = 0, feed = 0, findings = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--keep")) keep = 1;
    else if (!strcmp(argv[i], "--feed")) feed = 1;
    else if (!strcmp(argv[i], "--no-findings")) findings = 0;
    else if (!file) file = argv[i];
    else conc = atoi(argv[i]);
  }
  if (!file || conc < 1) { fprintf(stderr, "usage: %s URLFILE [CONCURRENCY] [--keep] [--feed] [--no-findings]\n", argv[0]); return 2; }
  bench_urls urls = bench_read_urls(file);
  hs_code rc = hs_global_init();
  if (rc) die("hs_global_init", rc);
  state s;
  memset(&s, 0, sizeof s);
  if (keep && !(s.kept = malloc(urls.n * sizeof *s.kept))) return 1;
  long base_kb = bench_proc_kb("VmRSS");

  double t0 = bench_now();
  hs_client *c;
  if ((rc = hs_client_new(&c, NULL, conc, conc))) die("hs_client_new", rc);
  if ((rc = hs_request_new(&s.req, urls.v[0]))) die("hs_request_new", rc);
  if ((rc = hs_request_set_int(s.req, HS_OPT_RETRY_ATTEMPTS, 1))) die("retry attempts", rc);
  if ((rc = hs_request_set_int(s.req, HS_OPT_FINDINGS, findings))) die("findings", rc);
  s.urls = &urls;
  size_t first = feed ? 2 * (size_t)conc : urls.n;
  while (s.next < urls.n && s.next < first) add_next(c, &s);
  if (!feed) { hs_request_free(s.req); s.req = NULL; }
  size_t pending = 1;
  while (pending)
    if ((rc = hs_client_poll(c, -1, &pending))) die("hs_client_poll", rc);
  double secs = bench_now() - t0;
  hs_client_free(c);
  hs_request_free(s.req);

  bench_report(&s.t, secs, base_kb);
  for (size_t i = 0; i < s.n_kept; i++) hs_result_unref(s.kept[i]);
  free(s.kept);
  hs_global_cleanup();
  return s.t.urls == urls.n ? 0 : 1;
}
