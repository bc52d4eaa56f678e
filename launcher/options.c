/* options.c - parse cmpirun's command line: Open MPI mpirun's and MPICH mpiexec's options
 * with their meanings (getopt_long_only, so -np, -ppn and -genv work), MPMD sections at ':'. */
#include "options.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmpi/msg.h"
#include "cmpi/util.h"
#include "hostfile.h"

enum {
	OPT_AGENTS = 256,
	OPT_TAG_OUTPUT,
	OPT_TIMEOUT,
	OPT_IMAGE,
	OPT_ENGINE,
	OPT_PULL,
	OPT_LAUNCHER_ADDR,
	OPT_STAGE,
	OPT_CLEANUP,
	OPT_REPORT_TIMING,
	OPT_REPORT_JSON,
	OPT_GENV,
	OPT_ENV,
	OPT_MCA,
	OPT_MAP_BY,
	OPT_BIND_TO,
	OPT_REPORT_BINDINGS,
	OPT_OVERSUBSCRIBE,
	OPT_OUTPUT_FILENAME,
	OPT_WDIR,
	OPT_ALLOW_ROOT,
	OPT_DRY_RUN,
	OPT_PMI_PORT,
	OPT_TREE_FANOUT,
	OPT_NOT_MPIRUN,  /* an mpirun option cmpirun refuses by name */
	OPT_NOT_MPIEXEC, /* the same for mpiexec's */
};

/* glibc's getopt_long_only takes "-x" as the short option when 'x' is in the short
 * optstring, so every single-letter spelling is there; longer single-dash spellings
 * (-np, -ppn, -genv, -wdir, -hosts) are long options. */
static const char short_options[] = "+:n:c:N:H:f:x:lvhV";

/* The refused ones take an optional argument so that "--prefix=/x" and "--prefix /x"
 * both reach the message naming them rather than getopt's own complaint. */
#define REFUSED(name, who) {name, optional_argument, NULL, who}

