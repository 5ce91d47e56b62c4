/* hs_request: what to fetch and the rules for fetching it. Strings are copied. */
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HS_DEFAULT_MAX_BODY (1024 * 1024)
#define HS_DEFAULT_MAX_HEADER_BYTES (256 * 1024)

static _Atomic uint64_t last_gen; /* hs_request.gen */

void hs__request_init(hs_request *req) {
  memset(req, 0, sizeof *req);
  req->refs = 1;
  req->gen = atomic_fetch_add(&last_gen, 1) + 1;
  req->follow = true;
  req->verify = true;
  req->host_backoff = true;
  req->findings = true;
  req->max_redirects = 10;
  req->max_body = HS_DEFAULT_MAX_BODY;
  req->max_header_bytes = HS_DEFAULT_MAX_HEADER_BYTES;
  req->expect = HS_EXPECT_AUTO;
  req->retry_attempts = 3;
  req->retry_base = 0.5;
  req->retry_factor = 2;
  req->retry_max_wait_us = 30 * 1000000LL;
  req->retry_jitter = true;
  req->retry_respect_retry_after = true;
}

hs_code hs_request_new(hs_request **out, const char *url) {
  if (!out) return HS_E_BADARG;
  *out = NULL;
  hs_request *req = malloc(sizeof *req);
  if (!req) return HS_E_NOMEM;
  hs__request_init(req);
  if (url && !(req->url = hs__strdup(url))) { free(req); return HS_E_NOMEM; }
  *out = req;
  return HS_OK;
}

/* A setter changes what the cached header lines were made from. */
static void changed(hs_request *req) {
  req->gen = atomic_fetch_add(&last_gen, 1) + 1;
  curl_slist_free_all(req->wire_headers);
  req->wire_headers = NULL;
  hs__sent_head_unref(req->sent_cache);
  req->sent_cache = NULL;
}

void hs__request_clear(hs_request *req) {
  changed(req);
  free(req->url); free(req->method); free(req->body);
  free(req->ca_file); free(req->user_agent); free(req->proxy); free(req->ip);
  free(req->http_version); free(req->retry_status);
  hs__headers_free(&req->headers);
  hs__headers_free(&req->strip);
  hs__headers_free(&req->resolve);
}

void hs_request_free(hs_request *req) {
  if (!req || --req->refs > 0) return;
  hs__request_clear(req);
  free(req);
}

/* The copies of src's body and retry-on status list a copy of it owns (NULL for none). */
static char *dup_body(const hs_request *src) {
  return src->has_body ? hs__strndup(src->body ? src->body : "", src->body_len) : NULL;
}

static int *dup_retry_status(const hs_request *src) {
  int *v = src->n_retry_status ? malloc(src->n_retry_status * sizeof *v) : NULL;
  if (v) memcpy(v, src->retry_status, src->n_retry_status * sizeof *v);
  return v;
}

hs_request *hs_request_dup(const hs_request *src) {
  hs_request *req = malloc(sizeof *req);
  if (!req) return NULL;
  *req = *src;
  req->refs = 1;
  req->wire_headers = NULL;
  req->sent_cache = NULL;
  req->gen = atomic_fetch_add(&last_gen, 1) + 1;
  req->url = hs__strdup(src->url);
  req->method = hs__strdup(src->method);
  req->ca_file = hs__strdup(src->ca_file);
  req->user_agent = hs__strdup(src->user_agent);
  req->proxy = hs__strdup(src->proxy);
  req->ip = hs__strdup(src->ip);
  req->http_version = hs__strdup(src->http_version);
  req->body = dup_body(src);
  memset(&req->headers, 0, sizeof req->headers);
  memset(&req->strip, 0, sizeof req->strip);
  memset(&req->resolve, 0, sizeof req->resolve);
  req->retry_status = dup_retry_status(src);
  req->cap_retry_status = req->retry_status ? src->n_retry_status : 0;
  int bad = (src->url && !req->url) || (src->method && !req->method) ||
            (src->has_body && !req->body) || (src->n_retry_status && !req->retry_status) ||
            hs__headers_copy(&req->headers, &src->headers) ||
            hs__headers_copy(&req->strip, &src->strip) ||
            hs__headers_copy(&req->resolve, &src->resolve);
  if (bad) { hs_request_free(req); return NULL; }
  return req;
}

static hs_code set_owned(char **slot, const char *value) {
  char *p = NULL;
  if (value && !(p = hs__strdup(value))) return HS_E_NOMEM;
  free(*slot);
  *slot = p;
  return HS_OK;
}

