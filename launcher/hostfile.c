/* hostfile.c - parse -H lists and hostfiles (Open MPI's and MPICH's formats) into one host list. */
#define _GNU_SOURCE /* memrchr */
#include "hostfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpi/util.h"

/* The slot count of "name:N" or "slots=N", len bytes at s. */
static int parse_slots(const char *s, size_t len, long *out)
{
	char buf[32];

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return cmpi_parse_long(buf, 1, CMPI_MAX_RANKS, out);
}

int cmpi_hosts_add(struct cmpi_host **hosts, size_t *nhosts, const char *name, size_t namelen,
		   long slots, char *err, size_t errlen)
{
	for (size_t i = 0; i < *nhosts; i++) {
		struct cmpi_host *h = &(*hosts)[i];
		if (strlen(h->name) != namelen || memcmp(h->name, name, namelen) != 0)
			continue;
		long sum = (h->slots ? h->slots : 1) + (slots ? slots : 1);
		if (sum > CMPI_MAX_RANKS) {
			snprintf(err, errlen, "host '%s' adds up to more than %d slots", h->name,
				 CMPI_MAX_RANKS);
			return -1;
		}
		h->slots = sum;
		return 0;
	}
	struct cmpi_host *grown = realloc(*hosts, (*nhosts + 1) * sizeof **hosts);
	if (!grown)
		goto nomem;
	*hosts = grown;
	char *copy = strndup(name, namelen);
	if (!copy)
		goto nomem;
	grown[*nhosts] = (struct cmpi_host){.name = copy, .slots = slots};
	(*nhosts)++;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int cmpi_hosts_set_engine(struct cmpi_host *hosts, size_t nhosts, const char *name,
			  size_t namelen, const char *engine, const char *what, char *err,
			  size_t errlen)
{
	for (size_t i = 0; i < nhosts; i++) {
		struct cmpi_host *h = &hosts[i];
		if (strlen(h->name) != namelen || memcmp(h->name, name, namelen) != 0)
			continue;
		if (strncmp(engine, "unix://", 7) != 0 && strncmp(engine, "tcp://", 6) != 0) {
			snprintf(err, errlen, "%s: engine '%s' is neither unix:///PATH nor tcp://HOST:PORT",
				 what, engine);
			return -1;
		}
		if (h->engine && strcmp(h->engine, engine) != 0) {
			snprintf(err, errlen, "%s: host '%s' is given two engines, %s and %s", what,
				 h->name, h->engine, engine);
			return -1;
		}
		if (!h->engine && !(h->engine = strdup(engine))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "%s: no host '%.*s' in --host or --hostfile", what, (int)namelen, name);
	return -1;
}

/* A hostfile line's certs=DIR for host name, which has its engine already. */
static int set_certs(struct cmpi_host *hosts, size_t nhosts, const char *name, size_t namelen,
		     const char *certs, char *why, size_t whylen)
{
	for (size_t i = 0; i < nhosts; i++) {
		struct cmpi_host *h = &hosts[i];
		if (strlen(h->name) != namelen || memcmp(h->name, name, namelen) != 0)
			continue;
		if (h->certs && strcmp(h->certs, certs) != 0) {
			snprintf(why, whylen,
				 "host '%s' is given two certs= directories, %s and %s", h->name,
				 h->certs, certs);
			return -1;
		}
		if (!h->certs && !(h->certs = strdup(certs))) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int cmpi_hosts_add_list(struct cmpi_host **hosts, size_t *nhosts, const char *list,
			const char *what, char *err, size_t errlen)
{
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *colon = memrchr(p, ':', len);
		size_t namelen = colon ? (size_t)(colon - p) : len;
		long slots = 0;

		if (namelen == 0) {
			snprintf(err, errlen, "%s '%s': an empty host name", what, list);
			return -1;
		}
		if (colon && parse_slots(colon + 1, len - namelen - 1, &slots) < 0) {
			snprintf(err, errlen,
				 "%s '%.*s': slots must be a whole number from 1 to %d", what,
				 (int)len, p, CMPI_MAX_RANKS);
			return -1;
		}
		if (cmpi_hosts_add(hosts, nhosts, p, namelen, slots, err, errlen) < 0)
			return -1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

/* One line without its comment: 1 for a host, 0 for a blank line, or -1 with the reason in why. */
static int hostfile_line(char *line, struct cmpi_host **hosts, size_t *nhosts, char *why,
			 size_t whylen)
{
	static const char space[] = " \t\r\n\v\f";
	char *save = NULL;
	char *name = strtok_r(line, space, &save);
	const char *engine = NULL, *certs = NULL;
	long slots = 0;

	if (!name)
		return 0; /* blank */
	size_t namelen = strlen(name);
	char *colon = strrchr(name, ':');
	if (colon) {
		/* MPICH's NAME:N */
		namelen = (size_t)(colon - name);
		if (parse_slots(colon + 1, strlen(colon + 1), &slots) < 0) {
			snprintf(why, whylen, "slots must be a whole number from 1 to %d in '%s'",
				 CMPI_MAX_RANKS, name);
			return -1;
		}
	}
	if (namelen == 0) {
		snprintf(why, whylen, "no host name in '%s'", name);
		return -1;
	}
	for (char *tok; (tok = strtok_r(NULL, space, &save));) {
		if (strncmp(tok, "max_slots=", 10) == 0 || strncmp(tok, "max-slots=", 10) == 0) {
			/* A cap we would have to enforce against --oversubscribe; refuse it
			 * rather than silently ignore it. */
			snprintf(why, whylen, "max_slots is not supported");
			return -1;
		}
		if (strncmp(tok, "engine=", 7) == 0) {
			engine = tok + 7;
			continue;
		}
		if (strncmp(tok, "certs=", 6) == 0 && tok[6]) {
			certs = tok + 6;
			continue;
		}
		if (strncmp(tok, "slots=", 6) != 0) {
			snprintf(why, whylen,
				 "'%s' is not understood (NAME [slots=N] [engine=URL [certs=DIR]], "
				 "or NAME:N)",
				 tok);
			return -1;
		}
		if (slots) {
			snprintf(why, whylen, "slots given twice for '%.*s'", (int)namelen, name);
			return -1;
		}
		if (parse_slots(tok + 6, strlen(tok + 6), &slots) < 0) {
			snprintf(why, whylen, "slots must be a whole number from 1 to %d in '%s'",
				 CMPI_MAX_RANKS, tok);
			return -1;
		}
	}
	if (certs && (!engine || strncmp(engine, "tcp://", 6) != 0)) {
		snprintf(why, whylen, "certs= is for a host's tcp:// engine= (its TLS files)");
		return -1;
	}
	if (cmpi_hosts_add(hosts, nhosts, name, namelen, slots, why, whylen) < 0 ||
	    (engine && cmpi_hosts_set_engine(*hosts, *nhosts, name, namelen, engine, "engine=",
					     why, whylen) < 0) ||
	    (certs && set_certs(*hosts, *nhosts, name, namelen, certs, why, whylen) < 0))
		return -1;
	return 1;
}

int cmpi_hostfile_read(const char *path, struct cmpi_host **hosts, size_t *nhosts, char *err,
		       size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	bool any = false;
	long lineno = 0;
	int rc = -1;

	if (!f) {
		snprintf(err, errlen, "hostfile %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		char why[256];

		errno = 0;
		if (getline(&line, &cap, f) < 0) {
			if (errno) {
				snprintf(err, errlen, "hostfile %s: %s", path, strerror(errno));
				goto out;
			}
			break;
		}
		lineno++;
		line[strcspn(line, "#")] = '\0';
		int n = hostfile_line(line, hosts, nhosts, why, sizeof why);
		if (n < 0) {
			snprintf(err, errlen, "hostfile %s line %ld: %s", path, lineno, why);
			goto out;
		}
		any |= n > 0;
	}
	/* mpirun refuses an empty hostfile too: the job would have nowhere to run. */
	if (!any) {
		snprintf(err, errlen, "hostfile %s names no host", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

void cmpi_hosts_free(struct cmpi_host *hosts, size_t nhosts)
{
	for (size_t i = 0; i < nhosts; i++) {
		free(hosts[i].name);
		free(hosts[i].engine);
		free(hosts[i].certs);
	}
	free(hosts);
}
