/*
 * unit.h - the few checks the unit tests need.
 *
 * CHECK(cond) records a failure with the file and line and goes on, so one
 * run shows every broken case.  A test program ends with
 * `return unit_done();`, which prints "N passed, N failed" for the program
 * and returns non-zero if anything failed.
 */
#ifndef UNIT_H
#define UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) unit_check((cond) != 0, __FILE__, __LINE__, #cond)

#define CHECK_STR(got, want) unit_check_str((got), (want), \
	    __FILE__, __LINE__)

#define CHECK_NEAR(got, want, tol) unit_check_near((got), (want), (tol), \
	    __FILE__, __LINE__)

static inline void
unit_check(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		unit_pass++;
		return;
	}
	unit_fail++;
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

static inline void
unit_check_str(const char *got, const char *want, const char *file,
    int line)
{
	if (got != NULL && want != NULL && strcmp(got, want) == 0) {
		unit_pass++;
		return;
	}
	if (got == NULL && want == NULL) {
		unit_pass++;
		return;
	}
	unit_fail++;
	fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", file, line,
	    got ? got : "(null)", want ? want : "(null)");
}

static inline void
unit_check_near(double got, double want, double tol, const char *file,
    int line)
{
	if (fabs(got - want) <= tol) {
		unit_pass++;
		return;
	}
	unit_fail++;
	fprintf(stderr, "%s:%d: got %.17g, want %.17g (within %g)\n", file,
	    line, got, want, tol);
}

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail != 0;
}

#endif
