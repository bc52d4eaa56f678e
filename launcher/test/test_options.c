/* test_options.c - cmpirun's command-line parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static enum cmpi_options_result parse(int argc, char **argv, struct cmpi_options *o, char *err)
{
	return cmpi_options_parse(argc, argv, o, err, 256);
}

/* Parses argv, expects an error saying exactly want, and frees. */
#define assert_error(argv, want)                                                           \
	do {                                                                               \
		struct cmpi_options eo_;                                                   \
		char eerr_[256];                                                           \
		assert_int_equal(parse(ARGC(argv), argv, &eo_, eerr_), CMPI_OPTIONS_ERROR); \
		assert_string_equal(eerr_, want);                                          \
		cmpi_options_free(&eo_);                                                   \
	} while (0)

/* A hostfile with the given text, in /tmp; the caller unlinks it. */
static void write_hostfile(char *path, const char *text)
{
	strcpy(path, "/tmp/cmpi-hostfile-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void basic_run(void **state)
{
	char *argv[] = {"cmpirun", "-n", "4", "--agents", "2", "--tag-output", "--timeout", "9",
			"./prog", "-n", "7", "--agents", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 4);
	assert_int_equal(o.nagents, 2);
	assert_true(o.tag_output);
	assert_int_equal(o.timeout_s, 9);
	assert_int_equal(o.napps, 1);
	assert_int_equal(o.apps[0].nranks, 4);
	/* The program's own options stay the program's. */
	assert_string_equal(o.apps[0].argv[0], "./prog");
	assert_string_equal(o.apps[0].argv[1], "-n");
	assert_string_equal(o.apps[0].argv[3], "--agents");
	assert_null(o.apps[0].argv[4]);
	assert_ptr_equal(o.apps[0].argv[0], argv[8]); /* pointers into the caller's argv */
	/* Nothing given: empty vectors, defaults. */
	assert_non_null(o.env);
	assert_null(o.env[0]);
	assert_non_null(o.apps[0].env);
	assert_null(o.apps[0].env[0]);
	assert_null(o.apps[0].wdir);
	assert_int_equal(o.nhosts, 0);
	assert_int_equal(o.map_by, CMPI_MAP_DEFAULT);
	assert_int_equal(o.bind_to, CMPI_BIND_DEFAULT);
	assert_int_equal(o.pe, 1);
	assert_int_equal(o.npernode, 0);
	cmpi_options_free(&o);
}

static void container_options(void **state)
{
	char *argv[] = {"cmpirun", "--image", "img:1", "--engine", "tcp://h:2376", "--pull",
			"prog", "--pull", NULL};
	char *plain[] = {"cmpirun", "prog", NULL};
	char *pull_alone[] = {"cmpirun", "--pull", "prog", NULL};
	char *cleanup[] = {"cmpirun", "--cleanup", NULL};
	char *cleanup_prog[] = {"cmpirun", "--cleanup", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_string_equal(o.image, "img:1");
	assert_string_equal(o.engine, "tcp://h:2376");
	assert_true(o.pull);
	assert_string_equal(o.apps[0].argv[1], "--pull"); /* the program's */
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(plain), plain, &o, err), CMPI_OPTIONS_RUN);
	assert_null(o.image);
	assert_false(o.pull);
	cmpi_options_free(&o);
	assert_error(pull_alone, "--pull needs --image");
	assert_int_equal(parse(ARGC(cleanup), cleanup, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.cleanup);
	assert_int_equal(o.napps, 0);
	cmpi_options_free(&o);
	assert_error(cleanup_prog, "--cleanup runs no program");
}

static void report_options(void **state)
{
	char *argv[] = {"cmpirun", "--report-timing", "--report-json", "t.json", "prog", NULL};
	char *with_cleanup[] = {"cmpirun", "--cleanup", "--report-json", "t.json", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.report_timing);
	assert_string_equal(o.report_json, "t.json");
	assert_string_equal(o.apps[0].argv[0], "prog");
	cmpi_options_free(&o);
	assert_error(with_cleanup, "--cleanup runs no job to report on");
}

static void mpirun_spellings(void **state)
{
	char *a1[] = {"cmpirun", "-np", "3", "prog", NULL};
	char *a2[] = {"cmpirun", "-n3", "-v", "prog", NULL};
	char *a3[] = {"cmpirun", "--np=5", "prog", NULL};
	char *a4[] = {"cmpirun", "prog", NULL};
	char *a5[] = {"cmpirun", "-c", "6", "prog", NULL};
	char *a6[] = {"cmpirun", "--n", "7", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(a1), a1, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 3);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(a2), a2, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 3);
	assert_true(o.verbose);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(a3), a3, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 5);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(a4), a4, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 0); /* decided later, by the planner */
	assert_int_equal(o.apps[0].nranks, 0);
	assert_int_equal(o.nagents, 0); /* not given */
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(a5), a5, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 6);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(a6), a6, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 7);
	cmpi_options_free(&o);
}

