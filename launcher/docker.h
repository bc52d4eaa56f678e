/* docker.h - a client of the Docker Engine API (pinned to v1.40, which Podman's compatible
 * service also speaks): HTTP with libcurl, JSON with jansson, one blocking call at a time. */
#ifndef CMPI_DOCKER_H
#define CMPI_DOCKER_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "docker_json.h"

#define DOCKER_API_VERSION "1.40"
/* A request whose engine sends nothing for this long fails ("Timeout was reached"). */
#define DOCKER_SILENCE_TIMEOUT_S 20
#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"

struct docker;

/* What went wrong, in one line for the user; http_status is 0 when the
 * engine was not reached at all. */
struct docker_error {
	long http_status;
	char message[512];
};

/* A container as cmpirun asks for it. Lists are NULL-terminated. */
struct docker_container_spec {
	const char *name; /* NULL: the engine picks one */
	const char *image;
	char *const *cmd;
	char *const *env; /* KEY=VALUE */
	const char *workdir;
	char *const *labels;	/* key=value */
	char *const *binds;	/* "host:container[:ro]" */
	char *const *cap_add;	/* capabilities, e.g. "SYS_PTRACE" */
	char *const *devices;	/* host device paths, passed through at the same path */
	bool memlock_unlimited; /* RDMA: registered memory must not be limited */
	bool host_network, host_ipc, host_pid;
	bool auto_remove;
};

/* The engine at url ("unix:///path" or "tcp://host:port"), else $DOCKER_HOST,
 * else DOCKER_DEFAULT_HOST. tcp:// uses TLS when DOCKER_TLS_VERIFY is set,
 * with ca.pem, cert.pem and key.pem from $DOCKER_CERT_PATH (~/.docker).
 * Pings it; NULL with err filled when it cannot be reached or is too old. */
struct docker *docker_connect(const char *url, struct docker_error *err);
/* The same with this engine's own TLS files (ca.pem, cert.pem, key.pem) in
 * cert_dir, which turns TLS on whatever DOCKER_TLS_VERIFY says; NULL: as above. */
struct docker *docker_connect_certs(const char *url, const char *cert_dir,
				    struct docker_error *err);
/* Another handle on the same engine, for another thread (a handle serves
 * one thread at a time). Does not ping. NULL when out of memory. */
struct docker *docker_clone(const struct docker *d);
void docker_free(struct docker *d);
/* The engine's address as the user would name it. */
const char *docker_url(const struct docker *d);

/* A new curl handle for a long request of the caller's own (a stream: wait,
 * attach) at path under the engine's versioned API, set up as this engine's
 * other calls are. NULL when out of memory. */
CURL *docker_stream_handle(const struct docker *d, const char *path);

/* 1 when the image is there, 0 when it is not, -1 on an error. */
int docker_image_exists(struct docker *d, const char *image, struct docker_error *err);

/* Pulls the image from its registry (":latest" when it names no tag),
 * calling progress (struct docker_pull_progress, in docker_json.h) as the
 * engine reports. 0, or -1 with the engine's or the registry's words in err. */
int docker_image_pull(struct docker *d, const char *image, docker_pull_progress_f progress,
		      void *ctx, struct docker_error *err);

/* Creates the container; its id (64 hex characters) goes to id. 0 or -1. */
int docker_container_create(struct docker *d, const struct docker_container_spec *spec, char id[65],
			    struct docker_error *err);
/* Unpacks the tar file into the (created, not yet started) container at
 * dir, which must exist there. 0 or -1. */
int docker_container_upload(struct docker *d, const char *id, const char *dir, const char *tar,
			    struct docker_error *err);
int docker_container_start(struct docker *d, const char *id, struct docker_error *err);
/* Sends a signal to the container's main process; a container that is not
 * running is not an error. */
int docker_container_kill(struct docker *d, const char *id, int signal, struct docker_error *err);
/* Removes it, running or not (force), and returns once the engine no longer
 * lists it; one that is already gone is not an error. */
int docker_container_remove(struct docker *d, const char *id, struct docker_error *err);

/* The ids of every container, running or not, with this label ("key=value",
 * or "key" for any value). Returns how many, with *ids a malloc'd
 * NULL-terminated list, or -1. With values non-NULL, (*values)[i] is the
 * value of label `value_of` on container i ("" when it has none). */
long docker_containers_with_label(struct docker *d, const char *label, char ***ids,
				  const char *value_of, char ***values, struct docker_error *err);

#endif
