/* placement.c - which cores each of a node's ranks gets, and Open MPI's --report-bindings line. */
#define _GNU_SOURCE
#include "cmpi/placement.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One socket's allowed cores, as indexes into layout.cores, in logical order. */
struct socket {
	hwloc_obj_t obj; /* a package, or the root when the machine counts as one socket */
	long *cores;
	long ncores;
};

/* The node as placement sees it: its allowed cores in logical order, grouped by socket.
 * Sockets without an allowed core are left out, so that round robin by socket never
 * lands a rank where it cannot run. */
struct layout {
	hwloc_const_bitmap_t allowed;
	hwloc_obj_t *cores; /* Core objects, or PUs when the topology has no cores */
	long *core_socket;  /* index into sockets, per core */
	long ncores;
	struct socket *sockets;
	long nsockets;
	long *socket_cores; /* storage behind sockets[].cores */
};

static void layout_free(struct layout *l)
{
	free(l->cores);
	free(l->core_socket);
	free(l->sockets);
	free(l->socket_cores);
}

static long at_least_one(int n)
{
	return n > 0 ? n : 1;
}

/* A machine without packages, or with a core outside every package, is one socket. */
static void layout_one_socket(hwloc_topology_t topo, struct layout *l)
{
	struct socket *s = &l->sockets[0];
	s->obj = hwloc_get_root_obj(topo);
	s->cores = l->socket_cores;
	s->ncores = l->ncores;
	for (long i = 0; i < l->ncores; i++) {
		s->cores[i] = i;
		l->core_socket[i] = 0;
	}
	l->nsockets = 1;
}

static void layout_packages(hwloc_topology_t topo, struct layout *l, int npkg)
{
	long used = 0;
	for (int p = 0; p < npkg; p++) {
		hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, (unsigned)p);
		struct socket *s = &l->sockets[l->nsockets];
		s->obj = pkg;
		s->cores = l->socket_cores + used;
		s->ncores = 0;
		for (long i = 0; i < l->ncores; i++) {
			if (hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, l->cores[i]) !=
			    pkg)
				continue;
			s->cores[s->ncores++] = i;
			l->core_socket[i] = l->nsockets;
		}
		if (s->ncores > 0) {
			used += s->ncores;
			l->nsockets++;
		}
	}
}

static int layout_build(hwloc_topology_t topo, struct layout *l)
{
	hwloc_obj_type_t type = HWLOC_OBJ_CORE;
	int n, npkg;
	bool one = false;

	memset(l, 0, sizeof *l);
	l->allowed = hwloc_topology_get_allowed_cpuset(topo);
	/* Some VMs and synthetic topologies have PUs only: each PU is then a core. */
	if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) <= 0)
		type = HWLOC_OBJ_PU;
	n = hwloc_get_nbobjs_by_type(topo, type);
	npkg = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	l->cores = calloc((size_t)at_least_one(n), sizeof *l->cores);
	l->core_socket = calloc((size_t)at_least_one(n), sizeof *l->core_socket);
	l->socket_cores = calloc((size_t)at_least_one(n), sizeof *l->socket_cores);
	l->sockets = calloc((size_t)at_least_one(npkg), sizeof *l->sockets);
	if (!l->cores || !l->core_socket || !l->socket_cores || !l->sockets)
		goto error;

	for (int i = 0; i < n; i++) {
		hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, (unsigned)i);
		if (obj && obj->cpuset && hwloc_bitmap_intersects(obj->cpuset, l->allowed))
			l->cores[l->ncores++] = obj;
	}
	one = npkg <= 0;
	for (long i = 0; i < l->ncores && !one; i++)
		if (!hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, l->cores[i]))
			one = true;
	if (one)
		layout_one_socket(topo, l);
	else
		layout_packages(topo, l, npkg);
	return 0;
error:
	layout_free(l);
	return -1;
}

/* The socket's number in messages: the package's logical index, 0 for the whole machine. */
static unsigned socket_number(const struct socket *s)
{
	return s->obj->type == HWLOC_OBJ_PACKAGE ? s->obj->logical_index : 0;
}

const char *cmpi_map_by_name(enum cmpi_map_by m)
{
	static const char *const names[] = {"default", "slot", "node", "core", "socket"};
	return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}

