/* One try on an easy handle. The callbacks here only record what arrives;
 * the engine (client.c) decides what to do once libcurl has returned. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer.h"
#include "retry.h"
#include "url.h"

#define HS_USER_AGENT "httpstatus/" HS_VERSION_STR

/* ---- callbacks ------------------------------------------------------------------ */

static void end_of_head(hs_job *j) {
  /* 101 is final: the connection now speaks another protocol. */
  if (j->t->cur_status >= 100 && j->t->cur_status <= 199 && j->t->cur_status != 101) {
    hs_interim *i = hs__result_add_interim(j->res);
    if (!i) return;
    i->status = j->t->cur_status;
    i->reason_phrase = j->t->cur_reason;
    j->t->cur_reason = NULL;
    i->headers = j->t->cur_headers;
    memset(&j->t->cur_headers, 0, sizeof j->t->cur_headers);
    i->hop = j->res->n_hops - 1;
    i->at_us = hs__now_us() - j->t_first_try;
    for (size_t k = 0; k < i->headers.n; k++)
      if (hs__strcaseeq(i->headers.v[k].name, "link")) hs__links_parse(&i->links, i->headers.v[k].value);
    if (i->status == 100) {
      j->res->attempts[j->attempt].got_100 = true;
      if (!j->t->t_100) j->t->t_100 = hs__now_us();
    }
    j->t->cur_status = 0;
  } else if (j->t->cur_status) {
    j->t->final_seen = true;
  }
}

static void status_line(hs_job *j, const char *line, size_t n) {
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
  const char *sp = memchr(line, ' ', n);
  hs__str_free(j->t->cur_reason);
  size_t vlen = sp ? (size_t)(sp - line - 5) : n - 5;
  if (vlen >= sizeof j->t->cur_version) vlen = sizeof j->t->cur_version - 1;
  memcpy(j->t->cur_version, line + 5, vlen);
  j->t->cur_version[vlen] = '\0';
  j->t->cur_reason = NULL;
  j->t->cur_status = 0;
  j->t->head.n = 0;
  hs__headers_free(&j->t->cur_headers);
  if (!sp) return;
  const char *p = sp + 1, *end = line + n;
  int code = 0, digits = 0;
  while (p < end && isdigit((unsigned char)*p) && digits < 3) code = code * 10 + (*p++ - '0'), digits++;
  j->t->cur_status = digits == 3 ? code : 0;
  /* HTTP/2 and 3 have no reason phrase (libcurl writes "HTTP/2 200 "); HTTP/1.x may
   * send an empty one. */
  if (strncmp(j->t->cur_version, "1.", 2) == 0) {
    if (p < end && *p == ' ') p++;
    j->t->cur_reason = hs__str_common(p, (size_t)(end - p));
  }
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud) {
  hs_job *j = ((hs_try *)ud)->job;
  size_t n = size * nitems;
  j->t->header_bytes += n;
  if ((int64_t)j->t->header_bytes > j->req->max_header_bytes) {
    j->t->headers_too_large = true;
    return 0;
  }
  if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0 && !j->t->final_seen) {
    status_line(j, buf, n);
  } else if ((n == 2 && buf[0] == '\r') || (n == 1 && buf[0] == '\n')) {
    hs__headers_free(&j->t->cur_headers);
    if (j->t->head.n && hs__headers_set_block(&j->t->cur_headers, j->t->head.p, j->t->head.n)) return 0;
    j->t->head.n = 0;
    end_of_head(j);
  } else if (j->t->final_seen) {
    if (!j->res->trailers) j->res->trailers = calloc(1, sizeof *j->res->trailers);
    if (j->res->trailers) hs__headers_add_line(j->res->trailers, buf, n);
  } else {
    hs__buf_add(&j->t->head, buf, n); /* cut into headers once, at the end of the head */
  }
  return n;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ud) {
  hs_job *j = ((hs_try *)ud)->job;
  size_t n = size * nmemb;
  int64_t room = j->req->max_body - (int64_t)j->t->body.n;
  if ((int64_t)n > room) {
    hs__buf_add(&j->t->body, buf, room > 0 ? (size_t)room : 0);
    j->t->body_too_large = true;
    return 0;
  }
  hs__buf_add(&j->t->body, buf, n);
  return j->t->body.oom ? 0 : n;
}

