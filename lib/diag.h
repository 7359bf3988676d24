/*
 * diag.h - diagnostics for the programs in cmd/.
 *
 * Every message goes to standard error as
 *
 *	PROGRAM: message
 *	PROGRAM: FILE:LINE: message
 *	PROGRAM: FILE:LINE:COLUMN: message
 *
 * with standard input named "<stdin>".  This is the one part of lib/ that
 * prints; it never exits, so the program still chooses its exit status.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stdio.h>

#include "err.h"

#ifndef VERSION
#define VERSION "0.2.0"
#endif

/* Exit statuses shared by every program (alert-mail has its own 1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2
};

/* Remember the program name: the last component of ARGV0. */
void	 diag_init(const char *argv0);
const char *diag_prog(void);

/* "PROGRAM: message". */
void	 diag_warn(const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 1, 2)))
#endif
	    ;

/* "PROGRAM: message: strerror(errno)". */
void	 diag_sys(const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 1, 2)))
#endif
	    ;

/* "PROGRAM: FILE:LINE: message" (LINE left out when 0). */
void	 diag_at(const char *file, long line, const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 3, 4)))
#endif
	    ;

/* Report E, read from FILE (NULL when not tied to a file). */
void	 diag_err(const char *file, const struct err *e);

/* The name to show for a file operand: "<stdin>" for NULL or "-". */
const char *diag_name(const char *path);

/*
 * Do the option argument ARG (NULL when the option is not given) and the
 * file operand INPUT both name standard input?  ARG does as "-", INPUT
 * also when NULL (absent).  Standard input can be read only once.
 */
int	 diag_stdin_twice(const char *arg, const char *input);

/* The plural ending for a count of N in a message: "" for 1, else "s". */
const char *diag_plural(unsigned long long n);

/*
 * Print "PROGRAM VERSION" on standard output for --version.  Returns the
 * exit status: EXIT_OK, or EXIT_FAIL when it could not be written.
 */
int	 diag_version(void);

/*
 * Print USAGE (one or more "usage: ..." lines) and a hint to try --help
 * on standard error.  Returns EXIT_USAGE for the caller to exit with.
 */
int	 diag_usage(const char *usage);

/*
 * Print USAGE and HELP on standard output for --help.  Returns the exit
 * status: EXIT_OK, or EXIT_FAIL when the help could not be written.
 */
int	 diag_help(const char *usage, const char *help);

/*
 * Take the one optional file operand left after the options, ARGV[OPTIND]
 * if any, into *INPUT (NULL when there is none).  More than one is a usage
 * error: returns EXIT_USAGE after saying so; otherwise -1.
 */
int	 diag_operand(int argc, char *argv[], int optind, const char *usage,
	    const char **input);

/*
 * Open the input file PATH for reading: standard input for NULL or "-".
 * Returns the descriptor, or -1 after printing why it cannot be opened.
 * diag_close_input closes it unless it is standard input.
 */
int	 diag_open_input(const char *path);
void	 diag_close_input(int fd);

/*
 * Flush and close standard output and report a write error such as a full
 * disk or a closed pipe.  Returns 0 when everything written arrived, or
 * EXIT_FAIL.
 */
int	 diag_close_stdout(void);

#endif
