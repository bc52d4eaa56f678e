/* stage.c - pack --stage paths with tar(1) (always there on the hosts we run on), owned by
 * root as the agent bundle is, so that any user of the image can read them. */
#define _GNU_SOURCE
#include "stage.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpi/pack.h"
#include "cmpi/util.h"

static const char *const tar_options[] = {
    "tar",
    "--create",
    "--dereference",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--transform=s,^," STAGE_NAME "/,",
    "--file",
};
#define NOPTIONS (sizeof tar_options / sizeof tar_options[0])

/* Runs tar to write the archive: its options, then "-C DIR BASE" for each path;
 * copies holds two of each path (for dirname and basename, which modify them). */
static int run_tar(const char *tar, size_t npaths, char **copies)
{
	char **argv = calloc(NOPTIONS + 1 + 3 * npaths + 1, sizeof *argv);
	size_t n = 0;
	int status = -1;
	if (!argv)
		return -1;
	for (size_t i = 0; i < NOPTIONS; i++)
		argv[n++] = (char *)tar_options[i];
	argv[n++] = (char *)tar;
	for (size_t i = 0; i < npaths; i++) {
		argv[n++] = "-C";
		argv[n++] = dirname(copies[2 * i]);
		argv[n++] = basename(copies[2 * i + 1]);
	}
	pid_t pid = cmpi_fork();
	if (pid == 0) {
		execvp("tar", argv);
		cmpi_error("cannot run tar for --stage: %s", strerror(errno));
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(argv);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

char *stage_pack(const char *const *paths, size_t npaths)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL, *tar = NULL, **copies = calloc(2 * npaths + 1, sizeof *copies);

	if (!copies)
		goto nomem;
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0) {
			cmpi_error("--stage %s: %s", paths[i], strerror(errno));
			goto fail;
		}
		if (!(copies[2 * i] = strdup(paths[i])) || !(copies[2 * i + 1] = strdup(paths[i])))
			goto nomem;
	}
	/* $TMPDIR when set: the archive is as big as the files. */
	if (asprintf(&dir, "%s/cmpi-stage-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		dir = NULL;
		goto nomem;
	}
	if (!mkdtemp(dir)) {
		cmpi_error("cannot make a directory for --stage (%s): %s", dir, strerror(errno));
		goto fail;
	}
	if (asprintf(&tar, "%s/stage.tar", dir) < 0) {
		tar = NULL;
		rmdir(dir);
		goto nomem;
	}
	if (run_tar(tar, npaths, copies) < 0) {
		cmpi_error("cannot pack the --stage files: tar failed");
		stage_remove(tar);
		tar = NULL;
	}
	goto out;
nomem:
	cmpi_error("cannot pack the --stage files: out of memory");
fail:
	tar = NULL;
out:
	free(dir);
	cmpi_strv_free(copies);
	return tar;
}

void stage_remove(char *tar)
{
	if (!tar)
		return;
	unlink(tar);
	char *slash = strrchr(tar, '/');
	*slash = '\0';
	rmdir(tar);
	free(tar);
}
