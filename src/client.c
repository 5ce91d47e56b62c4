/* The engine: one curl multi handle, a queue per origin, and a state machine per
 * request that owns redirects, 1xx capture and retry timers. The blocking call
 * (hs_perform) is this engine driven until its one request is done.
 *
 * libcurl callbacks only record; every decision is taken after
 * curl_multi_perform returns (curl docs: never remove a handle from inside). */
#include <curl/curl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "retry.h"
#include "transfer.h"
#include "url.h"

#define HS_POLL_BUDGET_US 200
#define HS_POLL_STARTS 2

typedef enum job_state { JOB_QUEUED, JOB_ACTIVE, JOB_WAITING, JOB_DONE } job_state;

typedef struct origin {
  char *key;                  /* "scheme://host:port" */
  int active;
  int64_t backoff_until;      /* host-wide pause after a Retry-After, 0 if none */
  int64_t backoff_from;
  struct hs_job *head, *tail; /* queued jobs, FIFO */
} origin;

struct hs_client {
  CURLM *multi;
  int concurrency, per_host;
  int active;
  size_t pending;             /* jobs not yet delivered */
  origin *origins; size_t n_origins, cap_origins, rr;
  hs_job **waiting; size_t n_waiting, cap_waiting;
  hs_job *done_head, *done_tail;
  hs_job **buckets; size_t n_buckets, n_jobs;   /* id -> job, chained */
  hs_job **act; size_t n_act, cap_act;          /* jobs with a transfer under way */
  uint64_t next_id;
  /* Finished tries' handles (and their emptied try records) for the next tries. */
  struct pooled { CURL *easy; bool configured; hs_try *t; } *pool; size_t n_pool, cap_pool;
  uint64_t rng;
  int64_t deadline;           /* poll(0) stops starting and delivering past this */
  int64_t callback_deadline;  /* a binding's callbacks after a poll(0) stop past this (hs__client_start_slice) */
  int started;                /* transfers started by this poll (dispatch runs twice in one) */
  int64_t queue_deadline;     /* the earliest queue_timeout of a queued request, INT64_MAX: none */
  /* libcurl's sockets and timer (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION): we poll the
   * sockets ourselves so one poll can act on a bounded number of ready sockets. */
  struct pollfd *pfds, *ready; size_t n_pfds, cap_pfds;
  int64_t curl_deadline;      /* when libcurl wants its timeout action; -1: never */
  /* The last handshake seen per origin and TLS settings: a reused connection shows none. */
  struct tls_seen { char *key; hs_tls_info *info; } *tls_seen; size_t n_tls, cap_tls;
  /* The options of the last request object added (hs_client_add_ex), shared by the
   * adds that follow with the same object and gen: a host that sets only the URL
   * between adds pays for one copy. */
  uint64_t share_gen; hs_request *shared;
  hs_request *defaults;       /* hs_client_new's copy: the options a request was not given */
  bool env_proxy;             /* hs__proxy_in_env, read at the start of each poll */
  bool in_callback;
  bool free_requested;        /* hs_client_free from a callback: done when the poll ends */
};

/* A hop's url may be the asked URL itself, its wire URL the url: each is freed only
 * where it is not one of those. (Origin keys are the client's: origin_get.) */
static void drop_hop_strings(hs_job *j, char *url, char *wire) {
  if (wire != url && wire != j->req_url) free(wire);
  if (url != j->req_url) free(url);
}

static void job_free(hs_job *j) {
  hs__transfer_reset(j);
  hs_request_free(j->req);
  hs_result_unref(j->res);
  hs__str_free(j->method);
  drop_hop_strings(j, j->url, j->wire_url);
  for (size_t i = 0; i < j->n_seen; i++) free(j->seen[i]);
  free(j->seen);
  free(j); /* req_url with it */
}

