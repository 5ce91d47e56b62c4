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
  req->body = src->has_body ? hs__strndup(src->body ? src->body : "", src->body_len) : NULL;
  memset(&req->headers, 0, sizeof req->headers);
  memset(&req->strip, 0, sizeof req->strip);
  memset(&req->resolve, 0, sizeof req->resolve);
  req->retry_status = NULL;
  req->cap_retry_status = 0;
  if (src->n_retry_status) {
    req->retry_status = malloc(src->n_retry_status * sizeof(int));
    if (req->retry_status) {
      memcpy(req->retry_status, src->retry_status, src->n_retry_status * sizeof(int));
      req->cap_retry_status = src->n_retry_status;
    }
  }
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

hs_code hs_request_set_str(hs_request *req, hs_option opt, const char *value) {
  if (!req) return HS_E_BADARG;
  if (opt != HS_OPT_URL) changed(req); /* the URL is not in what a client shares */
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

hs_code hs_request_set_int(hs_request *req, hs_option opt, int64_t v) {
  if (!req) return HS_E_BADARG;
  changed(req);
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

hs_code hs_request_set_double(hs_request *req, hs_option opt, double v) {
  if (!req || !(v >= 0) || v > 1e9) return HS_E_BADARG;
  changed(req);
  switch (opt) {
  case HS_OPT_RETRY_BASE: req->retry_base = v; return HS_OK;
  case HS_OPT_RETRY_FACTOR: if (v < 1) return HS_E_BADARG; req->retry_factor = v; return HS_OK;
  default: return HS_E_BADARG;
  }
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
  return HS_OK;
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
  return hs__headers_addz(&req->headers, name, value) ? HS_E_NOMEM : HS_OK;
}

hs_code hs_request_add_strip(hs_request *req, const char *name) {
  if (!req || !valid_token(name)) return HS_E_BADARG;
  changed(req);
  return hs__headers_addz(&req->strip, name, NULL) ? HS_E_NOMEM : HS_OK;
}

hs_code hs_request_add_resolve(hs_request *req, const char *entry) {
  if (!req || !entry || !*entry) return HS_E_BADARG;
  changed(req);
  return hs__headers_addz(&req->resolve, entry, NULL) ? HS_E_NOMEM : HS_OK;
}

hs_code hs_request_retry_on_status(hs_request *req, int status) {
  if (!req || status < 100 || status > 599) return HS_E_BADARG;
  changed(req);
  if (!req->retry_custom_on) { req->retry_custom_on = true; req->n_retry_status = 0; req->retry_errors = 0; }
  if (hs__grow((void **)&req->retry_status, &req->cap_retry_status, req->n_retry_status, sizeof(int)))
    return HS_E_NOMEM;
  req->retry_status[req->n_retry_status++] = status;
  return HS_OK;
}

hs_code hs_request_retry_on_error(hs_request *req, const char *kind) {
  if (!req || !kind) return HS_E_BADARG;
  hs_error_kind k = hs__error_kind_by_name(kind);
  if (k != HS_ERR_CONNECT && k != HS_ERR_DNS && k != HS_ERR_RESET && k != HS_ERR_TIMEOUT)
    return HS_E_BADARG;
  changed(req);
  if (!req->retry_custom_on) { req->retry_custom_on = true; req->n_retry_status = 0; req->retry_errors = 0; }
  req->retry_errors |= 1u << k;
  return HS_OK;
}
