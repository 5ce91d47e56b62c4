/* hs_tlsrelay: a TLS-terminating relay in front of the plain test server.
 *
 *   hs_tlsrelay --cert FILE --key FILE --backend PORT [--pidfile FILE] [--parent PID]
 *
 * Listens on 127.0.0.1, port 0, and prints "PORT <n>" once listening (as hs_testserver
 * does). Each accepted connection gets a TLS handshake, then its bytes are shuttled both
 * ways to 127.0.0.1:<backend> until either side closes. ALPN offers only http/1.1, so
 * clients speak HTTP/1.1 through it.
 *
 * Single-threaded, poll()-driven. OpenSSL works on memory BIOs only: the relay does all
 * socket I/O itself (non-blocking), so a slow peer never stalls the others and there is
 * no WANT_WRITE dance. No sleeps. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define TICK_MS 250      /* parent check period */
#define IO_CHUNK 16384
#define BUF_MAX (1u << 20) /* stop reading a side while this much waits for the other */

typedef struct { unsigned char *p; size_t len, cap; } buf_t;

struct conn {
    int cfd, bfd;        /* client (TLS) and backend (plain) sockets */
    SSL *ssl;
    BIO *rbio, *wbio;    /* network side of the TLS engine: bytes in, bytes out */
    buf_t to_client;     /* TLS records waiting for the client socket */
    buf_t to_backend;    /* plaintext waiting for the backend socket */
    int handshaken, client_eof, backend_eof, dead;
};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int buf_add(buf_t *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : IO_CHUNK;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

static void buf_consume(buf_t *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl; (void)arg;
    for (unsigned int i = 0; i < inlen;) {
        unsigned int n = in[i];
        if (i + 1 + n > inlen)
            break;
        if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + n;
    }
    return SSL_TLSEXT_ERR_NOACK; /* no ALPN: the client falls back to HTTP/1.1 */
}

static int connect_backend(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* blocking connect: loopback answers at once */
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblock(fd);
    return fd;
}

static void conn_free(struct conn *c)
{
    if (c->cfd >= 0)
        close(c->cfd);
    if (c->bfd >= 0)
        close(c->bfd);
    SSL_free(c->ssl); /* frees both BIOs */
    free(c->to_client.p);
    free(c->to_backend.p);
    free(c);
}

/* Moves what the TLS engine produced into to_client. */
static void drain_wbio(struct conn *c)
{
    unsigned char tmp[IO_CHUNK];
    int n;
    while ((n = BIO_read(c->wbio, tmp, sizeof tmp)) > 0)
        if (buf_add(&c->to_client, tmp, (size_t)n) != 0)
            c->dead = 1;
}

/* Runs the TLS engine over what the client sent: handshake, then plaintext out. */
static void pump_tls(struct conn *c)
{
    if (!c->handshaken) {
        int r = SSL_do_handshake(c->ssl);
        if (r == 1) {
            c->handshaken = 1;
        } else {
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_READ)
                c->client_eof = 1; /* failed handshake: send the alert, then close */
            ERR_clear_error();
        }
    }
    if (c->handshaken) {
        unsigned char tmp[IO_CHUNK];
        while (c->to_backend.len < BUF_MAX) {
            int n = SSL_read(c->ssl, tmp, sizeof tmp);
            if (n > 0) {
                if (buf_add(&c->to_backend, tmp, (size_t)n) != 0)
                    c->dead = 1;
                continue;
            }
            int e = SSL_get_error(c->ssl, n);
            if (e != SSL_ERROR_WANT_READ)
                c->client_eof = 1; /* close_notify or a TLS error */
            ERR_clear_error();
            break;
        }
    }
    drain_wbio(c);
}

static void on_client_readable(struct conn *c)
{
    unsigned char tmp[IO_CHUNK];
    ssize_t n = read(c->cfd, tmp, sizeof tmp);
    if (n > 0)
        BIO_write(c->rbio, tmp, (int)n);
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        c->client_eof = 1;
    pump_tls(c);
}

static void on_backend_readable(struct conn *c)
{
    unsigned char tmp[IO_CHUNK];
    ssize_t n = read(c->bfd, tmp, sizeof tmp);
    if (n > 0) {
        if (SSL_write(c->ssl, tmp, (int)n) <= 0) { /* memory BIO: only fails on error */
            ERR_clear_error();
            c->dead = 1;
        }
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        c->backend_eof = 1;
        SSL_shutdown(c->ssl); /* close_notify */
        ERR_clear_error();
    }
    drain_wbio(c);
}

static void flush(int fd, buf_t *b, struct conn *c)
{
    while (b->len) {
        ssize_t n = send(fd, b->p, b->len, MSG_NOSIGNAL);
        if (n > 0) {
            buf_consume(b, (size_t)n);
        } else {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            c->dead = 1;
            return;
        }
    }
}