/* xorshift64*: jitter only needs to spread clients, not to be secret. */
static double rand01(hs_client *c) {
  c->rng ^= c->rng >> 12;
  c->rng ^= c->rng << 25;
  c->rng ^= c->rng >> 27;
  return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* ---- origins and queues ----------------------------------------------------- */

static origin *origin_new(hs_client *c, char *key) {
  if (!key || hs__grow((void **)&c->origins, &c->cap_origins, c->n_origins, sizeof *c->origins)) {
    free(key);
    return NULL;
  }
  origin *o = &c->origins[c->n_origins++];
  memset(o, 0, sizeof *o);
  o->key = key;
  return o;
}

static origin *origin_get(hs_client *c, const char *key) {
  for (size_t i = 0; i < c->n_origins; i++)
    if (strcmp(c->origins[i].key, key) == 0) return &c->origins[i];
  return origin_new(c, hs__strdup(key));
}

/* The origin of a plain URL (hs__url_plain), found without writing its key out:
 * "scheme://host:port", the port as given or the scheme's. */
static origin *origin_of_plain(hs_client *c, const char *url, const hs_url_plain *u) {
  size_t prefix = (size_t)(u->host + u->host_len - url); /* "scheme://host" */
  const char *port = u->given ? u->given : hs__url_default_port(u);
  size_t port_len = u->given ? u->given_len : strlen(port);
  for (size_t i = 0; i < c->n_origins; i++) {
    const char *k = c->origins[i].key;
    if (!strncmp(k, url, prefix) && k[prefix] == ':' && !strncmp(k + prefix + 1, port, port_len) &&
        !k[prefix + 1 + port_len])
      return &c->origins[i];
  }
  char *key = malloc(prefix + 1 + port_len + 1);
  if (key) {
    memcpy(key, url, prefix);
    key[prefix] = ':';
    memcpy(key + prefix + 1, port, port_len);
    key[prefix + 1 + port_len] = '\0';
  }
  return origin_new(c, key);
}

static void queue_push(origin *o, hs_job *j, bool front) {
  j->state = JOB_QUEUED;
  j->next = NULL;
  if (!o->head) { o->head = o->tail = j; return; }
  if (front) { j->next = o->head; o->head = j; return; }
  o->tail->next = j;
  o->tail = j;
}

static hs_job *queue_pop(origin *o) {
  hs_job *j = o->head;
  if (j) { o->head = j->next; if (!o->head) o->tail = NULL; j->next = NULL; }
  return j;
}

static void queue_remove(origin *o, hs_job *j) {
  hs_job **pp = &o->head, *prev = NULL;
  while (*pp && *pp != j) { prev = *pp; pp = &(*pp)->next; }
  if (!*pp) return;
  *pp = j->next;
  if (o->tail == j) o->tail = prev;
  j->next = NULL;
}

static void waiting_remove(hs_client *c, hs_job *j) {
  for (size_t i = 0; i < c->n_waiting; i++)
    if (c->waiting[i] == j) { c->waiting[i] = c->waiting[--c->n_waiting]; return; }
}

/* ---- the id table and the list of active jobs ------------------------------------- */

static int table_add(hs_client *c, hs_job *j) {
  if (c->n_jobs + 1 > c->n_buckets) {
    size_t nb = c->n_buckets ? c->n_buckets * 2 : 64;
    hs_job **b = calloc(nb, sizeof *b);
    if (!b) return -1;
    for (size_t i = 0; i < c->n_buckets; i++)
      for (hs_job *x = c->buckets[i], *nx; x; x = nx) {
        nx = x->hnext;
        x->hnext = b[x->id & (nb - 1)];
        b[x->id & (nb - 1)] = x;
      }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = nb;
  }
  j->hnext = c->buckets[j->id & (c->n_buckets - 1)];
  c->buckets[j->id & (c->n_buckets - 1)] = j;
  c->n_jobs++;
  return 0;
}

static hs_job *table_find(const hs_client *c, uint64_t id) {
  if (!c->n_buckets) return NULL;
  for (hs_job *x = c->buckets[id & (c->n_buckets - 1)]; x; x = x->hnext)
    if (x->id == id) return x;
  return NULL;
}

static void table_remove(hs_client *c, hs_job *j) {
  hs_job **pp = &c->buckets[j->id & (c->n_buckets - 1)];
  while (*pp && *pp != j) pp = &(*pp)->hnext;
  if (*pp) { *pp = j->hnext; c->n_jobs--; }
}

static void active_remove(hs_client *c, hs_job *j) {
  size_t s = j->active_slot;
  if (s < c->n_act && c->act[s] == j) {
    c->act[s] = c->act[--c->n_act];
    c->act[s]->active_slot = s;
  }
  c->active--;
  c->origins[j->origin_index].active--;
}

/* ---- finishing ---------------------------------------------------------------- */

/* What was asked for, kept by a result that has no hop to say it. */
static void keep_asked(hs_job *j) {
  if (j->res->request_url) return;
  j->res->request_url = hs__strdup(j->req_url);
  j->res->request_method = hs__str_common(j->req->method, strlen(j->req->method));
}

/* A queued request has no result yet (it costs its request and little else);
 * one that ends before its first try gets one here, keeping what was asked for. */
static hs_result *new_result(hs_job *j, bool with_asked) {
  if (j->res) return j->res;
  hs_result *r = j->res = hs__result_new();
  if (!r) return NULL;
  r->show_secrets = j->req->show_secrets;
  if (with_asked) keep_asked(j);
  return r;
}

static hs_result *ensure_result(hs_job *j) { return new_result(j, true); }

static void job_finish(hs_client *c, hs_job *j) {
  hs_result *r = ensure_result(j);
  if (!r) return; /* out of memory: nothing to report with; the request is dropped */
  int64_t now = hs__now_us();
  /* From the first try, as timeout counts; the wait for a slot is queue_us. */
  r->total_us = now - (j->t_first_try ? j->t_first_try : j->t_added);
  if (r->queue_us == HS_NONE && j->t_first_try) r->queue_us = j->t_first_try - j->t_added;
  r->finished_at = hs__wall_now();
  /* What the findings will want of the request, for later: not the whole request. */
  const hs_request *q = j->req;
  r->rq_findings = q->findings;
  r->rq_verify = q->verify;
  if (q->http_version && !r->rq_http_version) r->rq_http_version = hs__strdup(q->http_version);
  if (j->stripped && !r->rq_secret_names) {
    hs_buf names = {0};
    for (size_t k = 0; k < q->headers.n; k++) {
      const char *n = q->headers.v[k].name;
      if (!hs__header_is_secret(n) && !hs__headers_count(&q->strip, n)) continue;
      bool seen = false;
      for (size_t m = 0; m < k && !seen; m++) seen = hs__strcaseeq(q->headers.v[m].name, n);
      if (seen) continue;
      if (names.n) hs__buf_adds(&names, ", ");
      hs__buf_adds(&names, n);
    }
    r->rq_secret_names = names.p;
  }
  j->state = JOB_DONE;
  j->next = NULL;
  if (c->done_tail) c->done_tail->next = j; else c->done_head = j;
  c->done_tail = j;
}

static void job_fail(hs_client *c, hs_job *j, hs_error_kind kind, const char *msg) {
  if (ensure_result(j)) hs__result_set_error(j->res, kind, "%s", msg);
  job_finish(c, j);
}

/* ---- scheduling -------------------------------------------------------------------- */

/* Back into the queue of its origin (j->origin_index, set with the hop's URL). */
static void job_enqueue(hs_client *c, hs_job *j, bool front) {
  j->t_enqueued = hs__now_us();
  queue_push(&c->origins[j->origin_index], j, front);
}

static void job_wait(hs_client *c, hs_job *j, int64_t wait_us) {
  if (hs__grow((void **)&c->waiting, &c->cap_waiting, c->n_waiting, sizeof *c->waiting)) {
    job_fail(c, j, HS_ERR_OTHER, "out of memory");
    return;
  }
  j->state = JOB_WAITING;
  j->wake_at = hs__now_us() + wait_us;
  c->waiting[c->n_waiting++] = j;
}

static int64_t time_left_us(const hs_job *j, int64_t now) {
  if (!j->req->timeout_us || !j->t_first_try) return INT64_MAX;
  return j->t_first_try + j->req->timeout_us - now;
}

static int first_hop(hs_job *j);

static void job_start(hs_client *c, hs_job *j) {
  int64_t now = hs__now_us();
  if (!j->url && first_hop(j)) {
    job_fail(c, j, HS_ERR_OTHER, "out of memory");
    return;
  }
  if (!j->t_first_try) {
    j->t_first_try = now;
    j->res->queue_us = now - j->t_added;
  }
  hs_attempt *a = &j->res->attempts[j->attempt];
  a->started_us = now - j->t_first_try;
  /* Held back by another request's Retry-After on this origin? */
  const origin *o = &c->origins[j->origin_index];
  if (o->backoff_until > j->t_enqueued && o->backoff_until <= now) {
    int64_t from = o->backoff_from > j->t_enqueued ? o->backoff_from : j->t_enqueued;
    a->held_us = o->backoff_until - from;
  }
  int64_t left = time_left_us(j, now);
  if (left <= 0) {
    hs__result_drop_untried(j->res);
    job_fail(c, j, HS_ERR_TIMEOUT, "the request's timeout ran out before the next try");
    return;
  }
  struct pooled p = c->n_pool ? c->pool[--c->n_pool] : (struct pooled){ curl_easy_init(), false, NULL };
  CURL *easy = p.easy;
  if (!easy) { job_fail(c, j, HS_ERR_OTHER, "curl_easy_init failed"); return; }
  j->t = p.t; /* NULL for a new handle: hs__transfer_setup makes one */
  const char *err = hs__transfer_setup(j, easy, p.configured, left == INT64_MAX ? 0 : left, c->env_proxy);
  if (!err && curl_multi_add_handle(c->multi, easy) != CURLM_OK) err = "curl_multi_add_handle failed";
  if (err) {
    curl_easy_cleanup(easy); /* before the try record its pointers point to */
    hs__transfer_reset(j);
    job_fail(c, j, HS_ERR_OTHER, err);
    return;
  }
  if (hs__grow((void **)&c->act, &c->cap_act, c->n_act, sizeof *c->act) == 0) {
    j->active_slot = c->n_act;
    c->act[c->n_act++] = j;
  }
  j->state = JOB_ACTIVE;
  c->active++;
  c->origins[j->origin_index].active++;
}

/* Starts queued jobs while the caps allow, taking origins in turn. */
static void dispatch(hs_client *c, int64_t now) {
  bool progress = true;
  while (c->active < c->concurrency && progress) {
    progress = false;
    for (size_t k = 0; k < c->n_origins && c->active < c->concurrency; k++) {
      origin *o = &c->origins[(c->rr + k) % c->n_origins];
      if (!o->head || o->active >= c->per_host || o->backoff_until > now) continue;
      /* A frame-loop poll starts a few transfers at a time: each new one costs
       * libcurl a connect and a send inside the next curl_multi_perform. */
      if (c->deadline != INT64_MAX && (c->started >= HS_POLL_STARTS || hs__now_us() > c->deadline)) return;
      hs_job *j = queue_pop(o);
      job_start(c, j);
      c->started++;
      progress = true;
    }
    c->rr++;
  }
}

/* ---- after a try: redirect, retry, or done --------------------------------------- */

/* Loop keys are "METHOD normalised-url" (remember); compared without building one. */
static bool is_loop(const hs_job *j, const char *method, const char *normal) {
  size_t m = strlen(method);
  for (size_t i = 0; i < j->n_seen; i++) {
    const char *k = j->seen[i];
    if (!strncmp(k, method, m) && k[m] == ' ' && !strcmp(k + m + 1, normal)) return true;
  }
  return false;
}

static int remember(hs_job *j, const char *method, const char *normal) {
  char *key = hs__concat(method, " ", normal, (char *)NULL);
  if (!key || hs__grow((void **)&j->seen, &j->cap_seen, j->n_seen, sizeof *j->seen)) {
    free(key);
    return -1;
  }
  j->seen[j->n_seen++] = key;
  return 0;
}



/* The first hop's key, made when the first redirect comes: most requests have none. */
static int remember_first(hs_job *j) {
  hs_url_facts f;
  int rc = hs__url_facts(j->req_url, &f, true) == 0 && f.normal ? remember(j, j->req->method, f.normal) : -1;
  hs__url_facts_free(&f);
  return rc;
}

/* A new attempt record for the job's current hop. */
static int new_attempt(hs_job *j) {
  hs_attempt *a = hs__result_add_attempt(j->res, j->res->n_hops - 1);
  if (!a) return -1;
  a->started_us = j->t_first_try ? hs__now_us() - j->t_first_try : 0;
  j->attempt = j->res->n_attempts - 1;
  return 0;
}

/* Delay from a Retry-After on this hop's response; HS_NONE when there is none or it is invalid. */
static int64_t retry_after_us(const hs_hop *hop) {
  hs_retry_after ra = hs__headers_retry_after(&hop->headers, (int64_t)hs__wall_now());
  return ra.kind == HS_RA_DELTA || ra.kind == HS_RA_DATE ? ra.delay_s * 1000000 : HS_NONE;
}

/* Starts the next hop's first try, after wait_us (0: at once); url is the job's from here on. */
static void next_hop(hs_client *c, hs_job *j, char *url, hs_url_facts *f, const char *method,
                     int64_t wait_us, const char *cause) {
  hs_attempt *prev = &j->res->attempts[j->attempt];
  if (wait_us > 0) { prev->wait_us = wait_us; prev->cause = cause; }
  /* The new hop's URL, with its facts taken over (its wire URL is itself when it is
   * plain, else the copy curl_url made). */
  char *old_url = j->url, *old_wire = j->wire_url;
  const origin *o = origin_get(c, f->origin);
  j->url = url;
  j->wire_url = f->wire ? f->wire : j->url;
  j->spans = j->url && !f->wire ? f->spans : (hs_url_spans){ 0 }; /* read once, by hs__url_facts */
  j->origin_key = o ? o->key : NULL;
  if (o) j->origin_index = (size_t)(o - c->origins);
  f->wire = NULL;
  drop_hop_strings(j, old_url, old_wire);
  hs__str_free(j->method);
  j->method = hs__str_common(method, strlen(method));
  int bad = remember(j, method, f->normal);
  if (bad || !o || !j->url || !j->method || !hs__result_add_hop(j->res, url, method) || new_attempt(j)) {
    job_fail(c, j, HS_ERR_OTHER, "out of memory");
    return;
  }
  if (wait_us > 0) job_wait(c, j, wait_us); else job_enqueue(c, j, true);
}

/* A server's Retry-After longer than max_wait or the time left is not waited:
 * the job ends with retry_budget (API.md, Retries). Returns true when it ended. */
static bool over_budget(hs_client *c, hs_job *j, int64_t ra, int64_t now) {
  const hs_request *req = j->req;
  if (ra <= req->retry_max_wait_us && ra <= time_left_us(j, now)) return false;
  j->res->retry_after_us = ra;
  hs__result_set_error(j->res, HS_ERR_RETRY_BUDGET, "the server asked to wait %.3g s, more than %s allows",
                       ra / 1e6, ra > req->retry_max_wait_us ? "retry.max_wait" : "the time left in timeout");
  job_finish(c, j);
  return true;
}

static bool follow_redirect(hs_client *c, hs_job *j, hs_hop *hop) {
  int s = hop->status;
  if (!j->req->follow) return false;
  if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) return false;
  if (!hop->location_url) return false;
  const char *target = hop->location_url;

  hs_result *r = j->res;
  hs_url_facts f;
  hs__url_facts(target, &f, true);
  bool http = !strcmp(f.scheme, "http"), https = !strcmp(f.scheme, "https");
  hs_error_kind refuse = HS_ERR_NONE;
  if (!http && !https) {
    refuse = HS_ERR_SCHEME_REFUSED;
    hs__result_set_error(r, refuse, "refused to follow a redirect to a %s: URL (only http and https are followed)",
                         f.scheme[0] ? f.scheme : "non-parsing");
  } else if (!f.origin || !f.normal) {
    refuse = HS_ERR_URL;
    hs__result_set_error(r, refuse, "the redirect target %s does not parse", target);
  } else if (http && strncasecmp(hop->url, "https:", 6) == 0 && !j->req->allow_downgrade) {
    refuse = HS_ERR_DOWNGRADE_REFUSED;
    hs__result_set_error(r, refuse, "refused to follow a redirect from https to http (%s); set allow_downgrade to follow",
                         target);
  } else if (j->redirects >= j->req->max_redirects) {
    refuse = HS_ERR_TOO_MANY_REDIRECTS;
    hs__result_set_error(r, refuse, "more than %d redirects", j->req->max_redirects);
  }
  /* RFC 9110 §15.4: 301/302 turn POST into GET (as browsers do), 303 turns anything but HEAD into GET. */
  const char *method = j->method;
  if (((s == 301 || s == 302) && !strcmp(method, "POST")) || (s == 303 && strcmp(method, "HEAD")))
    method = "GET";
  if (!refuse && !j->n_seen && remember_first(j)) {
    refuse = HS_ERR_OTHER;
    hs__result_set_error(r, refuse, "out of memory");
  }
  if (!refuse && is_loop(j, method, f.normal)) {
    refuse = HS_ERR_REDIRECT_LOOP;
    hs__result_set_error(r, refuse, "redirect loop: %s %s was already visited", method, target);
  }
  if (refuse) {
    hs__url_facts_free(&f);
    job_finish(c, j);
    return true;
  }
  if (strcmp(method, j->method)) {
    j->send_body = false;
    j->drop_content_headers = true;
  }
  if (strcmp(f.origin, j->first_origin)) j->stripped = true; /* and it stays stripped */
  j->redirects++;
  int64_t ra = retry_after_us(hop);
  if (ra > 0 && j->req->retry_respect_retry_after && over_budget(c, j, ra, hs__now_us())) {
    hs__url_facts_free(&f);
    return true;
  }
  char *m = hs__strdup(method), *t = hs__strdup(target);
  if (m && t) {
    next_hop(c, j, t, &f, m, ra > 0 ? ra : 0, "retry-after");
    t = NULL; /* the job's now */
  } else {
    job_fail(c, j, HS_ERR_OTHER, "out of memory");
  }
  hs__url_facts_free(&f);
  free(m); free(t);
  return true;
}

