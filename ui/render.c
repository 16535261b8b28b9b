/*
 * render.c: ds-ui's answers, from the monitor's state: Spark's REST API
 * for streaming as JSON, the Prometheus text exposition, the pages.
 */

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ds.h"
#include "ui.h"

/* Batches a page shows and sends with each update. */
#define PAGE_BATCHES	100

static struct ds_mon_pipe *pipes;
static size_t npipe;

static struct ds_mon_pipe *find_pipe(struct ds_mon *, const char *);
static void	refresh(struct ds_mon *);
static json_t	*gmt(int64_t);
static json_t	*application(const struct ds_mon_pipe *);
static json_t	*statistics(const struct ds_mon_pipe *);
static json_t	*batch(const struct ds_mon_pipe *, const struct ds_mon_pbatch *,
		    int64_t);
static json_t	*stages(const struct ds_mon_pipe *);
static char	*name_of(const struct ds_mon_pipe *);
static char	*dump(json_t *);
static int	html(struct ds_buf *, const char *);

static void
refresh(struct ds_mon *mon)
{
	ds_mon_pipes_free(pipes, npipe);
	npipe = ds_mon_pipes(mon, &pipes);
}

static struct ds_mon_pipe *
find_pipe(struct ds_mon *mon, const char *id)
{
	size_t i;

	refresh(mon);
	for (i = 0; i < npipe; i++)
		if (strcmp(pipes[i].id, id) == 0)
			return &pipes[i];
	return NULL;
}

/* A time as Spark's API writes it: 2026-12-06T21:00:00.000GMT. */
static json_t *
gmt(int64_t ms)
{
	char s[64];
	struct tm tm;
	time_t t = ms / 1000;

	if (gmtime_r(&t, &tm) == NULL)
		return json_null();
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d.%03dGMT",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(s);
}

/* The command line of the whole pipeline. */
static char *
name_of(const struct ds_mon_pipe *p)
{
	struct ds_buf b = { NULL, 0, 0 };
	size_t i;
	const char *c;

	for (i = 0; i < p->n; i++) {
		c = p->stage[i]->cmd != NULL ? p->stage[i]->cmd :
		    p->stage[i]->prog;
		if ((i > 0 && ds_buf_append(&b, " | ", 3) == -1) ||
		    ds_buf_append(&b, c, strlen(c)) == -1) {
			ds_buf_free(&b);
			return NULL;
		}
	}
	if (ds_buf_append(&b, "", 1) == -1) {
		ds_buf_free(&b);
		return NULL;
	}
	return b.data;
}

static json_t *
application(const struct ds_mon_pipe *p)
{
	struct passwd *pw = getpwuid(getuid());
	json_t *app, *att;
	char *name = name_of(p);
	int64_t end = p->end > p->start ? p->end : p->start;

	att = json_pack("{s:o, s:o, s:o, s:I, s:s, s:b, s:s, s:I, s:I, s:I}",
	    "startTime", gmt(p->start),
	    "endTime", p->ended ? gmt(end) : gmt(-1),
	    "lastUpdated", gmt(end),
	    "duration", (json_int_t)(end - p->start),
	    "sparkUser", pw != NULL ? pw->pw_name : "",
	    "completed", p->ended,
	    "appSparkVersion", "ds",
	    "startTimeEpoch", (json_int_t)p->start,
	    "endTimeEpoch", (json_int_t)(p->ended ? end : -1),
	    "lastUpdatedEpoch", (json_int_t)end);
	app = json_pack("{s:s, s:s, s:[o]}", "id", p->id,
	    "name", name != NULL ? name : "", "attempts", att);
	free(name);
	return app;
}

static json_t *
statistics(const struct ds_mon_pipe *p)
{
	struct ds_mon_summary s;

	ds_mon_summary(p, &s);
	return json_pack("{s:o, s:I, s:i, s:i, s:i, s:I, s:I, s:i, s:I, s:I,"
	    " s:f, s:I, s:I, s:I}",
	    "startTime", gmt(p->start),
	    "batchDuration", (json_int_t)s.interval,
	    "numReceivers", 1,
	    "numActiveReceivers", !p->ended,
	    "numInactiveReceivers", p->ended,
	    "numTotalCompletedBatches", (json_int_t)s.batches,
	    "numRetainedCompletedBatches", (json_int_t)s.retained,
	    "numActiveBatches", 0,
	    "numProcessedRecords", (json_int_t)s.records,
	    "numReceivedRecords", (json_int_t)s.records,
	    "avgInputRate", s.rate,
	    "avgSchedulingDelay", (json_int_t)s.sched,
	    "avgProcessingTime", (json_int_t)s.proc,
	    "avgTotalDelay", (json_int_t)s.total);
}

