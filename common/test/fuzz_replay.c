/* fuzz_replay.c - main() for a fuzz harness built without libFuzzer: runs every file of the
 * corpus directories (or files) given as arguments through LLVMFuzzerTestOneInput, so the
 * normal and sanitizer builds replay the committed corpus as a ctest. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (!f)
		goto out;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *grown = realloc(data, cap);
			if (!grown)
				goto out;
			data = grown;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f))
		goto out;
	/* An exact-size copy, so that ASan sees a read past the input. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		goto out;
	memcpy(exact, data, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	rc = 0;
out:
	if (rc < 0)
		perror(path);
	if (f)
		fclose(f);
	free(data);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order; how many, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, NULL);
	long done = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	qsort(list, (size_t)n, sizeof *list, name_cmp);
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
		if (list[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(list[i]);
	}
	free(list);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
			 : replay_file(argv[i]) == 0			? 1
									: -1;
		if (n < 0)
			return 1;
		total += n;
	}
	/* An empty corpus proves nothing. */
	if (total == 0) {
		fprintf(stderr, "%s: no inputs\n", argv[0]);
		return 1;
	}
	printf("%s: %ld inputs replayed\n", argv[0], total);
	return 0;
}
