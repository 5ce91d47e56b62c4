/* The loopback test server for the C tests: started with popen, its port read from
 * its first line, stopped by its pid. --parent makes it go when the test does, even
 * when the test is killed or crashes. */
#ifndef HS_TEST_SERVER_H
#define HS_TEST_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct test_server { FILE *pipe; char pidfile[64]; int port; } test_server;

/* 0, or -1 (and a message) when the server does not start. */
static int test_server_start(test_server *s) {
  const char *bin = getenv("HS_TESTSERVER");
  if (!bin) bin = "build/spec/hs_testserver";
  snprintf(s->pidfile, sizeof s->pidfile, "/tmp/hs_test_server_XXXXXX");
  int fd = mkstemp(s->pidfile);
  if (fd >= 0) close(fd);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "exec %s --pidfile %s --parent %d", bin, s->pidfile, (int)getpid());
  s->pipe = popen(cmd, "r");
  s->port = 0;
  if (!s->pipe || fscanf(s->pipe, "PORT %d", &s->port) != 1) {
    fprintf(stderr, "no test server\n");
    return -1;
  }
  return 0;
}

static void test_server_stop(test_server *s) {
  FILE *pf = fopen(s->pidfile, "r");
  int pid = 0;
  if (pf && fscanf(pf, "%d", &pid) == 1 && pid > 0) kill(pid, SIGTERM);
  if (pf) fclose(pf);
  pclose(s->pipe);
  unlink(s->pidfile);
}

#endif