/* Repeats the current hop after a wait, or ends the job when the wait does not fit. */
static bool retry(hs_client *c, hs_job *j, hs_hop *hop, hs_error_kind kind) {
  const hs_request *req = j->req;
  hs_attempt *a = &j->res->attempts[j->attempt];
  int status = kind ? 0 : hop->status;
  /* 417 to Expect: 100-continue: once more without it (RFC 9110 §10.1.1). */
  if (!kind && status == 417 && a->sent_expect && !j->no_expect) {
    j->no_expect = true;
    a->wait_us = 0;
    a->cause = "expect-417";
    if (new_attempt(j)) { job_fail(c, j, HS_ERR_OTHER, "out of memory"); return true; }
    job_enqueue(c, j, true);
    return true;
  }
  if (!hs__retry_wanted(req, j->method, status, kind)) return false;
  if (j->retries + 1 >= req->retry_attempts) return false;
  int n = j->retries + 1;
  int64_t now = hs__now_us(), wait;
  const char *cause = "backoff";
  int64_t ra = !kind ? retry_after_us(hop) : HS_NONE;
  if (ra != HS_NONE && req->retry_respect_retry_after) {
    if (over_budget(c, j, ra, now)) return true;
    wait = hs__retry_after_wait_us(req, ra, n, rand01(c));
    /* Jitter only adds, and never past the budget the server's own value fitted in. */
    int64_t left = time_left_us(j, now);
    if (wait > left || wait > req->retry_max_wait_us) wait = ra;
    cause = "retry-after";
  } else {
    wait = hs__retry_backoff_us(req, n, rand01(c));
    if (wait > time_left_us(j, now)) {
      hs__result_set_error(j->res, HS_ERR_RETRY_BUDGET, "no time left in timeout for another try");
      job_finish(c, j);
      return true;
    }
  }
  j->retries++;
  a->wait_us = wait;
  a->cause = cause;
  if (new_attempt(j)) { job_fail(c, j, HS_ERR_OTHER, "out of memory"); return true; }
  job_wait(c, j, wait);
  return true;
}