static json_t *
batch(const struct ds_mon_pipe *p, const struct ds_mon_pbatch *b,
    int64_t interval)
{
	(void)p;
	return json_pack("{s:I, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:i,"
	    " s:i, s:i, s:n}",
	    "batchId", (json_int_t)b->time,
	    "batchTime", gmt(b->time),
	    "status", "COMPLETED",
	    "batchDuration", (json_int_t)interval,
	    "inputSize", (json_int_t)b->records,
	    "schedulingDelay", (json_int_t)b->sched,
	    "processingTime", (json_int_t)b->proc,
	    "totalDelay", (json_int_t)b->total,
	    "numActiveOutputOps", 0,
	    "numCompletedOutputOps", 1,
	    "numFailedOutputOps", 0,
	    "numTotalOutputOps", 1,
	    "firstFailureReason");
}

static json_t *
stages(const struct ds_mon_pipe *p)
{
	const struct ds_mon_stage *st;
	const struct ds_mon_batch *last;
	json_t *a = json_array(), *o;
	size_t i, j;
	int64_t own;

	for (i = 0; i < p->n; i++) {
		st = p->stage[i];
		last = st->nring > 0 ? ds_mon_batch_at(st, st->nring - 1) :
		    NULL;
		/* What the stage adds: from a batch's end read to written. */
		for (own = 0, j = 0; j < st->nring; j++)
			own += ds_mon_batch_at(st, j)->total -
			    ds_mon_batch_at(st, j)->sched;
		if (st->nring > 0)
			own /= (int64_t)st->nring;
		o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:b, s:I, s:I, s:I,"
		    " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I,"
		    " s:I, s:I, s:I}, s:I}",
		    "index", (json_int_t)i,
		    "pid", (json_int_t)st->pid,
		    "pgid", (json_int_t)st->pgid,
		    "program", st->prog,
		    "command", st->cmd != NULL ? st->cmd : st->prog,
		    "running", !st->ended,
		    "batches", (json_int_t)st->batches,
		    "recordsIn", (json_int_t)st->rin,
		    "bytesIn", (json_int_t)st->bin,
		    "recordsOut", (json_int_t)st->rout,
		    "bytesOut", (json_int_t)st->bout,
		    "lastBatchTime", (json_int_t)(last ? last->time : -1),
		    "schedulingDelay", (json_int_t)(last ? last->sched : 0),
		    "processingTime", (json_int_t)(last ? last->proc : 0),
		    "totalDelay", (json_int_t)(last ? last->total : 0),
		    "avgProcessingTime", (json_int_t)(st->histcount > 0 ?
		    st->histsum / (int64_t)st->histcount : 0),
		    "avgOwnDelay", (json_int_t)own,
		    "received",
		    "datagrams", (json_int_t)st->recv[DS_RECV_DATAGRAMS],
		    "connections", (json_int_t)st->recv[DS_RECV_CONNECTIONS],
		    "reconnects", (json_int_t)st->recv[DS_RECV_RECONNECTS],
		    "longLines", (json_int_t)st->recv[DS_RECV_LONG],
		    "lateRecords", (json_int_t)st->recv[DS_RECV_LATE],
		    "lostReports", (json_int_t)st->lost);
		json_array_append_new(a, o);
	}
	return a;
}

