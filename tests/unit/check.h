/*
 * check.h: the unit tests' whole framework: each CHECK prints a TAP line,
 * and done() turns the failures into the exit status.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int	check_n, check_failed;

#define CHECK(cond) do {						\
	check_n++;							\
	if (cond)							\
		printf("ok %d - %s:%d: %s\n", check_n, __FILE__,	\
		    __LINE__, #cond);					\
	else {								\
		check_failed++;						\
		printf("not ok %d - %s:%d: %s\n", check_n, __FILE__,	\
		    __LINE__, #cond);					\
	}								\
} while (0)

static int
done(void)
{
	printf("1..%d\n", check_n);
	return check_failed != 0;
}

#endif /* CHECK_H */
