/*
 * ui.h: what ds-ui serves, rendered from the monitor's state: Spark's
 * REST API for streaming (JSON, jansson), the Prometheus exposition, and
 * the pages.  Each returns a string to free(3), or NULL when no such
 * pipeline (or batch) is known, or with errno ENOMEM.
 */
#ifndef UI_H
#define UI_H

#include "ds.h"

char	*ui_applications(struct ds_mon *);
char	*ui_application(struct ds_mon *, const char *id);
char	*ui_statistics(struct ds_mon *, const char *id);
/* status: NULL, or a filter on Spark's batch status (COMPLETED). */
char	*ui_batches(struct ds_mon *, const char *id, const char *status);
char	*ui_batch(struct ds_mon *, const char *id, int64_t time);
/* ds's own: the summary, the last batches and a row per stage. */
char	*ui_pipeline(struct ds_mon *, const char *id);
char	*ui_prometheus(struct ds_mon *);
char	*ui_index_html(struct ds_mon *);
char	*ui_pipeline_html(struct ds_mon *, const char *id);

/* page.c: the pipeline page around its data, and its script. */
extern const char ui_page_head[];
extern const char *const ui_page_tail[];	/* NULL-terminated */

#endif