static void usage(void)
{
    fputs("usage: hs_tlsrelay --cert FILE --key FILE --backend PORT [--pidfile FILE] [--parent PID]\n"
          "Prints \"PORT <n>\" once listening.\n", stderr);
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *pidfile = NULL;
    int backend = 0;
    long parent = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--cert") && more) cert = argv[++i];
        else if (!strcmp(a, "--key") && more) key = argv[++i];
        else if (!strcmp(a, "--backend") && more) backend = atoi(argv[++i]);
        else if (!strcmp(a, "--pidfile") && more) pidfile = argv[++i];
        else if (!strcmp(a, "--parent") && more) parent = atol(argv[++i]);
        else { usage(); return 2; }
    }
    if (!cert || !key || backend <= 0 || backend > 65535) {
        usage();
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        fprintf(stderr, "hs_tlsrelay: cannot load %s / %s\n", cert, key);
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return 1;
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    socklen_t alen = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (lfd >= 0)
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 128) != 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
        fprintf(stderr, "hs_tlsrelay: cannot listen: %s\n", strerror(errno));
        SSL_CTX_free(ctx);
        return 1;
    }
    set_nonblock(lfd);
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
            fprintf(stderr, "hs_tlsrelay: cannot write %s\n", pidfile);
            SSL_CTX_free(ctx);
            return 1;
        }
    }
    printf("PORT %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct conn **conns = NULL;
    struct pollfd *pfds = NULL;
    size_t nconns = 0, cap = 0, npfds = 0;
    while (!stop_flag) {
        if (parent > 0 && (long)getppid() != parent)
            break; /* our parent died: do not outlive the test run */
        if (1 + 2 * nconns > npfds) {
            struct pollfd *np = realloc(pfds, (1 + 2 * cap) * sizeof *pfds);
            if (!np) {
                fputs("hs_tlsrelay: out of memory\n", stderr);
                break;
            }
            pfds = np;
            npfds = 1 + 2 * cap;
        }
        pfds[0].fd = lfd;
        pfds[0].events = POLLIN;
        pfds[0].revents = 0;
        for (size_t i = 0; i < nconns; i++) {
            struct conn *c = conns[i];
            struct pollfd *pc = &pfds[1 + 2 * i], *pb = &pfds[2 + 2 * i];
            pc->fd = c->cfd;
            pc->events = (short)((!c->client_eof && c->to_backend.len < BUF_MAX ? POLLIN : 0) |
                                 (c->to_client.len ? POLLOUT : 0));
            pb->fd = c->bfd;
            pb->events = (short)((!c->backend_eof && c->to_client.len < BUF_MAX ? POLLIN : 0) |
                                 (c->to_backend.len ? POLLOUT : 0));
            pc->revents = pb->revents = 0;
        }
        if (poll(pfds, 1 + 2 * nconns, parent > 0 ? TICK_MS : -1) < 0 && errno != EINTR)
            break;
        for (size_t i = 0; i < nconns; i++) {
            struct conn *c = conns[i];
            short rc = pfds[1 + 2 * i].revents, rb = pfds[2 + 2 * i].revents;
            if (!c->client_eof && (rc & (POLLIN | POLLHUP | POLLERR)))
                on_client_readable(c);
            if (!c->backend_eof && (rb & (POLLIN | POLLHUP | POLLERR)))
                on_backend_readable(c);
            flush(c->bfd, &c->to_backend, c);
            flush(c->cfd, &c->to_client, c);
            /* Done when one side has closed and what it sent has been passed on. */
            if ((c->client_eof && !c->to_backend.len && !c->to_client.len) ||
                (c->backend_eof && !c->to_client.len))
                c->dead = 1;
        }
        if (pfds[0].revents & POLLIN) {
            int cfd;
            while ((cfd = accept(lfd, NULL, NULL)) >= 0) {
                if (nconns == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    struct conn **nc = realloc(conns, ncap * sizeof *conns);
                    if (!nc) {
                        close(cfd);
                        break;
                    }
                    conns = nc;
                    cap = ncap;
                }
                struct conn *c = calloc(1, sizeof *c);
                SSL *ssl = c ? SSL_new(ctx) : NULL;
                BIO *rb = ssl ? BIO_new(BIO_s_mem()) : NULL, *wb = rb ? BIO_new(BIO_s_mem()) : NULL;
                int bfd = wb ? connect_backend(backend) : -1;
                if (bfd < 0) { /* no backend: drop the client */
                    BIO_free(rb);
                    BIO_free(wb);
                    SSL_free(ssl);
                    free(c);
                    close(cfd);
                    continue;
                }
                setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                set_nonblock(cfd);
                SSL_set_bio(ssl, rb, wb);
                SSL_set_accept_state(ssl);
                c->cfd = cfd;
                c->bfd = bfd;
                c->ssl = ssl;
                c->rbio = rb;
                c->wbio = wb;
                conns[nconns++] = c;
            }
        }
        size_t w = 0;
        for (size_t i = 0; i < nconns; i++) {
            if (conns[i]->dead)
                conn_free(conns[i]);
            else
                conns[w++] = conns[i];
        }
        nconns = w;
    }
    for (size_t i = 0; i < nconns; i++)
        conn_free(conns[i]);
    free(conns);
    free(pfds);
    close(lfd);
    SSL_CTX_free(ctx);
    if (pidfile)
        unlink(pidfile);
    return 0;
}
