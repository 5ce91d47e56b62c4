/* hs_testserver: the loopback HTTP/1.1 server every httpstatus test talks to.
 *
 * The request path and query choose the exact bytes sent back (see README.md in
 * this directory for the URL language). Single-threaded and event-driven with
 * poll(): every delay is a per-connection timer, never a sleep, so one stalled
 * connection never holds up the others.
 *
 * Plain C11 + POSIX, libc only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (1u << 20)             /* request head larger than this: 431 */
#define INBUF_MAX (HEAD_MAX + 65536u)   /* stop reading a connection beyond this */
#define BODY_KEEP_MAX (16u << 20)       /* request body bytes kept for /echo */
#define CHUNK_LINE_MAX 65536u           /* chunk-size or trailer line */
#define MAX_LISTEN 16
#define LOG_MAX 4096
#define LOG_PATH_MAX 512
#define KEY_MAX 16384                   /* distinct keys tracked (a power of two) */
#define KEY_LEN 128
#define LINGER_MS 1000                  /* wait for the client's FIN after ours */
#define TICK_MS 250                     /* parent check period */
#define GEN_CHUNK 16384

/* 64 bytes, so byte i of a generated body is PATTERN[i % 64]. */
static const char PATTERN[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n";

/* ---- small utilities ----------------------------------------------------- */

typedef struct { char *p; size_t len, cap; } buf_t;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("hs_testserver: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("hs_testserver: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
}

static void buf_add(buf_t *b, const void *d, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_adds(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_addf(buf_t *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

static void buf_consume(buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
    if (b->p)
        b->p[b->len] = 0;
}

static void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static double now_ms;   /* monotonic ms, refreshed once per loop turn */
static double start_ms;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decode in place ('+' stays '+'); returns the decoded length (may hold NULs). */
static size_t pct_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        int h, l;
        if (*r == '%' && (h = hexval((unsigned char)r[1])) >= 0 &&
            (l = hexval((unsigned char)r[2])) >= 0) {
            *w++ = (char)(h * 16 + l);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    return (size_t)(w - s);
}

/* Integer option value, clamped to [lo, hi]; dflt when not a number. */
static long long num(const char *v, long long dflt, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno)
        return dflt;
    return x < lo ? lo : x > hi ? hi : x;
}

static int truthy(const char *v) { return !(*v == 0 || !strcmp(v, "0") || !strcmp(v, "false")); }

/* ---- dates ---------------------------------------------------------------- */

static const char *WDAY[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *WDAY_LONG[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                   "Thursday", "Friday", "Saturday" };
static const char *MON[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

enum { DATE_IMF, DATE_RFC850, DATE_ASCTIME };

/* The three HTTP-date forms of RFC 9110 §5.6.7; tables, not strftime, so no locale. */
static void fmt_date(buf_t *b, time_t t, int style)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (style == DATE_RFC850)
        buf_addf(b, "%s, %02d-%s-%02d %02d:%02d:%02d GMT", WDAY_LONG[tm.tm_wday], tm.tm_mday,
                 MON[tm.tm_mon], tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else if (style == DATE_ASCTIME)
        buf_addf(b, "%s %s %2d %02d:%02d:%02d %04d", WDAY[tm.tm_wday], MON[tm.tm_mon],
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    else
        buf_addf(b, "%s, %02d %s %04d %02d:%02d:%02d GMT", WDAY[tm.tm_wday], tm.tm_mday,
                 MON[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Copy a header value, replacing {date}, {date+N}, {rfc850-N}, {asctime+N} by HTTP-dates
 * N seconds from the server clock (which date_offset shifts), so tests need no clock. */
static void expand_value(buf_t *b, const char *v, time_t clock)
{
    static const struct { const char *name; int style; } forms[] = {
        { "{date", DATE_IMF }, { "{rfc850", DATE_RFC850 }, { "{asctime", DATE_ASCTIME } };
    while (*v) {
        int done = 0;
        for (size_t i = 0; i < 3 && !done && *v == '{'; i++) {
            size_t n = strlen(forms[i].name);
            if (strncmp(v, forms[i].name, n))
                continue;
            const char *p = v + n;
            long long off = 0;
            if (*p == '+' || *p == '-') {
                char *end;
                off = strtoll(p, &end, 10);
                if (end == p + 1)
                    continue;
                p = end;
            }
            if (*p != '}')
                continue;
            fmt_date(b, clock + (time_t)off, forms[i].style);
            v = p + 1;
            done = 1;
        }
        if (!done)
            buf_add(b, v++, 1);
    }
}

/* ---- JSON ------------------------------------------------------------------ */

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { k = 1; min = 0x80; c &= 0x1f; }
        else if ((c & 0xf0) == 0xe0) { k = 2; min = 0x800; c &= 0x0f; }
        else if ((c & 0xf8) == 0xf0) { k = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (s[i + j] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* A JSON string; valid UTF-8 passes through, otherwise each byte >= 0x80 becomes
 * \u00XX (so the text decodes as Latin-1, one code point per byte). */
static void json_str(buf_t *b, const char *s, size_t n)
{
    int utf8 = utf8_valid((const unsigned char *)s, n);
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': buf_adds(b, "\\\""); break;
        case '\\': buf_adds(b, "\\\\"); break;
        case '\n': buf_adds(b, "\\n"); break;
        case '\r': buf_adds(b, "\\r"); break;
        case '\t': buf_adds(b, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
                buf_addf(b, "\\u%04x", c);
            else
                buf_add(b, &c, 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void base64(buf_t *b, const unsigned char *s, size_t n)
{
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        char o[4] = { T[v >> 18 & 63], T[v >> 12 & 63], i + 1 < n ? T[v >> 6 & 63] : '=',
                      i + 2 < n ? T[v & 63] : '=' };
        buf_add(b, o, 4);
    }
}

/* ---- global state: listeners, stats, keys, log --------------------------- */

struct counters {
    long connections, max_connections, in_flight, max_in_flight;
    unsigned long long requests, total_connections;
};

struct listener { int fd, port; struct counters st; };

static struct listener listeners[MAX_LISTEN];
static int nlisteners;
static struct counters g_st;
static long open_sockets;

struct key { char name[KEY_LEN]; unsigned long long hits; long in_flight, max_in_flight; };
static struct key keys[KEY_MAX];
static int nkeys;

struct logent {
    unsigned long long n, conn, conn_req;
    double t;
    int port;
    char method[24];
    char path[LOG_PATH_MAX];
    char key[KEY_LEN];
};
static struct logent logring[LOG_MAX];
static unsigned long long log_next = 1, log_first = 1; /* ids in the ring: [first, next) */

static int verbose;

/* Open addressing on a FNV-1a hash: specs make a fresh key per test, thousands a run. */
static struct key *key_get(const char *name, int create)
{
    if (!name || !*name)
        return NULL;
    char want[KEY_LEN];
    snprintf(want, sizeof want, "%s", name);
    uint32_t h = 2166136261u;
    for (const char *p = want; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (uint32_t i = 0; i < KEY_MAX; i++) {
        struct key *k = &keys[(h + i) & (KEY_MAX - 1)];
        if (!k->name[0]) {
            if (!create || nkeys >= KEY_MAX * 3 / 4)
                return NULL; /* full: untracked rather than slow */
            nkeys++;
            memcpy(k->name, want, sizeof want);
            return k;
        }
        if (!strcmp(k->name, want))
            return k;
    }
    return NULL;
}

static void counters_up(struct counters *c, int conn)
{
    if (conn) {
        c->total_connections++;
        if (++c->connections > c->max_connections)
            c->max_connections = c->connections;
    } else {
        c->requests++;
        if (++c->in_flight > c->max_in_flight)
            c->max_in_flight = c->in_flight;
    }
}

static void counters_reset(struct counters *c)
{
    c->max_connections = c->connections;
    c->max_in_flight = c->in_flight;
    c->requests = c->total_connections = 0;
}

/* ---- connections, requests, response steps ------------------------------ */

struct hdr { char *name, *value; };   /* value NULL: send name as a raw line */
typedef struct { struct hdr *v; size_t n, cap; } hdrs_t;

static void hdrs_add(hdrs_t *h, char *name, char *value)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 8;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    h->v[h->n].name = name;
    h->v[h->n].value = value;
    h->n++;
}

static const char *hdrs_get(const hdrs_t *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].value && !strcasecmp(h->v[i].name, name))
            return h->v[i].value;
    return NULL;
}

/* Does any header `name` hold token `tok` (comma-separated, case-insensitive)? */
static int hdrs_has_token(const hdrs_t *h, const char *name, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i < h->n; i++) {
        if (!h->v[i].value || strcasecmp(h->v[i].name, name))
            continue;
        const char *p = h->v[i].value;
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            const char *e = p;
            while (*e && *e != ',')
                e++;
            const char *t = e;
            while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if ((size_t)(t - p) == tl && !strncasecmp(p, tok, tl))
                return 1;
            p = e;
        }
    }
    return 0;
}

/* "Name:Value" → header; no colon → a raw header line. */
static void header_spec(hdrs_t *h, char *s)
{
    char *colon = strchr(s, ':');
    if (colon) {
        *colon = 0;
        hdrs_add(h, s, colon + 1);
    } else {
        hdrs_add(h, s, NULL);
    }
}

struct interim { char *status, *reason; hdrs_t h; };

enum cut { CUT_NONE, CUT_BEFORE, CUT_INTERIM, CUT_HEADERS, CUT_BODY, CUT_AFTER };
enum expect_mode { EXP_CONTINUE, EXP_IGNORE, EXP_417, EXP_FINAL };

struct opts {
    const char *status, *reason, *version;
    int noreason, nolen, chunked, nodate, notype, echo, http10, head_body, garbage;
    const char *body, *raw;
    size_t body_len, raw_len;
    int body_set, raw_set;
    long long bytes, len, chunk, fail, date_offset, port, since;
    hdrs_t h, okh, trailers;
    struct interim *interims;
    size_t ninterims;
    long interim_delay_ms, stall_ms, stall_before_headers_ms, stall_after_headers_ms;
    long drip_bytes, drip_ms, reset_wait_ms, big_headers;
    enum cut cut;
    int cut_rst;
    enum expect_mode expect;
    const char *key, *code, *ok, *loc, *frag, *final, *url, *host;
};

enum route {
    R_DEFAULT, R_STATUS, R_ECHO, R_REDIRECT, R_LOOP, R_TO, R_COUNT,
    C_STATS, C_STATS_RESET, C_LOG, C_LOG_RESET, C_HITS, C_HITS_RESET, C_KEYS, C_RESET
};

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };
enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

struct request {
    char *head;            /* NUL-separated copy of the request head */
    char *qbuf;            /* decoded query parameters point in here */
    char *method, *target, *version, *path;
    char *query;           /* raw query as received, for propagating along a chain */
    hdrs_t hdrs, trailers;
    buf_t trailer_buf;     /* request trailer lines, NUL-separated */
    int http10, keepalive, expect100, body_mode, chunk_state, control, count_ok;
    int counted;           /* in the in-flight counters */
    unsigned long long cl, body_seen, chunk_left;
    buf_t body;
    enum route route;
    long redirect_n;
    char subject_key[KEY_LEN];
    struct opts o;
    struct key *key;
    int port_idx;
    unsigned long long conn_req;
};

enum step_kind { ST_DATA, ST_PATTERN, ST_WAIT, ST_READ_BODY, ST_RESPOND, ST_CLOSE, ST_RST };

struct step {
    enum step_kind kind;
    char *data;
    size_t len, chunk;
    unsigned long long total;
    long ms;
    int chunked, paced;
};

enum phase { P_HEAD, P_RUN, P_LINGER };

struct conn {
    int fd, port_idx, dead, counted, peer_eof, want_write, waiting;
    enum phase phase;
    unsigned long long id, nreq;
    buf_t in;
    size_t scan_from;
    double wake_at, wait_until, linger_until, pace_wake;
    struct request *req;
    struct step *steps;
    size_t nsteps, cap, cur, off;
    unsigned long long pat_done;
    char gen[GEN_CHUNK + 64];
    size_t gen_len, gen_off;
    long pace_left;
};

static struct conn **conns;
static size_t nconns, conns_cap;
static unsigned long long next_conn_id = 1;

static struct step *push_step(struct conn *c, enum step_kind kind)
{
    if (c->nsteps == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->steps = xrealloc(c->steps, c->cap * sizeof *c->steps);
    }
    struct step *s = &c->steps[c->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    return s;
}

static void push_data(struct conn *c, const char *d, size_t n, int paced)
{
    if (!n)
        return;
    struct step *s = push_step(c, ST_DATA);
    s->data = xmalloc(n);
    memcpy(s->data, d, n);
    s->len = n;
    s->paced = paced;
}

static void push_str(struct conn *c, const char *s) { push_data(c, s, strlen(s), 0); }

static void push_wait(struct conn *c, long ms)
{
    if (ms > 0)
        push_step(c, ST_WAIT)->ms = ms;
}

static void push_end(struct conn *c, int rst)
{
    push_step(c, rst ? ST_RST : ST_CLOSE);
}

static void steps_clear(struct conn *c)
{
    for (size_t i = 0; i < c->nsteps; i++)
        free(c->steps[i].data);
    c->nsteps = c->cur = c->off = 0;
    c->gen_len = c->gen_off = 0;
    c->pat_done = 0;
    c->waiting = 0;
    c->pace_left = 0;
    c->pace_wake = 0;
}

static void opts_free(struct opts *o)
{
    free(o->h.v);
    free(o->okh.v);
    free(o->trailers.v);
    for (size_t i = 0; i < o->ninterims; i++)
        free(o->interims[i].h.v);
    free(o->interims);
}

/* Ends a request's bookkeeping (in-flight counts) and frees it. */
static void request_end(struct conn *c)
{
    struct request *r = c->req;
    if (!r)
        return;
    if (r->counted) {
        g_st.in_flight--;
        listeners[r->port_idx].st.in_flight--;
        if (r->key)
            r->key->in_flight--;
    }
    free(r->head);
    free(r->qbuf);
    free(r->query);
    free(r->hdrs.v);
    free(r->trailers.v);
    buf_free(&r->trailer_buf);
    buf_free(&r->body);
    opts_free(&r->o);
    free(r);
    c->req = NULL;
}

static void conn_uncount(struct conn *c)
{
    if (c->counted) {
        c->counted = 0;
        g_st.connections--;
        listeners[c->port_idx].st.connections--;
    }
}

static void conn_close(struct conn *c)
{
    if (c->dead)
        return;
    request_end(c);
    steps_clear(c);
    conn_uncount(c);
    close(c->fd);
    open_sockets--;
    c->dead = 1;
}

/* Abortive close: RST instead of FIN. */
static void conn_reset(struct conn *c)
{
    struct linger lg = { 1, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    conn_close(c);
}

/* Graceful close: FIN, then read and drop until the client closes, so data it still
 * sends cannot turn our close into a RST that would destroy the response in flight. */
static void conn_linger(struct conn *c)
{
    request_end(c);
    steps_clear(c);
    conn_uncount(c);
    shutdown(c->fd, SHUT_WR);
    c->phase = P_LINGER;
    c->in.len = 0;
    c->linger_until = now_ms + LINGER_MS;
}

/* ---- reason phrases ------------------------------------------------------- */

static const char *reason_for(const char *status)
{
    static const struct { int code; const char *text; } T[] = {
        { 100, "Continue" }, { 101, "Switching Protocols" }, { 102, "Processing" },
        { 103, "Early Hints" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
        { 203, "Non-Authoritative Information" }, { 204, "No Content" },
        { 205, "Reset Content" }, { 206, "Partial Content" }, { 207, "Multi-Status" },
        { 208, "Already Reported" }, { 226, "IM Used" }, { 300, "Multiple Choices" },
        { 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
        { 304, "Not Modified" }, { 305, "Use Proxy" }, { 306, "(Unused)" },
        { 307, "Temporary Redirect" }, { 308, "Permanent Redirect" }, { 400, "Bad Request" },
        { 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
        { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
        { 407, "Proxy Authentication Required" }, { 408, "Request Timeout" },
        { 409, "Conflict" }, { 410, "Gone" }, { 411, "Length Required" },
        { 412, "Precondition Failed" }, { 413, "Content Too Large" },
        { 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
        { 416, "Range Not Satisfiable" }, { 417, "Expectation Failed" },
        { 418, "I'm a teapot" }, { 421, "Misdirected Request" },
        { 422, "Unprocessable Content" }, { 423, "Locked" }, { 424, "Failed Dependency" },
        { 425, "Too Early" }, { 426, "Upgrade Required" }, { 428, "Precondition Required" },
        { 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
        { 451, "Unavailable For Legal Reasons" }, { 500, "Internal Server Error" },
        { 501, "Not Implemented" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
        { 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
        { 506, "Variant Also Negotiates" }, { 507, "Insufficient Storage" },
        { 508, "Loop Detected" }, { 510, "Not Extended" },
        { 511, "Network Authentication Required" } };
    if (strlen(status) == 3 && strspn(status, "0123456789") == 3) {
        int code = atoi(status);
        for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
            if (T[i].code == code)
                return T[i].text;
    }
    return "Unknown";
}

/* ---- URL language: query options ------------------------------------------ */

static enum cut parse_cut(const char *v)
{
    if (!strcmp(v, "before")) return CUT_BEFORE;
    if (!strcmp(v, "interim")) return CUT_INTERIM;
    if (!strcmp(v, "headers")) return CUT_HEADERS;
    if (!strcmp(v, "body")) return CUT_BODY;
    if (!strcmp(v, "after")) return CUT_AFTER;
    return CUT_NONE;
}

/* interim=CODE[ REASON]|Name:Value|...: split on raw '|' before decoding, and on
 * decoded LF too, so "%7C" is a literal bar and "%0A" a separator that survives any
 * client-side re-encoding of the URL. */
static void parse_interim(struct opts *o, char *v)
{
    struct interim it;
    memset(&it, 0, sizeof it);
    int first = 1;
    char *p = v;
    for (;;) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = 0;
        pct_decode(p);
        char *line = p;
        for (;;) {
            char *nl = strchr(line, '\n');
            if (nl) {
                *nl = 0;
                if (nl > line && nl[-1] == '\r')
                    nl[-1] = 0;
            }
            if (first) {
                first = 0;
                it.status = line;
                char *sp = strchr(line, ' ');
                if (sp) {
                    *sp = 0;
                    it.reason = sp + 1;
                }
            } else if (*line) {
                header_spec(&it.h, line);
            }
            if (!nl)
                break;
            line = nl + 1;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    if (!*it.status)
        it.status = "103";
    o->interims = xrealloc(o->interims, (o->ninterims + 1) * sizeof *o->interims);
    o->interims[o->ninterims++] = it;
}

static void set_opt(struct opts *o, const char *k, char *v, size_t vlen)
{
    const long long MS = 3600 * 1000; /* no delay above an hour */
    if (!strcmp(k, "h")) header_spec(&o->h, v);
    else if (!strcmp(k, "okh")) header_spec(&o->okh, v);
    else if (!strcmp(k, "trailer")) header_spec(&o->trailers, v);
    else if (!strcmp(k, "status")) o->status = v;
    else if (!strcmp(k, "reason")) o->reason = v;
    else if (!strcmp(k, "noreason")) o->noreason = truthy(v);
    else if (!strcmp(k, "version")) o->version = v;
    else if (!strcmp(k, "http10")) o->http10 = truthy(v);
    else if (!strcmp(k, "body")) { o->body = v; o->body_len = vlen; o->body_set = 1; }
    else if (!strcmp(k, "bytes")) o->bytes = num(v, -1, 0, 1LL << 40);
    else if (!strcmp(k, "len")) o->len = num(v, -1, 0, 1LL << 50);
    else if (!strcmp(k, "nolen")) o->nolen = truthy(v);
    else if (!strcmp(k, "chunked")) o->chunked = truthy(v);
    else if (!strcmp(k, "chunk")) o->chunk = num(v, 0, 1, GEN_CHUNK);
    else if (!strcmp(k, "nodate")) o->nodate = truthy(v);
    else if (!strcmp(k, "notype")) o->notype = truthy(v);
    else if (!strcmp(k, "date_offset")) o->date_offset = num(v, 0, -(1LL << 40), 1LL << 40);
    else if (!strcmp(k, "echo")) o->echo = truthy(v);
    else if (!strcmp(k, "head_body")) o->head_body = truthy(v);
    else if (!strcmp(k, "interim_delay_ms")) o->interim_delay_ms = (long)num(v, 0, 0, MS);
    else if (!strcmp(k, "stall_ms")) o->stall_ms = (long)num(v, 0, 0, MS);
    else if (!strcmp(k, "stall_before_headers_ms")) o->stall_before_headers_ms = (long)num(v, 0, 0, MS);
    else if (!strcmp(k, "stall_after_headers_ms")) o->stall_after_headers_ms = (long)num(v, 0, 0, MS);
    else if (!strcmp(k, "drip")) { if (truthy(v) && !o->drip_bytes) o->drip_bytes = 1; }
    else if (!strcmp(k, "drip_bytes")) o->drip_bytes = (long)num(v, 1, 1, GEN_CHUNK);
    else if (!strcmp(k, "drip_ms")) o->drip_ms = (long)num(v, 50, 0, MS);
    else if (!strcmp(k, "reset")) { o->cut = parse_cut(v); o->cut_rst = 1; }
    else if (!strcmp(k, "close")) { o->cut = parse_cut(v); o->cut_rst = 0; }
    else if (!strcmp(k, "reset_wait_ms")) o->reset_wait_ms = (long)num(v, 20, 0, MS);
    else if (!strcmp(k, "garbage")) o->garbage = !strcmp(v, "header") ? 2 : truthy(v);
    else if (!strcmp(k, "raw")) { o->raw = v; o->raw_len = vlen; o->raw_set = 1; }
    else if (!strcmp(k, "big_headers")) o->big_headers = (long)num(v, 0, 0, 16384);
    else if (!strcmp(k, "expect")) {
        o->expect = !strcmp(v, "ignore") ? EXP_IGNORE : !strcmp(v, "417") ? EXP_417
                  : !strcmp(v, "final") ? EXP_FINAL : EXP_CONTINUE;
    }
    else if (!strcmp(k, "key")) o->key = v;
    else if (!strcmp(k, "fail")) o->fail = num(v, 0, 0, 1LL << 40);
    else if (!strcmp(k, "code")) o->code = v;
    else if (!strcmp(k, "ok")) o->ok = v;
    else if (!strcmp(k, "loc")) o->loc = v;
    else if (!strcmp(k, "frag")) o->frag = v;
    else if (!strcmp(k, "final")) o->final = v;
    else if (!strcmp(k, "url")) o->url = v;
    else if (!strcmp(k, "host")) o->host = v;
    else if (!strcmp(k, "port")) o->port = num(v, 0, 1, 65535);
    else if (!strcmp(k, "since")) o->since = num(v, 0, 0, 1LL << 62);
    /* anything else is ignored, so tests may add cache-busters */
}

static void parse_query(struct opts *o, char *q)
{
    char *p = q;
    while (p && *p) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = 0;
        char *eq = strchr(p, '=');
        char *v = eq ? eq + 1 : p + strlen(p);
        if (eq)
            *eq = 0;
        pct_decode(p);
        if (!strcmp(p, "interim")) {
            parse_interim(o, v);
        } else {
            size_t vlen = pct_decode(v);
            set_opt(o, p, v, vlen);
        }
        p = amp ? amp + 1 : NULL;
    }
}

/* ---- request parsing -------------------------------------------------------- */

/* A canned error response that closes the connection. */
static void respond_error(struct conn *c, const char *code, const char *text)
{
    buf_t b = { 0 };
    buf_addf(&b, "HTTP/1.1 %s %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s\n",
             code, reason_for(code), strlen(text) + 1, text);
    push_data(c, b.p, b.len, 0);
    push_end(c, 0);
    buf_free(&b);
    c->phase = P_RUN;
}

static int path_is(const char *path, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n))
        return 0;
    if (path[n] == 0 || path[n] == '/') {
        if (rest)
            *rest = path[n] ? path + n + 1 : "";
        return 1;
    }
    return 0;
}

/* Splits /word/SUBJECT[/reset]: copies the decoded SUBJECT, says whether /reset follows. */
static void subject_of(struct request *r, const char *rest, int *is_reset)
{
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n >= KEY_LEN)
        n = KEY_LEN - 1;
    memcpy(r->subject_key, rest, n);
    r->subject_key[n] = 0;
    pct_decode(r->subject_key);
    *is_reset = slash && !strcmp(slash, "/reset");
}

static void route_request(struct request *r)
{
    const char *p = r->path, *rest;
    int reset = 0;
    r->route = R_DEFAULT;
    if (path_is(p, "/status", &rest)) {
        r->route = R_STATUS;
        subject_of(r, rest, &reset);
    } else if (path_is(p, "/echo", NULL)) {
        r->route = R_ECHO;
    } else if (path_is(p, "/redirect", &rest)) {
        r->route = R_REDIRECT;
        r->redirect_n = (long)num(rest, 1, 0, 100000);
    } else if (path_is(p, "/loop", NULL)) {
        r->route = R_LOOP;
    } else if (path_is(p, "/to", NULL)) {
        r->route = R_TO;
    } else if (path_is(p, "/count", &rest)) {
        subject_of(r, rest, &reset);
        r->route = reset ? C_HITS_RESET : R_COUNT;
    } else if (path_is(p, "/hits", &rest)) {
        subject_of(r, rest, &reset);
        r->route = reset ? C_HITS_RESET : C_HITS;
    } else if (path_is(p, "/keys", &rest)) {
        subject_of(r, rest, &reset);
        r->route = reset ? C_HITS_RESET : C_KEYS;
    } else if (!strcmp(p, "/stats")) {
        r->route = C_STATS;
    } else if (!strcmp(p, "/stats/reset")) {
        r->route = C_STATS_RESET;
    } else if (!strcmp(p, "/log")) {
        r->route = C_LOG;
    } else if (!strcmp(p, "/log/reset")) {
        r->route = C_LOG_RESET;
    } else if (!strcmp(p, "/reset")) {
        r->route = C_RESET;
    }
    r->control = r->route >= C_STATS;
}

static void log_request(struct conn *c, struct request *r)
{
    struct logent *e = &logring[log_next % LOG_MAX];
    e->n = log_next++;
    if (log_next - log_first > LOG_MAX)
        log_first = log_next - LOG_MAX;
    e->t = now_ms - start_ms;
    e->port = listeners[c->port_idx].port;
    e->conn = c->id;
    e->conn_req = r->conn_req;
    snprintf(e->method, sizeof e->method, "%s", r->method);
    snprintf(e->path, sizeof e->path, "%s", r->target);
    snprintf(e->key, sizeof e->key, "%s", r->key ? r->key->name : "");
    if (verbose)
        fprintf(stderr, "hs_testserver: %d #%llu %s %s\n", e->port, c->id, r->method, r->target);
}

static void push_respond(struct conn *c) { push_step(c, ST_RESPOND); }

/* Takes the request head at the front of c->in, if complete.
 * Returns 1 when steps were queued, 0 when more input is needed. */
static int parse_request(struct conn *c)
{
    while (c->in.len && (c->in.p[0] == '\r' || c->in.p[0] == '\n'))
        buf_consume(&c->in, 1); /* RFC 9112 §2.2: ignore CRLF before a request line */
    size_t end = 0, i = c->scan_from;
    for (; i + 1 < c->in.len; i++) {
        if (c->in.p[i] != '\n')
            continue;
        if (c->in.p[i + 1] == '\n') { end = i + 2; break; }
        if (c->in.p[i + 1] == '\r' && i + 2 < c->in.len && c->in.p[i + 2] == '\n') { end = i + 3; break; }
    }
    if (!end) {
        c->scan_from = i > 2 ? i - 2 : 0;
        if (c->in.len > HEAD_MAX) {
            respond_error(c, "431", "request head too large");
            return 1;
        }
        return 0;
    }
    c->scan_from = 0;
    if (end > HEAD_MAX) {
        buf_consume(&c->in, end);
        respond_error(c, "431", "request head too large");
        return 1;
    }

    struct request *r = xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->o.bytes = r->o.len = -1;
    r->o.reset_wait_ms = 20;
    r->o.drip_ms = 50;
    r->port_idx = c->port_idx;
    r->head = xmalloc(end + 1);
    memcpy(r->head, c->in.p, end);
    r->head[end] = 0;
    buf_consume(&c->in, end);
    c->req = r;
    c->phase = P_RUN;

    /* lines: CR before LF dropped */
    char *line = r->head, *next;
    int lineno = 0, bad = 0;
    for (; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) {
            *nl = 0;
            if (nl > line && nl[-1] == '\r')
                nl[-1] = 0;
        }
        if (!*line)
            break;
        if (lineno++ == 0) {
            r->method = line;
            char *sp1 = strchr(line, ' ');
            char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
            if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == line || sp2 == sp1 + 1) {
                bad = 1;
                break;
            }
            *sp1 = *sp2 = 0;
            r->target = sp1 + 1;
            r->version = sp2 + 1;
            continue;
        }
        char *colon = strchr(line, ':');
        if (line[0] == ' ' || line[0] == '\t' || !colon || colon == line ||
            colon[-1] == ' ' || colon[-1] == '\t') {
            bad = 1;
            break;
        }
        *colon = 0;
        char *v = colon + 1, *ve = v + strlen(v);
        while (*v == ' ' || *v == '\t')
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = 0;
        hdrs_add(&r->hdrs, line, v);
    }
    if (bad || !r->method) {
        request_end(c);
        respond_error(c, "400", "malformed request head");
        return 1;
    }
    if (strncmp(r->version, "HTTP/1.", 7) || !r->version[7] || r->version[8]) {
        request_end(c);
        respond_error(c, "505", "only HTTP/1.x is spoken here");
        return 1;
    }
    r->http10 = r->version[7] == '0';
    r->keepalive = r->http10 ? hdrs_has_token(&r->hdrs, "Connection", "keep-alive")
                             : !hdrs_has_token(&r->hdrs, "Connection", "close");

    /* body framing (RFC 9112 §6) */
    const char *te = hdrs_get(&r->hdrs, "Transfer-Encoding");
    if (te) {
        size_t n = strlen(te);
        if (n < 7 || strcasecmp(te + n - 7, "chunked")) {
            request_end(c);
            respond_error(c, "501", "unsupported Transfer-Encoding");
            return 1;
        }
        r->body_mode = BODY_CHUNKED;
        r->chunk_state = CH_SIZE;
    } else {
        for (size_t k = 0; k < r->hdrs.n; k++) {
            if (strcasecmp(r->hdrs.v[k].name, "Content-Length"))
                continue;
            const char *v = r->hdrs.v[k].value;
            char *e;
            errno = 0;
            unsigned long long n = strtoull(v, &e, 10);
            if (!*v || *e || errno || *v == '-' || *v == '+' ||
                (r->body_mode == BODY_LENGTH && n != r->cl)) {
                request_end(c);
                respond_error(c, "400", "bad Content-Length");
                return 1;
            }
            r->body_mode = BODY_LENGTH;
            r->cl = n;
        }
        if (r->body_mode == BODY_LENGTH && r->cl == 0)
            r->body_mode = BODY_NONE;
    }
    r->expect100 = !r->http10 && hdrs_has_token(&r->hdrs, "Expect", "100-continue");

    /* target → path and query (absolute-form too) */
    char *t = r->target;
    size_t tlen = strlen(t);
    buf_t tb = { 0 };
    buf_add(&tb, t, tlen);
    r->qbuf = tb.p;
    char *path = r->qbuf;
    if (!strncasecmp(path, "http://", 7) || !strncasecmp(path, "https://", 8)) {
        char *s = strstr(path, "//") + 2;
        char *slash = strchr(s, '/');
        path = slash ? slash : (char *)"/";
    }
    char *hash = strchr(path, '#');
    if (hash)
        *hash = 0;
    char *q = strchr(path, '?');
    buf_t rawq = { 0 };
    buf_adds(&rawq, q ? q + 1 : "");
    r->query = rawq.p;
    if (q)
        *q++ = 0;
    r->path = path;
    route_request(r);
    if (q)
        parse_query(&r->o, q);
    if (r->route == R_STATUS && strcspn(r->subject_key, " \t\r\n") != strlen(r->subject_key)) {
        request_end(c);
        respond_error(c, "400", "bad status code in path");
        return 1;
    }

    c->nreq++;
    r->conn_req = c->nreq;
    if (!r->control) {
        if (!c->counted) {
            c->counted = 1;
            counters_up(&g_st, 1);
            counters_up(&listeners[c->port_idx].st, 1);
        }
        counters_up(&g_st, 0);
        counters_up(&listeners[c->port_idx].st, 0);
        r->counted = 1;
        const char *kname = r->route == R_COUNT ? r->subject_key : r->o.key;
        r->key = key_get(kname, 1);
        if (r->key) {
            /* the failure decision uses the hits before this one */
            r->count_ok = r->key->hits >= (unsigned long long)r->o.fail;
            r->key->hits++;
            if (++r->key->in_flight > r->key->max_in_flight)
                r->key->max_in_flight = r->key->in_flight;
        }
        log_request(c, r);
    }

    if (r->body_mode != BODY_NONE && r->expect100) {
        switch (r->o.expect) {
        case EXP_CONTINUE: {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            push_data(c, cont, sizeof cont - 1, 0);
            push_step(c, ST_READ_BODY);
            break;
        }
        case EXP_IGNORE:
            push_step(c, ST_READ_BODY);
            break;
        case EXP_417:
        case EXP_FINAL:
            r->keepalive = 0; /* the body's fate is unknown: do not reuse */
            break;
        }
    } else if (r->body_mode != BODY_NONE) {
        push_step(c, ST_READ_BODY);
    }
    push_respond(c);
    return 1;
}

static void body_keep(struct request *r, const char *d, size_t n)
{
    r->body_seen += n;
    if (r->body.len < BODY_KEEP_MAX) {
        size_t room = BODY_KEEP_MAX - r->body.len;
        buf_add(&r->body, d, n < room ? n : room);
    }
}

/* Consumes request body bytes from c->in. Returns 1 done, 0 need more, -1 malformed. */
static int read_body(struct conn *c)
{
    struct request *r = c->req;
    if (r->body_mode == BODY_LENGTH) {
        unsigned long long left = r->cl - r->body_seen;
        size_t n = c->in.len < left ? c->in.len : (size_t)left;
        body_keep(r, c->in.p, n);
        buf_consume(&c->in, n);
        return r->body_seen == r->cl;
    }
    while (r->chunk_state != CH_DONE) {
        if (r->chunk_state == CH_DATA) {
            if (!c->in.len)
                return 0;
            size_t n = c->in.len < r->chunk_left ? c->in.len : (size_t)r->chunk_left;
            body_keep(r, c->in.p, n);
            buf_consume(&c->in, n);
            r->chunk_left -= n;
            if (!r->chunk_left)
                r->chunk_state = CH_DATA_END;
            continue;
        }
        char *nl = c->in.len ? memchr(c->in.p, '\n', c->in.len) : NULL;
        if (!nl)
            return c->in.len > CHUNK_LINE_MAX ? -1 : 0;
        size_t linelen = (size_t)(nl - c->in.p) + 1;
        size_t l = linelen - 1;
        if (l && c->in.p[l - 1] == '\r')
            l--;
        if (r->chunk_state == CH_DATA_END) {
            if (l)
                return -1;
            r->chunk_state = CH_SIZE;
        } else if (r->chunk_state == CH_SIZE) {
            unsigned long long size = 0;
            size_t k = 0;
            for (; k < l && hexval((unsigned char)c->in.p[k]) >= 0; k++) {
                if (size >> 56)
                    return -1;
                size = size * 16 + (unsigned)hexval((unsigned char)c->in.p[k]);
            }
            if (!k || (k < l && c->in.p[k] != ';' && c->in.p[k] != ' ' && c->in.p[k] != '\t'))
                return -1;
            r->chunk_left = size;
            r->chunk_state = size ? CH_DATA : CH_TRAILER;
        } else { /* CH_TRAILER */
            if (!l) {
                r->chunk_state = CH_DONE;
            } else {
                if (r->trailer_buf.len + l > HEAD_MAX)
                    return -1;
                buf_add(&r->trailer_buf, c->in.p, l);
                buf_add(&r->trailer_buf, "", 1);
            }
        }
        buf_consume(&c->in, linelen);
    }
    /* trailers: "Name: value" lines, split now that the buffer no longer moves */
    for (size_t off = 0; off < r->trailer_buf.len;) {
        char *s = r->trailer_buf.p + off;
        off += strlen(s) + 1;
        char *colon = strchr(s, ':');
        if (!colon) {
            hdrs_add(&r->trailers, s, (char *)"");
            continue;
        }
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        hdrs_add(&r->trailers, s, v);
    }
    return 1;
}

/* ---- response building ------------------------------------------------------ */

static void json_pairs(buf_t *b, const hdrs_t *h)
{
    buf_adds(b, "[");
    for (size_t i = 0; i < h->n; i++) {
        buf_adds(b, i ? ",[" : "[");
        json_str(b, h->v[i].name, strlen(h->v[i].name));
        buf_adds(b, ",");
        const char *v = h->v[i].value ? h->v[i].value : "";
        json_str(b, v, strlen(v));
        buf_adds(b, "]");
    }
    buf_adds(b, "]");
}

static void echo_json(buf_t *b, struct conn *c, struct request *r)
{
    buf_adds(b, "{\"method\":");
    json_str(b, r->method, strlen(r->method));
    buf_adds(b, ",\"path\":");
    json_str(b, r->target, strlen(r->target));
    buf_adds(b, ",\"version\":");
    json_str(b, r->version, strlen(r->version));
    buf_adds(b, ",\"headers\":");
    json_pairs(b, &r->hdrs);
    if (utf8_valid((const unsigned char *)r->body.p, r->body.len)) {
        buf_adds(b, ",\"body\":");
        json_str(b, r->body.p ? r->body.p : "", r->body.len);
    } else {
        buf_adds(b, ",\"body\":null,\"body_base64\":\"");
        base64(b, (const unsigned char *)r->body.p, r->body.len);
        buf_adds(b, "\"");
    }
    buf_addf(b, ",\"body_len\":%llu,\"body_truncated\":%s,\"chunked\":%s,\"trailers\":",
             r->body_seen, r->body_seen > r->body.len ? "true" : "false",
             r->body_mode == BODY_CHUNKED ? "true" : "false");
    json_pairs(b, &r->trailers);
    buf_addf(b, ",\"port\":%d,\"conn\":%llu,\"conn_requests\":%llu}\n",
             listeners[c->port_idx].port, c->id, r->conn_req);
}

/* Host and port the client used (Host header), for absolute Locations. */
static void origin_of(buf_t *b, struct conn *c, struct request *r)
{
    const char *host = hdrs_get(&r->hdrs, "Host");
    char hostpart[256] = "127.0.0.1";
    long port = listeners[c->port_idx].port;
    if (host && *host && strlen(host) < sizeof hostpart) {
        const char *colon = strrchr(host, ':');
        const char *bracket = strrchr(host, ']');
        if (colon && (!bracket || colon > bracket)) {
            snprintf(hostpart, sizeof hostpart, "%.*s", (int)(colon - host), host);
            port = (long)num(colon + 1, port, 1, 65535);
        } else {
            snprintf(hostpart, sizeof hostpart, "%s", host);
        }
    }
    if (r->o.host)
        snprintf(hostpart, sizeof hostpart, "%s", r->o.host);
    if (r->o.port)
        port = (long)r->o.port;
    buf_addf(b, "%s:%ld", hostpart, port);
}

/* The Location for a redirect to `target` (an absolute path with query), in the
 * form chosen by loc=: path (default), absolute, scheme (//host/...), relative. */
static void make_location(buf_t *b, struct conn *c, struct request *r, const char *target)
{
    const char *loc = r->o.loc ? r->o.loc : "path";
    if (target[0] != '/' || !strcmp(loc, "path")) {
        buf_adds(b, target);
    } else if (!strcmp(loc, "absolute") || !strcmp(loc, "scheme")) {
        buf_adds(b, loc[0] == 'a' ? "http://" : "//");
        origin_of(b, c, r);
        buf_adds(b, target);
    } else { /* relative: "../" for each directory of the current path not shared */
        const char *cur = r->path, *dir_end = strrchr(cur, '/');
        size_t common = 0; /* shared prefix, up to and including a '/' */
        for (size_t k = 0; dir_end && cur + k <= dir_end && target[k] == cur[k]; k++)
            if (cur[k] == '/')
                common = k + 1;
        for (const char *p = cur + common; dir_end && p <= dir_end; p++)
            if (*p == '/')
                buf_adds(b, "../");
        buf_adds(b, target[common] ? target + common : "./");
    }
    if (r->o.frag) {
        buf_adds(b, "#");
        buf_adds(b, r->o.frag);
    }
}

static int user_has(const struct opts *o, const char *name) { return hdrs_get(&o->h, name) != NULL; }

static void add_headers(buf_t *b, const hdrs_t *h, time_t clock)
{
    for (size_t i = 0; i < h->n; i++) {
        buf_adds(b, h->v[i].name);
        if (h->v[i].value) {
            buf_adds(b, ": ");
            expand_value(b, h->v[i].value, clock);
        }
        buf_adds(b, "\r\n");
    }
}

static void status_line(buf_t *b, const struct opts *o, const char *status, const char *reason)
{
    const char *version = o->version ? o->version : o->http10 ? "HTTP/1.0" : "HTTP/1.1";
    if (o->noreason)
        buf_addf(b, "%s %s\r\n", version, status);
    else
        buf_addf(b, "%s %s %s\r\n", version, status, reason ? reason : reason_for(status));
}

/* Plain-text or JSON body for control endpoints: always 200, keep-alive honoured. */
static void respond_control(struct conn *c, struct request *r)
{
    buf_t body = { 0 }, b = { 0 };
    const char *ctype = "application/json";
    struct key *k;
    switch (r->route) {
    case C_STATS: {
        const struct counters *s = &g_st;
        buf_addf(&body, "{\"connections\":%ld,\"max_connections\":%ld,\"in_flight\":%ld,"
                        "\"max_in_flight\":%ld,\"requests\":%llu,\"total_connections\":%llu,"
                        "\"sockets\":%ld,\"uptime_ms\":%.3f,\"ports\":[",
                 s->connections, s->max_connections, s->in_flight, s->max_in_flight,
                 s->requests, s->total_connections, open_sockets, now_ms - start_ms);
        for (int i = 0; i < nlisteners; i++) {
            s = &listeners[i].st;
            buf_addf(&body, "%s{\"port\":%d,\"connections\":%ld,\"max_connections\":%ld,"
                            "\"in_flight\":%ld,\"max_in_flight\":%ld,\"requests\":%llu,"
                            "\"total_connections\":%llu}",
                     i ? "," : "", listeners[i].port, s->connections, s->max_connections,
                     s->in_flight, s->max_in_flight, s->requests, s->total_connections);
        }
        buf_adds(&body, "]}\n");
        break;
    }
    case C_LOG: {
        unsigned long long since = (unsigned long long)r->o.since; /* entries after id N */
        ctype = "application/x-ndjson";
        for (unsigned long long n = log_first; n < log_next; n++) {
            const struct logent *e = &logring[n % LOG_MAX];
            if (e->n <= since)
                continue;
            buf_addf(&body, "{\"n\":%llu,\"t_ms\":%.3f,\"method\":", e->n, e->t);
            json_str(&body, e->method, strlen(e->method));
            buf_adds(&body, ",\"path\":");
            json_str(&body, e->path, strlen(e->path));
            buf_addf(&body, ",\"port\":%d,\"conn\":%llu,\"conn_requests\":%llu,\"key\":",
                     e->port, e->conn, e->conn_req);
            json_str(&body, e->key, strlen(e->key));
            buf_adds(&body, "}\n");
        }
        break;
    }
    case C_HITS:
        k = key_get(r->subject_key, 0);
        ctype = "text/plain";
        buf_addf(&body, "%llu", k ? k->hits : 0ULL);
        break;
    case C_KEYS:
        k = key_get(r->subject_key, 0);
        buf_adds(&body, "{\"key\":");
        json_str(&body, r->subject_key, strlen(r->subject_key));
        buf_addf(&body, ",\"hits\":%llu,\"in_flight\":%ld,\"max_in_flight\":%ld}\n",
                 k ? k->hits : 0ULL, k ? k->in_flight : 0L, k ? k->max_in_flight : 0L);
        break;
    case C_HITS_RESET:
        if ((k = key_get(r->subject_key, 0))) {
            k->hits = 0;
            k->max_in_flight = k->in_flight;
        }
        ctype = "text/plain";
        buf_adds(&body, "reset\n");
        break;
    case C_LOG_RESET:
        log_first = log_next;
        ctype = "text/plain";
        buf_adds(&body, "reset\n");
        break;
    case C_RESET:
        log_first = log_next;
        for (int i = 0; i < KEY_MAX; i++) { /* keys in flight stay valid: zero, not drop */
            keys[i].hits = 0;
            keys[i].max_in_flight = keys[i].in_flight;
        }
        /* fall through */
    case C_STATS_RESET:
        /* The asking connection is about to close (it belongs to whoever reset): not
         * counted from here on, so the next maxima are the next client's alone. */
        conn_uncount(c);
        counters_reset(&g_st);
        for (int i = 0; i < nlisteners; i++)
            counters_reset(&listeners[i].st);
        ctype = "text/plain";
        buf_adds(&body, "reset\n");
        break;
    default:
        break;
    }
    int keep = r->keepalive;
    buf_adds(&b, "HTTP/1.1 200 OK\r\nDate: ");
    fmt_date(&b, time(NULL), DATE_IMF);
    buf_addf(&b, "\r\nContent-Type: %s\r\nCache-Control: no-store\r\nContent-Length: %zu\r\n%s\r\n",
             ctype, body.len,
             !keep ? "Connection: close\r\n" : r->http10 ? "Connection: keep-alive\r\n" : "");
    if (strcmp(r->method, "HEAD"))
        buf_add(&b, body.p, body.len);
    push_data(c, b.p, b.len, 0);
    if (!keep)
        push_end(c, 0);
    buf_free(&b);
    buf_free(&body);
}

/* Pushes a cut point: RST (after a short wait, so the client reads what came first)
 * or a plain close. */
static void push_cut(struct conn *c, const struct opts *o)
{
    if (o->cut_rst)
        push_wait(c, o->reset_wait_ms);
    push_end(c, o->cut_rst);
}

/* Builds every step of the final response (and the 1xx before it) from the options. */
static void build_response(struct conn *c)
{
    struct request *r = c->req;
    if (r->control) {
        respond_control(c, r);
        return;
    }
    struct opts *o = &r->o;
    int is_head = !strcmp(r->method, "HEAD") && !o->head_body;
    time_t clock = time(NULL) + (time_t)o->date_offset;
    buf_t b = { 0 }, text = { 0 }, location = { 0 };
    const char *status = o->status ? o->status : "200";
    int explicit_body = o->body_set || o->bytes >= 0 || o->echo;
    int have_text = 0;
    const char *ctype = "text/plain";

    if (r->route == R_ECHO)
        o->echo = explicit_body = 1;
    if (r->route == R_STATUS && *r->subject_key)
        status = o->status ? o->status : r->subject_key;
    if (r->route == R_COUNT && r->count_ok) {
        /* later hits: a plain success; only echo, okh= and the clock options apply */
        struct opts ok;
        memset(&ok, 0, sizeof ok);
        ok.bytes = ok.len = -1;
        ok.echo = o->echo;
        ok.nodate = o->nodate;
        ok.date_offset = o->date_offset;
        ok.version = o->version;
        ok.http10 = o->http10;
        ok.status = o->ok ? o->ok : "200";
        ok.h = o->okh; /* moves: the success headers become the headers */
        memset(&o->okh, 0, sizeof o->okh);
        opts_free(o);
        *o = ok;
        status = o->status;
        explicit_body = o->echo;
        if (!o->echo) {
            buf_addf(&text, "ok %s %llu\n", r->subject_key, r->key ? r->key->hits : 0ULL);
            have_text = 1;
        }
    } else if (r->route == R_COUNT) {
        status = o->code ? o->code : "503";
    }
    if (r->route == R_REDIRECT || r->route == R_LOOP || r->route == R_TO) {
        buf_t target = { 0 };
        status = o->code ? o->code : "302";
        if (r->route == R_TO) {
            buf_adds(&target, o->url ? o->url : "/status/200");
        } else if (r->route == R_LOOP) {
            buf_adds(&target, !strcmp(r->path, "/loop/a") ? "/loop/b"
                            : !strcmp(r->path, "/loop/b") ? "/loop/a" : r->path);
        } else if (r->redirect_n > 1) {
            buf_addf(&target, "/redirect/%ld", r->redirect_n - 1);
        } else {
            buf_adds(&target, o->final ? o->final : "/status/200");
        }
        if (r->route != R_TO && !(r->route == R_REDIRECT && r->redirect_n <= 1) && *r->query) {
            buf_adds(&target, "?");
            buf_adds(&target, r->query);
        }
        if (r->route == R_TO) {
            buf_adds(&location, target.p);
            if (o->frag)
                buf_addf(&location, "#%s", o->frag);
        } else if (r->route == R_REDIRECT && r->redirect_n == 0) {
            status = o->status ? o->status : "200"; /* the end of a chain */
            buf_free(&location);
        } else {
            make_location(&location, c, r, target.p);
        }
        buf_free(&target);
        if (location.p && !explicit_body) {
            buf_addf(&text, "redirecting to %s\n", location.p);
            have_text = 1;
        }
    }

    int code = (strlen(status) == 3 && strspn(status, "0123456789") == 3) ? atoi(status) : 0;
    int informational = code >= 100 && code < 200;
    int bodiless = informational || ((code == 204 || code == 304) && !explicit_body);

    if (o->echo) {
        echo_json(&text, c, r);
        have_text = 1;
        ctype = "application/json";
    } else if (o->body_set) {
        buf_add(&text, o->body, o->body_len);
        have_text = 1;
    } else if (!have_text && o->bytes < 0) {
        buf_addf(&text, "%s %s\n", status, o->reason ? o->reason : reason_for(status));
        have_text = 1;
    }
    int pattern = !o->echo && !o->body_set && o->bytes >= 0;
    unsigned long long body_len = pattern ? (unsigned long long)o->bytes : text.len;
    if (bodiless) {
        body_len = 0;
        pattern = 0;
    }

    int close_after = !r->keepalive || o->http10 || o->nolen || informational ||
                      hdrs_has_token(&o->h, "Connection", "close") ||
                      (o->version && strcmp(o->version, "HTTP/1.1"));
    /* a lying len= leaves the framing broken: close (unannounced) after the body */
    int silent_close = o->cut == CUT_AFTER ||
                       (o->len >= 0 && !o->chunked && (unsigned long long)o->len != body_len && !is_head);

    push_wait(c, o->stall_ms);
    if (o->raw_set || o->garbage) {
        if (o->raw_set)
            push_data(c, o->raw, o->raw_len, 0);
        else if (o->garbage == 1)
            push_str(c, "HTTZ/1.1 2x0 ???\r\n");
        else
            push_str(c, "HTTP/1.1 200 OK\r\nthis is not a header\r\nContent-Length: 0\r\n\r\n");
        push_end(c, 0);
        goto out;
    }
    if (o->cut == CUT_BEFORE) {
        push_cut(c, o);
        goto out;
    }
    for (size_t i = 0; i < o->ninterims; i++) {
        const struct interim *it = &o->interims[i];
        status_line(&b, o, it->status, it->reason);
        add_headers(&b, &it->h, clock);
        buf_adds(&b, "\r\n");
        push_data(c, b.p, b.len, 0);
        b.len = 0;
        push_wait(c, o->interim_delay_ms);
    }
    if (o->cut == CUT_INTERIM) {
        push_cut(c, o);
        goto out;
    }
    push_wait(c, o->stall_before_headers_ms);

    /* the final header block; a user header replaces the automatic one of its name */
    status_line(&b, o, status, o->reason);
    if (!o->nodate && !user_has(o, "Date")) {
        buf_adds(&b, "Date: ");
        fmt_date(&b, clock, DATE_IMF);
        buf_adds(&b, "\r\n");
    }
    if (location.p && !user_has(o, "Location"))
        buf_addf(&b, "Location: %s\r\n", location.p);
    if (!bodiless && !o->notype && !user_has(o, "Content-Type"))
        buf_addf(&b, "Content-Type: %s\r\n", ctype);
    add_headers(&b, &o->h, clock);
    for (long i = 1; i <= o->big_headers; i++) {
        size_t start = b.len;
        buf_addf(&b, "X-Fill-%ld: ", i);
        size_t fill = 1024 - 2 - (b.len - start);
        buf_reserve(&b, fill + 2);
        for (size_t k = 0; k < fill; k++)
            b.p[b.len++] = PATTERN[k % 62];
        buf_add(&b, "\r\n", 2);
    }
    if (!user_has(o, "Content-Length")) {
        if (o->len >= 0)
            buf_addf(&b, "Content-Length: %lld\r\n", o->len);
        else if (!bodiless && !o->nolen && !o->chunked)
            buf_addf(&b, "Content-Length: %llu\r\n", body_len);
    }
    if (o->chunked && !bodiless && !user_has(o, "Transfer-Encoding"))
        buf_adds(&b, "Transfer-Encoding: chunked\r\n");
    if (!user_has(o, "Connection")) {
        if (close_after && !silent_close)
            buf_adds(&b, "Connection: close\r\n");
        else if (r->http10 && !close_after)
            buf_adds(&b, "Connection: keep-alive\r\n");
    }
    buf_adds(&b, "\r\n");
    if (o->cut == CUT_HEADERS) {
        push_data(c, b.p, b.len / 2, 0);
        push_cut(c, o);
        goto out;
    }
    push_data(c, b.p, b.len, 0);
    push_wait(c, o->stall_after_headers_ms);

    if (!is_head && !bodiless) {
        int paced = o->drip_bytes > 0;
        size_t chunk = o->chunk ? (size_t)o->chunk : paced ? (size_t)o->drip_bytes : 0;
        int cut_body = o->cut == CUT_BODY;
        if (pattern) {
            struct step *s = push_step(c, ST_PATTERN);
            s->total = cut_body ? body_len / 2 : body_len;
            s->chunked = o->chunked;
            s->chunk = chunk;
            s->paced = paced;
        } else {
            buf_t enc = { 0 };
            if (o->chunked) {
                size_t step = chunk ? chunk : text.len;
                for (size_t off = 0; off < text.len; off += step) {
                    size_t n = text.len - off < step ? text.len - off : step;
                    buf_addf(&enc, "%zx\r\n", n);
                    buf_add(&enc, text.p + off, n);
                    buf_adds(&enc, "\r\n");
                }
            } else {
                buf_add(&enc, text.p, text.len);
            }
            push_data(c, enc.p, cut_body ? enc.len / 2 : enc.len, paced);
            buf_free(&enc);
        }
        if (cut_body) {
            push_cut(c, o);
            goto out;
        }
        if (o->chunked) {
            b.len = 0;
            buf_adds(&b, "0\r\n");
            add_headers(&b, &o->trailers, clock);
            buf_adds(&b, "\r\n");
            push_data(c, b.p, b.len, 0);
        }
    }
    if (silent_close && o->cut != CUT_AFTER)
        push_end(c, 0);
    else if (silent_close)
        push_cut(c, o);
    else if (close_after)
        push_end(c, 0);
out:
    buf_free(&b);
    buf_free(&text);
    buf_free(&location);
}

/* A 417 to Expect: 100-continue, sent before any body is read. */
static void build_417(struct conn *c)
{
    static const char msg[] = "HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 19\r\nConnection: close\r\n\r\nexpectation failed\n";
    push_data(c, msg, sizeof msg - 1, 0);
    push_end(c, 0);
}

/* ---- the step engine -------------------------------------------------------- */

enum { RUN_BLOCKED, RUN_DONE, RUN_GONE };

/* Writes up to n bytes honouring drip pacing. Returns bytes written, 0 when it
 * must wait (timer or POLLOUT), -1 when the connection is gone. */
static long send_some(struct conn *c, const char *p, size_t n, int paced)
{
    struct request *r = c->req;
    if (paced && r) {
        if (c->pace_left <= 0) {
            if (c->pace_wake > now_ms) {
                c->wake_at = c->pace_wake;
                return 0;
            }
            c->pace_left = r->o.drip_bytes;
        }
        if ((size_t)c->pace_left < n)
            n = (size_t)c->pace_left;
    }
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            c->want_write = 1;
            return 0;
        }
        conn_close(c);
        return -1;
    }
    if (paced && r) {
        c->pace_left -= (long)w;
        if (c->pace_left <= 0)
            c->pace_wake = now_ms + (double)r->o.drip_ms;
    }
    return (long)w;
}

static int run_steps(struct conn *c)
{
    while (c->cur < c->nsteps) {
        struct step *st = &c->steps[c->cur];
        switch (st->kind) {
        case ST_WAIT:
            if (c->peer_eof) { /* the client left while we stall: nobody to answer */
                conn_close(c);
                return RUN_GONE;
            }
            if (!c->waiting) {
                c->waiting = 1;
                c->wait_until = now_ms + (double)st->ms;
            }
            if (now_ms < c->wait_until) {
                c->wake_at = c->wait_until;
                return RUN_BLOCKED;
            }
            c->waiting = 0;
            c->cur++;
            break;
        case ST_DATA:
            while (c->off < st->len) {
                long w = send_some(c, st->data + c->off, st->len - c->off, st->paced);
                if (w < 0)
                    return RUN_GONE;
                if (w == 0)
                    return RUN_BLOCKED;
                c->off += (size_t)w;
            }
            c->off = 0;
            c->cur++;
            break;
        case ST_PATTERN:
            for (;;) {
                if (c->gen_off == c->gen_len) {
                    unsigned long long left = st->total - c->pat_done;
                    if (!left)
                        break;
                    size_t n = left > GEN_CHUNK ? GEN_CHUNK : (size_t)left;
                    if (st->chunk && n > st->chunk)
                        n = st->chunk;
                    size_t o = 0;
                    if (st->chunked)
                        o = (size_t)snprintf(c->gen, 32, "%zx\r\n", n);
                    for (size_t k = 0; k < n; k++)
                        c->gen[o + k] = PATTERN[(c->pat_done + k) % 64];
                    o += n;
                    if (st->chunked) {
                        c->gen[o++] = '\r';
                        c->gen[o++] = '\n';
                    }
                    c->pat_done += n;
                    c->gen_len = o;
                    c->gen_off = 0;
                }
                long w = send_some(c, c->gen + c->gen_off, c->gen_len - c->gen_off, st->paced);
                if (w < 0)
                    return RUN_GONE;
                if (w == 0)
                    return RUN_BLOCKED;
                c->gen_off += (size_t)w;
            }
            c->gen_len = c->gen_off = 0;
            c->pat_done = 0;
            c->cur++;
            break;
        case ST_READ_BODY: {
            int r = read_body(c);
            if (r < 0) {
                /* drop what is queued after this step, answer 400 and close */
                for (size_t i = c->cur + 1; i < c->nsteps; i++)
                    free(c->steps[i].data);
                c->nsteps = ++c->cur;
                request_end(c);
                respond_error(c, "400", "malformed chunked body");
                break;
            }
            if (r == 0) {
                if (c->peer_eof) {
                    conn_close(c);
                    return RUN_GONE;
                }
                return RUN_BLOCKED;
            }
            c->cur++;
            break;
        }
        case ST_RESPOND:
            c->cur++;
            if (c->req && c->req->expect100 && c->req->body_mode != BODY_NONE &&
                c->req->o.expect == EXP_417 && !c->req->control)
                build_417(c);
            else if (c->req)
                build_response(c);
            break;
        case ST_CLOSE:
            conn_linger(c);
            return RUN_GONE;
        case ST_RST:
            conn_reset(c);
            return RUN_GONE;
        }
    }
    return RUN_DONE;
}

static void drive(struct conn *c)
{
    c->wake_at = 0;
    for (;;) {
        if (c->dead)
            return;
        if (c->phase == P_LINGER) {
            c->in.len = 0;
            if (c->peer_eof || now_ms >= c->linger_until)
                conn_close(c);
            else
                c->wake_at = c->linger_until;
            return;
        }
        if (c->phase == P_HEAD && !parse_request(c)) {
            if (c->peer_eof)
                conn_close(c);
            return;
        }
        int r = run_steps(c);
        if (r == RUN_BLOCKED)
            return;
        if (r == RUN_DONE) {
            request_end(c);
            steps_clear(c);
            c->phase = P_HEAD;
        }
    }
}

/* ---- sockets and the loop ---------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int listen_on(const char *addr, int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0 ||
        set_nonblock(fd) < 0) {
        close(fd);
        return -1;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *bound = ntohs(sa.sin_port);
    return fd;
}

static double accept_pause_until;

static void accept_all(int li)
{
    for (;;) {
        int fd = accept(listeners[li].fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause_until = now_ms + 100; /* out of fds: let some close first */
            return;
        }
        int one = 1;
        set_nonblock(fd);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* 1xx and drips go out now */
        struct conn *c = xmalloc(sizeof *c);
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->port_idx = li;
        c->id = next_conn_id++;
        c->phase = P_HEAD;
        if (nconns == conns_cap) {
            conns_cap = conns_cap ? conns_cap * 2 : 64;
            conns = xrealloc(conns, conns_cap * sizeof *conns);
        }
        conns[nconns++] = c;
        open_sockets++;
    }
}

static void on_readable(struct conn *c)
{
    char tmp[65536];
    while (!c->peer_eof && c->in.len < INBUF_MAX) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            if (c->phase != P_LINGER)
                buf_add(&c->in, tmp, (size_t)n);
            continue;
        }
        if (n == 0) {
            c->peer_eof = 1;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_close(c); /* reset by the client */
        }
        return;
    }
}

static void usage(void)
{
    fputs("usage: hs_testserver [--port N | --ports K] [--host ADDR] [--pidfile FILE]\n"
          "                     [--parent PID] [--exit-on-stdin-eof] [--verbose]\n"
          "Prints \"PORT <n>...\" once listening. See spec/support/README.md.\n",
          stderr);
}

int main(int argc, char **argv)
{
    int port = 0, nports = 1, stdin_eof = 0;
    long parent = 0;
    const char *pidfile = NULL, *host = "127.0.0.1";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--port") && more) port = (int)num(argv[++i], -1, -1, 65535);
        else if (!strcmp(a, "--ports") && more) nports = (int)num(argv[++i], 0, 0, MAX_LISTEN);
        else if (!strcmp(a, "--host") && more) host = argv[++i];
        else if (!strcmp(a, "--pidfile") && more) pidfile = argv[++i];
        else if (!strcmp(a, "--parent") && more) parent = (long)num(argv[++i], 0, 0, 1L << 30);
        else if (!strcmp(a, "--exit-on-stdin-eof")) stdin_eof = 1;
        else if (!strcmp(a, "--verbose")) verbose = 1;
        else { usage(); return 2; }
    }
    if (port < 0 || nports < 1) {
        usage();
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* hundreds of parallel connections need more than the usual 1024 fds at times */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    for (int i = 0; i < nports; i++) {
        int bound;
        int fd = listen_on(host, i == 0 ? port : 0, &bound);
        if (fd < 0) {
            fprintf(stderr, "hs_testserver: cannot listen on %s:%d: %s\n", host,
                    i == 0 ? port : 0, strerror(errno));
            return 1;
        }
        listeners[nlisteners].fd = fd;
        listeners[nlisteners].port = bound;
        nlisteners++;
    }
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
            fprintf(stderr, "hs_testserver: cannot write %s\n", pidfile);
            return 1;
        }
    }
    start_ms = now_ms = mono_ms();
    printf("PORT");
    for (int i = 0; i < nlisteners; i++)
        printf(" %d", listeners[i].port);
    printf("\n");
    fflush(stdout);

    struct pollfd *pfds = NULL;
    size_t pfds_cap = 0;
    double next_parent_check = 0;
    while (!stop_flag) {
        now_ms = mono_ms();
        if (parent > 0 && now_ms >= next_parent_check) {
            next_parent_check = now_ms + TICK_MS;
            if ((long)getppid() != parent)
                break; /* our parent died: do not outlive the test run */
        }
        size_t need = nconns + (size_t)nlisteners + 1;
        if (need > pfds_cap) {
            pfds_cap = need * 2;
            pfds = xrealloc(pfds, pfds_cap * sizeof *pfds);
        }
        size_t np = 0;
        int accepting = now_ms >= accept_pause_until;
        for (int i = 0; i < nlisteners; i++) {
            pfds[np].fd = accepting ? listeners[i].fd : -1;
            pfds[np].events = POLLIN;
            pfds[np++].revents = 0;
        }
        size_t stdin_idx = np;
        pfds[np].fd = stdin_eof ? 0 : -1;
        pfds[np].events = POLLIN;
        pfds[np++].revents = 0;
        size_t first_conn = np, polled = nconns;
        double wake = now_ms + TICK_MS;
        if (!accepting && accept_pause_until < wake)
            wake = accept_pause_until;
        for (size_t i = 0; i < nconns; i++) {
            struct conn *c = conns[i];
            short ev = 0;
            if (!c->peer_eof && c->in.len < INBUF_MAX)
                ev |= POLLIN;
            if (c->want_write)
                ev |= POLLOUT;
            pfds[np].fd = c->fd;
            pfds[np].events = ev;
            pfds[np++].revents = 0;
            if (c->wake_at > 0 && c->wake_at < wake)
                wake = c->wake_at;
        }
        double t = wake - now_ms;
        int timeout = t <= 0 ? 0 : (int)t + 1;
        if (poll(pfds, np, timeout) < 0 && errno != EINTR)
            break;
        now_ms = mono_ms();
        if (pfds[stdin_idx].revents) {
            char tmp[512];
            ssize_t n = read(0, tmp, sizeof tmp);
            if (n <= 0)
                break;
        }
        for (size_t i = 0; i < polled; i++) {
            struct conn *c = conns[i];
            short re = pfds[first_conn + i].revents;
            int due = c->wake_at > 0 && c->wake_at <= now_ms;
            if (re & (POLLIN | POLLHUP | POLLERR))
                on_readable(c);
            if (re & (POLLOUT | POLLHUP | POLLERR))
                c->want_write = 0;
            if (!c->dead && (re || due))
                drive(c);
        }
        for (int i = 0; i < nlisteners; i++)
            if (pfds[i].revents & POLLIN)
                accept_all(i);
        /* new connections may already hold data; read them on the next turn */
        size_t w = 0;
        for (size_t i = 0; i < nconns; i++) {
            if (conns[i]->dead) {
                buf_free(&conns[i]->in);
                free(conns[i]->steps);
                free(conns[i]);
            } else {
                conns[w++] = conns[i];
            }
        }
        nconns = w;
    }
    for (size_t i = 0; i < nconns; i++) { /* free all, so leak checkers stay quiet */
        conn_close(conns[i]);
        buf_free(&conns[i]->in);
        free(conns[i]->steps);
        free(conns[i]);
    }
    free(conns);
    free(pfds);
    for (int i = 0; i < nlisteners; i++)
        close(listeners[i].fd);
    if (pidfile)
        unlink(pidfile);
    return 0;
}
