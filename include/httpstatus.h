/* httpstatus: HTTP requests that explain what came back.
 * The one public C header. The core never depends on Lua. */
#ifndef HTTPSTATUS_H
#define HTTPSTATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HS_BUILDING) && defined(__GNUC__)
#define HS_API __attribute__((visibility("default")))
#else
#define HS_API
#endif

#define HS_VERSION_MAJOR 0
#define HS_VERSION_MINOR 1
#define HS_VERSION_PATCH 0
#define HS_VERSION_NUM ((HS_VERSION_MAJOR << 16) | (HS_VERSION_MINOR << 8) | HS_VERSION_PATCH)
#define HS_VERSION_STR "0.1.0"

typedef enum hs_code {
  HS_OK = 0,
  HS_E_BADARG,     /* a programmer error: wrong option, value or state */
  HS_E_NOMEM,
  HS_E_CURL,       /* libcurl refused something it should not have */
  HS_E_NOTFOUND,   /* no such request id, header, hop ... */
  HS_E_REENTRANT,  /* hs_client_poll called from inside a callback */
  HS_E_LAST
} hs_code;

HS_API const char *hs_strerror(hs_code code);
HS_API hs_code hs_global_init(void);
HS_API void hs_global_cleanup(void);
HS_API const char *hs_version(void);

/* ---- Status registry ---------------------------------------------------- */

typedef enum hs_class {
  HS_CLASS_INVALID = 0,
  HS_CLASS_INFORMATIONAL = 1,
  HS_CLASS_SUCCESS = 2,
  HS_CLASS_REDIRECTION = 3,
  HS_CLASS_CLIENT_ERROR = 4,
  HS_CLASS_SERVER_ERROR = 5
} hs_class;

#define HS_STATUS_KNOWN        (1u << 0)
#define HS_STATUS_DEPRECATED   (1u << 1)
#define HS_STATUS_EXPERIMENTAL (1u << 2)
#define HS_STATUS_WEBDAV       (1u << 3)
#define HS_STATUS_CACHEABLE    (1u << 4)
#define HS_STATUS_RETRYABLE    (1u << 5)

/* Every lookup is O(1). For a code outside 100-599 the class is
 * HS_CLASS_INVALID and the strings are NULL. */
HS_API hs_class hs_status_class(int code);
HS_API const char *hs_class_name(hs_class cls);          /* "client_error" */
HS_API unsigned hs_status_flags(int code);               /* 0 for unknown codes */
HS_API const char *hs_status_reason(int code);           /* NULL if unknown */
HS_API const char *hs_status_description(int code);      /* NULL if unknown */
HS_API const char *hs_status_advice(int code);           /* what a client should do */
HS_API const char *hs_status_spec(int code);             /* "RFC 9110 §15.5.5" */
HS_API const char *hs_status_alias(int code, size_t index); /* older phrases, NULL past the end */
HS_API int hs_status_treat_as(int code);  /* the code if known, x00 of its class if not, 0 if invalid */
HS_API size_t hs_status_codes(const int **codes);        /* every known code, ascending */

/* ---- Requests ------------------------------------------------------------ */

typedef struct hs_request hs_request;
typedef struct hs_result hs_result;
typedef struct hs_client hs_client;

typedef enum hs_option {
  /* strings */
  HS_OPT_URL,
  HS_OPT_METHOD,
  HS_OPT_BODY,               /* copied; use hs_request_set_body for binary */
  HS_OPT_CA_FILE,
  HS_OPT_EXPECT_CONTINUE,    /* "auto", "always", "off" */
  HS_OPT_RETRY_METHODS,      /* "idempotent", "all" */
  HS_OPT_USER_AGENT,
  HS_OPT_PROXY,              /* "" means none */
  HS_OPT_IP,                 /* "4", "6" */
  HS_OPT_HTTP_VERSION,       /* "1.0", "1.1", "2", "2-prior-knowledge" */
  /* integers */
  HS_OPT_TIMEOUT_US,         /* whole request, retries included; 0 = none */
  HS_OPT_CONNECT_TIMEOUT_US,
  HS_OPT_QUEUE_TIMEOUT_US,
  HS_OPT_FOLLOW,             /* 0/1 */
  HS_OPT_MAX_REDIRECTS,
  HS_OPT_ALLOW_DOWNGRADE,    /* 0/1 */
  HS_OPT_MAX_BODY,           /* bytes */
  HS_OPT_MAX_HEADER_BYTES,   /* bytes of all headers of one response */
  HS_OPT_VERIFY,             /* 0/1 */
  HS_OPT_RETRY_ATTEMPTS,     /* tries in all; 1 = no retry */
  HS_OPT_RETRY_MAX_WAIT_US,
  HS_OPT_RETRY_JITTER,       /* 0/1 */
  HS_OPT_RETRY_RESPECT_RETRY_AFTER, /* 0/1 */
  HS_OPT_FRESH_CONNECT,      /* 0/1 */
  HS_OPT_HOST_BACKOFF,       /* 0/1, a client setting */
  HS_OPT_SHOW_SECRETS,       /* 0/1 */
  HS_OPT_FINDINGS,           /* 0/1: run the findings rules (default 1) */
  /* doubles */
  HS_OPT_RETRY_BASE,         /* seconds */
  HS_OPT_RETRY_FACTOR,
  HS_OPT_LAST
} hs_option;

