/* Retry arithmetic with an injected random value: no sleeps, no clock. */
#include <stdio.h>
#include <string.h>

#include "retry.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "test_retry.c:%d: %s\n", __LINE__, #cond); failures++; } } while (0)

int main(void) {
  hs_request *req;
  hs_request_new(&req, "http://h/");
  /* defaults: base 0.5 s, factor 2, max_wait 30 s, jitter on */
  hs_request_set_int(req, HS_OPT_RETRY_JITTER, 0);
  CHECK(hs__retry_backoff_us(req, 1, 0.3) == 500000);
  CHECK(hs__retry_backoff_us(req, 2, 0.3) == 1000000);
  CHECK(hs__retry_backoff_us(req, 3, 0.3) == 2000000);
  CHECK(hs__retry_backoff_us(req, 7, 0.3) == 30000000);   /* 0.5 * 2^6 = 32 > max_wait */
  CHECK(hs__retry_backoff_us(req, 60, 0.3) == 30000000);  /* no overflow */
  hs_request_set_int(req, HS_OPT_RETRY_JITTER, 1);
  CHECK(hs__retry_backoff_us(req, 2, 0.0) == 0);          /* uniform in [0, d) */
  CHECK(hs__retry_backoff_us(req, 2, 0.5) == 500000);
  CHECK(hs__retry_backoff_us(req, 7, 0.5) == 15000000);
  /* Retry-After is never shortened; jitter only adds, at most a step, at most 1 s. */
  CHECK(hs__retry_after_wait_us(req, 2000000, 1, 0.0) == 2000000);
  CHECK(hs__retry_after_wait_us(req, 2000000, 1, 0.5) == 2250000);
  CHECK(hs__retry_after_wait_us(req, 2000000, 5, 0.999) < 3000000);
  hs_request_set_int(req, HS_OPT_RETRY_JITTER, 0);
  CHECK(hs__retry_after_wait_us(req, 2000000, 1, 0.9) == 2000000);
  hs_request_set_double(req, HS_OPT_RETRY_BASE, 1.0);
  hs_request_set_double(req, HS_OPT_RETRY_FACTOR, 3.0);
  CHECK(hs__retry_backoff_us(req, 3, 0.0) == 9000000);

  /* Which tries may be repeated (RFC 9110 §9.2.2). */
  CHECK(hs__retry_wanted(req, "GET", 503, 0));
  CHECK(hs__retry_wanted(req, "GET", 429, 0));
  CHECK(!hs__retry_wanted(req, "GET", 500, 0));
  CHECK(!hs__retry_wanted(req, "POST", 503, 0));
  CHECK(hs__retry_wanted(req, "PUT", 503, 0) && hs__retry_wanted(req, "DELETE", 503, 0));
  CHECK(!hs__retry_wanted(req, "GET", 0, HS_ERR_CONNECT)); /* not in the default `on` */
  hs_request_retry_on_error(req, "connect");
  hs_request_retry_on_error(req, "reset");
  CHECK(!hs__retry_wanted(req, "GET", 503, 0));            /* a custom `on` replaces the default */
  CHECK(hs__retry_wanted(req, "POST", 0, HS_ERR_CONNECT)); /* nothing was sent */
  CHECK(!hs__retry_wanted(req, "POST", 0, HS_ERR_RESET));
  CHECK(hs__retry_wanted(req, "GET", 0, HS_ERR_RESET));
  hs_request_retry_on_status(req, 503);
  CHECK(hs__retry_wanted(req, "GET", 503, 0));
  hs_request_add_header(req, "Idempotency-Key", "k1");
  CHECK(hs__retry_wanted(req, "POST", 503, 0));
  CHECK(hs__retry_wanted(req, "POST", 0, HS_ERR_RESET));
  hs_request_set_int(req, HS_OPT_RETRY_ATTEMPTS, 1);
  CHECK(!hs__retry_wanted(req, "GET", 503, 0));
  CHECK(hs_request_retry_on_error(req, "tls") == HS_E_BADARG);
  CHECK(hs_request_retry_on_status(req, 600) == HS_E_BADARG);
  hs_request_free(req);

  hs_request_new(&req, "http://h/");
  hs_request_set_str(req, HS_OPT_RETRY_METHODS, "all");
  CHECK(hs__retry_wanted(req, "POST", 503, 0));
  CHECK(hs__retry_wanted(req, "PATCH", 429, 0));
  hs_request_free(req);

  if (failures) { fprintf(stderr, "test_retry: %d failures\n", failures); return 1; }
  puts("test_retry: all passed");
  return 0;
}