static char *
dump(json_t *j)
{
	char *s;

	if (j == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Escaped slashes keep "</script>" out of the page's data. */
	s = json_dumps(j, JSON_COMPACT | JSON_ESCAPE_SLASH);
	json_decref(j);
	if (s == NULL)
		errno = ENOMEM;
	return s;
}

char *
ui_applications(struct ds_mon *mon)
{
	json_t *a = json_array();
	size_t i;

	refresh(mon);
	for (i = 0; i < npipe; i++)
		json_array_append_new(a, application(&pipes[i]));
	return dump(a);
}

/* What fn makes of pipeline id, or NULL when there is none. */
static char *
of_pipe(struct ds_mon *mon, const char *id,
    json_t *(*fn)(const struct ds_mon_pipe *))
{
	struct ds_mon_pipe *p;

	if ((p = find_pipe(mon, id)) == NULL)
		return NULL;
	return dump(fn(p));
}

char *
ui_application(struct ds_mon *mon, const char *id)
{
	return of_pipe(mon, id, application);
}

char *
ui_statistics(struct ds_mon *mon, const char *id)
{
	return of_pipe(mon, id, statistics);
}

/* The pipeline's kept batches, newest first as Spark lists them. */
static json_t *
batch_list(const struct ds_mon_pipe *p, size_t max)
{
	struct ds_mon_pbatch *b;
	struct ds_mon_summary s;
	json_t *a = json_array();
	size_t n, cap = p->n > 0 ? p->stage[p->n - 1]->nring : 0;

	if (cap == 0)
		return a;
	if ((b = reallocarray(NULL, cap, sizeof(*b))) == NULL) {
		json_decref(a);
		return NULL;
	}
	ds_mon_summary(p, &s);
	n = ds_mon_pipe_batches(p, b, max < cap ? max : cap);
	while (n-- > 0)
		json_array_append_new(a, batch(p, &b[n], s.interval));
	free(b);
	return a;
}

char *
ui_batches(struct ds_mon *mon, const char *id, const char *status)
{
	struct ds_mon_pipe *p;

	if ((p = find_pipe(mon, id)) == NULL)
		return NULL;
	if (status != NULL && strcasecmp(status, "COMPLETED") != 0)
		return dump(json_array());
	return dump(batch_list(p, SIZE_MAX));
}

char *
ui_batch(struct ds_mon *mon, const char *id, int64_t t)
{
	struct ds_mon_pipe *p;
	struct ds_mon_pbatch *b;
	struct ds_mon_summary s;
	const struct ds_mon_stage *st;
	const struct ds_mon_batch *sb;
	json_t *o = NULL, *a;
	size_t i, j, n, cap;

	if ((p = find_pipe(mon, id)) == NULL || p->n == 0 ||
	    (cap = p->stage[p->n - 1]->nring) == 0)
		return NULL;
	if ((b = reallocarray(NULL, cap, sizeof(*b))) == NULL)
		return NULL;
	ds_mon_summary(p, &s);
	n = ds_mon_pipe_batches(p, b, cap);
	for (i = 0; i < n && o == NULL; i++)
		if (b[i].time == t)
			o = batch(p, &b[i], s.interval);
	free(b);
	if (o == NULL)
		return NULL;
	/* ds's addition: each stage's own view of the batch. */
	a = json_array();
	for (i = 0; i < p->n; i++) {
		st = p->stage[i];
		for (j = 0; j < st->nring; j++) {
			sb = ds_mon_batch_at(st, j);
			if (sb->time != t)
				continue;
			json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I,"
			    " s:I, s:I, s:I, s:I, s:I}",
			    "program", st->prog, "pid", (json_int_t)st->pid,
			    "recordsIn", (json_int_t)sb->rin,
			    "bytesIn", (json_int_t)sb->bin,
			    "recordsOut", (json_int_t)sb->rout,
			    "bytesOut", (json_int_t)sb->bout,
			    "schedulingDelay", (json_int_t)sb->sched,
			    "processingTime", (json_int_t)sb->proc,
			    "totalDelay", (json_int_t)sb->total));
		}
	}
	json_object_set_new(o, "stages", a);
	return dump(o);
}

static json_t *
pipeline(const struct ds_mon_pipe *p)
{
	return json_pack("{s:o, s:o, s:o, s:o}",
	    "application", application(p),
	    "statistics", statistics(p),
	    "batches", batch_list(p, PAGE_BATCHES),
	    "stages", stages(p));
}

char *
ui_pipeline(struct ds_mon *mon, const char *id)
{
	return of_pipe(mon, id, pipeline);
}

/* A label value of the exposition format: \, " and LF escaped. */
static int
label(struct ds_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((*s == '\\' || *s == '"') && ds_buf_append(b, "\\", 1) == -1)
			return -1;
		if (ds_buf_append(b, *s == '\n' ? "\\n" : s,
		    *s == '\n' ? 2 : 1) == -1)
			return -1;
	}
	return 0;
}

