/* Types shared by the core's files. Not installed. */
#ifndef HS_INTERNAL_H
#define HS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpstatus.h"
#include "link.h"

#define HS_NONE (-1) /* a phase that did not happen, a missing number */

/* ---- strings and growable arrays ----------------------------------------- */
char *hs__strdup(const char *s);
char *hs__strndup(const char *s, size_t n);
char *hs__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The strings up to a NULL, joined: for hot paths where printf's parsing shows. */
char *hs__concat(const char *first, ...);
int hs__strcaseeq(const char *a, const char *b);
/* Methods and reason phrases that nearly every result holds come from one static
 * table instead of an allocation each; hs__str_free knows them. */
char *hs__str_common(const char *s, size_t n);
void hs__str_free(char *s);
bool hs__str_is_common(const char *s);
/* Grows *v (element size sz) to hold at least n+1 elements. 0 or -1. */
int hs__grow(void **v, size_t *cap, size_t n, size_t sz);

/* ---- headers: wire order and case kept, never joined ----------------------- */
/* name and value share one allocation (free name only), or live in the list's
 * block: a whole head copied once and cut in place (hs__headers_set_block), in v's
 * allocation after the cap entries; such a list is read-only. */
typedef struct hs_header { char *name; char *value; } hs_header;
typedef struct hs_headers {
  hs_header *v; uint32_t n, cap;
  char *block; uint32_t block_len;
} hs_headers;

int hs__headers_add(hs_headers *h, const char *name, size_t nlen, const char *value, size_t vlen);
int hs__headers_addz(hs_headers *h, const char *name, const char *value);
/* Parses one raw "Name: value\r\n" line. 0 added, 1 not a header line, -1 no memory. */
int hs__headers_add_line(hs_headers *h, const char *line, size_t len);
/* Adds every "Name: value" line of data (CRLF or LF separated; obs-fold joined)
 * from one copy of it. For an empty list. 0, or -1 when out of memory. */
int hs__headers_set_block(hs_headers *h, const char *data, size_t n);
const char *hs__headers_get(const hs_headers *h, const char *name, size_t index);
size_t hs__headers_count(const hs_headers *h, const char *name);
int hs__headers_copy(hs_headers *dst, const hs_headers *src);
void hs__headers_free(hs_headers *h);
int hs__header_is_secret(const char *name);

/* A request head as sent. Hops that sent the same one share it: read-only, and
 * counted atomically, as results that share it may be dropped on any thread. */
typedef struct hs_sent_head { _Atomic int refs; hs_headers h; } hs_sent_head;
hs_sent_head *hs__sent_head_new(const char *data, size_t n); /* parsed as hs__headers_set_block */
hs_sent_head *hs__sent_head_ref(hs_sent_head *s);
void hs__sent_head_unref(hs_sent_head *s);

/* ---- timing: durations in microseconds, HS_NONE when a phase did not happen - */
typedef struct hs_timing {
  int64_t queue, dns, connect, tls, send, wait, receive, total;
  bool reused;
} hs_timing;
void hs__timing_none(hs_timing *t);

/* ---- error kinds ------------------------------------------------------------ */
typedef enum hs_error_kind {
  HS_ERR_NONE = 0, HS_ERR_URL, HS_ERR_DNS, HS_ERR_CONNECT, HS_ERR_TLS, HS_ERR_TIMEOUT,
  HS_ERR_RESET, HS_ERR_INCOMPLETE_BODY, HS_ERR_TOO_MANY_REDIRECTS, HS_ERR_REDIRECT_LOOP,
  HS_ERR_SCHEME_REFUSED, HS_ERR_DOWNGRADE_REFUSED, HS_ERR_BODY_TOO_LARGE,
  HS_ERR_HEADERS_TOO_LARGE, HS_ERR_PROTOCOL, HS_ERR_RETRY_BUDGET, HS_ERR_CANCELLED,
  HS_ERR_OTHER, HS_ERR_LAST
} hs_error_kind;
const char *hs__error_kind_name(hs_error_kind k);
hs_error_kind hs__error_kind_by_name(const char *name);

/* ---- the result ------------------------------------------------------------ */
typedef struct hs_interim {
  int status;
  char *reason_phrase;
  hs_headers headers;
  hs_links links;
  size_t hop;
  int64_t at_us;
} hs_interim;