static void npernode(void **state)
{
	const char *spellings[] = {"-N", "-npernode", "--npernode", "-ppn", "--ppn"};
	struct cmpi_options o;
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		char *argv[] = {"cmpirun", (char *)spellings[i], "3", "prog", NULL};
		assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
		assert_int_equal(o.npernode, 3);
		assert_int_equal(o.nranks, 0);
		cmpi_options_free(&o);
	}
	char *eq[] = {"cmpirun", "--npernode=2", "-N4", "prog", NULL};
	assert_int_equal(parse(ARGC(eq), eq, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.npernode, 4); /* the last one */
	cmpi_options_free(&o);
	char *bad[] = {"cmpirun", "-ppn", "0", "prog", NULL};
	assert_error(bad, "-N must be a whole number from 1 to 65536, not '0'");
}

static void bad_counts(void **state)
{
	const char *bad[] = {"0", "-1", "abc", "4x", "", "99999999999999999999", "65537"};
	struct cmpi_options o;
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = {"cmpirun", "-n", (char *)bad[i], "prog", NULL};
		assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_ERROR);
		assert_non_null(strstr(err, "-n must be"));
		cmpi_options_free(&o);
		char *argv2[] = {"cmpirun", "--agents", (char *)bad[i], "prog", NULL};
		assert_int_equal(parse(ARGC(argv2), argv2, &o, err), CMPI_OPTIONS_ERROR);
		cmpi_options_free(&o);
		char *argv3[] = {"cmpirun", "--timeout", (char *)bad[i], "prog", NULL};
		if (strcmp(bad[i], "65537") != 0) /* a fine number of seconds */
			assert_int_equal(parse(ARGC(argv3), argv3, &o, err), CMPI_OPTIONS_ERROR);
		cmpi_options_free(&o);
		char *argv4[] = {"cmpirun", "-N", (char *)bad[i], "prog", NULL};
		assert_int_equal(parse(ARGC(argv4), argv4, &o, err), CMPI_OPTIONS_ERROR);
		assert_non_null(strstr(err, "-N must be"));
		cmpi_options_free(&o);
	}
}

static void usage_errors(void **state)
{
	char *none[] = {"cmpirun", "-n", "2", NULL};
	char *unknown[] = {"cmpirun", "--frobnicate", "prog", NULL};
	char *unknown1[] = {"cmpirun", "-frobnicate", "prog", NULL};
	char *glued_h[] = {"cmpirun", "-Hosts", "a", "prog", NULL};
	char *glued_x[] = {"cmpirun", "-xA=1", "prog", NULL};
	char *missing[] = {"cmpirun", "prog", "-n", NULL}; /* fine: -n belongs to prog */
	char *novalue[] = {"cmpirun", "-n", NULL};
	char *agents[] = {"cmpirun", "-n", "2", "--agents", "3", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_error(none, "no program given");
	assert_error(unknown, "unknown option '--frobnicate'");
	assert_error(unknown1, "unknown option '-frobnicate'");
	assert_error(glued_h, "unknown option '-Hosts'");
	assert_error(glued_x, "unknown option '-xA=1'");
	assert_int_equal(parse(ARGC(missing), missing, &o, err), CMPI_OPTIONS_RUN);
	cmpi_options_free(&o);
	assert_error(novalue, "option '-n' needs a value");
	assert_error(agents, "--agents 3 is more than the 2 ranks");
}

static void help_and_version(void **state)
{
	char *h[] = {"cmpirun", "--help", NULL};
	char *h1[] = {"cmpirun", "-n", "2", "-h", "prog", NULL};
	char *v[] = {"cmpirun", "-V", NULL};
	char *v1[] = {"cmpirun", "--version", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(h), h, &o, err), CMPI_OPTIONS_HELP);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(h1), h1, &o, err), CMPI_OPTIONS_HELP);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(v), v, &o, err), CMPI_OPTIONS_VERSION);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(v1), v1, &o, err), CMPI_OPTIONS_VERSION);
	cmpi_options_free(&o);
}

/* Grouped like mpirun's, and no line wider than a terminal. */
static void help_text(void **state)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	(void)state;
	assert_non_null(f);
	cmpi_options_help(f);
	fclose(f);
	const char *sections[] = {"Ranks and placement:", "Hosts (", "Environment and files:",
				  "Output:", "Containers:", "Reports and control:", "Other:"};
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		assert_non_null(strstr(text, sections[i]));
	const char *mentioned[] = {"-np", "-ppn", "--map-by", "--bind-to", "--report-bindings",
				   "--oversubscribe", "--agents", "--hostfile", "-genv", "-env",
				   "--mca", "-wdir", "--tag-output", "--label",
				   "--output-filename", "--dry-run", "--allow-run-as-root",
				   "MPMD", "CMPI_RANK", "Exit status"};
	for (size_t i = 0; i < sizeof mentioned / sizeof mentioned[0]; i++)
		assert_non_null(strstr(text, mentioned[i]));
	for (char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		if (len > 80)
			fail_msg("help line wider than 80 columns: %.*s", (int)len, line);
		line += len + (line[len] == '\n');
	}
	free(text);
}