static void sent_head(hs_job *j, const char *data, size_t n) {
  hs__sent_head_unref(j->t->sent);
  const char *p = memchr(data, '\n', n); /* after the request line */
  j->t->sent = p ? hs__sent_head_new(p + 1, (size_t)(data + n - p - 1)) : NULL;
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t n, void *ud) {
  hs_job *j = ((hs_try *)ud)->job;
  if (type == CURLINFO_HEADER_OUT) {
    sent_head(j, data, n);
  } else if (type == CURLINFO_TEXT && n > 21 && memcmp(data, "SSL connection using ", 21) == 0) {
    /* "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384", and since curl 8.x
     * "... / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS": version, then cipher. */
    const char *v = data + 21;
    size_t len = n - 21;
    while (len && (v[len - 1] == '\n' || v[len - 1] == '\r')) len--;
    const char *slash = memchr(v, '/', len);
    size_t vlen = slash ? (size_t)(slash - v) : len;
    while (vlen && v[vlen - 1] == ' ') vlen--;
    free(j->t->tls_version);
    free(j->t->tls_cipher);
    j->t->tls_version = hs__strndup(v, vlen);
    j->t->tls_cipher = NULL;
    if (slash) {
      const char *c = slash + 1;
      size_t rest = len - (size_t)(c - v);
      while (rest && *c == ' ') c++, rest--;
      const char *next = memchr(c, '/', rest);
      size_t clen = next ? (size_t)(next - c) : rest;
      while (clen && c[clen - 1] == ' ') clen--;
      if (clen) j->t->tls_cipher = hs__strndup(c, clen);
    }
  }
  return 0;
}

/* ---- set-up ------------------------------------------------------------------------ */

static int skip_header(const hs_job *j, const char *name) {
  if (j->drop_content_headers && strncasecmp(name, "content-", 8) == 0) return 1;
  if (hs__strcaseeq(name, "expect")) return 1; /* ours to set */
  if (!j->stripped) return 0;
  if (hs__strcaseeq(name, "authorization") || hs__strcaseeq(name, "cookie") ||
      hs__strcaseeq(name, "proxy-authorization"))
    return 1;
  return hs__headers_count(&j->req->strip, name) > 0;
}

static int add_header(struct curl_slist **list, const char *name, const char *value) {
  /* "Name;" sends an empty value; "Name:" would remove libcurl's own. */
  char *line = *value ? hs__concat(name, ": ", value, (char *)NULL) : hs__concat(name, ";", (char *)NULL);
  if (!line) return -1;
  struct curl_slist *l = curl_slist_append(*list, line);
  free(line);
  if (!l) return -1;
  *list = l;
  return 0;
}

/* libcurl's rule for a header line it is given (Curl_add_custom_headers): a line
 * with nothing but white space after its first colon is not sent. Returns 1 (sent),
 * 0 (not sent), or -1 for a line this does not follow ("Name;" and the like). */
static int line_sent(const char *line) {
  const char *colon = strchr(line, ':');
  if (!colon || colon == line) return -1;
  const char *v = colon + 1;
  while (*v == ' ' || (*v >= '\t' && *v <= '\r')) v++;
  return *v != '\0';
}

/* The request head libcurl writes for a plain http try, from the same inputs:
 * "Host" and "Accept: * / *" of its own, then our header lines as given (the
 * User-Agent among them). spec/request_spec.lua compares it with what the test
 * server received. Returns -1 when the head is not that simple (https, a URL
 * libcurl rewrites, a line that replaces or removes one of libcurl's): libcurl
 * shows it then (CURLOPT_VERBOSE). */