static const struct option long_options[] = {
	/* Ranks and placement */
	{"n", required_argument, NULL, 'n'},
	{"np", required_argument, NULL, 'n'},
	{"npernode", required_argument, NULL, 'N'},
	{"ppn", required_argument, NULL, 'N'},
	{"map-by", required_argument, NULL, OPT_MAP_BY},
	{"bind-to", required_argument, NULL, OPT_BIND_TO},
	{"report-bindings", no_argument, NULL, OPT_REPORT_BINDINGS},
	{"oversubscribe", no_argument, NULL, OPT_OVERSUBSCRIBE},
	{"agents", required_argument, NULL, OPT_AGENTS},
	/* Hosts */
	{"host", required_argument, NULL, 'H'},
	{"hosts", required_argument, NULL, 'H'},
	{"hostfile", required_argument, NULL, 'f'},
	{"machinefile", required_argument, NULL, 'f'},
	/* Environment and files; the two-value ones take their second value by hand */
	{"genv", required_argument, NULL, OPT_GENV},
	{"env", required_argument, NULL, OPT_ENV},
	{"mca", required_argument, NULL, OPT_MCA},
	{"gmca", required_argument, NULL, OPT_MCA},
	{"wdir", required_argument, NULL, OPT_WDIR},
	/* Output */
	{"tag-output", no_argument, NULL, OPT_TAG_OUTPUT},
	{"label", no_argument, NULL, 'l'},
	{"output-filename", required_argument, NULL, OPT_OUTPUT_FILENAME},
	/* Containers */
	{"image", required_argument, NULL, OPT_IMAGE},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"pull", no_argument, NULL, OPT_PULL},
	{"launcher-addr", required_argument, NULL, OPT_LAUNCHER_ADDR},
	{"stage", required_argument, NULL, OPT_STAGE},
	{"cleanup", no_argument, NULL, OPT_CLEANUP},
	/* Reports and control */
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"report-timing", no_argument, NULL, OPT_REPORT_TIMING},
	{"report-json", required_argument, NULL, OPT_REPORT_JSON},
	{"dry-run", no_argument, NULL, OPT_DRY_RUN},
	{"pmi-port", no_argument, NULL, OPT_PMI_PORT},
	{"tree-fanout", required_argument, NULL, OPT_TREE_FANOUT},
	{"verbose", no_argument, NULL, 'v'},
	/* Other */
	{"allow-run-as-root", no_argument, NULL, OPT_ALLOW_ROOT},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	/* mpirun's options that would change the job in ways cmpirun does not do */
	REFUSED("rankfile", OPT_NOT_MPIRUN),
	REFUSED("rf", OPT_NOT_MPIRUN),
	REFUSED("prefix", OPT_NOT_MPIRUN),
	REFUSED("noprefix", OPT_NOT_MPIRUN),
	REFUSED("launch-agent", OPT_NOT_MPIRUN),
	REFUSED("app", OPT_NOT_MPIRUN),
	REFUSED("am", OPT_NOT_MPIRUN),
	REFUSED("tune", OPT_NOT_MPIRUN),
	REFUSED("prtemca", OPT_NOT_MPIRUN),
	REFUSED("pmixmca", OPT_NOT_MPIRUN),
	REFUSED("display-map", OPT_NOT_MPIRUN),
	REFUSED("display-devel-map", OPT_NOT_MPIRUN),
	REFUSED("display-allocation", OPT_NOT_MPIRUN),
	REFUSED("preload-binary", OPT_NOT_MPIRUN),
	REFUSED("rank-by", OPT_NOT_MPIRUN),
	REFUSED("cpus-per-proc", OPT_NOT_MPIRUN),
	REFUSED("cpus-per-rank", OPT_NOT_MPIRUN),
	REFUSED("npersocket", OPT_NOT_MPIRUN),
	REFUSED("bynode", OPT_NOT_MPIRUN),
	REFUSED("byslot", OPT_NOT_MPIRUN),
	REFUSED("bycore", OPT_NOT_MPIRUN),
	REFUSED("bind-to-core", OPT_NOT_MPIRUN),
	REFUSED("bind-to-socket", OPT_NOT_MPIRUN),
	REFUSED("report-pid", OPT_NOT_MPIRUN),
	REFUSED("report-uri", OPT_NOT_MPIRUN),
	REFUSED("xml", OPT_NOT_MPIRUN),
	REFUSED("debug", OPT_NOT_MPIRUN),
	REFUSED("tv", OPT_NOT_MPIRUN),
	REFUSED("nolocal", OPT_NOT_MPIRUN),
	REFUSED("enable-recovery", OPT_NOT_MPIRUN),
	REFUSED("merge-stderr-to-stdout", OPT_NOT_MPIRUN),
	REFUSED("stdin", OPT_NOT_MPIRUN),
	/* and mpiexec's (Hydra) */
	REFUSED("genvall", OPT_NOT_MPIEXEC),
	REFUSED("genvnone", OPT_NOT_MPIEXEC),
	REFUSED("genvlist", OPT_NOT_MPIEXEC),
	REFUSED("envall", OPT_NOT_MPIEXEC),
	REFUSED("envnone", OPT_NOT_MPIEXEC),
	REFUSED("envlist", OPT_NOT_MPIEXEC),
	REFUSED("iface", OPT_NOT_MPIEXEC),
	REFUSED("launcher", OPT_NOT_MPIEXEC),
	REFUSED("rmk", OPT_NOT_MPIEXEC),
	REFUSED("demux", OPT_NOT_MPIEXEC),
	REFUSED("outfile-pattern", OPT_NOT_MPIEXEC),
	REFUSED("errfile-pattern", OPT_NOT_MPIEXEC),
	REFUSED("gdb", OPT_NOT_MPIEXEC),
	REFUSED("profile", OPT_NOT_MPIEXEC),
	REFUSED("configfile", OPT_NOT_MPIEXEC),
	{NULL, 0, NULL, 0},
};