static void hosts_merge(void **state)
{
	char *argv[] = {"cmpirun", "-H", "a,b:2", "--host", "a:3", "-hosts", "c", "-host",
			"b", "-H", "d,d", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nhosts, 4);
	assert_string_equal(o.hosts[0].name, "a");
	assert_int_equal(o.hosts[0].slots, 4); /* 1 (none given) + 3 */
	assert_string_equal(o.hosts[1].name, "b");
	assert_int_equal(o.hosts[1].slots, 3);
	assert_string_equal(o.hosts[2].name, "c");
	assert_int_equal(o.hosts[2].slots, 0); /* none given */
	assert_string_equal(o.hosts[3].name, "d");
	assert_int_equal(o.hosts[3].slots, 2);
	cmpi_options_free(&o);
}

static void host_errors(void **state)
{
	char *empty[] = {"cmpirun", "-H", "a,,b", "prog", NULL};
	char *trailing[] = {"cmpirun", "-H", "a,", "prog", NULL};
	char *noname[] = {"cmpirun", "-H", "a,:2", "prog", NULL};
	char *word[] = {"cmpirun", "-H", "a,b:x,c", "prog", NULL};
	char *zero[] = {"cmpirun", "--host", "b:0", "prog", NULL};
	char *none[] = {"cmpirun", "--host", "b:", "prog", NULL};
	char *agents[] = {"cmpirun", "-H", "a", "--agents", "2", "prog", NULL};
	(void)state;
	assert_error(empty, "--host 'a,,b': an empty host name");
	assert_error(trailing, "--host 'a,': an empty host name");
	assert_error(noname, "--host 'a,:2': an empty host name");
	assert_error(word, "--host 'b:x': slots must be a whole number from 1 to 65536");
	assert_error(zero, "--host 'b:0': slots must be a whole number from 1 to 65536");
	assert_error(none, "--host 'b:': slots must be a whole number from 1 to 65536");
	assert_error(agents, "--agents and --host/--hostfile both say where ranks go; give one");
}

static void hostfile_formats(void **state)
{
	char path[64];
	struct cmpi_options o;
	char err[256];
	(void)state;
	write_hostfile(path, "# Open MPI's format\n"
			     "node1 slots=4\n"
			     "\n"
			     "  node2\tslots=2   # a trailing comment\n"
			     "node3\n"
			     "# MPICH's\n"
			     "node4:8\n"
			     "node1:2\n"
			     "   \t\n"
			     "node5"); /* no newline at the end */
	const char *spellings[] = {"--hostfile", "-hostfile", "-f", "--machinefile",
				   "-machinefile"};
	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		char *argv[] = {"cmpirun", "-H", "node3:5", (char *)spellings[i], path, "prog",
				NULL};
		assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
		assert_int_equal(o.nhosts, 5);
		assert_string_equal(o.hosts[0].name, "node3"); /* -H came first */
		assert_int_equal(o.hosts[0].slots, 6);
		assert_string_equal(o.hosts[1].name, "node1");
		assert_int_equal(o.hosts[1].slots, 6);
		assert_string_equal(o.hosts[2].name, "node2");
		assert_int_equal(o.hosts[2].slots, 2);
		assert_string_equal(o.hosts[3].name, "node4");
		assert_int_equal(o.hosts[3].slots, 8);
		assert_string_equal(o.hosts[4].name, "node5");
		assert_int_equal(o.hosts[4].slots, 0);
		cmpi_options_free(&o);
	}
	unlink(path);
}

/* Each host's engine, from its hostfile line or --engine HOST=URL; the default
 * engine stays --engine URL. */
