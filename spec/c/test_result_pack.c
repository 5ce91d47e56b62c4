/* hs__result_pack against the real test server: a packed copy says everything its
 * result says (the JSON of both, secrets shown, is the same), and leans on nothing
 * of it but the request heads: the original is freed before the copy is read
 * (AddressSanitizer sees any pointer left behind). Findings of a packed result are
 * worked out on a view and leave it unchanged. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpstatus.h"
#include "test_server.h"
#include "internal.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "test_result_pack.c:%d: %s\n", __LINE__, #cond); failures++; } } while (0)

static char base[64];

static hs_result *fetch(const char *path, const char *header, const char *value) {
  char url[1024];
  snprintf(url, sizeof url, "%s%s", base, path);
  hs_request *req = NULL;
  CHECK(hs_request_new(&req, url) == HS_OK);
  CHECK(hs_request_set_int(req, HS_OPT_RETRY_ATTEMPTS, 2) == HS_OK);
  if (header) CHECK(hs_request_add_header(req, header, value) == HS_OK);
  hs_result *r = NULL;
  CHECK(hs_perform(req, &r) == HS_OK && r);
  hs_request_free(req);
  return r;
}

/* Packs r (findings worked out before or after), frees r, and compares the JSON
 * (secrets shown) of both. Returns the copy's status. */
static int check_result(hs_result *r, const char *what, int findings_first) {
  if (!r) return -1;
  char *want = findings_first ? hs_result_to_json(r, 1) : NULL;
  /* Exactly the measured bytes: AddressSanitizer sees a write past them. */
  void *block = malloc(hs__result_pack_size(r));
  hs_result *p = hs__result_pack(r, block);
  CHECK(p == block && p->packed && p->findings_done == (findings_first != 0));
  if (!want) want = hs_result_to_json(r, 1);
  /* Keep the request heads (the copy's holder does), free the original, read the copy. */
  for (size_t i = 0; i < p->n_hops; i++) hs__sent_head_ref(p->hops[i].sent);
  hs_result_unref(r);
  hs_result_ref(p);   /* no-ops on a packed result */
  hs_result_unref(p);
  char *got = hs_result_to_json(p, 1);
  CHECK(want && got && !strcmp(want, got));
  if (want && got && strcmp(want, got)) fprintf(stderr, "  %s\n  want %s\n  got  %s\n", what, want, got);
  /* Findings worked out on a view leave the packed record as it was. */
  CHECK(p->findings_done == (findings_first != 0));
  char *again = hs_result_to_json(p, 1);
  CHECK(got && again && !strcmp(got, again));
  int status = hs_result_status(p);
  for (size_t i = 0; i < p->n_hops; i++) hs__sent_head_unref(p->hops[i].sent);
  free(block);
  hs_free(want);
  hs_free(got);
  hs_free(again);
  return status;
}

static int check_path(const char *path, const char *header, const char *value) {
  int a = check_result(fetch(path, header, value), path, 0);
  int b = check_result(fetch(path, header, value), path, 1);
  CHECK(a == b);
  return a;
}

int main(void) {
  test_server srv;
  if (test_server_start(&srv)) return 1;
  snprintf(base, sizeof base, "http://127.0.0.1:%d", srv.port);
  CHECK(hs_global_init() == HS_OK);

  /* Every part a result can hold: hops, tries, 1xx with links, headers in and out of
   * the head's block, trailers, bodies big and empty, errors, findings. */
  CHECK(check_path("/status/200", NULL, NULL) == 200);
  CHECK(check_path("/status/204", NULL, NULL) == 204);
  CHECK(check_path("/status/999?reason=Odd%20One", NULL, NULL) == 999);
  CHECK(check_path("/redirect/3?loc=absolute", "Authorization", "Bearer hidden") == 200);
  CHECK(check_path("/redirect/2?loc=relative&frag=f", "X-Empty", "") == 200);
  CHECK(check_path("/redirect/1?loc=absolute&host=localhost", NULL, NULL) == 200); /* another head */
  CHECK(check_path("/status/200?interim=103|Link:%3C/a.css%3E;%20rel=preload;%20as=style|Link:%3C/b.js%3E;%20rel=preload"
                   "&interim=100", NULL, NULL) == 200);
  CHECK(check_path("/status/200?chunked=1&trailer=X-Sum:abc&trailer=X-More:1", NULL, NULL) == 200);
  CHECK(check_path("/status/200?bytes=100000", NULL, NULL) == 200);
  CHECK(check_path("/status/503?h=Retry-After:0", NULL, NULL) == 503);       /* retried */
  CHECK(check_path("/status/503?h=Retry-After:soon", NULL, NULL) == 503);    /* a bad Retry-After */
  CHECK(check_path("/status/405", NULL, NULL) == 405);                       /* a finding */
  CHECK(check_path("/status/200?h=Content-Length:5&h=Content-Length:6", NULL, NULL) >= 0);
  CHECK(check_path("/status/200?h=X-Odd%20line", NULL, NULL) >= 0);         /* a malformed header line */
  CHECK(check_path("/status/200?garbage=1", NULL, NULL) == 0);               /* an error */
  CHECK(check_path("/loop", NULL, NULL) >= 0);
  CHECK(check_path("/status/200", "X-Many", "a") == 200);
  /* No server: an error and no request head. */
  CHECK(check_result(fetch("/", NULL, NULL), "up", 0) == 200);
  char dead[] = "http://127.0.0.1:1/";
  hs_request *req = NULL;
  CHECK(hs_request_new(&req, dead) == HS_OK);
  hs_result *r = NULL;
  CHECK(hs_perform(req, &r) == HS_OK && r);
  hs_request_free(req);
  CHECK(check_result(r, dead, 0) == 0);

  test_server_stop(&srv);
  hs_global_cleanup();
  if (failures) { fprintf(stderr, "test_result_pack: %d failures\n", failures); return 1; }
  puts("test_result_pack: all passed");
  return 0;
}