static int
printfb(struct ds_buf *b, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static int
printfb(struct ds_buf *b, const char *fmt, ...)
{
	char s[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s)) {
		errno = EOVERFLOW;
		return -1;
	}
	return ds_buf_append(b, s, n);
}

/* One sample of every stage, for the metric named with its type. */
enum { R_IN, R_OUT, B_IN, B_OUT, BATCHES, SCHED, PROC, TOTAL, NMETRIC };
static const struct {
	const char	*name, *type, *help;
} metric[NMETRIC] = {
	{ "ds_stage_records_in_total", "counter", "Records a stage read." },
	{ "ds_stage_records_out_total", "counter",
	    "Records a stage wrote." },
	{ "ds_stage_bytes_in_total", "counter", "Bytes a stage read." },
	{ "ds_stage_bytes_out_total", "counter", "Bytes a stage wrote." },
	{ "ds_stage_batches_total", "counter", "Batches a stage closed." },
	{ "ds_stage_scheduling_delay_seconds", "gauge",
	    "The last batch's scheduling delay at a stage." },
	{ "ds_stage_processing_time_last_seconds", "gauge",
	    "The last batch's processing time at a stage." },
	{ "ds_stage_total_delay_seconds", "gauge",
	    "The last batch's total delay at a stage." },
};

static int
labels(struct ds_buf *b, const struct ds_mon_pipe *p, size_t i)
{
	return printfb(b, "pipeline=\"%s\",stage=\"%zu\",pid=\"%ld\","
	    "program=\"", p->id, i, (long)p->stage[i]->pid) == -1 ||
	    label(b, p->stage[i]->prog) == -1 ||
	    ds_buf_append(b, "\"", 1) == -1 ? -1 : 0;
}