hs_code hs__request_default_method(hs_request *req) {
  if (req->method) return HS_OK;
  return hs_request_set_str(req, HS_OPT_METHOD, req->has_body ? "POST" : "GET");
}

static hs_code given(hs_request *req, int bit, hs_code rc) {
  if (rc == HS_OK) req->given |= (uint64_t)1 << bit;
  return rc;
}

static hs_code set_str(hs_request *req, hs_option opt, const char *value) {
  switch (opt) {
  case HS_OPT_URL: return set_owned(&req->url, value);
  case HS_OPT_METHOD:
    if (value && (!*value || strpbrk(value, " \t\r\n"))) return HS_E_BADARG;
    return set_owned(&req->method, value);
  case HS_OPT_BODY: return value ? hs_request_set_body(req, value, strlen(value)) : (free(req->body), req->body = NULL, req->has_body = false, HS_OK);
  case HS_OPT_CA_FILE: return set_owned(&req->ca_file, value);
  case HS_OPT_USER_AGENT: return set_owned(&req->user_agent, value);
  case HS_OPT_PROXY: return set_owned(&req->proxy, value);
  case HS_OPT_IP:
    if (value && strcmp(value, "4") && strcmp(value, "6")) return HS_E_BADARG;
    return set_owned(&req->ip, value);
  case HS_OPT_HTTP_VERSION:
    if (value && strcmp(value, "1.0") && strcmp(value, "1.1") && strcmp(value, "2") &&
        strcmp(value, "2-prior-knowledge"))
      return HS_E_BADARG;
    return set_owned(&req->http_version, value);
  case HS_OPT_EXPECT_CONTINUE:
    if (!value) return HS_E_BADARG;
    if (!strcmp(value, "auto")) req->expect = HS_EXPECT_AUTO;
    else if (!strcmp(value, "always")) req->expect = HS_EXPECT_ALWAYS;
    else if (!strcmp(value, "off")) req->expect = HS_EXPECT_OFF;
    else return HS_E_BADARG;
    return HS_OK;
  case HS_OPT_RETRY_METHODS:
    if (!value) return HS_E_BADARG;
    if (!strcmp(value, "idempotent")) req->retry_all_methods = false;
    else if (!strcmp(value, "all")) req->retry_all_methods = true;
    else return HS_E_BADARG;
    return HS_OK;
  default: return HS_E_BADARG;
  }
}

hs_code hs_request_set_str(hs_request *req, hs_option opt, const char *value) {
  if (!req) return HS_E_BADARG;
  if (opt != HS_OPT_URL) changed(req); /* the URL is not in what a client shares */
  return given(req, opt, set_str(req, opt, value));
}

static hs_code set_int(hs_request *req, hs_option opt, int64_t v) {
  switch (opt) {
  case HS_OPT_TIMEOUT_US: if (v < 0) return HS_E_BADARG; req->timeout_us = v; return HS_OK;
  case HS_OPT_CONNECT_TIMEOUT_US: if (v < 0) return HS_E_BADARG; req->connect_timeout_us = v; return HS_OK;
  case HS_OPT_QUEUE_TIMEOUT_US: if (v < 0) return HS_E_BADARG; req->queue_timeout_us = v; return HS_OK;
  case HS_OPT_FOLLOW: req->follow = v != 0; return HS_OK;
  case HS_OPT_MAX_REDIRECTS: if (v < 0 || v > 1000) return HS_E_BADARG; req->max_redirects = (int)v; return HS_OK;
  case HS_OPT_ALLOW_DOWNGRADE: req->allow_downgrade = v != 0; return HS_OK;
  case HS_OPT_MAX_BODY: if (v < 0) return HS_E_BADARG; req->max_body = v; return HS_OK;
  case HS_OPT_MAX_HEADER_BYTES: if (v < 1024) return HS_E_BADARG; req->max_header_bytes = v; return HS_OK;
  case HS_OPT_VERIFY: req->verify = v != 0; return HS_OK;
  case HS_OPT_RETRY_ATTEMPTS: if (v < 1 || v > 100) return HS_E_BADARG; req->retry_attempts = (int)v; return HS_OK;
  case HS_OPT_RETRY_MAX_WAIT_US: if (v < 0) return HS_E_BADARG; req->retry_max_wait_us = v; return HS_OK;
  case HS_OPT_RETRY_JITTER: req->retry_jitter = v != 0; return HS_OK;
  case HS_OPT_RETRY_RESPECT_RETRY_AFTER: req->retry_respect_retry_after = v != 0; return HS_OK;
  case HS_OPT_FRESH_CONNECT: req->fresh_connect = v != 0; return HS_OK;
  case HS_OPT_HOST_BACKOFF: req->host_backoff = v != 0; return HS_OK;
  case HS_OPT_SHOW_SECRETS: req->show_secrets = v != 0; return HS_OK;
  case HS_OPT_FINDINGS: req->findings = v != 0; return HS_OK;
  default: return HS_E_BADARG;
  }
}