typedef struct hs_attempt {
  size_t hop;                 /* its URL and method are the hop's */
  int status;                 /* 0 when no response */
  hs_error_kind error;
  char *error_message;
  int64_t started_us;         /* since the request began */
  int64_t wait_us;            /* waited before the next try, HS_NONE if none */
  const char *cause;          /* why that wait: "retry-after", "backoff", ... */
  int64_t held_us;            /* held before this try by a host-wide backoff (0: not) */
  hs_timing timing;
  int64_t expect_wait_us;     /* request head sent until the 100 came, or until the body went without it */
  char *bad_retry_after;      /* a Retry-After that did not parse, as sent (NULL: none) */
  bool got_100;               /* Expect: 100-continue answered by 100 */
  bool no_retry_after;        /* a 429/503 that came without Retry-After */
  bool sent_expect;
} hs_attempt;

typedef struct hs_hop {
  char *url, *method;
  int status;
  char *reason_phrase;
  char http_version[8];       /* "1.1", "2" ...; empty when unknown */
  hs_headers headers;
  hs_sent_head *sent;         /* the request head, NULL if nothing was sent: hs__hop_request_headers */
  char *location, *location_url;
  size_t tries;               /* its timing is its last try's: hs__hop_timing */
  char remote_ip[46];          /* empty when unknown (INET6_ADDRSTRLEN) */
  int remote_port;
  /* https certificate of the hop's last try (CURLOPT_CERTINFO) */
  struct hs_tls_info *tls;    /* https only */
} hs_hop;

/* What a TLS handshake showed: the server certificate (CURLOPT_CERTINFO) and the
 * protocol. Kept per hop; a client remembers it per origin, as libcurl shows it
 * only on a new connection. */
typedef struct hs_tls_info {
  char *version, *cipher, *subject, *issuer;
  int64_t not_after;          /* Unix seconds, HS_NONE if unknown */
  bool verified;
} hs_tls_info;
hs_tls_info *hs__tls_info_dup(const hs_tls_info *t);
void hs__tls_info_free(hs_tls_info *t);
/* The https hop whose certificate expires first, NULL without one. */
const hs_tls_info *hs__result_tls(const struct hs_result *r);

typedef struct hs_finding {
  const char *id;             /* static, from the rules table */
  const char *severity;
  char *message;
  int hop;                    /* -1: the whole result */
} hs_finding;

struct hs_result {
  int refs;
  hs_error_kind error;
  hs_hop *hops; size_t n_hops, cap_hops;
  hs_interim *interim; size_t n_interim, cap_interim;
  hs_attempt *attempts; size_t n_attempts, cap_attempts;
  hs_finding *findings; size_t n_findings, cap_findings;
  hs_headers *trailers;       /* NULL when none came */
  char *body; size_t body_len;
  char *error_message;
  int curl_code, os_errno;
  int64_t retry_after_us;     /* what the server asked for, HS_NONE if nothing */
  double started_at;          /* Unix time */
  double finished_at;         /* Unix time: findings judge dates against it */
  /* What the findings rules need of the request, kept instead of the request. */
  bool findings_done;         /* findings are worked out on first look */
  bool packed;                /* a copy in one block its holder owns: never changes (hs__result_pack) */
  bool rq_findings, rq_verify;
  int show_secrets;
  char *rq_http_version;      /* the http_version option, NULL if not set */
  char *rq_secret_names;      /* request headers kept from other origins, ", "-joined */
  int64_t queue_us, total_us; /* before the first try; everything: hs__result_timing sums the rest */
  char *request_url;          /* as given; only a result with no hop keeps it (hs_result_url) */
  char *request_method;
};

/* A new result has room for one hop and one try in its own allocation, where most
 * results need no more (hs__result_add_hop/add_attempt move to their own past that). */