char *
ui_prometheus(struct ds_mon *mon)
{
	struct ds_buf b = { NULL, 0, 0 };
	const struct ds_mon_stage *st;
	const struct ds_mon_batch *last;
	size_t i, j, k;
	uint64_t cum;
	int mi, bad = 0;
	double v;

	refresh(mon);
	for (mi = 0; mi < NMETRIC; mi++) {
		bad |= printfb(&b, "# HELP %s %s\n# TYPE %s %s\n",
		    metric[mi].name, metric[mi].help, metric[mi].name,
		    metric[mi].type);
		for (i = 0; i < npipe; i++)
			for (j = 0; j < pipes[i].n; j++) {
				st = pipes[i].stage[j];
				last = st->nring > 0 ? ds_mon_batch_at(st,
				    st->nring - 1) : NULL;
				v = mi == R_IN ? st->rin : mi == R_OUT ?
				    st->rout : mi == B_IN ? st->bin :
				    mi == B_OUT ? st->bout : mi == BATCHES ?
				    st->batches : last == NULL ? 0 :
				    (mi == SCHED ? last->sched : mi == PROC ?
				    last->proc : last->total) / 1000.0;
				bad |= printfb(&b, "%s{", metric[mi].name);
				bad |= labels(&b, &pipes[i], j);
				bad |= printfb(&b, "} %.17g\n", v);
			}
	}
	bad |= printfb(&b, "# HELP ds_stage_processing_seconds The processing"
	    " time of a stage's batches.\n"
	    "# TYPE ds_stage_processing_seconds histogram\n");
	for (i = 0; i < npipe; i++)
		for (j = 0; j < pipes[i].n; j++) {
			st = pipes[i].stage[j];
			for (k = cum = 0; k <= DS_MON_NBOUNDS; k++) {
				cum += st->hist[k];
				bad |= printfb(&b,
				    "ds_stage_processing_seconds_bucket{");
				bad |= labels(&b, &pipes[i], j);
				if (k < DS_MON_NBOUNDS)
					bad |= printfb(&b, ",le=\"%g\"} %llu\n",
					    ds_mon_bounds[k] / 1000.0,
					    (unsigned long long)cum);
				else
					bad |= printfb(&b, ",le=\"+Inf\"} %llu\n",
					    (unsigned long long)cum);
			}
			bad |= printfb(&b, "ds_stage_processing_seconds_sum{");
			bad |= labels(&b, &pipes[i], j);
			bad |= printfb(&b, "} %g\n", st->histsum / 1000.0);
			bad |= printfb(&b,
			    "ds_stage_processing_seconds_count{");
			bad |= labels(&b, &pipes[i], j);
			bad |= printfb(&b, "} %llu\n",
			    (unsigned long long)st->histcount);
		}
	bad |= printfb(&b, "# HELP ds_ui_datagrams_total Reports received.\n"
	    "# TYPE ds_ui_datagrams_total counter\n"
	    "ds_ui_datagrams_total %llu\n"
	    "# HELP ds_ui_refused_total Reports refused, from other users.\n"
	    "# TYPE ds_ui_refused_total counter\n"
	    "ds_ui_refused_total %llu\n"
	    "# HELP ds_ui_malformed_total Reports that did not parse.\n"
	    "# TYPE ds_ui_malformed_total counter\n"
	    "ds_ui_malformed_total %llu\n",
	    (unsigned long long)mon->datagrams,
	    (unsigned long long)mon->refused,
	    (unsigned long long)mon->malformed);
	bad |= ds_buf_append(&b, "", 1);
	if (bad) {
		ds_buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.data;
}

/* Append s escaped for HTML text or a quoted attribute. */
static int
html(struct ds_buf *b, const char *s)
{
	const char *r;

	for (; *s != '\0'; s++) {
		r = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ?
		    "&amp;" : *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" :
		    NULL;
		if (ds_buf_append(b, r != NULL ? r : s,
		    r != NULL ? strlen(r) : 1) == -1)
			return -1;
	}
	return 0;
}

char *
ui_index_html(struct ds_mon *mon)
{
	struct ds_buf b = { NULL, 0, 0 };
	struct ds_mon_summary s;
	char *name;
	size_t i;
	int bad = 0;

	refresh(mon);
	bad |= printfb(&b, "<!DOCTYPE html>\n<html><head><meta charset="
	    "\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">"
	    "<title>ds: pipelines</title><style>body{font-family:sans-serif;"
	    "margin:1em 2em}table{border-collapse:collapse}td,th{border:1px "
	    "solid #ccc;padding:4px 8px;text-align:left}code{font-size:"
	    "90%%}</style></head><body><h1>ds: streaming pipelines</h1>\n"
	    "<table id=\"pipelines\"><tr><th>Pipeline</th><th>Status</th>"
	    "<th>Stages</th><th>Batches</th><th>Records</th>"
	    "<th>Command</th></tr>\n");
	for (i = 0; i < npipe; i++) {
		ds_mon_summary(&pipes[i], &s);
		name = name_of(&pipes[i]);
		bad |= printfb(&b, "<tr><td><a href=\"/pipeline/%s\">%s</a>"
		    "</td><td>%s</td><td>%zu</td><td class=\"batches\">%llu"
		    "</td><td>%llu</td><td><code>", pipes[i].id, pipes[i].id,
		    pipes[i].ended ? "ended" : "running", pipes[i].n,
		    (unsigned long long)s.batches,
		    (unsigned long long)s.records);
		bad |= name == NULL || html(&b, name) == -1;
		bad |= printfb(&b, "</code></td></tr>\n");
		free(name);
	}
	bad |= printfb(&b, "</table>\n%s</body></html>\n", npipe == 0 ?
	    "<p id=\"none\">No pipeline has reported yet.</p>" : "");
	bad |= ds_buf_append(&b, "", 1);
	if (bad) {
		ds_buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.data;
}

char *
ui_pipeline_html(struct ds_mon *mon, const char *id)
{
	struct ds_buf b = { NULL, 0, 0 };
	char *data;
	size_t i;
	int bad;

	if ((data = ui_pipeline(mon, id)) == NULL)
		return NULL;
	bad = ds_buf_append(&b, ui_page_head, strlen(ui_page_head)) == -1 ||
	    ds_buf_append(&b, data, strlen(data)) == -1;
	for (i = 0; ui_page_tail[i] != NULL; i++)
		bad |= ds_buf_append(&b, ui_page_tail[i],
		    strlen(ui_page_tail[i])) == -1;
	bad |= ds_buf_append(&b, "", 1) == -1;
	free(data);
	if (bad) {
		ds_buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.data;
}