static int write_sent_head(hs_job *j, const struct curl_slist *lines, bool cacheable) {
  /* A plain URL is its own wire URL (client.c); one libcurl rewrites (dot
   * segments, other host forms) goes the long way. */
  const hs_url_spans *u = &j->spans;
  if (j->wire_url != j->url || !u->ok || u->https) return -1;
  const char *host = j->url + u->host_at, *port = u->port_len ? j->url + u->port_at : NULL, *p = j->url + u->rest_at;
  size_t host_len = u->host_len, port_len = u->port_len;
  if (port && port_len == 2 && !memcmp(port, "80", 2)) port = NULL; /* libcurl leaves out the default */
  /* What libcurl will count as sent (CURLINFO_REQUEST_SIZE): "GET path HTTP/1.1",
   * the head, an empty line. hs__transfer_finish drops the head if it differs. */
  size_t line_len = 4 + (*p == '/' ? 0 : 1) + strlen(p) + 11;
  /* The same lines to the same host make the same head: the hops share one. */
  hs_request *req = j->req;
  hs_sent_head *c = cacheable ? req->sent_cache : NULL;
  if (c && c->h.n && hs__strcaseeq(c->h.v[0].name, "host")) {
    const char *v = c->h.v[0].value;
    size_t vlen = strlen(v);
    if (vlen == host_len + (port ? 1 + port_len : 0) && !memcmp(v, host, host_len) &&
        (!port || (v[host_len] == ':' && !memcmp(v + host_len + 1, port, port_len)))) {
      hs__sent_head_unref(j->t->sent);
      j->t->sent = hs__sent_head_ref(c);
      j->t->head_written = true;
      j->t->head_size = (int64_t)(line_len + c->h.block_len - 1 + 2);
      return 0;
    }
  }
  size_t need = host_len + port_len + 32;
  for (const struct curl_slist *l = lines; l; l = l->next) {
    const char *line = l->data;
    int sent = line_sent(line);
    if (sent < 0 || !strncasecmp(line, "host:", 5) || !strncasecmp(line, "accept:", 7)) return -1;
    if (sent) need += strlen(line) + 2;
  }
  char small[512], *b = need <= sizeof small ? small : malloc(need), *w = b;
  if (!b) return -1;
#define PUT(s, n) (memcpy(w, (s), (n)), w += (n))
#define PUTL(lit) PUT(lit, sizeof lit - 1)
  PUTL("Host: ");
  PUT(host, host_len);
  if (port) PUTL(":"), PUT(port, port_len);
  PUTL("\r\nAccept: */*\r\n");
  for (const struct curl_slist *l = lines; l; l = l->next) {
    if (!line_sent(l->data)) continue;
    PUT(l->data, strlen(l->data));
    PUTL("\r\n");
  }
#undef PUTL
#undef PUT
  hs__sent_head_unref(j->t->sent);
  j->t->sent = hs__sent_head_new(b, (size_t)(w - b));
  j->t->head_size = (int64_t)(line_len + (size_t)(w - b) + 2);
  if (b != small) free(b);
  if (cacheable && j->t->sent) {
    hs__sent_head_unref(req->sent_cache);
    req->sent_cache = hs__sent_head_ref(j->t->sent);
  }
  j->t->head_written = j->t->sent != NULL;
  return j->t->sent ? 0 : -1;
}

/* The header lines libcurl is given: the user's minus what the redirect rules
 * strip, our User-Agent unless the user sent one (a line of the list, not
 * CURLOPT_USERAGENT, which libcurl would format anew every try), and Expect
 * ("Expect:" keeps libcurl from adding its own). */
static int header_lines(const hs_job *j, const char *ua, bool expect, struct curl_slist **out) {
  const hs_request *req = j->req;
  struct curl_slist *list = NULL;
  bool own_ua = *ua;
  *out = NULL;
  for (size_t i = 0; i < req->headers.n; i++) {
    const hs_header *h = &req->headers.v[i];
    if (skip_header(j, h->name)) continue;
    if (hs__strcaseeq(h->name, "user-agent")) own_ua = false;
  }
  if (own_ua && add_header(&list, "User-Agent", ua)) return -1;
  for (size_t i = 0; i < req->headers.n; i++) {
    const hs_header *h = &req->headers.v[i];
    if (!skip_header(j, h->name) && add_header(&list, h->name, h->value)) {
      curl_slist_free_all(list);
      return -1;
    }
  }
  /* libcurl adds Expect only to a request with a body; "Expect:" (none) keeps it out. */
  if (expect || j->send_body) {
    struct curl_slist *l = curl_slist_append(list, expect ? "Expect: 100-continue" : "Expect:");
    if (!l) { curl_slist_free_all(list); return -1; }
    list = l;
  }
  *out = list;
  return 0;
}

/* A plain try: GET without a body and none of the rarer options. A pooled handle
 * whose last try was plain already holds every option a plain try sets alike, so
 * the next plain try sets only its own (no curl_easy_reset, no re-parsing). */
static bool is_plain(const hs_job *j) {
  const hs_request *req = j->req;
  return !strcmp(j->method, "GET") && !j->send_body && !req->ca_file && !req->proxy && !req->ip &&
         !req->fresh_connect && !req->http_version && !req->resolve.n && req->connect_timeout_us <= 0;
}

