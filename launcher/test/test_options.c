/* test_options.c - cmpirun's command-line parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static enum cmpi_options_result parse(int argc, char **argv, struct cmpi_options *o, char *err)
{
	return cmpi_options_parse(argc, argv, o, err, 256);
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
	/* The program's own options stay the program's. */
	assert_string_equal(o.argv[0], "./prog");
	assert_string_equal(o.argv[1], "-n");
	assert_string_equal(o.argv[3], "--agents");
	assert_null(o.argv[4]);
}

static void container_options(void **state)
{
	char *argv[] = {"cmpirun", "--image", "img:1", "--engine", "tcp://h:2376", "--pull",
			"prog", "--pull", NULL};
	char *plain[] = {"cmpirun", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &o, err), CMPI_OPTIONS_RUN);
	assert_string_equal(o.image, "img:1");
	assert_string_equal(o.engine, "tcp://h:2376");
	assert_true(o.pull);
	assert_string_equal(o.argv[1], "--pull"); /* the program's */
	assert_int_equal(parse(ARGC(plain), plain, &o, err), CMPI_OPTIONS_RUN);
	assert_null(o.image);
	assert_false(o.pull);
	char *pull_alone[] = {"cmpirun", "--pull", "prog", NULL};
	assert_int_equal(parse(ARGC(pull_alone), pull_alone, &o, err), CMPI_OPTIONS_ERROR);
	assert_string_equal(err, "--pull needs --image");
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
	assert_string_equal(o.argv[0], "prog");
	assert_int_equal(parse(ARGC(with_cleanup), with_cleanup, &o, err), CMPI_OPTIONS_ERROR);
	assert_string_equal(err, "--cleanup runs no job to report on");
}

static void mpirun_spellings(void **state)
{
	char *a1[] = {"cmpirun", "-np", "3", "prog", NULL};
	char *a2[] = {"cmpirun", "-n3", "-v", "prog", NULL};
	char *a3[] = {"cmpirun", "--np=5", "prog", NULL};
	char *a4[] = {"cmpirun", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(a1), a1, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 3);
	assert_int_equal(parse(ARGC(a2), a2, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 3);
	assert_true(o.verbose);
	assert_int_equal(parse(ARGC(a3), a3, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 5);
	assert_int_equal(parse(ARGC(a4), a4, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(o.nranks, 0); /* decided later: one per CPU */
	assert_int_equal(o.nagents, 1);
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
		char *argv2[] = {"cmpirun", "--agents", (char *)bad[i], "prog", NULL};
		assert_int_equal(parse(ARGC(argv2), argv2, &o, err), CMPI_OPTIONS_ERROR);
		char *argv3[] = {"cmpirun", "--timeout", (char *)bad[i], "prog", NULL};
		if (strcmp(bad[i], "65537") != 0) /* a fine number of seconds */
			assert_int_equal(parse(ARGC(argv3), argv3, &o, err), CMPI_OPTIONS_ERROR);
	}
}

static void usage_errors(void **state)
{
	char *none[] = {"cmpirun", "-n", "2", NULL};
	char *unknown[] = {"cmpirun", "--frobnicate", "prog", NULL};
	char *missing[] = {"cmpirun", "prog", "-n", NULL}; /* fine: -n belongs to prog */
	char *novalue[] = {"cmpirun", "-n", NULL};
	char *agents[] = {"cmpirun", "-n", "2", "--agents", "3", "prog", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(none), none, &o, err), CMPI_OPTIONS_ERROR);
	assert_string_equal(err, "no program given");
	assert_int_equal(parse(ARGC(unknown), unknown, &o, err), CMPI_OPTIONS_ERROR);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_equal(parse(ARGC(missing), missing, &o, err), CMPI_OPTIONS_RUN);
	assert_int_equal(parse(ARGC(novalue), novalue, &o, err), CMPI_OPTIONS_ERROR);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse(ARGC(agents), agents, &o, err), CMPI_OPTIONS_ERROR);
	assert_non_null(strstr(err, "--agents 3"));
}

static void help_and_version(void **state)
{
	char *h[] = {"cmpirun", "--help", NULL};
	char *v[] = {"cmpirun", "-V", NULL};
	struct cmpi_options o;
	char err[256];
	(void)state;
	assert_int_equal(parse(ARGC(h), h, &o, err), CMPI_OPTIONS_HELP);
	assert_int_equal(parse(ARGC(v), v, &o, err), CMPI_OPTIONS_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_run),        cmocka_unit_test(mpirun_spellings),
		cmocka_unit_test(bad_counts),       cmocka_unit_test(usage_errors),
		cmocka_unit_test(help_and_version), cmocka_unit_test(container_options),
		cmocka_unit_test(report_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