static void host_engines(void **state)
{
	char path[64];
	struct cmpi_options o;
	char err[256];
	(void)state;
	write_hostfile(path, "h1 slots=2 engine=tcp://198.18.251.2:2376 certs=/etc/cmpi/h1\n"
			     "h2:3 engine=unix:///run/h2.sock\n"
			     "localhost\n");
	char *argv[] = {"cmpirun", "--image", "img", "--hostfile", path, "--engine",
			"h3=tcp://198.18.251.4:2376", "-H", "h3:2", "--engine", "unix:///d.sock",
			"--launcher-addr", "198.18.251.1", "prog", NULL};
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nhosts, 4);
	assert_string_equal(o.hosts[0].engine, "tcp://198.18.251.2:2376");
	assert_string_equal(o.hosts[0].certs, "/etc/cmpi/h1");
	assert_null(o.hosts[1].certs);
	assert_int_equal(o.hosts[1].slots, 3);
	assert_string_equal(o.hosts[1].engine, "unix:///run/h2.sock");
	assert_null(o.hosts[2].engine);
	assert_string_equal(o.hosts[3].name, "h3");
	assert_string_equal(o.hosts[3].engine, "tcp://198.18.251.4:2376");
	assert_string_equal(o.engine, "unix:///d.sock");
	assert_string_equal(o.launcher_addr, "198.18.251.1");
	cmpi_options_free(&o);
	unlink(path);

	/* --cleanup takes the hosts' engines too: it goes to each. */
	char *cleanup[] = {"cmpirun", "--cleanup", "-H", "a,b", "--engine", "b=tcp://b:1", NULL};
	assert_int_equal(parse(ARGC(cleanup), cleanup, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.cleanup);
	assert_int_equal(o.nhosts, 2);
	assert_null(o.hosts[0].engine);
	assert_string_equal(o.hosts[1].engine, "tcp://b:1");
	cmpi_options_free(&o);

	char *unknown[] = {"cmpirun", "--image", "i", "-H", "a", "--engine", "b=tcp://b:1", "p", NULL};
	assert_error(unknown, "--engine: no host 'b' in --host or --hostfile");
	char *two[] = {"cmpirun", "--image", "i", "-H", "a", "--engine", "a=tcp://b:1",
		       "--engine", "a=tcp://c:1", "p", NULL};
	assert_error(two, "--engine: host 'a' is given two engines, tcp://b:1 and tcp://c:1");
	char *no_image[] = {"cmpirun", "-H", "a", "--engine", "a=tcp://b:1", "p", NULL};
	assert_error(no_image, "--engine needs --image");
	char *odd_path[] = {"cmpirun", "--image", "i", "--engine", "unix:///run/a=b.sock", "p", NULL};
	assert_int_equal(parse(ARGC(odd_path), odd_path, &o, err), CMPI_OPTIONS_RUN);
	assert_string_equal(o.engine, "unix:///run/a=b.sock");
	cmpi_options_free(&o);
	char *bad_addr[] = {"cmpirun", "--launcher-addr", "somehost", "p", NULL};
	assert_error(bad_addr, "--launcher-addr 'somehost': an IPv4 address of this host is needed");
}

/* Each bad hostfile and the message it must give. */
static void hostfile_errors(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{"a slots=2\nb max_slots=4\n", "line 2: max_slots is not supported"},
		{"a slots=2 max_slots=4\n", "line 1: max_slots is not supported"},
		{"# c\n\na slots=x\n", "line 3: slots must be a whole number from 1 to 65536 in "
				       "'slots=x'"},
		{"a slots=0\n", "line 1: slots must be a whole number from 1 to 65536 in 'slots=0'"},
		{"a\nb:0\n", "line 2: slots must be a whole number from 1 to 65536 in 'b:0'"},
		{"a\n:4\n", "line 2: no host name in ':4'"},
		{"a cpus=2\n", "line 1: 'cpus=2' is not understood (NAME [slots=N] [engine=URL "
				"[certs=DIR]], or NAME:N)"},
		{"a certs=/c\n", "line 1: certs= is for a host's tcp:// engine= (its TLS files)"},
		{"a engine=unix:///s certs=/c\n",
		 "line 1: certs= is for a host's tcp:// engine= (its TLS files)"},
		{"a engine=tcp://h:1 certs=/c\na engine=tcp://h:1 certs=/d\n",
		 "line 2: host 'a' is given two certs= directories, /c and /d"},
		{"a engine=http://h:1\n", "line 1: engine=: engine 'http://h:1' is neither "
					  "unix:///PATH nor tcp://HOST:PORT"},
		{"a engine=tcp://h:1\na engine=tcp://g:1\n",
		 "line 2: engine=: host 'a' is given two engines, tcp://h:1 and tcp://g:1"},
		{"a slots=1 slots=2\n", "line 1: slots given twice for 'a'"},
		{"a:2 slots=2\n", "line 1: slots given twice for 'a'"},
	};
	char path[64], want[256];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_hostfile(path, cases[i].text);
		char *argv[] = {"cmpirun", "--hostfile", path, "prog", NULL};
		snprintf(want, sizeof want, "hostfile %s %s", path, cases[i].why);
		assert_error(argv, want);
		unlink(path);
	}
	write_hostfile(path, "# nothing\n\n");
	char *argv[] = {"cmpirun", "--hostfile", path, "prog", NULL};
	snprintf(want, sizeof want, "hostfile %s names no host", path);
	assert_error(argv, want);
	unlink(path);
	char *missing[] = {"cmpirun", "-f", "/nonexistent/hosts", "prog", NULL};
	assert_error(missing, "hostfile /nonexistent/hosts: No such file or directory");
}