const char *cmpi_bind_to_name(enum cmpi_bind_to b)
{
	static const char *const names[] = {"default", "none", "core", "socket"};
	return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "unknown";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *plural(long n)
{
	return n == 1 ? "" : "s";
}

/* Same hints as Open MPI's "more processes than cores" error. */
#define OVERLOAD_HINT "(--bind-to %s:overload-allowed, or --oversubscribe without --bind-to)"

/* Counts the cores the slots 0..total-1 need and refuses when the node lacks them. */
static int check_capacity(const struct layout *l, const struct cmpi_placement_request *req,
			  long total, char *err, size_t errlen)
{
	const char *bind = cmpi_bind_to_name(req->bind_to);
	char others[64] = "";

	if (l->ncores == 0) {
		seterr(err, errlen, "cannot bind ranks: this node has no allowed cores");
		return -1;
	}
	if (req->overload)
		return 0;
	if (req->first_slot > 0)
		snprintf(others, sizeof others, " (%ld of them by other agents on this machine)",
			 req->first_slot);
	if (req->map_by != CMPI_MAP_SOCKET) {
		if (total * req->pe <= l->ncores)
			return 0;
		seterr(err, errlen,
		       "binding %ld ranks%s with %ld core%s each needs %ld cores; this node has "
		       "%ld " OVERLOAD_HINT,
		       total, others, req->pe, plural(req->pe), total * req->pe, l->ncores, bind);
		return -1;
	}
	for (long s = 0; s < l->nsockets; s++) {
		/* Round robin: socket s gets slots s, s + nsockets, ... below total. */
		long slots = total / l->nsockets + (s < total % l->nsockets);
		if (slots * req->pe <= l->sockets[s].ncores)
			continue;
		seterr(err, errlen,
		       "binding %ld ranks%s by socket with %ld core%s each needs %ld cores on "
		       "socket %u; it has %ld " OVERLOAD_HINT,
		       total, others, req->pe, plural(req->pe), slots * req->pe,
		       socket_number(&l->sockets[s]), l->sockets[s].ncores, bind);
		return -1;
	}
	return 0;
}

/* The j-th core of a slot; past the end (overload) it wraps around. */
static long slot_core(const struct layout *l, const struct cmpi_placement_request *req, long slot,
		      long j)
{
	if (req->map_by == CMPI_MAP_SOCKET) {
		const struct socket *s = &l->sockets[slot % l->nsockets];
		long k = slot / l->nsockets;
		return s->cores[(k * req->pe + j) % s->ncores];
	}
	return (slot * req->pe + j) % l->ncores;
}

static hwloc_bitmap_t slot_cpuset(const struct layout *l, const struct cmpi_placement_request *req,
				  long slot)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int rc = 0;
	if (!set)
		return NULL;
	for (long j = 0; j < req->pe && rc == 0; j++) {
		long c = slot_core(l, req, slot, j);
		hwloc_const_bitmap_t add = l->cores[c]->cpuset;
		if (req->bind_to == CMPI_BIND_SOCKET)
			add = l->sockets[l->core_socket[c]].obj->cpuset;
		rc = hwloc_bitmap_or(set, set, add);
	}
	/* Objects may still hold disallowed PUs (HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED). */
	if (rc == 0)
		rc = hwloc_bitmap_and(set, set, l->allowed);
	if (rc != 0) {
		hwloc_bitmap_free(set);
		return NULL;
	}
	return set;
}

static int check_request(const struct cmpi_placement_request *req, long *total, char *err,
			 size_t errlen)
{
	long cores;
	if ((unsigned)req->map_by > CMPI_MAP_SOCKET || (unsigned)req->bind_to > CMPI_BIND_SOCKET) {
		seterr(err, errlen, "unknown --map-by (%d) or --bind-to (%d)", (int)req->map_by,
		       (int)req->bind_to);
		return -1;
	}
	if (req->pe < 1) {
		seterr(err, errlen, "pe=%ld: each rank needs at least 1 core", req->pe);
		return -1;
	}
	if (req->nranks < 0 || req->first_slot < 0) {
		seterr(err, errlen, "bad rank counts: %ld ranks after %ld others", req->nranks,
		       req->first_slot);
		return -1;
	}
	if (__builtin_add_overflow(req->first_slot, req->nranks, total) ||
	    __builtin_mul_overflow(*total, req->pe, &cores)) {
		seterr(err, errlen, "%ld ranks after %ld others with %ld cores each is too many",
		       req->nranks, req->first_slot, req->pe);
		return -1;
	}
	return 0;
}

