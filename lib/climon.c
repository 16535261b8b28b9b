/*
 * climon.c: main()'s conveniences for the listeners of the metrics
 * (ds-ui, ds-top), apart from cli.c so that only they link monitor.c.
 * These exit 1, with err(3).
 */

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int
ds_mon_path_or_die(char *path, size_t size)
{
	const char *env;

	env = getenv("DS_METRICS");
	if (env != NULL && strcmp(env, "off") == 0)
		errx(1, "DS_METRICS=off: no reports to listen for");
	if (env != NULL && *env != '\0') {
		if (strlcpy(path, env, size) >= size)
			errx(1, "DS_METRICS: path too long");
		return 0;
	}
	if (ds_metrics_default(path, size) == -1)
		err(1, "the default metrics socket");
	return 1;
}

void
ds_mon_open_or_die(struct ds_mon *mon, const char *path, int isdefault)
{
	if (ds_mon_open(mon, path, isdefault) == -1) {
		if (errno == EADDRINUSE)
			errx(1, "%s: another listener has it (ds-ui or "
			    "ds-top?)", path);
		err(1, "%s", path);
	}
}
