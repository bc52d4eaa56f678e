/* docker_json.c - the Docker engine's JSON answers turned into results (docker.c asks,
 * this reads), with jansson; kept free of curl so it can be tested and fuzzed. */
#include "docker_json.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *docker_json_message(const char *body, size_t len, char *buf, size_t size)
{
	json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;
	if (m)
		snprintf(buf, size, "%s", m);
	else if (len)
		snprintf(buf, size, "%.*s", len > INT_MAX ? INT_MAX : (int)len, body);
	else
		snprintf(buf, size, "no message");
	json_decref(j);
	buf[strcspn(buf, "\n")] = '\0';
	/* Printed on the user's terminal: an engine (a remote one, say) must not
	 * send it escape sequences. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return buf;
}

int docker_json_created_id(const char *body, size_t len, char id[65])
{
	json_t *reply = json_loadb(body, len, 0, NULL);
	const char *cid = json_string_value(json_object_get(reply, "Id"));
	int rc = cid && strlen(cid) == 64 ? 0 : -1;
	if (rc == 0)
		memcpy(id, cid, 65);
	json_decref(reply);
	return rc;
}

bool docker_json_running(const char *body, size_t len)
{
	json_t *c = json_loadb(body, len, 0, NULL);
	json_t *running = json_object_get(json_object_get(c, "State"), "Running");
	bool yes = !c || !json_is_false(running); /* unknown: assume it runs */
	json_decref(c);
	return yes;
}

/* The engine's hex id: it goes into request paths as it is. */
static bool id_ok(const char *id)
{
	return strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

static void strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

long docker_json_container_ids(const char *body, size_t len, const char *value_of, char ***ids,
			       char ***values)
{
	json_t *list = json_loadb(body, len, 0, NULL);
	size_t count = json_array_size(list);
	long n = -1;

	*ids = calloc(count + 1, sizeof **ids);
	if (values)
		*values = calloc(count + 1, sizeof **values);
	if (!*ids || (values && !*values))
		goto out;
	n = 0;
	for (size_t i = 0; i < count; i++) {
		json_t *c = json_array_get(list, i);
		json_t *labels = json_object_get(c, "Labels");
		const char *id = json_string_value(json_object_get(c, "Id"));
		const char *v =
		    value_of ? json_string_value(json_object_get(labels, value_of)) : NULL;
		if (!id || !id_ok(id) || !((*ids)[n] = strdup(id)))
			continue;
		if (values && !((*values)[n] = strdup(v ? v : ""))) {
			free((*ids)[n]);
			(*ids)[n] = NULL;
			continue;
		}
		n++;
	}
out:
	if (n < 0) {
		strv_free(*ids);
		*ids = NULL;
		if (values) {
			strv_free(*values);
			*values = NULL;
		}
	}
	json_decref(list);
	return n;
}

int docker_json_wait_status(const char *body, size_t len, int *status)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *code = json_object_get(j, "StatusCode");
	int rc = -1;
	/* A signal shows as 128+N, as the engine reports it. */
	if (json_is_integer(code)) {
		*status = (int)(json_integer_value(code) & 0xff) << 8;
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/* ---- pull progress ---- */

/* Sizes come from the engine and the registry. One below 0 or over this (8 PiB)
 * means nothing true and is ignored: the progress line showed negative
 * megabytes, and 256 layers near LLONG_MAX overflowed the sums (undefined
 * behaviour), both found by fuzz_docker_json. 256 of these cannot overflow. */
#define PULL_SIZE_MAX (1LL << 53)

static bool size_ok(json_int_t n)
{
	return n >= 0 && n <= PULL_SIZE_MAX;
}

static int pull_layer(struct docker_pull_events *p, const char *id)
{
	/* Not a layer's short hex id: cut short, it would match no later event
	 * and each would take a new layer. */
	if (strlen(id) >= sizeof p->layer[0].id)
		return -1;
	for (int i = 0; i < p->nlayers; i++)
		if (!strcmp(p->layer[i].id, id))
			return i;
	if (p->nlayers == DOCKER_PULL_MAX_LAYERS)
		return -1;
	snprintf(p->layer[p->nlayers].id, sizeof p->layer[0].id, "%s", id);
	return p->nlayers++;
}

/* {"status":"Downloading","id":"<layer>","progressDetail":{"current":N,"total":M}},
 * or {"error":"...","errorDetail":{...}}. */
void docker_pull_event(struct docker_pull_events *p, const char *line, size_t len)
{
	json_t *ev = json_loadb(line, len, 0, NULL);
	const char *error = json_string_value(json_object_get(ev, "error"));
	const char *status = json_string_value(json_object_get(ev, "status"));
	const char *id = json_string_value(json_object_get(ev, "id"));
	json_t *detail = json_object_get(ev, "progressDetail");

	if (error && !p->error[0])
		snprintf(p->error, sizeof p->error, "%s", error);
	/* Layer events name the layer by a short hex id; the first line names
	 * the tag instead ("Pulling from ..."). */
	int i = id && status && strncmp(status, "Pulling from", 12) ? pull_layer(p, id) : -1;
	if (i >= 0) {
		json_int_t cur = json_integer_value(json_object_get(detail, "current"));
		json_int_t total = json_integer_value(json_object_get(detail, "total"));
		if (!strcmp(status, "Downloading")) {
			if (size_ok(cur))
				p->layer[i].done = cur;
			if (total > 0 && size_ok(total))
				p->layer[i].total = total;
		} else if (!strcmp(status, "Download complete") ||
			   !strcmp(status, "Already exists") || !strcmp(status, "Pull complete")) {
			p->layer[i].done = p->layer[i].total;
			p->layer[i].complete |= strcmp(status, "Download complete") != 0;
		}
	}
	if (status && p->progress) {
		struct docker_pull_progress sum = {.layers = p->nlayers, .status = status};
		for (int k = 0; k < p->nlayers; k++) {
			sum.layers_done += p->layer[k].complete;
			sum.bytes_done += p->layer[k].done;
			sum.bytes_total += p->layer[k].total;
		}
		p->progress(p->ctx, &sum);
	}
	json_decref(ev);
}

size_t docker_pull_lines(struct docker_pull_events *p, char *buf, size_t len)
{
	char *nl;
	while ((nl = memchr(buf, '\n', len))) {
		size_t line = (size_t)(nl - buf) + 1;
		docker_pull_event(p, buf, line - 1);
		memmove(buf, buf + line, len - line);
		len -= line;
	}
	buf[len] = '\0';
	return len;
}