int cmpi_placement_compute(hwloc_topology_t topo, const struct cmpi_placement_request *req,
			   hwloc_bitmap_t **cpusets, char *err, size_t errlen)
{
	struct layout l;
	hwloc_bitmap_t *sets;
	long total;

	*cpusets = NULL;
	if (check_request(req, &total, err, errlen) < 0)
		return -1;
	/* Never NULL on success, even for 0 ranks, so callers need not special-case it. */
	sets = calloc((size_t)(req->nranks > 0 ? req->nranks : 1), sizeof *sets);
	if (!sets) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	/* Nothing is checked without binding, nor for an agent with no ranks here. */
	if (req->bind_to == CMPI_BIND_NONE || req->nranks == 0) {
		*cpusets = sets;
		return 0;
	}
	if (layout_build(topo, &l) < 0) {
		free(sets);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	struct cmpi_placement_request chosen = *req;
	if (req->bind_to == CMPI_BIND_DEFAULT) {
		/* Open MPI's default, and like it no binding when oversubscribed. */
		chosen.bind_to = req->job_size <= 2 ? CMPI_BIND_CORE : CMPI_BIND_SOCKET;
		chosen.overload = false;
		if (check_capacity(&l, &chosen, total, NULL, 0) < 0) {
			layout_free(&l);
			*cpusets = sets;
			return 0;
		}
	}
	req = &chosen;
	if (check_capacity(&l, req, total, err, errlen) < 0)
		goto error;
	for (long r = 0; r < req->nranks; r++) {
		sets[r] = slot_cpuset(&l, req, req->first_slot + r);
		if (!sets[r]) {
			seterr(err, errlen, "out of memory");
			goto error;
		}
	}
	layout_free(&l);
	*cpusets = sets;
	return 0;
error:
	layout_free(&l);
	cmpi_placement_free(sets, req->nranks);
	return -1;
}

void cmpi_placement_free(hwloc_bitmap_t *cpusets, long nranks)
{
	if (!cpusets)
		return;
	for (long r = 0; r < nranks; r++)
		hwloc_bitmap_free(cpusets[r]);
	free(cpusets);
}

/* The bound PUs of a core, numbered inside the core as Open MPI's "hwt" does. */
static int describe_hwts(FILE *f, hwloc_topology_t topo, hwloc_obj_t core,
			 hwloc_const_bitmap_t bound)
{
	hwloc_bitmap_t hwts = hwloc_bitmap_alloc();
	hwloc_obj_t pu = NULL;
	char *list = NULL;
	unsigned k = 0;

	if (!hwts)
		return -1;
	if (core->type == HWLOC_OBJ_PU) {
		hwloc_bitmap_set(hwts, 0);
	} else {
		while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(topo, core->cpuset,
								      HWLOC_OBJ_PU, pu))) {
			if (hwloc_bitmap_isset(bound, pu->os_index))
				hwloc_bitmap_set(hwts, k);
			k++;
		}
	}
	if (hwloc_bitmap_list_asprintf(&list, hwts) < 0) {
		hwloc_bitmap_free(hwts);
		return -1;
	}
	fprintf(f, "hwt %s", list);
	free(list);
	hwloc_bitmap_free(hwts);
	return 0;
}

/* "socket 0[core 1[hwt 0]], ...: [./B][./.]"; bound is the set restricted to allowed PUs. */
static int describe_bound(FILE *f, hwloc_topology_t topo, const struct layout *l,
			  hwloc_const_bitmap_t bound)
{
	const char *sep = "";
	for (long s = 0; s < l->nsockets; s++) {
		for (long i = 0; i < l->sockets[s].ncores; i++) {
			hwloc_obj_t core = l->cores[l->sockets[s].cores[i]];
			if (!hwloc_bitmap_intersects(core->cpuset, bound))
				continue;
			fprintf(f, "%ssocket %u[core %u[", sep, socket_number(&l->sockets[s]),
				core->logical_index);
			if (describe_hwts(f, topo, core, bound) < 0)
				return -1;
			fputs("]]", f);
			sep = ", ";
		}
	}
	fputs(":", f);
	for (long s = 0; s < l->nsockets; s++) {
		fputs(s == 0 ? " [" : "[", f);
		for (long i = 0; i < l->sockets[s].ncores; i++) {
			hwloc_obj_t core = l->cores[l->sockets[s].cores[i]];
			if (i > 0)
				fputc('/', f);
			fputc(hwloc_bitmap_intersects(core->cpuset, bound) ? 'B' : '.', f);
		}
		fputc(']', f);
	}
	return 0;
}

char *cmpi_placement_describe(hwloc_topology_t topo, long rank, hwloc_const_bitmap_t cpuset)
{
	struct layout l;
	hwloc_bitmap_t bound = hwloc_bitmap_alloc();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc = -1;

	if (!bound || layout_build(topo, &l) < 0) {
		hwloc_bitmap_free(bound);
		return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		goto out;
	if (cpuset && hwloc_bitmap_and(bound, cpuset, l.allowed) < 0)
		goto out;
	/* An empty set would bind to nothing: the kernel refuses it, so the rank was not bound.
	 * A set outside every allowed core is reported as PUs, since it fits no core. */
	if (!cpuset || hwloc_bitmap_iszero(cpuset) || hwloc_bitmap_isincluded(l.allowed, cpuset)) {
		fprintf(f, "MCW rank %ld is not bound (or bound to all available processors)",
			rank);
		rc = 0;
	} else if (hwloc_bitmap_iszero(bound)) {
		char *list = NULL;
		if (hwloc_bitmap_list_asprintf(&list, cpuset) < 0)
			goto out;
		fprintf(f, "MCW rank %ld bound to PUs %s, outside this node's allowed cores", rank,
			list);
		free(list);
		rc = 0;
	} else {
		fprintf(f, "MCW rank %ld bound to ", rank);
		rc = describe_bound(f, topo, &l, bound);
	}
out:
	if (f && fclose(f) != 0)
		rc = -1;
	layout_free(&l);
	hwloc_bitmap_free(bound);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