void cmpi_options_help(FILE *out)
{
	fprintf(out,
		"Usage: cmpirun [options] program [args...]\n"
		"       cmpirun [options] prog1 [args] : -n N prog2 [args] : ...\n"
		"\n"
		"Start the ranks of an MPI program (Open MPI or MPICH) without ssh or keys.\n"
		"Open MPI mpirun's and MPICH mpiexec's options mean the same here; those\n"
		"cmpirun does not support are refused by name. Single-dash spellings of the\n"
		"long options work too (-np, -ppn, -genv, -wdir, -map-by, ...).\n"
		"\n"
		"Ranks and placement:\n"
		"  -n, -np, -c N    number of ranks (default: -N times the nodes, else the\n"
		"                   hosts' slots, else one per online CPU); in an MPMD\n"
		"                   job, of its section's program\n"
		"  -N, --npernode, -ppn N  ranks per node\n"
		"      --map-by OBJ[:PE=n]  fill each node's slots in turn (slot, core,\n"
		"                   socket) or deal ranks round robin (node); on a node,\n"
		"                   by core or round robin over sockets; PE=n gives each\n"
		"                   rank n cores\n"
		"      --bind-to OBJ[:overload-allowed]  bind each rank to its core(s),\n"
		"                   its socket, or none; default as mpirun: core for up\n"
		"                   to 2 ranks, else socket, none when oversubscribed\n"
		"      --report-bindings  print each rank's binding on stderr\n"
		"      --oversubscribe  allow more ranks than the hosts' slots\n"
		"      --agents K   start K agents on this host, each acting as its own\n"
		"                   node (default 1; not with -H or --hostfile)\n"
		"\n"
		"Hosts (this machine, or with --image hosts reached through their engines;\n"
		"cmpirun uses no ssh; inside a Slurm allocation, without -H, --hostfile or\n"
		"--agents, its nodes, where srun starts the agents, with --image in\n"
		"containers on each node's own engine):\n"
		"  -H, --host, -hosts LIST  the nodes and their slots: NAME or\n"
		"                   NAME:SLOTS, comma-separated; a repeated name adds slots\n"
		"  -f, --hostfile, --machinefile FILE  the same from FILE, one host a line:\n"
		"                   NAME [slots=N] (Open MPI) or NAME[:N] (MPICH), and\n"
		"                   engine=URL for a host's engine (certs=DIR: its TLS\n"
		"                   files, not DOCKER_CERT_PATH's); '#' starts a comment\n"
		"\n"
		"Environment and files:\n"
		"  -x VAR[=VALUE]   set VAR for the ranks: to VALUE, or to its value here\n"
		"  -genv VAR VALUE  set VAR to VALUE for the ranks\n"
		"  -env VAR VALUE   the same for the ranks of this MPMD section only\n"
		"      --mca KEY VALUE  set Open MPI's parameter KEY (OMPI_MCA_KEY=VALUE)\n"
		"  -wdir, --wdir DIR  the ranks' working directory (default: this one); in\n"
		"                   an MPMD job, per section, else the first section's\n"
		"\n"
		"Output:\n"
		"      --tag-output prefix every output line with [1,RANK]<stdout>: (Open\n"
		"                   MPI's tags)\n"
		"  -l, --label      prefix every output line with [RANK] (MPICH's labels)\n"
		"      --output-filename DIR  write each rank's output to the files\n"
		"                   DIR/1/rank.N/stdout and stderr, not here\n"
		"\n"
		"Containers:\n"
		"      --image IMG  run the agents and ranks in containers of IMG (one per\n"
		"                   agent) through the Docker Engine API\n"
		"      --engine URL the engine: unix:///PATH or tcp://HOST:PORT (default:\n"
		"                   $DOCKER_HOST, else unix:///var/run/docker.sock); over\n"
		"                   tcp:// TLS follows DOCKER_TLS_VERIFY and DOCKER_CERT_PATH,\n"
		"                   and the engine is taken to be on another host: the\n"
		"                   program must be in the image, nothing is mounted\n"
		"      --engine HOST=URL  the engine of HOST, a host of -H or --hostfile\n"
		"                   (a hostfile line may say engine=URL): one container on\n"
		"                   each host, through its own engine\n"
		"      --launcher-addr ADDR  the IPv4 address of this host the agents connect\n"
		"                   to (default: 127.0.0.1, or this host's address on the\n"
		"                   way to the engines of other hosts)\n"
		"      --stage PATH copy the file or directory PATH into every container,\n"
		"                   at /cmpi-stage/ plus its name; ranks on an engine of\n"
		"                   another host start in /cmpi-stage (repeatable)\n"
		"      --pull       pull the image from its registry when the engine does\n"
		"                   not have it (without it, a missing image is an error)\n"
		"      --cleanup    remove the containers of jobs whose cmpirun is gone\n"
		"                   (killed with SIGKILL, say), then exit; with -H or\n"
		"                   --hostfile, on every engine of those hosts\n"
		"\n"
		"Reports and control:\n"
		"      --timeout S  kill the job after S seconds\n"
		"      --report-timing  at the end, print on stderr when each phase was\n"
		"                   reached: setup, agents started (engine calls) and\n"
		"                   connected, ranks forked, ranks in MPI_Init, first fence\n"
		"                   (with 2 or more agents), ranks exited, cleaned up\n"
		"      --report-json FILE  write those phases and every rank's start, MPI_Init\n"
		"                   and exit times and its exit status to FILE as JSON\n"
		"      --dry-run    print the plan (where each rank goes) and start nothing\n"
		"  -v, --verbose    print launch phases with timestamps on stderr\n"
		"\n"
		"Other:\n"
		"      --pmi-port   also serve PMI-1 on a loopback TCP port (PMI_PORT,\n"
		"                   PMI_ID), for MPICH ranks behind a wrapper that closes\n"
		"                   inherited descriptors; any local process may connect\n"
		"                   to that port, so it is off unless asked for\n"
		"      --tree-fanout K  allgathers (PMIx fences, PMI-1 barriers) go up and\n"
		"                   down a tree of agents with K children each; 0: every\n"
		"                   agent sends to cmpirun (the star); default: the star\n"
		"                   up to 64 agents, fanout 8 above\n"
		"      --allow-run-as-root  accepted for mpirun's sake; cmpirun needs no such\n"
		"                   permission\n"
		"  -h, --help       show this help\n"
		"  -V, --version    show the version\n"
		"\n"
		"MPMD: cmpirun [options] prog1 [args] : -n N prog2 [args] runs both programs\n"
		"in one job; each needs its own -n, and -env and -wdir apply to their own\n"
		"section. Every other option applies to the whole job, in any section.\n"
		"\n"
		"Every rank gets CMPI_RANK, CMPI_SIZE, CMPI_LOCAL_RANK, CMPI_LOCAL_SIZE,\n"
		"CMPI_NODE and CMPI_JOBID in its environment. Standard input goes to\n"
		"rank 0; the other ranks read /dev/null.\n"
		"\n"
		"Exit status: 0 when every rank exits 0; otherwise the first failing\n"
		"rank's status, 128+N for a rank killed by signal N, 124 after --timeout,\n"
		"127 when the program cannot be executed, 130 or 143 after SIGINT or\n"
		"SIGTERM, 2 for a usage error, 1 for any other launcher error.\n");
}

