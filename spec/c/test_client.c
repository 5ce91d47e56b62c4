/* The C API against the real test server: blocking hs_perform, the non-blocking
 * client with callbacks, cancel, result references and accessors. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpstatus.h"
#include "test_server.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "test_client.c:%d: %s\n", __LINE__, #cond); failures++; } } while (0)

static char base[64];

static hs_request *req_for(const char *path) {
  char url[256];
  snprintf(url, sizeof url, "%s%s", base, path);
  hs_request *r = NULL;
  CHECK(hs_request_new(&r, url) == HS_OK);
  return r;
}

typedef struct seen { int calls; int status; uint64_t id; hs_result *kept; } seen;

static int freed_in_callback;
static void free_from_callback(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  freed_in_callback++;
  hs_client_free(c); /* takes effect when the poll returns */
}

/* A callback that tries to poll its own client: refused, with HS_E_REENTRANT. */
static hs_code reentrant_rc = HS_OK;
static void poll_from_callback(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  reentrant_rc = hs_client_poll(c, 0, NULL);
}

static void on_done(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  seen *s = ud;
  s->calls++;
  s->status = hs_result_status(r);
  s->id = id;
  hs_result_ref(r); /* keep it past the callback */
  s->kept = r;
}

int main(void) {
  test_server srv;
  if (test_server_start(&srv)) return 1;
  snprintf(base, sizeof base, "http://127.0.0.1:%d", srv.port);
  CHECK(hs_global_init() == HS_OK);

  /* Blocking: a redirect chain, hop by hop. */
  hs_request *req = req_for("/redirect/2");
  hs_result *res = NULL;
  CHECK(hs_perform(req, &res) == HS_OK);
  CHECK(hs_result_status(res) == 200);
  CHECK(hs_result_ok(res));
  CHECK(hs_result_hop_count(res) == 3);
  CHECK(hs_result_hop_status(res, 0) == 302);
  const char *v = NULL;
  CHECK(hs_result_header(res, "location", 0, 0, &v) == HS_OK && v && strstr(v, "/redirect/1"));
  CHECK(hs_result_header(res, "no-such", 0, -1, &v) == HS_E_NOTFOUND && v == NULL);
  char *json = hs_result_to_json(res, 0);
  CHECK(json && strstr(json, "\"schema\":1"));
  hs_free(json);
  CHECK(hs_result_total_us(res) > 0);
  hs_result_unref(res);
  hs_request_free(req);

  /* Errors are data; bad arguments are codes. */
  req = req_for("/status/200?garbage=1");
  CHECK(hs_perform(req, &res) == HS_OK);
  CHECK(res && strcmp(hs_result_error_kind(res), "protocol") == 0);
  CHECK(hs_result_status(res) == 0);
  hs_result_unref(res);
  CHECK(hs_request_set_str(req, HS_OPT_EXPECT_CONTINUE, "sometimes") == HS_E_BADARG);
  CHECK(hs_request_set_int(req, HS_OPT_MAX_REDIRECTS, -1) == HS_E_BADARG);
  CHECK(hs_request_add_header(req, "Bad Name", "x") == HS_E_BADARG);
  CHECK(hs_request_add_header(req, "X-Ok", "a\r\nInjected: 1") == HS_E_BADARG);
  hs_request_free(req);
  CHECK(strcmp(hs_strerror(HS_E_BADARG), "bad argument") == 0);

  /* The client: callbacks only from poll, cancel, next timeout. */
  hs_client *c = NULL;
  CHECK(hs_client_new(&c, NULL, 8, 4) == HS_OK);
  seen a = {0}, b = {0};
  uint64_t ida = 0, idb = 0;
  hs_request *ra = req_for("/status/201"), *rb = req_for("/status/200?stall_ms=5000");
  CHECK(hs_client_add(c, ra, on_done, &a, &ida) == HS_OK);
  CHECK(hs_client_add(c, rb, on_done, &b, &idb) == HS_OK);
  hs_request_free(ra); /* the client copied it */
  hs_request_free(rb);
  CHECK(a.calls == 0);
  CHECK(hs_client_next_timeout_us(c) >= 0);
  size_t pending = 2;
  while (a.calls == 0) CHECK(hs_client_poll(c, 100000, &pending) == HS_OK);
  CHECK(a.status == 201 && a.id == ida && pending == 1);
  CHECK(hs_client_cancel(c, idb) == HS_OK);
  CHECK(b.calls == 0);
  CHECK(hs_client_poll(c, 0, &pending) == HS_OK);
  CHECK(b.calls == 1 && pending == 0);
  CHECK(strcmp(hs_result_error_kind(b.kept), "cancelled") == 0);
  CHECK(hs_client_cancel(c, idb) == HS_E_NOTFOUND);
  CHECK(hs_client_next_timeout_us(c) == -1);
  hs_client_free(c);
  /* Results kept with hs_result_ref outlive the client. */
  CHECK(hs_result_status(a.kept) == 201);
  hs_result_unref(a.kept);
  hs_result_unref(b.kept);
  hs_client_free(NULL);

  /* A client freed from its own callback is freed when that poll returns. */
  CHECK(hs_client_new(&c, NULL, 4, 4) == HS_OK);
  hs_request *rf = req_for("/status/200");
  uint64_t idf;
  CHECK(hs_client_add(c, rf, free_from_callback, NULL, &idf) == HS_OK);
  seen other = {0};
  CHECK(hs_client_add(c, rf, on_done, &other, NULL) == HS_OK);
  hs_request_free(rf);
  while (!freed_in_callback) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  CHECK(freed_in_callback == 1);
  hs_result_unref(other.kept); /* delivered in that same poll, or dropped with the client */

  /* Polling a client from its own callback is refused; the outer poll goes on. */
  CHECK(hs_client_new(&c, NULL, 2, 2) == HS_OK);
  rf = req_for("/status/204");
  CHECK(hs_client_add(c, rf, poll_from_callback, NULL, NULL) == HS_OK);
  hs_request_free(rf);
  size_t left = 1;
  while (left) CHECK(hs_client_poll(c, 100000, &left) == HS_OK);
  CHECK(reentrant_rc == HS_E_REENTRANT);
  hs_client_free(c);

  /* ... and from a callback that hs_client_cancel_all runs: freed when it returns, and no
   * callback runs after the one that freed it (AddressSanitizer sees a leak otherwise). */
  CHECK(hs_client_new(&c, NULL, 1, 1) == HS_OK);
  rf = req_for("/status/200?stall_ms=2000");
  freed_in_callback = 0;
  CHECK(hs_client_add(c, rf, free_from_callback, NULL, NULL) == HS_OK);
  CHECK(hs_client_add(c, rf, free_from_callback, NULL, NULL) == HS_OK);
  hs_request_free(rf);
  CHECK(hs_client_poll(c, 0, NULL) == HS_OK);
  hs_client_cancel_all(c);
  CHECK(freed_in_callback == 1);

  /* A client's defaults: every request gets the options it was not given; a list (the
   * headers, retry on) is one option, so a request with headers of its own gets only them. */
  hs_request *defs = NULL;
  CHECK(hs_request_new(&defs, NULL) == HS_OK);
  CHECK(hs_request_set_str(defs, HS_OPT_USER_AGENT, "ua-of-the-client") == HS_OK);
  CHECK(hs_request_add_header(defs, "X-Default", "d") == HS_OK);
  CHECK(hs_request_set_int(defs, HS_OPT_RETRY_ATTEMPTS, 2) == HS_OK);
  CHECK(hs_request_set_double(defs, HS_OPT_RETRY_BASE, 0.01) == HS_OK);
  CHECK(hs_request_retry_on_status(defs, 418) == HS_OK);
  CHECK(hs_request_set_int(defs, HS_OPT_MAX_REDIRECTS, 0) == HS_OK);
  CHECK(hs_client_new(&c, defs, 4, 4) == HS_OK);
  hs_request_free(defs); /* the client keeps a copy */
  hs_request *plain = req_for("/echo?d=1"), *own = req_for("/echo?d=2"), *teapot = req_for("/status/418");
  CHECK(hs_request_set_str(own, HS_OPT_USER_AGENT, "ua-of-the-request") == HS_OK);
  CHECK(hs_request_add_header(own, "X-Own", "o") == HS_OK);
  CHECK(hs_request_set_int(own, HS_OPT_RETRY_ATTEMPTS, 1) == HS_OK);
  /* A setter that fails gives the request nothing: the client's max_redirects (0) stays. */
  hs_request *redir = req_for("/redirect/1");
  CHECK(hs_request_set_int(redir, HS_OPT_MAX_REDIRECTS, -1) == HS_E_BADARG);
  seen d1 = {0}, d2 = {0}, d3 = {0}, d4 = {0}, d5 = {0};
  CHECK(hs_client_add(c, redir, on_done, &d5, NULL) == HS_OK);
  hs_request_free(redir);
  CHECK(hs_client_add(c, plain, on_done, &d1, NULL) == HS_OK);
  CHECK(hs_client_add(c, own, on_done, &d2, NULL) == HS_OK);
  CHECK(hs_client_add(c, teapot, on_done, &d3, NULL) == HS_OK);
  CHECK(hs_request_set_int(teapot, HS_OPT_RETRY_ATTEMPTS, 1) == HS_OK); /* its own now */
  CHECK(hs_client_add(c, teapot, on_done, &d4, NULL) == HS_OK);
  hs_request_free(plain); hs_request_free(own); hs_request_free(teapot);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  size_t blen0 = 0;
  const char *db1 = hs_result_body(d1.kept, &blen0), *db2 = hs_result_body(d2.kept, &blen0);
  CHECK(db1 && strstr(db1, "[\"User-Agent\",\"ua-of-the-client\"]") && strstr(db1, "[\"X-Default\",\"d\"]"));
  CHECK(db2 && strstr(db2, "[\"User-Agent\",\"ua-of-the-request\"]") && strstr(db2, "[\"X-Own\",\"o\"]") &&
        !strstr(db2, "X-Default") && !strstr(db2, "ua-of-the-client"));
  CHECK(d3.status == 418 && hs_result_attempt_count(d3.kept) == 2); /* retried: the client's retry on */
  CHECK(d4.status == 418 && hs_result_attempt_count(d4.kept) == 1);
  CHECK(d5.status == 302 && hs_result_error_kind(d5.kept) && !strcmp(hs_result_error_kind(d5.kept), "too_many_redirects"));
  hs_result_unref(d1.kept); hs_result_unref(d2.kept); hs_result_unref(d3.kept); hs_result_unref(d4.kept);
  hs_result_unref(d5.kept);
  hs_client_free(c);

  /* One request object added again and again: the client shares its options while
   * only the URL changes, and takes a new copy as soon as anything else does. */
  CHECK(hs_client_new(&c, NULL, 4, 4) == HS_OK);
  hs_request *rs = req_for("/echo?n=1");
  CHECK(hs_request_add_header(rs, "X-Round", "one") == HS_OK);
  seen s1 = {0}, s2 = {0}, s3 = {0};
  CHECK(hs_client_add(c, rs, on_done, &s1, NULL) == HS_OK);
  char url2[128];
  snprintf(url2, sizeof url2, "%s/echo?n=2", base);
  CHECK(hs_request_set_str(rs, HS_OPT_URL, url2) == HS_OK);
  CHECK(hs_client_add(c, rs, on_done, &s2, NULL) == HS_OK);
  CHECK(hs_request_add_header(rs, "X-Round", "two") == HS_OK);
  CHECK(hs_client_add(c, rs, on_done, &s3, NULL) == HS_OK);
  hs_request_free(rs);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  size_t blen = 0;
  const char *b1 = hs_result_body(s1.kept, &blen), *b2 = hs_result_body(s2.kept, &blen),
             *b3 = hs_result_body(s3.kept, &blen);
  CHECK(b1 && strstr(b1, "\"path\":\"/echo?n=1\"") && strstr(b1, "[\"X-Round\",\"one\"]") && !strstr(b1, "two"));
  CHECK(b2 && strstr(b2, "\"path\":\"/echo?n=2\"") && strstr(b2, "[\"X-Round\",\"one\"]") && !strstr(b2, "two"));
  CHECK(b3 && strstr(b3, "\"path\":\"/echo?n=2\"") && strstr(b3, "[\"X-Round\",\"two\"]"));
  hs_result_unref(s1.kept); hs_result_unref(s2.kept); hs_result_unref(s3.kept);
  /* Each setter, not only the header ones, makes the next add take a new copy. */
  hs_request *rr = req_for("/status/418?k=1");
  CHECK(hs_request_set_double(rr, HS_OPT_RETRY_BASE, 0.01) == HS_OK);
  CHECK(hs_request_set_int(rr, HS_OPT_RETRY_JITTER, 0) == HS_OK);
  seen r1 = {0}, r2 = {0};
  CHECK(hs_client_add(c, rr, on_done, &r1, NULL) == HS_OK);
  CHECK(hs_request_retry_on_status(rr, 418) == HS_OK);
  CHECK(hs_client_add(c, rr, on_done, &r2, NULL) == HS_OK);
  hs_request_free(rr);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  CHECK(hs_result_attempt_count(r1.kept) == 1);  /* 418 is not retried by default */
  CHECK(hs_result_attempt_count(r2.kept) == 3);  /* ... and is after retry_on_status */
  /* An empty body stays empty on a try record that held a body before. */
  CHECK(r1.kept && hs_result_status(r1.kept) == 418);
  hs_result_unref(r1.kept); hs_result_unref(r2.kept);
  hs_request *rbody = req_for("/status/200?body=hello");
  seen e1 = {0}, e2 = {0};
  CHECK(hs_client_add(c, rbody, on_done, &e1, NULL) == HS_OK);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  char url204[128];
  snprintf(url204, sizeof url204, "%s/status/204", base);
  CHECK(hs_request_set_str(rbody, HS_OPT_URL, url204) == HS_OK);
  CHECK(hs_client_add(c, rbody, on_done, &e2, NULL) == HS_OK);
  hs_request_free(rbody);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  size_t len1 = 0, len2 = 99;
  const char *body1 = hs_result_body(e1.kept, &len1), *body2 = hs_result_body(e2.kept, &len2);
  CHECK(len1 == 5 && strcmp(body1, "hello") == 0);
  CHECK(len2 == 0 && body2 && strcmp(body2, "") == 0);
  hs_result_unref(e1.kept); hs_result_unref(e2.kept);
  hs_client_free(c);

  /* poll(0) starts at most 2 transfers (a queued request has no result until its
   * first try starts: hs_client_peek tells), and returns at once by the wall clock
   * while every request is stalled at the server. */
  CHECK(hs_client_new(&c, NULL, 64, 64) == HS_OK);
  hs_request *rq = req_for("/status/200?stall_ms=400");
  uint64_t ids[20];
  for (int i = 0; i < 20; i++) CHECK(hs_client_add(c, rq, NULL, NULL, &ids[i]) == HS_OK);
  hs_request_free(rq);
  int polls = 0, started_before = 0;
  while (started_before < 20 && polls < 1000) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(hs_client_poll(c, 0, NULL) == HS_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECK(ms < 100);             /* far below the 400 ms the server stalls */
    int started = 0;
    for (int i = 0; i < 20; i++) started += hs_client_peek(c, ids[i]) != NULL;
    CHECK(started - started_before <= 2);
    started_before = started;
    polls++;
  }
  CHECK(started_before == 20 && polls >= 10);
  hs_client_free(c);

  /* A proxy put in the environment between polls is used from the next poll on,
   * by the same pooled handle (which held "no proxy" while there was none). The
   * test server answers a proxy request too: its echo shows the absolute target. */
  CHECK(hs_client_new(&c, NULL, 1, 1) == HS_OK);
  hs_request *recho = req_for("/echo");
  seen p1 = {0}, p2 = {0}, p3 = {0};
  CHECK(hs_client_add(c, recho, on_done, &p1, NULL) == HS_OK);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  setenv("http_proxy", base, 1);
  CHECK(hs_client_add(c, recho, on_done, &p2, NULL) == HS_OK);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  unsetenv("http_proxy");
  CHECK(hs_client_add(c, recho, on_done, &p3, NULL) == HS_OK);
  while (hs_client_pending(c)) CHECK(hs_client_poll(c, 100000, NULL) == HS_OK);
  hs_request_free(recho);
  const char *e1b = hs_result_body(p1.kept, NULL), *e2b = hs_result_body(p2.kept, NULL),
             *e3b = hs_result_body(p3.kept, NULL);
  CHECK(e1b && strstr(e1b, "\"path\":\"/echo\""));
  CHECK(e2b && strstr(e2b, "\"path\":\"http://127.0.0.1:") && strstr(e2b, "Proxy-Connection"));
  CHECK(e3b && strstr(e3b, "\"path\":\"/echo\"") && !strstr(e3b, "Proxy-Connection"));
  hs_result_unref(p1.kept); hs_result_unref(p2.kept); hs_result_unref(p3.kept);
  hs_client_free(c);

  test_server_stop(&srv);
  hs_global_cleanup();
  if (failures) { fprintf(stderr, "test_client: %d failures\n", failures); return 1; }
  puts("test_client: all passed");
  return 0;
}
