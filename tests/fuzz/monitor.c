/*
 * monitor.c: fuzz the listener's side of the metrics: any datagram, then
 * the pipelines, their batches and summaries drawn from what it left.
 */

#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ds_mon mon;
	struct ds_mon_pipe *pipes;
	struct ds_mon_pbatch b[4];
	struct ds_mon_summary s;
	char *d;
	size_t i, n, half = size / 2;

	memset(&mon, 0, sizeof(mon));
	mon.fd = -1;
	mon.ringcap = 4;
	if ((d = malloc(size + 1)) == NULL)
		abort();
	/* Two datagrams, of two processes, so that stages may chain. */
	memcpy(d, data, half);
	d[half] = '\0';
	(void)ds_mon_parse(&mon, d, half, 100, 1);
	memcpy(d, data + half, size - half);
	d[size - half] = '\0';
	(void)ds_mon_parse(&mon, d, size - half, 101, 2);
	n = ds_mon_pipes(&mon, &pipes);
	for (i = 0; i < n; i++) {
		(void)ds_mon_pipe_batches(&pipes[i], b, 4);
		ds_mon_summary(&pipes[i], &s);
	}
	ds_mon_pipes_free(pipes, n);
	ds_mon_close(&mon);
	free(d);
	return 0;
}