hs_code hs_request_set_int(hs_request *req, hs_option opt, int64_t v) {
  if (!req) return HS_E_BADARG;
  changed(req);
  return given(req, opt, set_int(req, opt, v));
}

static hs_code set_double(hs_request *req, hs_option opt, double v) {
  switch (opt) {
  case HS_OPT_RETRY_BASE: req->retry_base = v; return HS_OK;
  case HS_OPT_RETRY_FACTOR: if (v < 1) return HS_E_BADARG; req->retry_factor = v; return HS_OK;
  default: return HS_E_BADARG;
  }
}

hs_code hs_request_set_double(hs_request *req, hs_option opt, double v) {
  if (!req || !(v >= 0) || v > 1e9) return HS_E_BADARG;
  changed(req);
  return given(req, opt, set_double(req, opt, v));
}

hs_code hs_request_set_body(hs_request *req, const void *data, size_t len) {
  if (!req || (!data && len)) return HS_E_BADARG;
  changed(req);
  char *p = hs__strndup(data ? data : "", len);
  if (!p) return HS_E_NOMEM;
  free(req->body);
  req->body = p;
  req->body_len = len;
  req->has_body = true;
  return given(req, HS_OPT_BODY, HS_OK);
}

static int valid_token(const char *s) {
  if (!s || !*s) return 0;
  for (; *s; s++)
    if ((unsigned char)*s <= 32 || *s == ':' || (unsigned char)*s >= 127) return 0;
  return 1;
}

hs_code hs_request_add_header(hs_request *req, const char *name, const char *value) {
  if (!req || !valid_token(name) || !value || strpbrk(value, "\r\n")) return HS_E_BADARG;
  changed(req);
  return given(req, HS_SET_HEADERS, hs__headers_addz(&req->headers, name, value) ? HS_E_NOMEM : HS_OK);
}

hs_code hs_request_add_strip(hs_request *req, const char *name) {
  if (!req || !valid_token(name)) return HS_E_BADARG;
  changed(req);
  return given(req, HS_SET_STRIP, hs__headers_addz(&req->strip, name, NULL) ? HS_E_NOMEM : HS_OK);
}

hs_code hs_request_add_resolve(hs_request *req, const char *entry) {
  if (!req || !entry || !*entry) return HS_E_BADARG;
  changed(req);
  return given(req, HS_SET_RESOLVE, hs__headers_addz(&req->resolve, entry, NULL) ? HS_E_NOMEM : HS_OK);
}

hs_code hs_request_retry_on_status(hs_request *req, int status) {
  if (!req || status < 100 || status > 599) return HS_E_BADARG;
  changed(req);
  if (!req->retry_custom_on) { req->retry_custom_on = true; req->n_retry_status = 0; req->retry_errors = 0; }
  if (hs__grow((void **)&req->retry_status, &req->cap_retry_status, req->n_retry_status, sizeof(int)))
    return HS_E_NOMEM;
  req->retry_status[req->n_retry_status++] = status;
  return given(req, HS_SET_RETRY_ON, HS_OK);
}

hs_code hs_request_retry_on_error(hs_request *req, const char *kind) {
  if (!req || !kind) return HS_E_BADARG;
  hs_error_kind k = hs__error_kind_by_name(kind);
  if (k != HS_ERR_CONNECT && k != HS_ERR_DNS && k != HS_ERR_RESET && k != HS_ERR_TIMEOUT)
    return HS_E_BADARG;
  changed(req);
  if (!req->retry_custom_on) { req->retry_custom_on = true; req->n_retry_status = 0; req->retry_errors = 0; }
  req->retry_errors |= 1u << k;
  return given(req, HS_SET_RETRY_ON, HS_OK);
}