static void env_options(void **state)
{
	char *argv[] = {"cmpirun", "-x", "A=1", "-genv", "B", "2 3", "--mca", "btl", "self,tcp",
			"-x", "CMPI_TEST_X", "-mca", "pml", "ob1", "-genv", "C=4", "--gmca",
			"0x", "y", "-x", "D=", "-env", "E", "5", "prog", "-x", "F=6", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	setenv("CMPI_TEST_X", "from here", 1);
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	const char *want[] = {"A=1",
			      "B=2 3",
			      "OMPI_MCA_btl=self,tcp",
			      "CMPI_TEST_X=from here",
			      "OMPI_MCA_pml=ob1",
			      "C=4",
			      "OMPI_MCA_0x=y",
			      "D=",
			      NULL};
	for (size_t i = 0; want[i]; i++)
		assert_string_equal(o.env[i], want[i]);
	assert_null(o.env[8]);
	assert_string_equal(o.apps[0].env[0], "E=5");
	assert_null(o.apps[0].env[1]);
	assert_string_equal(o.apps[0].argv[1], "-x"); /* the program's */
	cmpi_options_free(&o);
	unsetenv("CMPI_TEST_X");
}

static void env_errors(void **state)
{
	char *unset[] = {"cmpirun", "-x", "CMPI_TEST_UNSET", "prog", NULL};
	char *badx[] = {"cmpirun", "-x", "1A=2", "prog", NULL};
	char *emptyx[] = {"cmpirun", "-x", "=2", "prog", NULL};
	char *badg[] = {"cmpirun", "-genv", "A-B", "1", "prog", NULL};
	char *short_genv[] = {"cmpirun", "-genv", "A", NULL};
	char *bare_genv[] = {"cmpirun", "-genv", NULL};
	char *short_env[] = {"cmpirun", "-env", "A", NULL};
	char *short_mca[] = {"cmpirun", "--mca", "btl", NULL};
	char *bare_mca[] = {"cmpirun", "--mca", NULL};
	char *eq_mca[] = {"cmpirun", "--mca", "btl=self", "prog", NULL};
	(void)state;
	unsetenv("CMPI_TEST_UNSET");
	assert_error(unset, "-x CMPI_TEST_UNSET: CMPI_TEST_UNSET is not set");
	assert_error(badx, "-x '1A=2': not a valid variable name");
	assert_error(emptyx, "-x '=2': not a valid variable name");
	assert_error(badg, "-genv 'A-B': not a valid variable name");
	assert_error(short_genv, "option '-genv' needs a variable and a value");
	assert_error(bare_genv, "option '-genv' needs a variable and a value");
	assert_error(short_env, "option '-env' needs a variable and a value");
	assert_error(short_mca, "option '--mca' needs a name and a value");
	assert_error(bare_mca, "option '--mca' needs a name and a value");
	assert_error(eq_mca, "--mca 'btl=self': not a valid parameter name");
}

static void map_and_bind(void **state)
{
	char *argv[] = {"cmpirun", "--map-by", "core:PE=2", "--bind-to", "core:overload-allowed",
			"prog", NULL};
	char *single[] = {"cmpirun", "-map-by", "socket:pe=3", "-bind-to", "none", "prog",
			  NULL};
	char *again[] = {"cmpirun", "--map-by", "core:PE=4", "--map-by", "NODE", "--bind-to",
			 "socket:overload-allowed", "--bind-to", "socket", "prog", NULL};
	char *modifiers[] = {"cmpirun", "--map-by", "slot:pe=2,oversubscribe", "prog", NULL};
	char *package[] = {"cmpirun", "--map-by", "package:PE=2:OVERSUBSCRIBE", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.map_by, CMPI_MAP_CORE);
	assert_int_equal(o.pe, 2);
	assert_int_equal(o.bind_to, CMPI_BIND_CORE);
	assert_true(o.bind_overload);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(single), single, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.map_by, CMPI_MAP_SOCKET);
	assert_int_equal(o.pe, 3);
	assert_int_equal(o.bind_to, CMPI_BIND_NONE);
	assert_false(o.bind_overload);
	cmpi_options_free(&o);
	/* The last one counts, whole. */
	assert_int_equal(parse(ARGC(again), again, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.map_by, CMPI_MAP_NODE);
	assert_int_equal(o.pe, 1);
	assert_int_equal(o.bind_to, CMPI_BIND_SOCKET);
	assert_false(o.bind_overload);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(modifiers), modifiers, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.map_by, CMPI_MAP_SLOT);
	assert_int_equal(o.pe, 2);
	assert_true(o.oversubscribe);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(package), package, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.map_by, CMPI_MAP_SOCKET);
	assert_int_equal(o.pe, 2);
	assert_true(o.oversubscribe);
	cmpi_options_free(&o);
}