hs_result *hs__result_new(void);
hs_hop *hs__result_add_hop(hs_result *r, const char *url, const char *method);
hs_attempt *hs__result_add_attempt(hs_result *r, size_t hop);
hs_interim *hs__result_add_interim(hs_result *r);
int hs__result_add_finding(hs_result *r, const char *id, const char *severity, int hop, const char *message);
void hs__result_set_error(hs_result *r, hs_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
hs_hop *hs__result_last_hop(const hs_result *r);
/* A finished result copied into one block (result_pack.c): size it, then pack into
 * a block of that size (8-byte aligned). The copy holds no references: its request
 * heads (hop->sent) must outlive it, and hs_result_ref/unref leave it alone. */
size_t hs__result_pack_size(const hs_result *r);
hs_result *hs__result_pack(const hs_result *r, void *block);
const hs_headers *hs__hop_request_headers(const hs_hop *h);
/* Drops the last try if it never started, and its hop if that hop had no try:
 * for requests that end (cancel, timeout) between tries. */
void hs__result_drop_untried(hs_result *r);
const hs_timing *hs__hop_timing(const hs_result *r, size_t hop);
/* The whole request's phases: each summed over the tries that had it. */
void hs__result_timing(const hs_result *r, hs_timing *out);

/* ---- the request options --------------------------------------------------- */
typedef enum hs_expect { HS_EXPECT_AUTO, HS_EXPECT_ALWAYS, HS_EXPECT_OFF } hs_expect;

struct curl_slist;
struct hs_request {
  int refs;                   /* a client's jobs may share one (hs__client_add_url) */
  /* The header lines a try gives libcurl when it sends them all (transfer.c), made on
   * first use; every setter drops it. Not copied by hs_request_dup. */
  struct curl_slist *wire_headers;
  /* Changes with every setter but the URL's, unique across requests: a client that
   * is given the same request object with the same gen shares one copy of its options. */
  uint64_t gen;
  hs_sent_head *sent_cache;   /* the last head written from wire_headers (transfer.c) */
  char *url, *method;
  char *body; size_t body_len; bool has_body;
  hs_headers headers;
  hs_headers strip;           /* names only */
  hs_headers resolve;         /* CURLOPT_RESOLVE entries, names only */
  char *ca_file, *user_agent, *proxy, *ip, *http_version;
  int64_t timeout_us, connect_timeout_us, queue_timeout_us;
  bool follow, allow_downgrade, verify, fresh_connect, host_backoff, show_secrets, findings;
  int max_redirects;
  int64_t max_body, max_header_bytes;
  hs_expect expect;
  /* retry policy */
  int retry_attempts;
  int *retry_status; size_t n_retry_status, cap_retry_status;
  unsigned retry_errors;      /* bit (1 << hs_error_kind) */
  bool retry_custom_on;       /* false: the default list still applies */
  double retry_base, retry_factor;
  int64_t retry_max_wait_us;
  bool retry_jitter, retry_respect_retry_after, retry_all_methods;
  /* The options given (bit hs_option, then HS_SET_*): those a client's defaults leave alone. */
  uint64_t given;
};
/* The bits of hs_request.given past the hs_option ones: the lists, each one option. */
enum { HS_SET_HEADERS = HS_OPT_LAST, HS_SET_STRIP, HS_SET_RESOLVE, HS_SET_RETRY_ON, HS_SET_LAST };
_Static_assert(HS_SET_LAST <= 64, "hs_request.given has a bit for every option");

void hs__request_init(hs_request *req);
void hs__request_clear(hs_request *req);
/* Gives a request without a method its default: POST with a body, GET without.
 * HS_OK, or HS_E_NOMEM. */
hs_code hs__request_default_method(hs_request *req);
/* A copy of req with every option req was not given taken from defaults (a client's):
 * the lists (headers, strip, resolve, retry on) each as one option. NULL when out of memory. */
hs_request *hs__request_merge(const hs_request *defaults, const hs_request *req);

/* ---- the client --------------------------------------------------------------- */
/* Adds a request for url with the options of shared (which must have a method), without
 * copying them: for bindings that add many URLs with the same options. */
hs_code hs__client_add_url(hs_client *c, hs_request *shared, const char *url, hs_callback cb,
                           hs_interim_callback icb, void *userdata, uint64_t *id);

/* A poll(0) works for a bounded slice of time; a binding that runs callbacks after
 * the poll gives them a slice of their own, and keeps what does not fit for later. */
bool hs__client_slice_spent(const hs_client *c);
void hs__client_start_slice(hs_client *c);

/* ---- findings -------------------------------------------------------------- */
void hs__findings_run(hs_result *r);
/* Runs the rules once, the first time anyone looks at the findings: a batch that
 * reads only statuses never pays for them. Not for a packed result: */
void hs__findings_ensure(const hs_result *r);
/* The record to read r's findings from: r itself, or for a packed result whose
 * findings were not worked out yet, *tmp, a copy of its record with them. Give it
 * back to hs__findings_view_end. */
const hs_result *hs__findings_view(const hs_result *r, hs_result *tmp);
void hs__findings_view_end(const hs_result *view, const hs_result *r);

/* ---- JSON output ----------------------------------------------------------- */
typedef struct hs_buf { char *p; size_t n, cap; int oom; } hs_buf;
void hs__buf_add(hs_buf *b, const char *s, size_t n);
void hs__buf_adds(hs_buf *b, const char *s);
void hs__buf_printf(hs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hs__buf_json_str(hs_buf *b, const char *s, size_t n);

/* ---- clock ------------------------------------------------------------------ */
int64_t hs__now_us(void);      /* monotonic */
double hs__wall_now(void);     /* Unix time */

#endif