/* Copies option `bit` (hs_request.given) of src into dst. */
static hs_code copy_option(hs_request *dst, const hs_request *src, int bit) {
  switch (bit) {
  case HS_OPT_METHOD: return set_owned(&dst->method, src->method);
  case HS_OPT_BODY:
    free(dst->body);
    dst->body = dup_body(src);
    dst->body_len = src->body_len;
    dst->has_body = src->has_body;
    return src->has_body && !dst->body ? HS_E_NOMEM : HS_OK;
  case HS_OPT_CA_FILE: return set_owned(&dst->ca_file, src->ca_file);
  case HS_OPT_EXPECT_CONTINUE: dst->expect = src->expect; return HS_OK;
  case HS_OPT_RETRY_METHODS: dst->retry_all_methods = src->retry_all_methods; return HS_OK;
  case HS_OPT_USER_AGENT: return set_owned(&dst->user_agent, src->user_agent);
  case HS_OPT_PROXY: return set_owned(&dst->proxy, src->proxy);
  case HS_OPT_IP: return set_owned(&dst->ip, src->ip);
  case HS_OPT_HTTP_VERSION: return set_owned(&dst->http_version, src->http_version);
  case HS_OPT_TIMEOUT_US: dst->timeout_us = src->timeout_us; return HS_OK;
  case HS_OPT_CONNECT_TIMEOUT_US: dst->connect_timeout_us = src->connect_timeout_us; return HS_OK;
  case HS_OPT_QUEUE_TIMEOUT_US: dst->queue_timeout_us = src->queue_timeout_us; return HS_OK;
  case HS_OPT_FOLLOW: dst->follow = src->follow; return HS_OK;
  case HS_OPT_MAX_REDIRECTS: dst->max_redirects = src->max_redirects; return HS_OK;
  case HS_OPT_ALLOW_DOWNGRADE: dst->allow_downgrade = src->allow_downgrade; return HS_OK;
  case HS_OPT_MAX_BODY: dst->max_body = src->max_body; return HS_OK;
  case HS_OPT_MAX_HEADER_BYTES: dst->max_header_bytes = src->max_header_bytes; return HS_OK;
  case HS_OPT_VERIFY: dst->verify = src->verify; return HS_OK;
  case HS_OPT_RETRY_ATTEMPTS: dst->retry_attempts = src->retry_attempts; return HS_OK;
  case HS_OPT_RETRY_MAX_WAIT_US: dst->retry_max_wait_us = src->retry_max_wait_us; return HS_OK;
  case HS_OPT_RETRY_JITTER: dst->retry_jitter = src->retry_jitter; return HS_OK;
  case HS_OPT_RETRY_RESPECT_RETRY_AFTER: dst->retry_respect_retry_after = src->retry_respect_retry_after; return HS_OK;
  case HS_OPT_FRESH_CONNECT: dst->fresh_connect = src->fresh_connect; return HS_OK;
  case HS_OPT_HOST_BACKOFF: dst->host_backoff = src->host_backoff; return HS_OK;
  case HS_OPT_SHOW_SECRETS: dst->show_secrets = src->show_secrets; return HS_OK;
  case HS_OPT_FINDINGS: dst->findings = src->findings; return HS_OK;
  case HS_OPT_RETRY_BASE: dst->retry_base = src->retry_base; return HS_OK;
  case HS_OPT_RETRY_FACTOR: dst->retry_factor = src->retry_factor; return HS_OK;
  case HS_SET_HEADERS: hs__headers_free(&dst->headers); return hs__headers_copy(&dst->headers, &src->headers) ? HS_E_NOMEM : HS_OK;
  case HS_SET_STRIP: hs__headers_free(&dst->strip); return hs__headers_copy(&dst->strip, &src->strip) ? HS_E_NOMEM : HS_OK;
  case HS_SET_RESOLVE: hs__headers_free(&dst->resolve); return hs__headers_copy(&dst->resolve, &src->resolve) ? HS_E_NOMEM : HS_OK;
  case HS_SET_RETRY_ON:
    free(dst->retry_status);
    dst->retry_status = dup_retry_status(src);
    dst->n_retry_status = dst->cap_retry_status = dst->retry_status ? src->n_retry_status : 0;
    dst->retry_custom_on = src->retry_custom_on;
    dst->retry_errors = src->retry_errors;
    return src->n_retry_status && !dst->retry_status ? HS_E_NOMEM : HS_OK;
  default: return HS_E_BADARG;
  }
}

hs_request *hs__request_merge(const hs_request *defaults, const hs_request *req) {
  hs_request *out = hs_request_dup(req);
  if (!out) return NULL;
  /* The URL is always the request's own (hs_client_add adds req->url). */
  uint64_t take = defaults->given & ~req->given & ~((uint64_t)1 << HS_OPT_URL);
  for (int bit = 0; bit < HS_SET_LAST; bit++) {
    if (!(take & ((uint64_t)1 << bit))) continue;
    if (copy_option(out, defaults, bit)) { hs_request_free(out); return NULL; }
    out->given |= (uint64_t)1 << bit;
  }
  return out;
}
