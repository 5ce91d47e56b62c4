/* The same-engine bound: a plain libcurl multi program, nothing of ours.
 * CONC easy handles, each reused for the next URL when its transfer ends,
 * curl_multi_perform + curl_multi_poll (our engine drives the same multi with socket_action), keep-alive,
 * libcurl following redirects itself (CURLOPT_FOLLOWLOCATION). It sends the
 * request head our client sends: libcurl's Host and Accept lines and our
 * User-Agent line, given the way our engine gives it (CURLOPT_HTTPHEADER), so
 * that both make the same requests.
 *
 *   hs_bench_raw URLFILE [CONC]   prints one RESULT line (see common.h) */
#include <curl/curl.h>

#include "common.h"
#include "httpstatus.h" /* HS_VERSION_STR only: nothing of ours is linked */

static size_t discard(char *p, size_t size, size_t n, void *ud) { (void)p; (void)ud; return size * n; }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s URLFILE [CONCURRENCY]\n", argv[0]); return 2; }
  bench_urls urls = bench_read_urls(argv[1]);
  int conc = argc > 2 ? atoi(argv[2]) : 64;
  if (conc < 1) conc = 1;
  if ((size_t)conc > urls.n) conc = (int)urls.n;
  long base_kb = bench_proc_kb("VmRSS");
  curl_global_init(CURL_GLOBAL_DEFAULT);

  double t0 = bench_now();
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conc);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conc);
  struct curl_slist *head = curl_slist_append(NULL, "User-Agent: httpstatus/" HS_VERSION_STR);
  size_t next = 0;
  for (int i = 0; i < conc; i++) {
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, head);
    curl_easy_setopt(e, CURLOPT_URL, urls.v[next++]);
    curl_multi_add_handle(multi, e);
  }

  bench_tally t;
  memset(&t, 0, sizeof t);
  int running = 1;
  while (running) {
    curl_multi_perform(multi, &running);
    CURLMsg *m;
    int left, added = 0;
    while ((m = curl_multi_info_read(multi, &left))) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL *e = m->easy_handle;
      long code = 0, redirects = 0;
      if (m->data.result == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
      bench_count(&t, (int)code, (uint64_t)redirects + 1);
      curl_multi_remove_handle(multi, e);
      if (next < urls.n) {
        curl_easy_setopt(e, CURLOPT_URL, urls.v[next++]);
        curl_multi_add_handle(multi, e);
        added = 1;
      } else {
        curl_easy_cleanup(e);
      }
    }
    if (added) { running = 1; continue; }  /* start the new transfers at once */
    if (running) curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  double secs = bench_now() - t0;
  curl_multi_cleanup(multi);
  curl_slist_free_all(head);
  bench_report(&t, secs, base_kb);
  curl_global_cleanup();
  return t.urls == urls.n ? 0 : 1;
}