/* The options every try sets alike: once per handle while its tries stay plain. */
static CURLcode set_constant(CURL *easy) {
  CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val); } while (0)
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_DEBUGFUNCTION, on_debug);
  /* We follow redirects ourselves; libcurl must never do it, nor speak anything else. */
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_MAXREDIRS, 0L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SET(CURLOPT_HTTP09_ALLOWED, 0L);
  SET(CURLOPT_EXPECT_100_TIMEOUT_MS, 1000L);
  SET(CURLOPT_HTTPGET, 1L);
#undef SET
  return rc;
}

/* The set-up of a rarer try: after a reset, on top of the constant options. */
static CURLcode set_rare(hs_job *j, CURL *easy) {
  const hs_request *req = j->req;
  CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val); } while (0)
  if (req->connect_timeout_us > 0)
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)((req->connect_timeout_us + 999) / 1000));
  if (req->ca_file) SET(CURLOPT_CAINFO, req->ca_file);
  if (req->proxy) SET(CURLOPT_PROXY, req->proxy);
  if (req->ip) SET(CURLOPT_IPRESOLVE, req->ip[0] == '4' ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6);
  if (req->fresh_connect) SET(CURLOPT_FRESH_CONNECT, 1L);
  if (req->http_version) {
    long v = !strcmp(req->http_version, "1.0") ? CURL_HTTP_VERSION_1_0
           : !strcmp(req->http_version, "1.1") ? CURL_HTTP_VERSION_1_1
           : !strcmp(req->http_version, "2") ? CURL_HTTP_VERSION_2TLS
           : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    SET(CURLOPT_HTTP_VERSION, v);
  }
  for (size_t i = 0; i < req->resolve.n && rc == CURLE_OK; i++) {
    struct curl_slist *l = curl_slist_append(j->t->resolve, req->resolve.v[i].name);
    if (!l) return CURLE_OUT_OF_MEMORY;
    j->t->resolve = l;
  }
  if (j->t->resolve) SET(CURLOPT_RESOLVE, j->t->resolve);
  const char *m = j->method;
  if (!strcmp(m, "HEAD")) {
    SET(CURLOPT_NOBODY, 1L);
  } else if (j->send_body) {
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    SET(CURLOPT_POSTFIELDS, req->body);
    if (strcmp(m, "POST")) SET(CURLOPT_CUSTOMREQUEST, m);
  } else if (strcmp(m, "GET")) {
    SET(CURLOPT_CUSTOMREQUEST, m);
  }
#undef SET
  return rc;
}

