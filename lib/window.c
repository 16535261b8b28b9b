/*
 * window.c: when windows are due, by Spark's rules for windowed DStreams.
 */

#include <errno.h>
#include <stdio.h>

#include "ds.h"

/*
 * zero until the clock is known; not -1, which is the zero of a first
 * batch at time interval - 1 (time 0 at 1 ms).
 */
#define NOZERO	INT64_MIN

static int	check(struct ds_window *);
static void	start(struct ds_window *, int64_t);
static void	emit_at(struct ds_window *, int64_t);
static void	emit_due(struct ds_window *, int64_t, int);

int
ds_window_init(struct ds_window *w, int64_t length, int64_t slide,
    int64_t interval)
{
	w->length = length;
	w->slide = slide;
	w->interval = interval;
	w->zero = NOZERO;
	w->first = w->last = -1;
	w->calendar = 0;
	w->why[0] = '\0';
	return interval != 0 ? check(w) : 0;
}

int
ds_window_init_calendar(struct ds_window *w, int64_t length, int64_t slide,
    int64_t interval)
{
	(void)ds_window_init(w, length, slide != 0 ? slide : length, 0);
	w->interval = interval;
	w->calendar = 1;
	if (ds_calendar_ok(w->length) && ds_calendar_ok(w->slide))
		return 0;
	snprintf(w->why, sizeof(w->why), "-a: the window's length and "
	    "slide must be whole days or divide a day");
	errno = EINVAL;
	return -1;
}

static int
check(struct ds_window *w)
{
	/* Calendar windows fall where the calendar says, on any grid. */
	if (w->calendar)
		return 0;
	if (w->slide == 0)
		w->slide = w->interval;
	if (w->length % w->interval != 0)
		snprintf(w->why, sizeof(w->why), "The window duration of "
		    "windowed DStream (%lld ms) must be a multiple of the "
		    "slide duration of parent DStream (%lld ms)",
		    (long long)w->length, (long long)w->interval);
	else if (w->slide % w->interval != 0)
		snprintf(w->why, sizeof(w->why), "The slide duration of "
		    "windowed DStream (%lld ms) must be a multiple of the "
		    "slide duration of parent DStream (%lld ms)",
		    (long long)w->slide, (long long)w->interval);
	else
		return 0;
	errno = EINVAL;
	return -1;
}

static void
start(struct ds_window *w, int64_t t0)
{
	w->zero = t0 - w->interval;
	w->next = w->calendar ? ds_calendar_next(t0 - 1, w->slide) :
	    w->zero + w->slide;
}

/* Emit the window of time t, which starts after w->from. */
static void
emit_at(struct ds_window *w, int64_t t)
{
	w->from = w->calendar ? ds_calendar_back(t, w->length) :
	    t - w->length;
	w->emit(w->arg, t);
}

/* Emit the windows due before t, or up to t when inclusive. */
static void
emit_due(struct ds_window *w, int64_t t, int inclusive)
{
	while (w->next < t || (inclusive && w->next == t)) {
		emit_at(w, w->next);
		w->next = w->calendar ? ds_calendar_next(w->next, w->slide) :
		    w->next + w->slide;
	}
}

int
ds_window_batch(struct ds_window *w, int64_t t)
{
	if (w->zero == NOZERO) {
		if (w->interval == 0 && w->first == -1) {
			/* Learning the interval: the first batch waits. */
			w->first = w->last = t;
			w->push(w->arg, t);
			return 0;
		}
		if (w->first != -1) {
			/* The second batch: the interval is known now. */
			if (w->interval == 0)
				w->interval = t - w->first;
			if (check(w) == -1)
				return -1;
			start(w, w->first);
			emit_due(w, w->first, 1);
		} else
			start(w, t);
	}
	if ((t - w->zero) % w->interval != 0) {
		snprintf(w->why, sizeof(w->why), "batch time %lld is not on "
		    "the grid of the %lld ms interval", (long long)t,
		    (long long)w->interval);
		errno = EDOM;
		return -1;
	}
	emit_due(w, t, 0);
	w->push(w->arg, t);
	w->last = t;
	emit_due(w, t, 1);
	return 0;
}

int64_t
ds_window_unclosed(struct ds_window *w, int64_t t)
{
	int64_t a, b, r;

	/*
	 * Not the clock's time: after a replay, the gap up to now would be
	 * empty windows by the billion, or t would be off the grid.
	 */
	if (w->zero != NOZERO)
		return w->last + w->interval;
	if (w->first == -1)
		return t;
	/*
	 * One batch before it, and no interval to learn from: take the
	 * largest that the window's durations allow.
	 */
	for (a = w->length, b = w->slide; b != 0; a = b, b = r)
		r = a % b;
	w->interval = a;
	return w->first + w->interval;
}

void
ds_window_end(struct ds_window *w)
{
	/*
	 * A lone batch never taught us the interval: it is its own window,
	 * or the calendar's that holds it.
	 */
	if (w->zero == NOZERO && w->first != -1)
		emit_at(w, w->calendar ?
		    ds_calendar_next(w->first - 1, w->slide) : w->first);
}
