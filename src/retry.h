/* The retry policy as pure arithmetic, so it can be tested without a network or a clock. */
#ifndef HS_RETRY_H
#define HS_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "retry_after.h"

/* The Retry-After of one response: every value of the header, dates read against
 * its Date, else now_unix. */
hs_retry_after hs__headers_retry_after(const hs_headers *h, int64_t now_unix);

/* RFC 9110 §9.2.2, or made so by methods = "all" or an Idempotency-Key header. */
bool hs__retry_idempotent(const hs_request *req, const char *method);
/* May a try that ended with this status (0: none) or error be repeated? */
bool hs__retry_wanted(const hs_request *req, const char *method, int status, hs_error_kind err);
/* Backoff before retry number n (1 = first retry): min(max_wait, base * factor^(n-1)),
 * or with jitter r01 * that, r01 uniform in [0, 1). */
int64_t hs__retry_backoff_us(const hs_request *req, int n, double r01);
/* A server's Retry-After of ra_us, with jitter only ever added on top. */
int64_t hs__retry_after_wait_us(const hs_request *req, int64_t ra_us, int n, double r01);

#endif