static void remember_tls(hs_client *c, hs_job *j, hs_hop *hop) {
  if (strncasecmp(hop->url, "https:", 6) || !j->origin_key) return;
  char *key = hs__concat(j->origin_key, j->req->verify ? " verify " : " noverify ",
                         j->req->ca_file ? j->req->ca_file : "", (char *)NULL);
  if (!key) return;
  size_t i = 0;
  while (i < c->n_tls && strcmp(c->tls_seen[i].key, key)) i++;
  if (hop->tls) {
    hs_tls_info *copy = hs__tls_info_dup(hop->tls);
    if (copy && i < c->n_tls) {
      hs__tls_info_free(c->tls_seen[i].info);
      c->tls_seen[i].info = copy;
    } else if (copy && !hs__grow((void **)&c->tls_seen, &c->cap_tls, c->n_tls, sizeof *c->tls_seen)) {
      c->tls_seen[c->n_tls++] = (struct tls_seen){ key, copy };
      key = NULL;
    } else {
      hs__tls_info_free(copy);
    }
  } else if (i < c->n_tls) {
    hop->tls = hs__tls_info_dup(c->tls_seen[i].info);
  }
  free(key);
}

static void try_done(hs_client *c, hs_job *j, CURLcode code) {
  CURL *easy = j->t->easy;
  bool plain = j->t->plain;
  hs_error_kind kind = hs__transfer_finish(j, code);
  curl_multi_remove_handle(c->multi, easy);
  hs_try *t = hs__transfer_recycle(j);
  if (hs__grow((void **)&c->pool, &c->cap_pool, c->n_pool, sizeof *c->pool) == 0 &&
      c->n_pool < (size_t)c->concurrency) {
    c->pool[c->n_pool++] = (struct pooled){ easy, hs__transfer_release(easy, plain), t };
  } else {
    curl_easy_cleanup(easy); /* before the try record its pointers point to */
    hs__transfer_free(t);
  }
  active_remove(c, j);
  hs_hop *hop = hs__result_last_hop(j->res);
  remember_tls(c, j, hop);
  /* A 429 or 503 with Retry-After pauses the client's other requests to this origin,
   * whether or not this one is retried (host_backoff). */
  if (!kind && (hop->status == 429 || hop->status == 503) && j->req->host_backoff) {
    int64_t ra = retry_after_us(hop), now = hs__now_us();
    origin *o = &c->origins[j->origin_index];
    if (ra > 0 && now + ra > o->backoff_until) {
      o->backoff_until = now + ra;
      o->backoff_from = now;
    }
  }
  if (retry(c, j, hop, kind)) return;
  if (kind) {
    hs_attempt *a = &j->res->attempts[j->attempt];
    hs__result_set_error(j->res, kind, "%s", a->error_message ? a->error_message : "failed");
    job_finish(c, j);
    return;
  }
  if (follow_redirect(c, j, hop)) return;
  job_finish(c, j);
}