static void map_and_bind_errors(void **state)
{
	char *numa[] = {"cmpirun", "--map-by", "numa", "prog", NULL};
	char *ppr[] = {"cmpirun", "--map-by", "ppr:2:node", "prog", NULL};
	char *span[] = {"cmpirun", "--map-by", "core:span", "prog", NULL};
	char *pe0[] = {"cmpirun", "--map-by", "core:PE=0", "prog", NULL};
	char *pe_empty[] = {"cmpirun", "--map-by", "core:PE=", "prog", NULL};
	char *noword[] = {"cmpirun", "--map-by", ":PE=2", "prog", NULL};
	char *hwt[] = {"cmpirun", "--bind-to", "hwthread", "prog", NULL};
	char *bind_mod[] = {"cmpirun", "-bind-to", "core:2", "prog", NULL};
	char *nomap[] = {"cmpirun", "--map-by", NULL};
	(void)state;
	assert_error(numa, "--map-by numa is not supported (slot, node, core, socket)");
	assert_error(ppr, "--map-by ppr is not supported (slot, node, core, socket)");
	assert_error(span, "--map-by modifier 'span' is not supported (PE=n, oversubscribe)");
	assert_error(pe0, "--map-by PE must be a whole number from 1 to 65536, not '0'");
	assert_error(pe_empty, "--map-by modifier 'PE=' is not supported (PE=n, oversubscribe)");
	assert_error(noword, "--map-by  is not supported (slot, node, core, socket)");
	assert_error(hwt, "--bind-to hwthread is not supported (none, core, socket)");
	assert_error(bind_mod, "--bind-to modifier '2' is not supported (overload-allowed)");
	assert_error(nomap, "option '--map-by' needs a value");
}

static void mpmd_two(void **state)
{
	char *argv[] = {"cmpirun", "-n", "2", "-env", "A", "1", "-wdir", "/w", "-x", "G=1", "a",
			"x", ":", "-n", "3", "-env", "B", "2", "b", "-y", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.napps, 2);
	assert_int_equal(o.nranks, 5);
	assert_int_equal(o.apps[0].nranks, 2);
	assert_string_equal(o.apps[0].argv[0], "a");
	assert_string_equal(o.apps[0].argv[1], "x");
	assert_null(o.apps[0].argv[2]);
	assert_string_equal(o.apps[0].env[0], "A=1");
	assert_null(o.apps[0].env[1]);
	assert_string_equal(o.apps[0].wdir, "/w");
	assert_int_equal(o.apps[1].nranks, 3);
	assert_string_equal(o.apps[1].argv[0], "b");
	assert_string_equal(o.apps[1].argv[1], "-y");
	assert_null(o.apps[1].argv[2]);
	assert_string_equal(o.apps[1].env[0], "B=2");
	assert_null(o.apps[1].env[1]);
	assert_string_equal(o.apps[1].wdir, "/w"); /* the first section's */
	assert_string_equal(o.env[0], "G=1");
	assert_null(o.env[1]);
	cmpi_options_free(&o);
}

static void mpmd_three(void **state)
{
	/* Global options in any section count for the whole job, as with mpirun. */
	char *argv[] = {"cmpirun", "-np", "1", "a", ":", "-n", "2", "--wdir", "/b", "-x", "G=2",
			"-H", "h1:4", "b", ":", "--tag-output", "-c", "3", "-wdir", "/c", "-env",
			"C", "3", "-N", "2", "c", "--tag-output", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.napps, 3);
	assert_int_equal(o.nranks, 6);
	assert_null(o.apps[0].wdir);
	assert_string_equal(o.apps[1].wdir, "/b");
	assert_string_equal(o.apps[2].wdir, "/c");
	assert_null(o.apps[0].env[0]);
	assert_null(o.apps[1].env[0]);
	assert_string_equal(o.apps[2].env[0], "C=3");
	assert_string_equal(o.env[0], "G=2");
	assert_int_equal(o.nhosts, 1);
	assert_int_equal(o.hosts[0].slots, 4);
	assert_true(o.tag_output);
	assert_int_equal(o.npernode, 2);
	assert_string_equal(o.apps[2].argv[0], "c");
	assert_string_equal(o.apps[2].argv[1], "--tag-output");
	assert_null(o.apps[2].argv[2]);
	cmpi_options_free(&o);
}

/* The program's own options stay its own, up to the ':' that ends its section. */
static void mpmd_program_options(void **state)
{
	char *argv[] = {"cmpirun", "-n", "1", "prog", "-n", "7", ":", "-n", "2", "prog2", "-x",
			NULL};
	char *dashdash[] = {"cmpirun", "-n", "1", "--", "-prog", ":", "-n", "1", "--", "q",
			    NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.napps, 2);
	assert_int_equal(o.apps[0].nranks, 1);
	assert_string_equal(o.apps[0].argv[1], "-n");
	assert_string_equal(o.apps[0].argv[2], "7");
	assert_null(o.apps[0].argv[3]);
	assert_int_equal(o.apps[1].nranks, 2);
	assert_string_equal(o.apps[1].argv[0], "prog2");
	assert_string_equal(o.apps[1].argv[1], "-x");
	assert_null(o.apps[1].argv[2]);
	assert_int_equal(o.nranks, 3);
	assert_null(o.env[0]);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(dashdash), dashdash, &o, err), CMPI_OPTIONS_RUN);
	assert_string_equal(o.apps[0].argv[0], "-prog");
	assert_string_equal(o.apps[1].argv[0], "q");
	cmpi_options_free(&o);
}