/* Appends one of argv's strings to a list of them. */
static int append_arg(const char ***list, size_t *n, const char *arg, char *err, size_t errlen)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof *grown);
	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*list = grown;
	grown[(*n)++] = arg;
	return 0;
}

static int parse_count(const char *what, const char *arg, long max, long *out, char *err,
		       size_t errlen)
{
	if (cmpi_parse_long(arg, 1, max, out) < 0) {
		snprintf(err, errlen, "%s must be a whole number from 1 to %ld, not '%s'", what,
			 max, arg);
		return -1;
	}
	return 0;
}

/* ---- environment: -x, -genv, -env, --mca ---- */

static bool valid_name(const char *s, size_t len, bool digit_first)
{
	if (len == 0 || (!digit_first && s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Appends "<prefix><name>=<value>" (name is namelen bytes) to the NULL-terminated *v. */
static int env_add(char ***v, const char *prefix, const char *name, size_t namelen,
		   const char *value, char *err, size_t errlen)
{
	size_t n = 0;
	while (*v && (*v)[n])
		n++;
	char **grown = realloc(*v, (n + 2) * sizeof *grown);
	if (!grown)
		goto nomem;
	*v = grown;
	grown[n] = NULL;
	size_t len = strlen(prefix) + namelen + 1 + strlen(value) + 1;
	char *s = malloc(len);
	if (!s)
		goto nomem;
	snprintf(s, len, "%s%.*s=%s", prefix, (int)namelen, name, value);
	grown[n] = s;
	grown[n + 1] = NULL;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* -x VAR=VALUE, or -x VAR: Open MPI takes VAR's value from mpirun's own environment. */
static int parse_x(const char *arg, char ***env, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
	const char *value = eq ? eq + 1 : getenv(arg);

	if (!valid_name(arg, namelen, false)) {
		snprintf(err, errlen, "-x '%s': not a valid variable name", arg);
		return -1;
	}
	if (!value) {
		snprintf(err, errlen, "-x %s: %s is not set", arg, arg);
		return -1;
	}
	return env_add(env, "", arg, namelen, value, err, errlen);
}

/* -genv and -env VAR VALUE, --mca KEY VALUE: getopt gave the first value; the second
 * is the next argument, taken here. MPICH's Hydra also takes -genv VAR=VALUE as one
 * argument; so do we (Open MPI's --mca has no such form). */
static int parse_pair(const char *what, int argc, char **argv, char ***env, char *err,
		      size_t errlen)
{
	bool mca = strcmp(what, "--mca") == 0;
	const char *name = optarg;
	const char *eq = mca ? NULL : strchr(name, '=');
	size_t namelen = eq ? (size_t)(eq - name) : strlen(name);
	const char *value;

	/* MCA names may start with a digit after the OMPI_MCA_ prefix; variables may not. */
	if (!valid_name(name, namelen, mca)) {
		snprintf(err, errlen, "%s '%s': not a valid %s name", what, name,
			 mca ? "parameter" : "variable");
		return -1;
	}
	if (eq) {
		value = eq + 1;
	} else {
		if (optind >= argc) {
			snprintf(err, errlen, "option '%s' needs a %s and a value", what,
				 mca ? "name" : "variable");
			return -1;
		}
		value = argv[optind++];
	}
	return env_add(env, mca ? "OMPI_MCA_" : "", name, namelen, value, err, errlen);
}

/* ---- placement: --map-by, --bind-to ---- */

struct word {
	const char *name;
	int value;
};

static const struct word map_words[] = {
	{"slot", CMPI_MAP_SLOT},     {"node", CMPI_MAP_NODE},
	{"core", CMPI_MAP_CORE},     {"socket", CMPI_MAP_SOCKET},
	{"package", CMPI_MAP_SOCKET}, /* Open MPI 5's name for a socket */
	{NULL, 0},
};

static const struct word bind_words[] = {
	{"none", CMPI_BIND_NONE},     {"core", CMPI_BIND_CORE},
	{"socket", CMPI_BIND_SOCKET}, {"package", CMPI_BIND_SOCKET},
	{NULL, 0},
};

/* Open MPI matches the words and modifiers case-insensitively. */
static int find_word(const struct word *words, const char *s, size_t len)
{
	for (const struct word *w = words; w->name; w++)
		if (strlen(w->name) == len && strncasecmp(w->name, s, len) == 0)
			return w->value;
	return -1;
}

/* "OBJ[:MOD[:MOD...]]"; Open MPI 4 separates modifiers with ',', 5 with ':'. */
static int parse_map_by(const char *arg, struct cmpi_options *opt, char *err, size_t errlen)
{
	size_t len = strcspn(arg, ":");
	int m = find_word(map_words, arg, len);

	if (m < 0) {
		snprintf(err, errlen, "--map-by %.*s is not supported (slot, node, core, socket)",
			 (int)len, arg);
		return -1;
	}
	opt->map_by = (enum cmpi_map_by)m;
	opt->pe = 1;
	for (const char *p = arg + len; *p;) {
		p++;
		size_t n = strcspn(p, ":,");
		char value[32];
		if (n > 3 && strncasecmp(p, "pe=", 3) == 0 && n - 3 < sizeof value) {
			memcpy(value, p + 3, n - 3);
			value[n - 3] = '\0';
			if (parse_count("--map-by PE", value, CMPI_MAX_RANKS, &opt->pe, err, errlen))
				return -1;
		} else if (n == 13 && strncasecmp(p, "oversubscribe", n) == 0) {
			opt->oversubscribe = true;
		} else {
			snprintf(err, errlen,
				 "--map-by modifier '%.*s' is not supported (PE=n, oversubscribe)",
				 (int)n, p);
			return -1;
		}
		p += n;
	}
	return 0;
}

static int parse_bind_to(const char *arg, struct cmpi_options *opt, char *err, size_t errlen)
{
	size_t len = strcspn(arg, ":");
	int b = find_word(bind_words, arg, len);

	if (b < 0) {
		snprintf(err, errlen, "--bind-to %.*s is not supported (none, core, socket)",
			 (int)len, arg);
		return -1;
	}
	opt->bind_to = (enum cmpi_bind_to)b;
	opt->bind_overload = false;
	for (const char *p = arg + len; *p;) {
		p++;
		size_t n = strcspn(p, ":,");
		if (n == 16 && strncasecmp(p, "overload-allowed", n) == 0) {
			opt->bind_overload = true;
		} else {
			snprintf(err, errlen,
				 "--bind-to modifier '%.*s' is not supported (overload-allowed)",
				 (int)n, p);
			return -1;
		}
		p += n;
	}
	return 0;
}

/* ---- sections ---- */

/* The option as the user spelled it, without "=value". */
static void refuse(const char *who, const char *arg, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s's option '%.*s' is not supported by cmpirun", who,
		 (int)strcspn(arg, "="), arg);
}

/* getopt reads "-frobnicate", a misspelt long option, as -f robnicate. Neither mpirun
 * nor mpiexec glues a value to -f, -H or -x, so refuse that form; -n3 and -N4 stay. */
static bool glued_name(int c, const char *arg)
{
	return (c == 'f' || c == 'H' || c == 'x') && arg[0] == '-' && arg[1] == c &&
	       optarg == arg + 2;
}

/* One MPMD section: argv[1..argc-1] are its arguments (argv[0] is not looked at), app
 * gets its program and its -n, -env and -wdir; every other option is the job's. */
static enum cmpi_options_result parse_section(int argc, char **argv, struct cmpi_app *app,
					      struct cmpi_options *opt, char *err,
					      size_t errlen)
{
	int c;

	optind = 0; /* glibc: full reinitialisation, so each section starts afresh */
	/* '+': stop at the program name, its own options are not ours. */
	while ((c = getopt_long_only(argc, argv, short_options, long_options, NULL)) != -1) {
		if (glued_name(c, argv[optind - 1])) {
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return CMPI_OPTIONS_ERROR;
		}
		switch (c) {
		case 'n':
		case 'c':
			if (parse_count("-n", optarg, CMPI_MAX_RANKS, &app->nranks, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case 'N':
			if (parse_count("-N", optarg, CMPI_MAX_RANKS, &opt->npernode, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_MAP_BY:
			if (parse_map_by(optarg, opt, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_BIND_TO:
			if (parse_bind_to(optarg, opt, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_REPORT_BINDINGS:
			opt->report_bindings = true;
			break;
		case OPT_OVERSUBSCRIBE:
			opt->oversubscribe = true;
			break;
		case OPT_TREE_FANOUT:
			if (cmpi_parse_long(optarg, 0, CMPI_TREE_MAX_CHILDREN, &opt->tree_fanout) < 0) {
				snprintf(err, errlen,
					 "--tree-fanout must be a whole number from 0 to %d, not '%s'",
					 CMPI_TREE_MAX_CHILDREN, optarg);
				return CMPI_OPTIONS_ERROR;
			}
			break;
		case OPT_AGENTS:
			if (parse_count("--agents", optarg, CMPI_MAX_RANKS, &opt->nagents, err,
					errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case 'H':
			if (cmpi_hosts_add_list(&opt->hosts, &opt->nhosts, optarg, "--host", err,
						errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case 'f':
			if (cmpi_hostfile_read(optarg, &opt->hosts, &opt->nhosts, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case 'x':
			if (parse_x(optarg, &opt->env, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_GENV:
			if (parse_pair("-genv", argc, argv, &opt->env, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_ENV:
			if (parse_pair("-env", argc, argv, &app->env, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_MCA:
			if (parse_pair("--mca", argc, argv, &opt->env, err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_WDIR:
			app->wdir = optarg;
			break;
		case OPT_TAG_OUTPUT:
			opt->tag_output = true;
			break;
		case 'l':
			opt->label = true;
			break;
		case OPT_OUTPUT_FILENAME:
			opt->output_dir = optarg;
			break;
		case OPT_IMAGE:
			opt->image = optarg;
			break;
		case OPT_ENGINE: {
			/* HOST=URL has its '=' before the URL's "://". */
			const char *eq = strchr(optarg, '='), *scheme = strstr(optarg, "://");
			if (!eq || (scheme && scheme < eq)) {
				opt->engine = optarg;
			} else if (append_arg(&opt->host_engines, &opt->nhost_engines, optarg, err,
					      errlen) < 0) {
				return CMPI_OPTIONS_ERROR;
			}
			break;
		}
		case OPT_STAGE:
			if (append_arg(&opt->stage, &opt->nstage, optarg, err, errlen) < 0)
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_LAUNCHER_ADDR: {
			struct in_addr a;
			if (inet_pton(AF_INET, optarg, &a) != 1) {
				snprintf(err, errlen,
					 "--launcher-addr '%s': an IPv4 address of this host is needed",
					 optarg);
				return CMPI_OPTIONS_ERROR;
			}
			opt->launcher_addr = optarg;
			break;
		}
		case OPT_PULL:
			opt->pull = true;
			break;
		case OPT_CLEANUP:
			opt->cleanup = true;
			break;
		case OPT_TIMEOUT:
			if (parse_count("--timeout", optarg, 100L * 365 * 86400, &opt->timeout_s,
					err, errlen))
				return CMPI_OPTIONS_ERROR;
			break;
		case OPT_REPORT_TIMING:
			opt->report_timing = true;
			break;
		case OPT_REPORT_JSON:
			opt->report_json = optarg;
			break;
		case OPT_PMI_PORT:
			opt->pmi_port = true;
			break;
		case OPT_DRY_RUN:
			opt->dry_run = true;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case OPT_ALLOW_ROOT:
			break; /* mpirun's guard against root; cmpirun has none to lift */
		case 'h':
			return CMPI_OPTIONS_HELP;
		case 'V':
			return CMPI_OPTIONS_VERSION;
		case OPT_NOT_MPIRUN:
		case OPT_NOT_MPIEXEC:
			/* With optional_argument, "--prefix /x" leaves /x unread: optind - 1 is
			 * the option itself either way. */
			refuse(c == OPT_NOT_MPIRUN ? "mpirun" : "mpiexec", argv[optind - 1], err,
			       errlen);
			return CMPI_OPTIONS_ERROR;
		case ':':
			if (optopt == OPT_GENV || optopt == OPT_ENV || optopt == OPT_MCA)
				snprintf(err, errlen, "option '%s' needs a %s and a value",
					 argv[optind - 1], optopt == OPT_MCA ? "name" : "variable");
			else
				snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return CMPI_OPTIONS_ERROR;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return CMPI_OPTIONS_ERROR;
		}
	}
	if (optind < argc) {
		int n = argc - optind;
		app->argv = calloc((size_t)n + 1, sizeof *app->argv);
		if (!app->argv) {
			snprintf(err, errlen, "out of memory");
			return CMPI_OPTIONS_ERROR;
		}
		memcpy(app->argv, argv + optind, (size_t)n * sizeof *app->argv);
	}
	return CMPI_OPTIONS_RUN;
}

/* An empty vector rather than NULL, so that callers walk it without checking. */
static int strv_ensure(char ***v, char *err, size_t errlen)
{
	if (!*v && !(*v = calloc(1, sizeof **v))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void apps_free(struct cmpi_options *opt)
{
	for (size_t i = 0; i < opt->napps; i++) {
		free(opt->apps[i].argv);
		strv_free(opt->apps[i].env);
	}
	free(opt->apps);
	opt->apps = NULL;
	opt->napps = 0;
}

void cmpi_options_free(struct cmpi_options *opt)
{
	apps_free(opt);
	cmpi_hosts_free(opt->hosts, opt->nhosts);
	free(opt->host_engines);
	free(opt->stage);
	strv_free(opt->env);
	memset(opt, 0, sizeof *opt);
}

/* Checks between options, once every section is read. */
static enum cmpi_options_result check(struct cmpi_options *opt, char *err, size_t errlen)
{
	for (size_t i = 0; i < opt->nhost_engines; i++) {
		const char *arg = opt->host_engines[i];
		size_t namelen = strcspn(arg, "=");
		if (cmpi_hosts_set_engine(opt->hosts, opt->nhosts, arg, namelen, arg + namelen + 1,
					  "--engine", err, errlen) < 0)
			return CMPI_OPTIONS_ERROR;
	}
	if (opt->cleanup) {
		if (opt->napps > 1 || opt->apps[0].argv) {
			snprintf(err, errlen, "--cleanup runs no program");
			return CMPI_OPTIONS_ERROR;
		}
		if (opt->report_timing || opt->report_json) {
			snprintf(err, errlen, "--cleanup runs no job to report on");
			return CMPI_OPTIONS_ERROR;
		}
		if (opt->dry_run) {
			snprintf(err, errlen, "--cleanup runs no job for --dry-run to show");
			return CMPI_OPTIONS_ERROR;
		}
		apps_free(opt);
		return CMPI_OPTIONS_RUN;
	}
	if (!opt->apps[0].argv) {
		snprintf(err, errlen, "no program given");
		return CMPI_OPTIONS_ERROR;
	}
	if ((opt->pull || opt->engine || opt->nhost_engines || opt->nstage) && !opt->image) {
		snprintf(err, errlen, "%s needs --image",
			 opt->pull ? "--pull" : opt->nstage ? "--stage" : "--engine");
		return CMPI_OPTIONS_ERROR;
	}
	if (opt->nagents && opt->nhosts) {
		snprintf(err, errlen,
			 "--agents and --host/--hostfile both say where ranks go; give one");
		return CMPI_OPTIONS_ERROR;
	}
	opt->nranks = 0;
	for (size_t i = 0; i < opt->napps; i++) {
		struct cmpi_app *app = &opt->apps[i];
		/* mpiexec would give a section without -n one rank and mpirun all the
		 * slots; either way the other programs' share is a guess, so ask. */
		if (opt->napps > 1 && !app->nranks) {
			snprintf(err, errlen, "each program of an MPMD job needs -n: '%s' has none",
				 app->argv[0]);
			return CMPI_OPTIONS_ERROR;
		}
		opt->nranks += app->nranks;
		if (!app->wdir)
			app->wdir = opt->apps[0].wdir;
	}
	if (opt->nranks > CMPI_MAX_RANKS) {
		snprintf(err, errlen, "the programs' -n add up to %ld, more than %d ranks",
			 opt->nranks, CMPI_MAX_RANKS);
		return CMPI_OPTIONS_ERROR;
	}
	if (opt->nranks && opt->nagents > opt->nranks) {
		snprintf(err, errlen, "--agents %ld is more than the %ld ranks", opt->nagents,
			 opt->nranks);
		return CMPI_OPTIONS_ERROR;
	}
	return CMPI_OPTIONS_RUN;
}

enum cmpi_options_result cmpi_options_parse(int argc, char **argv, struct cmpi_options *opt,
					    char *err, size_t errlen)
{
	size_t nsec = 1;
	int start = 1;

	memset(opt, 0, sizeof *opt);
	opt->pe = 1;
	opt->tree_fanout = -1;
	opterr = 0;

	/* A lone ':' always separates two programs, as with mpirun and mpiexec: no option
	 * value or program argument can be ':'. */
	for (int i = 1; i < argc; i++)
		nsec += strcmp(argv[i], ":") == 0;
	opt->apps = calloc(nsec, sizeof *opt->apps);
	if (!opt->apps) {
		snprintf(err, errlen, "out of memory");
		return CMPI_OPTIONS_ERROR;
	}
	opt->napps = nsec;
	for (size_t s = 0; s < nsec; s++) {
		int end = start;
		while (end < argc && strcmp(argv[end], ":") != 0)
			end++;
		if (nsec > 1 && end == start) {
			snprintf(err, errlen,
				 "MPMD section %zu of %zu is empty: ':' must separate two programs",
				 s + 1, nsec);
			return CMPI_OPTIONS_ERROR;
		}
		/* The section's arguments, behind argv[start - 1] (the program name or ':')
		 * in the place getopt skips. */
		enum cmpi_options_result r = parse_section(end - start + 1, argv + start - 1,
							   &opt->apps[s], opt, err, errlen);
		if (r != CMPI_OPTIONS_RUN)
			return r;
		if (nsec > 1 && !opt->apps[s].argv) {
			snprintf(err, errlen, "MPMD section %zu of %zu has no program", s + 1,
				 nsec);
			return CMPI_OPTIONS_ERROR;
		}
		start = end + 1;
	}
	enum cmpi_options_result r = check(opt, err, errlen);
	if (r != CMPI_OPTIONS_RUN)
		return r;
	if (strv_ensure(&opt->env, err, errlen))
		return CMPI_OPTIONS_ERROR;
	for (size_t i = 0; i < opt->napps; i++)
		if (strv_ensure(&opt->apps[i].env, err, errlen))
			return CMPI_OPTIONS_ERROR;
	return CMPI_OPTIONS_RUN;
}
