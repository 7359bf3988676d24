/*
 * rss - run a command and report its wall time and peak memory.
 *
 * usage: rss command [argument ...]
 *
 * Runs the command with the same standard input, output and error, waits
 * for it and prints on standard error one line
 *
 *	rss: SECONDS s, MAXRSS KiB
 *
 * with the wall time from start to exit and the peak resident set size
 * the kernel reports for it (ru_maxrss of wait4).  Exits with the
 * command's status, or 128 + the signal that killed it.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct timespec a, b;
	struct rusage ru;
	pid_t pid;
	int status;

	if (argc < 2) {
		fputs("usage: rss command [argument ...]\n", stderr);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == -1) {
		perror("rss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "rss: %s: ", argv[1]);
		perror(NULL);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("rss: wait4");
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "rss: %.3f s, %ld KiB\n", (double)(b.tv_sec -
	    a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
