/* diag.c - the program name and the shape of every diagnostic. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

static const char *progname = "iforest-tools";

void
diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash != NULL ? slash + 1 : argv0;
}

const char *
diag_prog(void)
{
	return progname;
}

const char *
diag_name(const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return "<stdin>";
	return path;
}

void
diag_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
diag_sys(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
}

void
diag_at(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:", progname, diag_name(file));
	if (line > 0)
		fprintf(stderr, "%ld:", line);
	fputc(' ', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
diag_err(const char *file, const struct err *e)
{
	if (file == NULL && e->line == 0) {
		diag_warn("%s", e->msg);
		return;
	}
	fprintf(stderr, "%s: %s:", progname, diag_name(file));
	if (e->line > 0)
		fprintf(stderr, "%ld:", e->line);
	if (e->line > 0 && e->col > 0)
		fprintf(stderr, "%ld:", e->col);
	fprintf(stderr, " %s\n", e->msg);
}

void
diag_version(void)
{
	printf("%s %s\n", progname, VERSION);
}

int
diag_usage(const char *usage)
{
	fputs(usage, stderr);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    progname);
	return EXIT_USAGE;
}

int
diag_help(const char *usage, const char *help)
{
	fputs(usage, stdout);
	fputs(help, stdout);
	return diag_close_stdout();
}

int
diag_operand(int argc, char *argv[], int optind, const char *usage,
    const char **input)
{
	if (argc - optind > 1) {
		diag_warn("extra operand \"%s\": one input file at most",
		    argv[optind + 1]);
		return diag_usage(usage);
	}
	*input = optind < argc ? argv[optind] : NULL;
	return -1;
}

int
diag_open_input(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(path, O_RDONLY)) == -1)
		diag_sys("%s: cannot open", path);
	return fd;
}

void
diag_close_input(int fd)
{
	if (fd != STDIN_FILENO)
		close(fd);
}

int
diag_close_stdout(void)
{
	/*
	 * A write error may have been seen by an earlier buffered write or
	 * only now by the final flush; fclose reports both.
	 */
	int failed = ferror(stdout);

	if (fclose(stdout) != 0 || failed) {
		if (errno == 0)
			errno = EIO;
		diag_sys("write error");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