bool hs__proxy_in_env(void) {
  /* What libcurl reads for http and https (no uppercase HTTP_PROXY: libcurl ignores it). */
  const char *env[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
  for (size_t i = 0; i < sizeof env / sizeof *env; i++) {
    const char *v = getenv(env[i]);
    if (v && *v) return true;
  }
  return false;
}

/* Sets one part of t->parts from len bytes at p (NULL: none); false on failure. */
static bool set_part(CURLU *u, CURLUPart what, const char *p, size_t len) {
  char buf[256];
  char *s = NULL;
  if (p && p[len] != '\0') {
    s = len < sizeof buf ? buf : malloc(len + 1);
    if (!s) return false;
    memcpy(s, p, len);
    s[len] = '\0';
    p = s;
  }
  bool ok = curl_url_set(u, what, p, 0) == CURLUE_OK;
  if (s != buf) free(s);
  return ok;
}

/* A plain URL also goes to libcurl as its parts (CURLOPT_CURLU), which libcurl copies
 * instead of parsing the URL again and writing it out anew. The parts stay with the
 * handle: a try to the origin of the last sets only path and query. NULL (the URL
 * alone) when the URL is not plain, or has a '%': curl_url_set would lowercase
 * its escapes, which a parse of the whole URL keeps as written. */
static CURLU *url_parts(hs_job *j) {
  hs_try *t = j->t;
  const hs_url_spans *s = &j->spans;
  const char *url = j->url, *rest = s->ok ? url + s->rest_at : NULL;
  if (!rest || strchr(rest, '%') || (!t->parts && !(t->parts = curl_url()))) return NULL;
  CURLU *u = t->parts;
  if (t->parts_origin != j->origin_key) {
    t->parts_origin = NULL;
    if (!set_part(u, CURLUPART_SCHEME, s->https ? "https" : "http", s->https ? 5 : 4) ||
        !set_part(u, CURLUPART_HOST, url + s->host_at, s->host_len) ||
        !set_part(u, CURLUPART_PORT, s->port_len ? url + s->port_at : NULL, s->port_len))
      return NULL;
    t->parts_origin = j->origin_key;
  }
  const char *q = strchr(rest, '?');
  size_t path_len = q ? (size_t)(q - rest) : strlen(rest);
  if (!set_part(u, CURLUPART_PATH, path_len ? rest : "/", path_len ? path_len : 1) ||
      !set_part(u, CURLUPART_QUERY, q ? q + 1 : NULL, q ? strlen(q + 1) : 0)) {
    t->parts_origin = NULL;
    return NULL;
  }
  return u;
}

const char *hs__transfer_setup(hs_job *j, CURL *easy, bool configured, int64_t timeout_us, bool env_proxy) {
  const hs_request *req = j->req;
  if (!j->t && !(j->t = calloc(1, sizeof *j->t))) return "out of memory";
  /* The last response's trailers, not every try's: NULL again when none come. */
  if (j->res->trailers) hs__headers_free(j->res->trailers), free(j->res->trailers), j->res->trailers = NULL;
  j->t->easy = easy;
  j->t->t_try = hs__now_us();
  j->t->errbuf[0] = '\0';
  const char *wire_url = j->wire_url;
  if (!wire_url) return "the URL does not parse";
  j->t->plain = is_plain(j);
  /* A pooled handle that stayed configured keeps its options; any other is set anew. */
  bool fresh = !configured || !j->t->plain;
  if (configured && !j->t->plain) curl_easy_reset(easy);
  CURLcode rc = CURLE_OK;
  if (fresh) rc = set_constant(easy);
  if (rc == CURLE_OK && !j->t->plain) rc = set_rare(j, easy);
  if (rc == CURLE_OUT_OF_MEMORY) return "out of memory";
  /* The header lines: a request's own list serves every try that sends it whole. */
  const char *ua = req->user_agent ? req->user_agent : HS_USER_AGENT;
  bool expect = j->send_body && !j->no_expect &&
                (req->expect == HS_EXPECT_ALWAYS ||
                 (req->expect == HS_EXPECT_AUTO && req->body_len >= 1024 * 1024));
  j->t->sent_expect = expect;
  struct curl_slist *lines;
  bool shared = !expect && !j->stripped && !j->drop_content_headers;
  if (shared) {
    /* Made on first use (an empty list, no line at all, is made again: it costs nothing). */
    if (!j->req->wire_headers && header_lines(j, ua, false, &j->req->wire_headers)) return "out of memory";
    lines = j->req->wire_headers;
  } else {
    if (header_lines(j, ua, expect, &j->t->req_headers)) return "out of memory";
    lines = j->t->req_headers;
  }
  /* Plain http: the request head is written here from what libcurl is given
   * (write_sent_head), so libcurl need not format its info lines for us. */
  /* A proxy from the environment would show in the head (libcurl reads it per transfer). */
  bool verbose = !(j->t->plain && !env_proxy && write_sent_head(j, lines, shared) == 0);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val); } while (0)
  /* The URL string too: libcurl reports it, and would write it out from the parts otherwise. */
  SET(CURLOPT_URL, wire_url);
  SET(CURLOPT_HTTPHEADER, lines);
  hs_try *t = j->t;
  t->job = j;
  CURLU *parts = j->t->plain ? url_parts(j) : NULL;
  hs_try_opts want = {
    .timeout_ms = timeout_us > 0 ? (long)((timeout_us + 999) / 1000) : 0L,
    .verbose = verbose,  /* for CURLINFO_HEADER_OUT: what went on the wire */
    .certinfo = strncasecmp(j->url, "https:", 6) == 0,
    .verify = req->verify,
    .parts = parts != NULL,
    /* No proxy anywhere: "" keeps libcurl from reading five variables every try. */
    .no_env_proxy = !env_proxy && !req->proxy,
  };
  /* A fresh handle holds neither (libcurl's defaults). */
  if (fresh ? want.parts : want.parts != t->held.parts) SET(CURLOPT_CURLU, parts);
  if (fresh ? want.no_env_proxy : want.no_env_proxy != t->held.no_env_proxy) {
    SET(CURLOPT_PROXY, want.no_env_proxy ? "" : NULL);
    SET(CURLOPT_NOPROXY, want.no_env_proxy ? "" : NULL);
  }
  if (fresh) {
    SET(CURLOPT_PRIVATE, t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_DEBUGDATA, t);
  }
  if (fresh || want.verbose != t->held.verbose) SET(CURLOPT_VERBOSE, want.verbose ? 1L : 0L);
  if (fresh || want.timeout_ms != t->held.timeout_ms) SET(CURLOPT_TIMEOUT_MS, want.timeout_ms);
  if (fresh || want.certinfo != t->held.certinfo) SET(CURLOPT_CERTINFO, want.certinfo ? 1L : 0L);
  if (fresh || want.verify != t->held.verify) {
    SET(CURLOPT_SSL_VERIFYPEER, want.verify ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, want.verify ? 2L : 0L);
  }