HS_API hs_code hs_request_new(hs_request **req, const char *url);
HS_API void hs_request_free(hs_request *req);
HS_API hs_request *hs_request_dup(const hs_request *req);
HS_API hs_code hs_request_set_str(hs_request *req, hs_option opt, const char *value);
HS_API hs_code hs_request_set_int(hs_request *req, hs_option opt, int64_t value);
HS_API hs_code hs_request_set_double(hs_request *req, hs_option opt, double value);
HS_API hs_code hs_request_set_body(hs_request *req, const void *data, size_t len);
HS_API hs_code hs_request_add_header(hs_request *req, const char *name, const char *value);
HS_API hs_code hs_request_add_strip(hs_request *req, const char *header_name);
HS_API hs_code hs_request_add_resolve(hs_request *req, const char *entry); /* "host:port:addr" */
/* retry.on: status codes and error kinds ("connect", "dns", "reset", "timeout").
 * The first call replaces the default list (429, 503). */
HS_API hs_code hs_request_retry_on_status(hs_request *req, int status);
HS_API hs_code hs_request_retry_on_error(hs_request *req, const char *kind);

/* Blocking: drives the engine until this request is done. */
HS_API hs_code hs_perform(const hs_request *req, hs_result **result);

/* ---- Results (reference counted, read-only) ------------------------------ */

HS_API void hs_result_ref(hs_result *r);
HS_API void hs_result_unref(hs_result *r);      /* NULL-safe */
HS_API int hs_result_status(const hs_result *r); /* 0 when no response came */
HS_API int hs_result_ok(const hs_result *r);
HS_API const char *hs_result_url(const hs_result *r);
HS_API const char *hs_result_method(const hs_result *r);
HS_API const char *hs_result_error_kind(const hs_result *r);    /* NULL when no error */
HS_API const char *hs_result_error_message(const hs_result *r);
HS_API const char *hs_result_body(const hs_result *r, size_t *len);
HS_API size_t hs_result_hop_count(const hs_result *r);
HS_API int hs_result_hop_status(const hs_result *r, size_t hop);
HS_API size_t hs_result_interim_count(const hs_result *r);
HS_API int hs_result_interim_status(const hs_result *r, size_t index);
HS_API size_t hs_result_attempt_count(const hs_result *r);
HS_API size_t hs_result_finding_count(const hs_result *r);
HS_API const char *hs_result_finding_id(const hs_result *r, size_t index);
HS_API int64_t hs_result_total_us(const hs_result *r);
/* Shaped like curl_easy_header: the index-th value of header `name` (case-insensitive)
 * of hop `hop` (-1: the last hop). HS_E_NOTFOUND when there is none. */
HS_API hs_code hs_result_header(const hs_result *r, const char *name, size_t index, int hop,
                                const char **value);
/* Newly allocated JSON text (schema 1); free with hs_free. */
HS_API char *hs_result_to_json(const hs_result *r, int show_secrets);
HS_API void hs_free(void *p);

/* ---- Client: many requests, never blocking ------------------------------- */

typedef void (*hs_callback)(hs_client *c, uint64_t id, hs_result *r, void *userdata);
/* Called for each 1xx as it arrives, from hs_client_poll; r is the result so far
 * (valid during the call only) and index the interim response's place in it. */
typedef void (*hs_interim_callback)(hs_client *c, uint64_t id, const hs_result *r, size_t index,
                                    void *userdata);

/* concurrency and per_host are hard caps. defaults (NULL for none; copied) gives every
 * request added the options it was not given itself; its URL is not used. A list option
 * (headers, strip, resolve, retry on) is one option: a request that adds a header gets
 * only its own. (The Lua client merges its defaults itself.) */
HS_API hs_code hs_client_new(hs_client **c, const hs_request *defaults, int concurrency,
                             int per_host);
/* Cancels everything pending (no callbacks run); NULL-safe. From inside a callback
 * it takes effect when that hs_client_poll returns. */
HS_API void hs_client_free(hs_client *c);
/* Copies req. *id identifies the request in this client. */
HS_API hs_code hs_client_add(hs_client *c, const hs_request *req, hs_callback cb, void *userdata,
                             uint64_t *id);
HS_API hs_code hs_client_add_ex(hs_client *c, const hs_request *req, hs_callback cb,
                                hs_interim_callback icb, void *userdata, uint64_t *id);
/* Does what is ready (waiting at most timeout_us for network activity), runs callbacks. */
HS_API hs_code hs_client_poll(hs_client *c, int64_t timeout_us, size_t *pending);
HS_API int64_t hs_client_next_timeout_us(hs_client *c); /* -1: nothing pending */
HS_API hs_code hs_client_cancel(hs_client *c, uint64_t id); /* HS_E_NOTFOUND if done */
HS_API size_t hs_client_pending(const hs_client *c);
/* Cancels every pending request and runs their callbacks now (for closing). */
HS_API void hs_client_cancel_all(hs_client *c);
/* The result of a request still pending (NULL when unknown or delivered). */
HS_API const hs_result *hs_client_peek(const hs_client *c, uint64_t id);

/* ---- Features of the linked libcurl and findings rules ------------------- */
HS_API const char *hs_curl_version(void);
HS_API size_t hs_rule_count(void);
HS_API const char *hs_rule_id(size_t index);
HS_API const char *hs_rule_severity(size_t index);
HS_API const char *hs_rule_summary(size_t index);
HS_API const char *hs_rule_spec(size_t index);

#ifdef __cplusplus
}
#endif
#endif