static void read_completions(hs_client *c) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(c->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    hs_try *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    if (t && t->job) try_done(c, t->job, msg->data.result);
  }
}

/* Waiting jobs whose time has come go to the front of their origin's queue;
 * queued jobs that waited past queue_timeout end. */
static void run_timers(hs_client *c, int64_t now) {
  for (size_t i = 0; i < c->n_waiting;) {
    hs_job *j = c->waiting[i];
    if (j->wake_at <= now) {
      c->waiting[i] = c->waiting[--c->n_waiting];
      job_enqueue(c, j, true);
    } else {
      i++;
    }
  }
  /* queue_timeout: the queues are walked only when the earliest deadline is due. */
  if (now < c->queue_deadline) return;
  int64_t next = INT64_MAX;
  for (size_t k = 0; k < c->n_origins; k++) {
    origin *o = &c->origins[k];
    hs_job *prev = NULL;
    for (hs_job *j = o->head, *nx; j; j = nx) {
      nx = j->next;
      int64_t qt = j->req->queue_timeout_us;
      if (qt && !j->t_first_try && now - j->t_added >= qt) {
        if (prev) prev->next = nx; else o->head = nx;
        if (o->tail == j) o->tail = prev;
        j->next = NULL;
        job_fail(c, j, HS_ERR_TIMEOUT, "the request waited longer than queue_timeout in the queue");
        continue;
      }
      if (qt && !j->t_first_try && j->t_added + qt < next) next = j->t_added + qt;
      prev = j;
    }
  }
  c->queue_deadline = next;
}