#undef SET
  t->held = want;
  return rc == CURLE_OK ? NULL : curl_easy_strerror(rc);
}

bool hs__transfer_release(CURL *easy, bool plain) {
  if (!plain) {
    curl_easy_reset(easy);
    return false;
  }
  /* The header list may go with its request; the other pointers are the try's own,
   * which stays with the handle. */
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
  return true;
}

/* ---- after the try ------------------------------------------------------------------ */

static int64_t info_us(CURL *easy, CURLINFO what) {
  curl_off_t v = 0;
  return curl_easy_getinfo(easy, what, &v) == CURLE_OK ? (int64_t)v : 0;
}

/* libcurl gives cumulative times since the start; phases are their differences. */
static void read_timing(hs_job *j, hs_timing *t, bool got_response) {
  CURL *e = j->t->easy;
  /* Only https (or a proxy tunnel) has an app connect time. */
  bool tls = j->req->proxy || strncasecmp(j->url, "https:", 6) == 0;
  int64_t pre = info_us(e, CURLINFO_PRETRANSFER_TIME_T), start = info_us(e, CURLINFO_STARTTRANSFER_TIME_T),
          total = info_us(e, CURLINFO_TOTAL_TIME_T);
  long connects = 0;
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  hs__timing_none(t);
  t->reused = connects == 0 && pre > 0;
  int64_t con = info_us(e, CURLINFO_CONNECT_TIME_T), app = tls ? info_us(e, CURLINFO_APPCONNECT_TIME_T) : 0;
  if (!t->reused) {
    /* A reused connection (most tries) had no name lookup of its own. */
    int64_t dns = info_us(e, CURLINFO_NAMELOOKUP_TIME_T);
    if (dns > 0) t->dns = dns;
    if (con > 0) t->connect = con - dns;
    if (app > 0) t->tls = app - con;
  }
  int64_t ready = app > 0 ? app : con;
  if (pre > 0) t->send = pre - ready > 0 ? pre - ready : 0;
  if (start > 0 && pre > 0) t->wait = start - pre;
  if (start > 0 && got_response) t->receive = total - start;
  t->total = total;
}

static int month_index(const char *m) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const char *p = strstr(months, m);
  return p && strlen(m) == 3 ? (int)(p - months) / 3 : -1;
}

/* OpenSSL prints "Nov 25 12:00:00 2027 GMT". */
static int64_t parse_cert_time(const char *s) {
  char mon[4] = {0};
  int d, hh, mm, ss, y;
  if (sscanf(s, "%3s %d %d:%d:%d %d", mon, &d, &hh, &mm, &ss, &y) != 6) return HS_NONE;
  int m = month_index(mon);
  if (m < 0) return HS_NONE;
  /* days from civil (Howard Hinnant) */
  int yy = y - (m < 2), mo = m + 1;
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}

/* Only a new connection shows its handshake; a reused one leaves hop->tls NULL
 * and the client fills it from what it saw before (client.c). */
