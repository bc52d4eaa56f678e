/* timing.c - see timing.h. */
#include "timing.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

struct rank_times {
	double started, in_mpi, exited; /* ms; < 0: not (yet) */
	long node;
	const char *how; /* NULL until it ended */
	unsigned code;
};

struct timing {
	double origin_ms;
	double phase[TIMING_PHASES]; /* < 0: not reached */
	long nranks, started, in_mpi, exited;
	struct rank_times *ranks;
};

/* Each phase's key in the JSON and its words in the table. */
static const struct {
	const char *key, *text;
} phases[TIMING_PHASES] = {
    [TIMING_SETUP] = {"setup", "setup (plan, engine checks)"},
    [TIMING_AGENTS_STARTED] = {"agents_started", "agents started"},
    [TIMING_AGENTS_CONNECTED] = {"agents_connected", "agents connected"},
    [TIMING_RANKS_STARTED] = {"ranks_started", "ranks forked"},
    [TIMING_RANKS_IN_MPI] = {"ranks_in_mpi", "ranks in MPI_Init"},
    [TIMING_FIRST_FENCE] = {"first_fence", "first fence via launcher"},
    [TIMING_RANKS_EXITED] = {"ranks_exited", "ranks exited"},
    [TIMING_CLEANED_UP] = {"cleaned_up", "cleaned up"},
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct timing *timing_create(long nranks)
{
	struct timing *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ranks = calloc((size_t)nranks, sizeof *t->ranks);
	if (!t->ranks) {
		free(t);
		return NULL;
	}
	t->nranks = nranks;
	t->origin_ms = now_ms();
	for (int p = 0; p < TIMING_PHASES; p++)
		t->phase[p] = -1;
	for (long r = 0; r < nranks; r++)
		t->ranks[r] = (struct rank_times){-1, -1, -1, -1, NULL, 0};
	return t;
}

void timing_free(struct timing *t)
{
	if (!t)
		return;
	free(t->ranks);
	free(t);
}

static double elapsed(const struct timing *t)
{
	return now_ms() - t->origin_ms;
}

void timing_phase(struct timing *t, enum timing_phase p)
{
	if (t && t->phase[p] < 0)
		t->phase[p] = elapsed(t);
}

void timing_ranks_started(struct timing *t, long node, const uint32_t *ranks, long count)
{
	if (!t)
		return;
	for (long i = 0; i < count && ranks[i] < t->nranks; i++) {
		long r = ranks[i];
		t->ranks[r].node = node;
		if (t->ranks[r].started < 0) {
			t->ranks[r].started = elapsed(t);
			t->started++;
		}
	}
	if (t->started == t->nranks)
		timing_phase(t, TIMING_RANKS_STARTED);
}

void timing_rank_in_mpi(struct timing *t, long rank)
{
	if (!t || rank < 0 || rank >= t->nranks || t->ranks[rank].in_mpi >= 0)
		return;
	t->ranks[rank].in_mpi = elapsed(t);
	if (++t->in_mpi == t->nranks)
		timing_phase(t, TIMING_RANKS_IN_MPI);
}

void timing_rank_exited(struct timing *t, long rank, const char *how, unsigned code)
{
	if (!t || rank < 0 || rank >= t->nranks || t->ranks[rank].how)
		return;
	struct rank_times *r = &t->ranks[rank];
	r->exited = elapsed(t);
	r->how = how;
	r->code = code;
	if (++t->exited == t->nranks)
		timing_phase(t, TIMING_RANKS_EXITED);
}

void timing_print(const struct timing *t, FILE *out)
{
	double before = 0;
	fprintf(out, "cmpirun: timing of %ld ranks, ms since start (step since the phase before)\n",
		t->nranks);
	for (int p = 0; p < TIMING_PHASES; p++) {
		if (t->phase[p] < 0) {
			fprintf(out, "cmpirun:   %-28s %10s\n", phases[p].text, "-");
			continue;
		}
		fprintf(out, "cmpirun:   %-28s %10.1f  (+%.1f)\n", phases[p].text, t->phase[p],
			t->phase[p] - before);
		before = t->phase[p];
	}
	fflush(out);
}

/* A time in ms, or null when it was not reached. */
static json_t *ms(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

int timing_write_json(const struct timing *t, const char *path, const char *jobid, long nagents,
		      const char *image, int exit_status)
{
	json_t *phase_times = json_object(), *ranks = json_array();
	for (int p = 0; p < TIMING_PHASES; p++)
		json_object_set_new(phase_times, phases[p].key, ms(t->phase[p]));
	for (long i = 0; i < t->nranks; i++) {
		const struct rank_times *r = &t->ranks[i];
		json_array_append_new(
		    ranks,
		    json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "rank", (json_int_t)i, "node",
			      r->node >= 0 ? json_integer(r->node) : json_null(), "started_ms",
			      ms(r->started), "mpi_init_ms", ms(r->in_mpi), "exited_ms",
			      ms(r->exited), "how", r->how ? json_string(r->how) : json_null(),
			      "code", r->how ? json_integer(r->code) : json_null()));
	}
	json_t *doc = json_pack("{s:s,s:I,s:I,s:o,s:i,s:s,s:o,s:o}", "jobid", jobid, "ranks",
				(json_int_t)t->nranks, "agents", (json_int_t)nagents, "image",
				image ? json_string(image) : json_null(), "exit_status",
				exit_status, "time_unit", "ms since cmpirun began the job",
				"phases", phase_times, "per_rank", ranks);
	errno = 0;
	int rc = doc ? json_dump_file(doc, path, JSON_INDENT(1)) : -1;
	if (rc < 0 && errno == 0)
		errno = EIO; /* jansson's own failure, not the file system's */
	json_decref(doc);
	return rc < 0 ? -1 : 0;
}