static int64_t timers_due_in(const hs_client *c, int64_t now) {
  int64_t best = INT64_MAX;
  for (size_t i = 0; i < c->n_waiting; i++) {
    int64_t d = c->waiting[i]->wake_at - now;
    if (d < best) best = d;
  }
  for (size_t k = 0; k < c->n_origins; k++) {
    const origin *o = &c->origins[k];
    if (!o->head) continue;
    if (o->backoff_until > now && o->backoff_until - now < best) best = o->backoff_until - now;
  }
  if (c->queue_deadline != INT64_MAX && c->queue_deadline - now < best) best = c->queue_deadline - now;
  return best < 0 ? 0 : best;
}

/* ---- callbacks to the host, only from poll --------------------------------------------- */

static void deliver_interim(hs_client *c, hs_job *j) {
  while (j->interim_delivered < j->res->n_interim) {
    size_t i = j->interim_delivered++;
    if (!j->icb) continue;
    c->in_callback = true;
    j->icb(c, j->id, j->res, i, j->userdata);
    c->in_callback = false;
  }
}

static void deliver(hs_client *c) {
  bool first = true;
  /* A client freed from a callback runs no more of them (hs_client_free). */
  while (c->done_head && !c->free_requested && (first || c->deadline == INT64_MAX || hs__now_us() <= c->deadline)) {
    first = false;
    hs_job *j = c->done_head;
    c->done_head = j->next;
    if (!c->done_head) c->done_tail = NULL;
    table_remove(c, j);
    c->pending--;
    deliver_interim(c, j);
    if (j->cb) {
      c->in_callback = true;
      j->cb(c, j->id, j->res, j->userdata);
      c->in_callback = false;
    }
    job_free(j);
  }
}

/* ---- driving libcurl: socket_action on the sockets that are ready ---------------- */

/* A socket's slot in pfds is told to libcurl (curl_multi_assign) as index + 1, so it
 * comes back as socketp: no search on each of the two calls a transfer makes. */
static bool assign_slot(hs_client *c, size_t i) {
  return curl_multi_assign(c->multi, c->pfds[i].fd, (void *)(uintptr_t)(i + 1)) == CURLM_OK;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  hs_client *c = userp;
  size_t slot = (size_t)(uintptr_t)socketp; /* 0: not watched yet */
  if (what == CURL_POLL_REMOVE) {
    if (slot) {
      size_t i = slot - 1;
      c->pfds[i] = c->pfds[--c->n_pfds];
      if (i < c->n_pfds) assign_slot(c, i); /* the last one moved into the freed slot */
    }
    return 0;
  }
  if (!slot) {
    if (c->n_pfds == c->cap_pfds) {
      /* Both arrays grow together, or neither: drive() copies pfds into ready. */
      size_t cap = c->cap_pfds ? c->cap_pfds * 2 : 16;
      struct pollfd *r = realloc(c->ready, cap * sizeof *r);
      if (!r) return -1;
      c->ready = r;
      struct pollfd *p = realloc(c->pfds, cap * sizeof *p);
      if (!p) return -1;
      c->pfds = p;
      c->cap_pfds = cap;
    }
    c->pfds[c->n_pfds++].fd = fd;
    slot = c->n_pfds;
    /* libcurl made its entry for fd before calling us; without one, fail loudly
     * rather than watch fd twice. */
    if (!assign_slot(c, slot - 1)) { c->n_pfds--; return -1; }
  }
  struct pollfd *p = &c->pfds[slot - 1];
  p->events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
  p->revents = 0;
  return 0;
}

static int on_timer(CURLM *multi, long ms, void *userp) {
  hs_client *c = userp;
  c->curl_deadline = ms < 0 ? -1 : hs__now_us() + (int64_t)ms * 1000;
  return 0;
}

static void curl_timeouts(hs_client *c) {
  int running;
  while (c->curl_deadline >= 0 && c->curl_deadline <= hs__now_us()) {
    c->curl_deadline = -1;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  }
}

/* Waits at most wait_us (0: not at all) for a socket or libcurl's timer, then lets
 * libcurl act on the ready sockets; a frame-loop poll stops at its deadline and
 * leaves the other ready sockets for the next poll (poll() is level-triggered). */
static void drive(hs_client *c, int64_t wait_us) {
  int running;
  curl_timeouts(c);
  if (wait_us != 0 && c->curl_deadline >= 0) {
    int64_t d = c->curl_deadline - hs__now_us();
    if (d < wait_us) wait_us = d > 0 ? d : 0;
  }
  int64_t wait_ms = (wait_us + 999) / 1000;
  int ms = wait_ms > INT_MAX ? INT_MAX : (int)wait_ms;
  int n = poll(c->pfds, (nfds_t)c->n_pfds, ms);
  if (n > 0) {
    /* A snapshot: socket_action changes the set as it goes. */
    size_t k = 0;
    for (size_t i = 0; i < c->n_pfds; i++)
      if (c->pfds[i].revents) c->ready[k++] = c->pfds[i];
    for (size_t i = 0; i < k; i++) {
      if (i > 0 && c->deadline != INT64_MAX && hs__now_us() > c->deadline) break;
      short re = c->ready[i].revents;
      int ev = ((re & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) | ((re & POLLOUT) ? CURL_CSELECT_OUT : 0) |
               ((re & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(c->multi, c->ready[i].fd, ev, &running);
    }
  }
  curl_timeouts(c);
}

/* ---- the public client ------------------------------------------------------------------ */

hs_code hs_client_new(hs_client **out, const hs_request *defaults, int concurrency, int per_host) {
  if (!out || concurrency < 1 || per_host < 1) return HS_E_BADARG;
  *out = NULL;
  hs_client *c = calloc(1, sizeof *c);
  if (!c) return HS_E_NOMEM;
  c->concurrency = concurrency;
  c->per_host = per_host;
  c->next_id = 1;
  c->rng = (uint64_t)hs__now_us() * 0x9E3779B97F4A7C15ULL | 1;
  c->multi = curl_multi_init();
  if (!c->multi) { hs_client_free(c); return HS_E_CURL; }
  c->curl_deadline = -1;
  c->queue_deadline = INT64_MAX;
  if (defaults && !(c->defaults = hs_request_dup(defaults))) { hs_client_free(c); return HS_E_NOMEM; }
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)per_host);
  curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)concurrency);
  curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)concurrency);
  *out = c;
  return HS_OK;
}