static void mpmd_errors(void **state)
{
	char *no_n[] = {"cmpirun", "-n", "2", "a", ":", "b", NULL};
	char *no_n_first[] = {"cmpirun", "a", ":", "-n", "2", "b", NULL};
	char *empty_mid[] = {"cmpirun", "-n", "1", "a", ":", ":", "-n", "1", "b", NULL};
	char *trailing[] = {"cmpirun", "-n", "1", "a", ":", NULL};
	char *leading[] = {"cmpirun", ":", "-n", "1", "a", NULL};
	char *no_prog[] = {"cmpirun", "-n", "1", "a", ":", "-n", "1", NULL};
	char *too_many[] = {"cmpirun", "-n", "65536", "a", ":", "-n", "1", "b", NULL};
	char *agents[] = {"cmpirun", "-n", "1", "a", ":", "-n", "1", "--agents", "3", "b", NULL};
	char *cleanup[] = {"cmpirun", "--cleanup", ":", "-n", "1", "b", NULL};
	char *help[] = {"cmpirun", "-n", "1", "a", ":", "--help", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_error(no_n, "each program of an MPMD job needs -n: 'b' has none");
	assert_error(no_n_first, "each program of an MPMD job needs -n: 'a' has none");
	assert_error(empty_mid, "MPMD section 2 of 3 is empty: ':' must separate two programs");
	assert_error(trailing, "MPMD section 2 of 2 is empty: ':' must separate two programs");
	assert_error(leading, "MPMD section 1 of 2 is empty: ':' must separate two programs");
	assert_error(no_prog, "MPMD section 2 of 2 has no program");
	assert_error(too_many, "the programs' -n add up to 65537, more than 65536 ranks");
	assert_error(agents, "--agents 3 is more than the 2 ranks");
	assert_error(cleanup, "MPMD section 1 of 2 has no program");
	assert_int_equal(parse(ARGC(help), help, &o, err), CMPI_OPTIONS_HELP);
	cmpi_options_free(&o);
}

static void refused_options(void **state)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
		{"--rankfile", "mpirun's option '--rankfile' is not supported by cmpirun"},
		{"-rf", "mpirun's option '-rf' is not supported by cmpirun"},
		{"--prefix=/opt/ompi", "mpirun's option '--prefix' is not supported by cmpirun"},
		{"--prefix", "mpirun's option '--prefix' is not supported by cmpirun"},
		{"--launch-agent", "mpirun's option '--launch-agent' is not supported by cmpirun"},
		{"--app", "mpirun's option '--app' is not supported by cmpirun"},
		{"--display-map", "mpirun's option '--display-map' is not supported by cmpirun"},
		{"--display-allocation",
		 "mpirun's option '--display-allocation' is not supported by cmpirun"},
		{"--preload-binary",
		 "mpirun's option '--preload-binary' is not supported by cmpirun"},
		{"--rank-by", "mpirun's option '--rank-by' is not supported by cmpirun"},
		{"--cpus-per-proc", "mpirun's option '--cpus-per-proc' is not supported by cmpirun"},
		{"--cpus-per-rank", "mpirun's option '--cpus-per-rank' is not supported by cmpirun"},
		{"--report-pid", "mpirun's option '--report-pid' is not supported by cmpirun"},
		{"--report-uri", "mpirun's option '--report-uri' is not supported by cmpirun"},
		{"--xml", "mpirun's option '--xml' is not supported by cmpirun"},
		{"--debug", "mpirun's option '--debug' is not supported by cmpirun"},
		{"--tv", "mpirun's option '--tv' is not supported by cmpirun"},
		{"--nolocal", "mpirun's option '--nolocal' is not supported by cmpirun"},
		{"--noprefix", "mpirun's option '--noprefix' is not supported by cmpirun"},
		{"--enable-recovery",
		 "mpirun's option '--enable-recovery' is not supported by cmpirun"},
		{"--merge-stderr-to-stdout",
		 "mpirun's option '--merge-stderr-to-stdout' is not supported by cmpirun"},
		{"--stdin", "mpirun's option '--stdin' is not supported by cmpirun"},
		{"-am", "mpirun's option '-am' is not supported by cmpirun"},
		{"--tune", "mpirun's option '--tune' is not supported by cmpirun"},
		{"--bynode", "mpirun's option '--bynode' is not supported by cmpirun"},
		{"-byslot", "mpirun's option '-byslot' is not supported by cmpirun"},
		{"--bind-to-core", "mpirun's option '--bind-to-core' is not supported by cmpirun"},
		{"-genvall", "mpiexec's option '-genvall' is not supported by cmpirun"},
		{"-genvnone", "mpiexec's option '-genvnone' is not supported by cmpirun"},
		{"-genvlist", "mpiexec's option '-genvlist' is not supported by cmpirun"},
		{"-envall", "mpiexec's option '-envall' is not supported by cmpirun"},
		{"-envnone", "mpiexec's option '-envnone' is not supported by cmpirun"},
		{"-envlist", "mpiexec's option '-envlist' is not supported by cmpirun"},
		{"-iface", "mpiexec's option '-iface' is not supported by cmpirun"},
		{"-launcher", "mpiexec's option '-launcher' is not supported by cmpirun"},
		{"-rmk", "mpiexec's option '-rmk' is not supported by cmpirun"},
		{"-demux", "mpiexec's option '-demux' is not supported by cmpirun"},
		{"-outfile-pattern",
		 "mpiexec's option '-outfile-pattern' is not supported by cmpirun"},
		{"-errfile-pattern",
		 "mpiexec's option '-errfile-pattern' is not supported by cmpirun"},
		{"-gdb", "mpiexec's option '-gdb' is not supported by cmpirun"},
		{"-profile", "mpiexec's option '-profile' is not supported by cmpirun"},
		{"-configfile", "mpiexec's option '-configfile' is not supported by cmpirun"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* With a value after it, as most of them take one. */
		char *argv[] = {"cmpirun", (char *)cases[i].arg, "x", "prog", NULL};
		assert_error(argv, cases[i].msg);
		/* In a later MPMD section too. */
		char *later[] = {"cmpirun", "-n", "1", "a", ":", (char *)cases[i].arg, "b", NULL};
		assert_error(later, cases[i].msg);
	}
}

