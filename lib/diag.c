/* diag.c - the program name and the shape of every diagnostic. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

int
diag_stdin_twice(const char *arg, const char *input)
{
	return arg != NULL && strcmp(arg, "-") == 0 &&
	    (input == NULL || strcmp(input, "-") == 0);
}

/*
 * Write the formatted text to standard error with every control byte shown
 * as '?': a message quotes input (a field, a file name, a key), and input
 * must not be able to move the cursor, retitle the terminal or forge a
 * line of its own.  Bytes of 0x80 and above pass, so UTF-8 text reads as
 * written.
 */
static void
vsay(const char *fmt, va_list ap)
{
	char small[512], *buf = small;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof small &&
	    (buf = malloc((size_t)n + 1)) != NULL)
		vsnprintf(buf, (size_t)n + 1, fmt, ap);
	if (buf == NULL)
		buf = small;
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fputs(buf, stderr);
	if (buf != small)
		free(buf);
}

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* "PROGRAM: FILE:LINE:COL: " with what is known of the place. */
static void
place(const char *file, long line, long col)
{
	say("%s: ", progname);
	if (file == NULL && line == 0)
		return;
	say("%s:", diag_name(file));
	if (line > 0)
		say("%ld:", line);
	if (line > 0 && col > 0)
		say("%ld:", col);
	fputc(' ', stderr);
}

void
diag_warn(const char *fmt, ...)
{
	va_list ap;

	place(NULL, 0, 0);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
diag_sys(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	place(NULL, 0, 0);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	say(": %s", strerror(saved));
	fputc('\n', stderr);
}

void
diag_at(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	place(file == NULL ? "-" : file, line, 0);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
diag_err(const char *file, const struct err *e)
{
	place(file, e->line, e->col);
	say("%s", e->msg);
	fputc('\n', stderr);
}

const char *
diag_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

int
diag_version(void)
{
	printf("%s %s\n", progname, VERSION);
	return diag_close_stdout();
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
	 * only now by the final flush.  A standard output that was closed
	 * before the program started is no error when nothing was written
	 * to it (iforest-train -o FILE >&- wrote its model all the same).
	 */
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (failed || (fclose(stdout) != 0 && errno != EBADF)) {
		if (errno == 0)
			errno = EIO;
		diag_sys("write error");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