static void read_tls(hs_job *j, hs_hop *hop) {
  struct curl_certinfo *ci = NULL;
  bool certs = curl_easy_getinfo(j->t->easy, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci && ci->num_of_certs > 0;
  if (!certs && !j->t->tls_version) return;
  hs_tls_info *t = calloc(1, sizeof *t);
  if (!t) return;
  hs__tls_info_free(hop->tls);
  hop->tls = t;
  t->not_after = HS_NONE;
  t->version = j->t->tls_version;
  t->cipher = j->t->tls_cipher;
  j->t->tls_version = j->t->tls_cipher = NULL;
  for (struct curl_slist *l = certs ? ci->certinfo[0] : NULL; l; l = l->next) {
    const char *s = l->data;
    if (!strncmp(s, "Subject:", 8)) { free(t->subject); t->subject = hs__strdup(s + 8); }
    else if (!strncmp(s, "Issuer:", 7)) { free(t->issuer); t->issuer = hs__strdup(s + 7); }
    else if (!strncmp(s, "Expire date:", 12)) t->not_after = parse_cert_time(s + 12);
  }
  long verify = 1;
  curl_easy_getinfo(j->t->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
  t->verified = j->req->verify && verify == 0;
}

static hs_error_kind classify(hs_job *j, CURLcode code) {
  if (j->t->headers_too_large) return HS_ERR_HEADERS_TOO_LARGE;
  if (j->t->body_too_large) return HS_ERR_BODY_TOO_LARGE;
  /* After a final 101 the connection speaks another protocol: nothing more to read. */
  if (j->t->final_seen && j->t->cur_status == 101) return HS_ERR_NONE;
  switch (code) {
  case CURLE_OK: return j->t->final_seen ? HS_ERR_NONE : HS_ERR_PROTOCOL;
  case CURLE_URL_MALFORMAT: return HS_ERR_URL;
  case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: return HS_ERR_DNS;
  case CURLE_COULDNT_CONNECT: return HS_ERR_CONNECT;
  case CURLE_OPERATION_TIMEDOUT: return HS_ERR_TIMEOUT;
  case CURLE_PARTIAL_FILE: return j->t->final_seen ? HS_ERR_INCOMPLETE_BODY : HS_ERR_RESET;
  case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING: return HS_ERR_RESET;
  case CURLE_WEIRD_SERVER_REPLY: case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM: case CURLE_BAD_CONTENT_ENCODING: case CURLE_HTTP3:
    return HS_ERR_PROTOCOL;
  case CURLE_FILESIZE_EXCEEDED: return HS_ERR_BODY_TOO_LARGE;
  case CURLE_ABORTED_BY_CALLBACK: return HS_ERR_CANCELLED;
  case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_SHUTDOWN_FAILED: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_USE_SSL_FAILED: case CURLE_SSL_ENGINE_INITFAILED:
    return HS_ERR_TLS;
  default: return HS_ERR_OTHER;
  }
}

static void error_message(hs_job *j, hs_error_kind kind, CURLcode code, char **out) {
  free(*out);
  if (kind == HS_ERR_HEADERS_TOO_LARGE)
    *out = hs__printf("the response headers passed %lld bytes", (long long)j->req->max_header_bytes);
  else if (kind == HS_ERR_BODY_TOO_LARGE)
    *out = hs__printf("the body passed max_body (%lld bytes); the first %lld were kept",
                      (long long)j->req->max_body, (long long)j->req->max_body);
  else if (kind == HS_ERR_PROTOCOL && code == CURLE_OK)
    *out = hs__strdup("the transfer ended without a final response");
  else
    *out = hs__strdup(j->t->errbuf[0] ? j->t->errbuf : curl_easy_strerror(code));
  if (*out) {
    size_t n = strlen(*out);
    while (n && (*out)[n - 1] == '\n') (*out)[--n] = '\0';
  }
}

hs_error_kind hs__transfer_finish(hs_job *j, CURLcode code) {
  hs_result *r = j->res;
  hs_hop *hop = hs__result_last_hop(r);
  hs_attempt *a = &r->attempts[j->attempt];
  hs_error_kind kind = classify(j, code);
  bool got = j->t->final_seen;

  read_timing(j, &a->timing, got);
  if (j->t->sent_expect) {
    /* How long the body waited: until the 100, or libcurl's 1 s without one (less when
     * the final response came first). */
    int64_t pre = info_us(j->t->easy, CURLINFO_PRETRANSFER_TIME_T);
    int64_t start = info_us(j->t->easy, CURLINFO_STARTTRANSFER_TIME_T);
    if (j->t->t_100) a->expect_wait_us = j->t->t_100 - j->t->t_try - pre;
    else a->expect_wait_us = start > pre ? (start - pre < 1000000 ? start - pre : 1000000) : 0;
    if (a->expect_wait_us < 0) a->expect_wait_us = 0;
  }
  a->sent_expect = j->t->sent_expect;
  a->status = got ? j->t->cur_status : 0;
  a->error = kind;
  if (kind) error_message(j, kind, code, &a->error_message);
  r->curl_code = (int)code;
  long os_errno = 0; /* only a failed transfer has one */
  if (code != CURLE_OK) curl_easy_getinfo(j->t->easy, CURLINFO_OS_ERRNO, &os_errno);
  r->os_errno = (int)os_errno;

  hop->tries++;
  if (j->t->head_written) {
    /* A head written ahead is shown only if exactly that many bytes left: none when
     * there was no connection, and never one that differs from what libcurl sent. */
    long sent = 0;
    if (curl_easy_getinfo(j->t->easy, CURLINFO_REQUEST_SIZE, &sent) != CURLE_OK || sent <= 0 ||
        sent % j->t->head_size) /* a multiple: libcurl may send it again on a fresh connection */
      hs__sent_head_unref(j->t->sent), j->t->sent = NULL;
  }
  hs__sent_head_unref(hop->sent);
  hop->sent = j->t->sent;
  j->t->sent = NULL;
  char *ip = NULL;
  long port = 0;
  if (curl_easy_getinfo(j->t->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && *ip) {
    size_t n = strlen(ip);
    if (n >= sizeof hop->remote_ip) n = sizeof hop->remote_ip - 1;
    memcpy(hop->remote_ip, ip, n);
    hop->remote_ip[n] = '\0';
    curl_easy_getinfo(j->t->easy, CURLINFO_PRIMARY_PORT, &port);
    hop->remote_port = (int)port;
  }
  if (strncasecmp(j->url, "https:", 6) == 0) read_tls(j, hop);
  if (got) {
    hop->status = j->t->cur_status;
    hs__str_free(hop->reason_phrase);
    hop->reason_phrase = j->t->cur_reason;
    memcpy(hop->http_version, j->t->cur_version, sizeof hop->http_version);
    j->t->cur_reason = NULL;
    hs__headers_free(&hop->headers);
    hop->headers = j->t->cur_headers;
    memset(&j->t->cur_headers, 0, sizeof j->t->cur_headers);
    free(hop->location);
    hop->location = hs__strdup(hs__headers_get(&hop->headers, "location", 0));
    /* Retry-After is read in full only when a response has one (few do). */
    const char *ra = hs__headers_get(&hop->headers, "retry-after", 0);
    a->no_retry_after = (hop->status == 429 || hop->status == 503) && !ra;
    if (ra && hs__headers_retry_after(&hop->headers, 0).kind == HS_RA_INVALID) a->bad_retry_after = hs__strdup(ra);
    /* Where a Location points, resolved, whether or not it is followed. */
    free(hop->location_url);
    hop->location_url = hop->location ? hs__url_resolve(hop->url, hop->location) : NULL;
    free(r->body);
    /* Keep what arrived, not the buffer's spare room. */
    hs_buf *b = &j->t->body;
    r->body = NULL;
    r->body_len = b->n;
    if (b->p && b->n <= HS_TRY_KEEP_BYTES) {
      /* A small body is copied: the buffer stays with the try for the next one (and
       * may still hold an earlier body past n). */
      if (b->n && (r->body = malloc(b->n + 1))) {
        memcpy(r->body, b->p, b->n);
        r->body[b->n] = '\0';
      } else {
        r->body_len = 0;
      }
      b->n = 0;
    } else if (b->p) {
      r->body = b->cap > b->n + 1 ? realloc(b->p, b->n + 1) : b->p;
      if (!r->body) r->body = b->p;
      memset(b, 0, sizeof *b);
    }
  }
  return kind;
}

hs_try *hs__transfer_recycle(hs_job *j) {
  hs_try *t = j->t;
  if (!t) return NULL;
  j->t = NULL;
  curl_slist_free_all(t->req_headers);
  curl_slist_free_all(t->resolve);
  hs__str_free(t->cur_reason); free(t->tls_version); free(t->tls_cipher);
  hs__headers_free(&t->cur_headers);
  hs__sent_head_unref(t->sent);
  hs_buf head = t->head, body = t->body;
  if (head.cap > HS_TRY_KEEP_BYTES) free(head.p), memset(&head, 0, sizeof head);
  if (body.cap > HS_TRY_KEEP_BYTES) free(body.p), memset(&body, 0, sizeof body);
  head.n = body.n = 0;
  head.oom = body.oom = 0;
  hs_try_opts held = t->held;
  CURL *easy = t->easy;
  CURLU *parts = t->parts;
  const char *parts_origin = t->parts_origin;
  memset(t, 0, sizeof *t);
  t->easy = easy;
  t->held = held;
  t->parts = parts;
  t->parts_origin = parts_origin;
  t->head = head;
  t->body = body;
  return t;
}

void hs__transfer_free(hs_try *t) {
  if (!t) return;
  curl_url_cleanup(t->parts);
  free(t->head.p);
  free(t->body.p);
  free(t);
}

void hs__transfer_reset(hs_job *j) { hs__transfer_free(hs__transfer_recycle(j)); }
