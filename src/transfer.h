/* One try of one hop on a libcurl easy handle: set-up, the callbacks that record
 * what arrives, and reading what happened once libcurl is done with it. */
#ifndef HS_TRANSFER_H
#define HS_TRANSFER_H

#include <curl/curl.h>

#include "internal.h"
#include "url.h"

/* The per-try options a pooled handle holds from its last try: set again only
 * when they change. */
typedef struct hs_try_opts {
  long timeout_ms;
  bool verbose, certinfo, verify;
  bool parts;                 /* CURLOPT_CURLU is the try record's parts */
  bool no_env_proxy;          /* CURLOPT_PROXY and CURLOPT_NOPROXY are "" */
} hs_try_opts;

/* What one try needs while libcurl runs it; only running requests have one. It
 * stays with its easy handle in the pool, so the handle's callbacks, private
 * pointer and error buffer point to it once and for all. */
typedef struct hs_try {
  CURL *easy;
  struct hs_job *job;         /* whose try it is; NULL in the pool */
  hs_try_opts held;           /* kept across recycling, valid while the handle is configured */
  CURLU *parts;               /* a plain URL's parts given to libcurl (kept across recycling) */
  const char *parts_origin;   /* the client's origin key the parts hold, NULL: none */
  struct curl_slist *req_headers, *resolve;
  char errbuf[CURL_ERROR_SIZE];
  int64_t t_try;              /* monotonic start of this try */
  bool sent_expect;
  int64_t t_100;              /* monotonic time the 100 Continue came, 0 if it did not */
  int cur_status;             /* of the response head being read */
  char *cur_reason;
  char cur_version[8];        /* "1.1", "2" ... of the response being read */
  hs_headers cur_headers;
  hs_buf head;                /* header lines of the response being read, raw */
  bool final_seen;            /* the final response's head is complete */
  size_t header_bytes;
  bool headers_too_large, body_too_large;
  hs_buf body;
  hs_sent_head *sent;         /* what went on the wire (CURLINFO_HEADER_OUT) */
  char *tls_version, *tls_cipher;
  int64_t head_size;          /* bytes of request libcurl should report for it */
  bool head_written;          /* sent written ahead (plain http), not seen by on_debug */
  bool plain;                 /* a GET with none of the rarer options (hs__transfer_release) */
} hs_try;

typedef struct hs_job {
  uint64_t id;
  hs_request *req;            /* the options, shared with other jobs (refcounted) */
  char *req_url;              /* the URL asked for (it follows the job in its allocation) */
  hs_result *res;
  hs_callback cb;
  hs_interim_callback icb;
  void *userdata;
  int state;
  struct hs_job *next;        /* in an origin's queue or the done list */
  struct hs_job *hnext;       /* in the client's id table */
  size_t active_slot;         /* in the client's list of active jobs */
  size_t origin_index;
  int64_t t_added, t_enqueued, t_first_try, wake_at;
  /* the current hop */
  char *url, *method;         /* url is req_url on the first hop (client.c drop_hop_strings) */
  char *wire_url;             /* url without its fragment, for libcurl: url itself for a plain one */
  hs_url_spans spans;         /* url's parts when it is plain (url.h): its request head is written from them */
  const char *origin_key;     /* "scheme://host:port" of url: the client's origin key */
  const char *first_origin;   /* of the first hop: credentials stay on it */
  bool send_body, drop_content_headers, stripped, no_expect;
  int redirects, retries;
  char **seen; size_t n_seen, cap_seen;   /* "METHOD url" of every hop, for loops */
  size_t attempt;             /* index in res->attempts of the current try */
  struct hs_try *t;           /* the transfer under way, NULL while queued or waiting */
  size_t interim_delivered;   /* interim responses already given to icb */
} hs_job;

/* Returns NULL or a message saying why the handle could not be set up (j->t, the
 * pooled try record of easy, is made here when the handle is new, and dropped by
 * hs__transfer_reset). configured: the handle holds a plain try's options, and its
 * pointers point to j->t (a pooled handle whose last try was plain). */
const char *hs__transfer_setup(hs_job *j, CURL *easy, bool configured, int64_t timeout_us, bool env_proxy);
/* Whether libcurl would take an http proxy from the environment (http_proxy, all_proxy):
 * read once a poll, not for every try. */
bool hs__proxy_in_env(void);
/* Readies a finished try's handle for the pool; returns whether it stays configured. */
bool hs__transfer_release(CURL *easy, bool plain);
/* Records into j->res what the finished try got: timing, status, headers, errors.
 * Returns the error kind of the try (HS_ERR_NONE when a whole response came). */
hs_error_kind hs__transfer_finish(hs_job *j, CURLcode code);
/* Buffers up to this size stay with a recycled try (and small bodies are copied out). */
#define HS_TRY_KEEP_BYTES 4096
/* Takes the try off a finished job, emptied for another job's try; its buffers stay. */
hs_try *hs__transfer_recycle(hs_job *j);
void hs__transfer_free(hs_try *t);
/* Drops the per-try state (j->t); the easy handle is the caller's. */
void hs__transfer_reset(hs_job *j);

#endif
