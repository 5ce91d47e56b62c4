/* Retry arithmetic: which tries may be repeated, and how long to wait first. */
#include <math.h>
#include <string.h>

#include "retry.h"

hs_retry_after hs__headers_retry_after(const hs_headers *h, int64_t now_unix) {
  /* One pass: the Retry-After values, and the Date only when there is one. */
  const char *vals[8];
  size_t n = 0;
  for (size_t i = 0; i < h->n && n < 8; i++)
    if (hs__strcaseeq(h->v[i].name, "retry-after")) vals[n++] = h->v[i].value;
  if (!n) return hs__retry_after_parse(vals, 0, NULL, now_unix);
  return hs__retry_after_parse(vals, n, hs__headers_get(h, "date", 0), now_unix);
}

bool hs__retry_idempotent(const hs_request *req, const char *method) {
  static const char *const idempotent[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };
  for (size_t i = 0; i < sizeof idempotent / sizeof *idempotent; i++)
    if (strcmp(method, idempotent[i]) == 0) return true;
  return req->retry_all_methods || hs__headers_get(&req->headers, "Idempotency-Key", 0) != NULL;
}

bool hs__retry_wanted(const hs_request *req, const char *method, int status, hs_error_kind err) {
  if (req->retry_attempts <= 1) return false;
  if (err != HS_ERR_NONE) {
    if (!(req->retry_errors & (1u << err))) return false;
    /* Nothing was sent when the connection never came up. */
    if (err == HS_ERR_CONNECT || err == HS_ERR_DNS) return true;
    return hs__retry_idempotent(req, method);
  }
  bool listed = false;
  if (!req->retry_custom_on) listed = status == 429 || status == 503;
  for (size_t i = 0; i < req->n_retry_status; i++) listed |= req->retry_status[i] == status;
  return listed && hs__retry_idempotent(req, method);
}

int64_t hs__retry_backoff_us(const hs_request *req, int n, double r01) {
  double d = req->retry_base * pow(req->retry_factor, n > 1 ? n - 1 : 0) * 1e6;
  double cap = (double)req->retry_max_wait_us;
  if (!(d <= cap)) d = cap;
  if (req->retry_jitter) d *= r01;
  return (int64_t)d;
}

int64_t hs__retry_after_wait_us(const hs_request *req, int64_t ra_us, int n, double r01) {
  if (!req->retry_jitter) return ra_us;
  /* Spread clients told the same moment, never earlier than asked, at most a
   * backoff step (and at most a second) later. */
  int64_t step = hs__retry_backoff_us(req, n, 1.0);
  if (step > 1000000) step = 1000000;
  return ra_us + (int64_t)(r01 * (double)step);
}
