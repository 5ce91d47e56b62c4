/* Runs a command and prints its wall time and peak RSS (wait4's ru_maxrss),
 * the same way for every tool, ours or not (GNU time is not always installed).
 *
 *   hs_bench_measure OUTFILE -- COMMAND ARGS...
 * writes "wall_s=.. maxrss_kb=.. exit=.." to OUTFILE; the command's stdout and
 * stderr pass through. Exits with the command's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--")) {
    fprintf(stderr, "usage: %s OUTFILE -- COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 2; }
  if (pid == 0) {
    execvp(argv[3], argv + 3);
    perror(argv[3]);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
  clock_gettime(CLOCK_MONOTONIC, &b);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE *f = fopen(argv[1], "w");
  if (!f) { perror(argv[1]); return 2; }
  fprintf(f, "wall_s=%.6f maxrss_kb=%ld user_s=%.3f sys_s=%.3f exit=%d\n",
          (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss,
          ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, code);
  fclose(f);
  return code;
}