/* The first try's records, made when it is about to start (not while queued). */
static int first_hop(hs_job *j) {
  /* The first hop keeps what was asked for: the result need not keep it twice. */
  j->url = j->req_url;
  j->origin_key = j->first_origin;
  if (!new_result(j, false) || !(j->method = hs__str_common(j->req->method, strlen(j->req->method))) ||
      !hs__result_add_hop(j->res, j->url, j->method) || new_attempt(j)) {
    /* Out of memory: a result without its hop still says what was asked for. */
    if (j->res && !j->res->n_hops) keep_asked(j);
    return -1;
  }
  return 0;
}

static hs_code add_job(hs_client *c, hs_job *j, hs_callback cb, hs_interim_callback icb, void *userdata,
                       uint64_t *id);

hs_code hs_client_add_ex(hs_client *c, const hs_request *req, hs_callback cb, hs_interim_callback icb,
                         void *userdata, uint64_t *id) {
  if (!c || !req || !req->url) return HS_E_BADARG;
  /* gen names one request object in one state, process-wide (request.c). */
  if (req->gen != c->share_gen || !c->shared) {
    hs_request *copy = c->defaults ? hs__request_merge(c->defaults, req) : hs_request_dup(req);
    if (!copy || hs__request_default_method(copy)) {
      hs_request_free(copy);
      return HS_E_NOMEM;
    }
    hs_request_free(c->shared);
    c->shared = copy;
    c->share_gen = req->gen;
  }
  return hs__client_add_url(c, c->shared, req->url, cb, icb, userdata, id);
}

hs_code hs__client_add_url(hs_client *c, hs_request *shared, const char *url, hs_callback cb,
                           hs_interim_callback icb, void *userdata, uint64_t *id) {
  if (!c || !shared || !url || !shared->method) return HS_E_BADARG;
  /* The asked URL lives behind the job, in the same allocation. */
  size_t len = strlen(url);
  hs_job *j = calloc(1, sizeof *j + len + 1);
  if (!j) return HS_E_NOMEM;
  j->req_url = memcpy((char *)(j + 1), url, len + 1);
  shared->refs++;
  j->req = shared;
  return add_job(c, j, cb, icb, userdata, id);
}

/* What the first try needs of the URL, kept from the one parse at add. */
static void queue_first(hs_client *c, hs_job *j, origin *o, char *wire_url) {
  j->first_origin = o->key;
  j->wire_url = wire_url;
  j->origin_index = (size_t)(o - c->origins);
  j->t_enqueued = j->t_added;
  queue_push(o, j, false);
  if (j->req->queue_timeout_us && j->t_added + j->req->queue_timeout_us < c->queue_deadline)
    c->queue_deadline = j->t_added + j->req->queue_timeout_us;
}

static hs_code add_job(hs_client *c, hs_job *j, hs_callback cb, hs_interim_callback icb, void *userdata,
                       uint64_t *id) {
  j->id = c->next_id++;
  j->cb = cb;
  j->icb = icb;
  j->userdata = userdata;
  j->t_added = hs__now_us();
  j->send_body = j->req->has_body;
  if (table_add(c, j)) { job_free(j); return HS_E_NOMEM; }
  c->pending++;
  if (id) *id = j->id;

  /* The common URL, read by hand: its origin found without a key written out. */
  hs_url_plain u;
  if (hs__url_plain(j->req_url, &u)) {
    origin *o = origin_of_plain(c, j->req_url, &u);
    if (!o) {
      job_fail(c, j, HS_ERR_OTHER, "out of memory");
      return HS_OK;
    }
    j->spans = hs__url_spans(j->req_url, &u);
    queue_first(c, j, o, j->req_url);
    return HS_OK;
  }
  /* A URL that does not parse, or is not http(s), is data in the result, not an error. */
  hs_url_facts f;
  int parsed = hs__url_facts(j->req_url, &f, false) == 0;
  origin *o = NULL;
  if (!parsed || !f.origin) {
    job_fail(c, j, HS_ERR_URL, "the URL does not parse");
  } else if (strcmp(f.scheme, "http") && strcmp(f.scheme, "https")) {
    if (ensure_result(j))
      hs__result_set_error(j->res, HS_ERR_SCHEME_REFUSED, "only http and https URLs are fetched, not %s:", f.scheme);
    job_finish(c, j);
  } else if (!(o = origin_get(c, f.origin))) {
    job_fail(c, j, HS_ERR_OTHER, "out of memory");
  } else {
    queue_first(c, j, o, f.wire ? f.wire : j->req_url);
    f.wire = NULL;
  }
  hs__url_facts_free(&f);
  return HS_OK;
}

hs_code hs_client_add(hs_client *c, const hs_request *req, hs_callback cb, void *userdata, uint64_t *id) {
  return hs_client_add_ex(c, req, cb, NULL, userdata, id);
}