static void output_options(void **state)
{
	char *argv[] = {"cmpirun", "-l", "--output-filename", "/tmp/out", "prog", NULL};
	char *eq[] = {"cmpirun", "--label", "--output-filename=/tmp/o2", "prog", NULL};
	char *single[] = {"cmpirun", "-output-filename", "/tmp/o3", "--tag-output", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.label);
	assert_false(o.tag_output);
	assert_string_equal(o.output_dir, "/tmp/out");
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(eq), eq, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.label);
	assert_string_equal(o.output_dir, "/tmp/o2");
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(single), single, &o, err), CMPI_OPTIONS_RUN);
	assert_false(o.label);
	assert_true(o.tag_output);
	assert_string_equal(o.output_dir, "/tmp/o3");
	cmpi_options_free(&o);
}

static void flags(void **state)
{
	char *argv[] = {"cmpirun", "--dry-run", "--report-bindings", "--oversubscribe",
			"--allow-run-as-root", "-allow-run-as-root", "prog", NULL};
	char *plain[] = {"cmpirun", "prog", NULL};
	char *cleanup[] = {"cmpirun", "--dry-run", "--cleanup", NULL};
	char *engine[] = {"cmpirun", "--engine", "unix:///x", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_true(o.dry_run);
	assert_true(o.report_bindings);
	assert_true(o.oversubscribe);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(plain), plain, &o, err), CMPI_OPTIONS_RUN);
	assert_false(o.dry_run);
	assert_false(o.report_bindings);
	assert_false(o.oversubscribe);
	assert_false(o.label);
	assert_null(o.output_dir);
	cmpi_options_free(&o);
	assert_error(cleanup, "--cleanup runs no job for --dry-run to show");
	assert_error(engine, "--engine needs --image");
}

static void tree_fanout(void **state)
{
	char *tree[] = {"cmpirun", "--agents", "8", "--tree-fanout", "4", "prog", NULL};
	char *star[] = {"cmpirun", "--tree-fanout=0", "prog", NULL};
	char *plain[] = {"cmpirun", "prog", NULL};
	char *negative[] = {"cmpirun", "--tree-fanout", "-1", "prog", NULL};
	char *huge[] = {"cmpirun", "--tree-fanout", "1025", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(tree), tree, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.tree_fanout, 4);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(star), star, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.tree_fanout, 0);
	cmpi_options_free(&o);
	assert_int_equal(parse(ARGC(plain), plain, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.tree_fanout, -1);
	cmpi_options_free(&o);
	assert_error(negative, "--tree-fanout must be a whole number from 0 to 1024, not '-1'");
	assert_error(huge, "--tree-fanout must be a whole number from 0 to 1024, not '1025'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_run),
		cmocka_unit_test(mpirun_spellings),
		cmocka_unit_test(npernode),
		cmocka_unit_test(bad_counts),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(help_and_version),
		cmocka_unit_test(help_text),
		cmocka_unit_test(container_options),
		cmocka_unit_test(report_options),
		cmocka_unit_test(hosts_merge),
		cmocka_unit_test(host_errors),
		cmocka_unit_test(hostfile_formats),
		cmocka_unit_test(host_engines),
		cmocka_unit_test(hostfile_errors),
		cmocka_unit_test(env_options),
		cmocka_unit_test(env_errors),
		cmocka_unit_test(map_and_bind),
		cmocka_unit_test(map_and_bind_errors),
		cmocka_unit_test(mpmd_two),
		cmocka_unit_test(mpmd_three),
		cmocka_unit_test(mpmd_program_options),
		cmocka_unit_test(mpmd_errors),
		cmocka_unit_test(refused_options),
		cmocka_unit_test(output_options),
		cmocka_unit_test(flags),
		cmocka_unit_test(tree_fanout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