hs_code hs_client_poll(hs_client *c, int64_t timeout_us, size_t *pending) {
  if (!c) return HS_E_BADARG;
  if (c->in_callback) return HS_E_REENTRANT;
  /* A non-blocking poll is for frame loops: it does a bounded slice of work and
   * leaves the rest for the next call (next_timeout then says 0). */
  int64_t now = hs__now_us();
  c->deadline = timeout_us == 0 ? now + HS_POLL_BUDGET_US : INT64_MAX;
  c->env_proxy = hs__proxy_in_env();
  c->started = 0;
  run_timers(c, now);
  dispatch(c, now);
  /* One wait per poll: for the sockets, libcurl's timer or ours, whichever comes first. */
  int64_t wait = 0;
  if (timeout_us != 0 && !c->done_head && c->pending) {
    wait = hs_client_next_timeout_us(c);
    if (wait < 0 || (timeout_us > 0 && timeout_us < wait)) wait = timeout_us;
    if (wait < 0) wait = 1000000;
  }
  drive(c, wait);
  read_completions(c);
  /* Hops, retries and queued requests that are due now start in this same poll. */
  size_t before = c->n_act;
  now = hs__now_us();
  run_timers(c, now);
  dispatch(c, now);
  if (c->n_act != before) {
    drive(c, 0);
    read_completions(c);
  }
  /* 1xx as they arrive: of running requests, and of those now waiting to retry. */
  for (size_t i = 0; i < c->n_act; i++) deliver_interim(c, c->act[i]);
  for (size_t i = 0; i < c->n_waiting; i++) deliver_interim(c, c->waiting[i]);
  deliver(c);
  if (pending) *pending = c->pending;
  if (c->free_requested) hs_client_free(c); /* asked for from inside a callback */
  return HS_OK;
}

int64_t hs_client_next_timeout_us(hs_client *c) {
  if (!c || !c->pending) return -1;
  if (c->done_head) return 0;
  int64_t now = hs__now_us();
  int64_t best = timers_due_in(c, now);
  /* Anything queued that the caps allow could start now. */
  for (size_t k = 0; k < c->n_origins && c->active < c->concurrency; k++) {
    const origin *o = &c->origins[k];
    if (o->head && o->active < c->per_host && o->backoff_until <= now) return 0;
  }
  if (c->curl_deadline >= 0 && c->curl_deadline - now < best)
    best = c->curl_deadline > now ? c->curl_deadline - now : 0;
  /* With transfers waiting on sockets and no timer, ask again soon. */
  if (c->active && best == INT64_MAX) best = 100000;
  return best == INT64_MAX ? -1 : best;
}

size_t hs_client_pending(const hs_client *c) { return c ? c->pending : 0; }

bool hs__client_slice_spent(const hs_client *c) { return hs__now_us() > c->callback_deadline; }

void hs__client_start_slice(hs_client *c) { c->callback_deadline = hs__now_us() + HS_POLL_BUDGET_US; }

const hs_result *hs_client_peek(const hs_client *c, uint64_t id) {
  const hs_job *j = c ? table_find(c, id) : NULL;
  return j ? j->res : NULL;
}

static void cancel_job(hs_client *c, hs_job *j) {
  switch (j->state) {
  case JOB_ACTIVE: {
    CURL *easy = j->t->easy;
    curl_multi_remove_handle(c->multi, easy);
    hs__transfer_finish(j, CURLE_ABORTED_BY_CALLBACK);
    curl_easy_cleanup(easy); /* before the try record its pointers point to */
    hs__transfer_reset(j);
    active_remove(c, j);
    break;
  }
  case JOB_QUEUED: queue_remove(&c->origins[j->origin_index], j); break;
  case JOB_WAITING: waiting_remove(c, j); break;
  default: return;
  }
  /* The try that never started is not a try, nor its hop a hop. */
  if (j->state != JOB_ACTIVE) hs__result_drop_untried(j->res);
  job_fail(c, j, HS_ERR_CANCELLED, "cancelled");
}

hs_code hs_client_cancel(hs_client *c, uint64_t id) {
  hs_job *j = c ? table_find(c, id) : NULL;
  if (!j || j->state == JOB_DONE) return HS_E_NOTFOUND;
  cancel_job(c, j);
  return HS_OK;
}

void hs_client_cancel_all(hs_client *c) {
  if (!c) return;
  c->deadline = INT64_MAX;
  for (size_t b = 0; b < c->n_buckets; b++)
    for (hs_job *j = c->buckets[b]; j; j = j->hnext)
      if (j->state != JOB_DONE) cancel_job(c, j);
  if (c->in_callback) return;
  deliver(c);
  if (c->free_requested) hs_client_free(c); /* asked for from one of those callbacks */
}

void hs_client_free(hs_client *c) {
  if (!c) return;
  if (c->in_callback) { c->free_requested = true; return; } /* after this poll */
  for (size_t b = 0; b < c->n_buckets; b++)
    for (hs_job *j = c->buckets[b], *nx; j; j = nx) {
      nx = j->hnext;
      if (j->state == JOB_ACTIVE && j->t) curl_multi_remove_handle(c->multi, j->t->easy), curl_easy_cleanup(j->t->easy);
      job_free(j);
    }
  for (size_t i = 0; i < c->n_pool; i++) {
    curl_easy_cleanup(c->pool[i].easy);
    hs__transfer_free(c->pool[i].t);
  }
  for (size_t i = 0; i < c->n_origins; i++) free(c->origins[i].key);
  if (c->multi) curl_multi_cleanup(c->multi);
  hs_request_free(c->shared);
  hs_request_free(c->defaults);
  free(c->pool); free(c->origins); free(c->waiting); free(c->buckets); free(c->act);
  free(c->pfds); free(c->ready);
  for (size_t i = 0; i < c->n_tls; i++) { free(c->tls_seen[i].key); hs__tls_info_free(c->tls_seen[i].info); }
  free(c->tls_seen);
  free(c);
}

/* ---- blocking: the same engine, driven until the one request is done -------------- */

static void keep_result(hs_client *c, uint64_t id, hs_result *r, void *ud) {
  hs_result_ref(r);
  *(hs_result **)ud = r;
}

hs_code hs_perform(const hs_request *req, hs_result **result) {
  if (!req || !result) return HS_E_BADARG;
  *result = NULL;
  hs_client *c;
  hs_code rc = hs_client_new(&c, NULL, 1, 1);
  if (rc) return rc;
  rc = hs_client_add(c, req, keep_result, result, NULL);
  while (!rc && !*result) rc = hs_client_poll(c, -1, NULL);
  hs_client_free(c);
  return rc;
}
