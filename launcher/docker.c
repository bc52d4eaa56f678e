/* docker.c - Docker Engine API calls over libcurl (unix socket, or tcp with TLS), bodies in
 * and out as JSON with jansson; errors carry the engine's own message and HTTP status. */
#define _GNU_SOURCE
#include "docker.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct docker {
	CURL *curl;
	char *url;  /* as the user names it: unix:///var/run/docker.sock */
	char *cert_dir; /* TLS client files for this engine; NULL: $DOCKER_CERT_PATH */
	char *base; /* what requests start with: http://localhost/v1.40 */
	char *body; /* the last response */
	size_t len, cap;
	FILE *upload; /* the next request's body, when it is a file (a tar) */
	long long upload_size;
};

__attribute__((format(printf, 3, 4))) static void set_error(struct docker_error *err, long status,
							    const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	err->http_status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct docker *d = arg;
	size_t n = size * nmemb;
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + n + 1)
			cap *= 2;
		char *grown = realloc(d->body, cap);
		if (!grown)
			return 0; /* curl then fails the transfer */
		d->body = grown;
		d->cap = cap;
	}
	memcpy(d->body + d->len, data, n);
	d->len += n;
	d->body[d->len] = '\0';
	return n;
}

/* The engine's "message" from an error body, or the body itself. */
static const char *engine_message(struct docker *d, char *buf, size_t size)
{
	return docker_json_message(d->body, d->len, buf, size);
}

/* One request; the reply body is in d->body. Returns the HTTP status, or -1
 * (err filled) when the engine could not be reached. */
static long request(struct docker *d, const char *method, const char *path, json_t *body,
		    struct docker_error *err)
{
	char *url = NULL, *json = NULL;
	struct curl_slist *headers = NULL;
	long status = -1;

	d->len = 0;
	if (asprintf(&url, "%s%s", d->base, path) < 0)
		goto out;
	curl_easy_setopt(d->curl, CURLOPT_URL, url);
	if (d->upload) {
		headers = curl_slist_append(headers, "Content-Type: application/x-tar");
		curl_easy_setopt(d->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(d->curl, CURLOPT_READDATA, d->upload);
		curl_easy_setopt(d->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)d->upload_size);
	} else if (body) {
		json = json_dumps(body, JSON_COMPACT);
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, json ? json : "");
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, "");
	} else {
		curl_easy_setopt(d->curl, CURLOPT_HTTPGET, 1L); /* no body left from a POST */
	}
	curl_easy_setopt(d->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(d->curl);
	if (rc != CURLE_OK) {
		set_error(err, 0, "cannot reach the container engine at %s: %s", d->url,
			  curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_easy_setopt(d->curl, CURLOPT_UPLOAD, 0L);
	curl_easy_setopt(d->curl, CURLOPT_READDATA, NULL);
	curl_easy_setopt(d->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-1);
	curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(headers);
	free(json);
	free(url);
	return status;
}

/* Sets err from an unexpected status: the engine's words and the status. */
static int engine_error(struct docker *d, long status, const char *what, struct docker_error *err)
{
	char msg[400];
	if (status > 0)
		set_error(err, status, "%s: the engine at %s said %ld: %s", what, d->url, status,
			  engine_message(d, msg, sizeof msg));
	return -1;
}

/* How to reach the engine at url, on any curl handle: its unix socket, or
 * tcp with TLS as Docker's own client does. */
static int configure_transport(CURL *curl, const char *url, const char *cert_dir, char **base,
			       struct docker_error *err)
{
	if (strncmp(url, "unix://", 7) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, url + 7);
		if (base && !(*base = strdup("http://localhost/v" DOCKER_API_VERSION)))
			return -1;
		return 0;
	}
	if (strncmp(url, "tcp://", 6) != 0) {
		set_error(err, 0,
			  "unknown container engine address '%s' (unix://PATH or tcp://HOST:PORT)",
			  url);
		return -1;
	}
	/* Docker's convention: TLS when DOCKER_TLS_VERIFY is set, with the three
	 * PEM files in DOCKER_CERT_PATH (default ~/.docker). An engine given its
	 * own directory (a hostfile's certs=) always uses TLS, with those files. */
	const char *verify = getenv("DOCKER_TLS_VERIFY");
	bool tls = cert_dir || (verify && *verify && strcmp(verify, "0") != 0);
	if (base && asprintf(base, "%s://%s/v" DOCKER_API_VERSION, tls ? "https" : "http",
			     url + 6) < 0) {
		*base = NULL;
		return -1;
	}
	if (tls) {
		const char *dir = cert_dir ? cert_dir : getenv("DOCKER_CERT_PATH");
		char ca[512], cert[512], key[512], home[400];
		snprintf(home, sizeof home, "%s/.docker", getenv("HOME") ? getenv("HOME") : "");
		if (!dir || !*dir)
			dir = home;
		snprintf(ca, sizeof ca, "%s/ca.pem", dir);
		snprintf(cert, sizeof cert, "%s/cert.pem", dir);
		snprintf(key, sizeof key, "%s/key.pem", dir);
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
		curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	}
	return 0;
}

CURL *docker_stream_handle(const struct docker *d, const char *path)
{
	CURL *curl = curl_easy_init();
	char *url = NULL;
	if (!curl || configure_transport(curl, d->url, d->cert_dir, NULL, NULL) < 0 ||
	    asprintf(&url, "%s%s", d->base, path) < 0) {
		curl_easy_cleanup(curl);
		return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	free(url); /* curl keeps its own copy */
	return curl;
}

/* A handle on url, not yet asked anything. */
static struct docker *handle_new(const char *url, const char *cert_dir, struct docker_error *err)
{
	struct docker *d = calloc(1, sizeof *d);
	if (d) {
		d->url = strdup(url);
		d->cert_dir = cert_dir ? strdup(cert_dir) : NULL;
		d->curl = curl_easy_init();
	}
	if (!d || !d->url || !d->curl || (cert_dir && !d->cert_dir)) {
		set_error(err, 0, "out of memory");
		docker_free(d);
		return NULL;
	}
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A unix socket connects from the listen backlog even when nobody
	 * accepts: an engine that says nothing for this long is given up on.
	 * Not a total timeout: a pull streams progress for minutes. */
	curl_easy_setopt(d->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(d->curl, CURLOPT_LOW_SPEED_TIME, (long)DOCKER_SILENCE_TIMEOUT_S);
	if (configure_transport(d->curl, url, cert_dir, &d->base, err) < 0) {
		docker_free(d);
		return NULL;
	}
	return d;
}

struct docker *docker_connect(const char *url, struct docker_error *err)
{
	return docker_connect_certs(url, NULL, err);
}

struct docker *docker_connect_certs(const char *url, const char *cert_dir,
				    struct docker_error *err)
{
	if (!url || !*url)
		url = getenv("DOCKER_HOST");
	if (!url || !*url)
		url = DOCKER_DEFAULT_HOST;
	struct docker *d = handle_new(url, cert_dir, err);
	if (!d)
		return NULL;
	/* _ping lives outside the versioned tree; an engine older than the
	 * pinned version answers versioned calls 400, caught below. */
	long status = request(d, "GET", "/_ping", NULL, err);
	if (status < 0)
		goto fail;
	if (status != 200) {
		engine_error(d, status, "the container engine does not answer its ping", err);
		goto fail;
	}
	return d;
fail:
	docker_free(d);
	return NULL;
}

struct docker *docker_clone(const struct docker *d)
{
	return handle_new(d->url, d->cert_dir, NULL);
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	free(d->url);
	free(d->cert_dir);
	free(d->base);
	free(d->body);
	free(d);
}

const char *docker_url(const struct docker *d)
{
	return d->url;
}

/* Image references hold only these; anything else would need escaping in
 * the path and is not a name the engine would know. */
static bool image_name_ok(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "._-/:@") == strlen(s);
}

int docker_image_exists(struct docker *d, const char *image, struct docker_error *err)
{
	char path[600];
	if (!image_name_ok(image) || strlen(image) > 500) {
		set_error(err, 0, "'%s' is not an image name", image);
		return -1;
	}
	snprintf(path, sizeof path, "/images/%s/json", image);
	long status = request(d, "GET", path, NULL, err);
	if (status == 200)
		return 1;
	if (status == 404)
		return 0;
	return status < 0 ? -1 : engine_error(d, status, "cannot inspect the image", err);
}

/* ---- pulling an image: a stream of JSON lines, one per engine event ---- */

struct pull {
	struct docker *d;
	long status; /* HTTP status, read at the first bytes */
	struct docker_pull_events ev;
};

static size_t on_pull_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pull *p = arg;
	struct docker *d = p->d;
	size_t n = on_body(data, size, nmemb, d);
	if (n != size * nmemb)
		return n;
	if (!p->status)
		curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &p->status);
	if (p->status != 200)
		return n; /* an error body, read whole by the caller */
	d->len = docker_pull_lines(&p->ev, d->body, d->len);
	return n;
}

int docker_image_pull(struct docker *d, const char *image, docker_pull_progress_f progress,
		      void *ctx, struct docker_error *err)
{
	if (!image_name_ok(image) || strlen(image) > 500) {
		set_error(err, 0, "'%s' is not an image name", image);
		return -1;
	}
	/* The engine pulls every tag of a repository when given none. A tag is
	 * after the last ':' that follows the last '/' (a ':' before it is a
	 * registry's port); a digest is after '@'. */
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');
	bool tagged = colon || strchr(image, '@');
	char *name = curl_easy_escape(d->curl, image, 0), *path = NULL;
	int rc = -1;
	if (!name || asprintf(&path, "/images/create?fromImage=%s%s", name,
			      tagged ? "" : "&tag=latest") < 0) {
		set_error(err, 0, "out of memory");
		goto out;
	}
	struct pull *p = calloc(1, sizeof *p);
	if (!p) {
		set_error(err, 0, "out of memory");
		goto out;
	}
	p->d = d;
	p->ev.progress = progress;
	p->ev.ctx = ctx;
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_pull_body);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, p);
	long status = request(d, "POST", path, NULL, err);
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, d);
	if (status == 200 && d->len) /* a last line without its newline */
		docker_pull_event(&p->ev, d->body, d->len);
	if (status == 200 && p->ev.error[0])
		set_error(err, status, "cannot pull '%s': %s", image, p->ev.error);
	else if (status == 200)
		rc = 0;
	else if (status > 0)
		engine_error(d, status, "cannot pull the image", err);
	free(p);
out:
	free(path);
	curl_free(name);
	return rc;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *labels_json(char *const *v)
{
	json_t *o = json_object();
	for (; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		char key[256];
		snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - *v) : (int)strlen(*v), *v);
		json_object_set_new(o, key, json_string(eq ? eq + 1 : ""));
	}
	return o;
}

static json_t *create_body(const struct docker_container_spec *s)
{
	json_t *host = json_object();
	if (s->host_network)
		json_object_set_new(host, "NetworkMode", json_string("host"));
	if (s->host_ipc)
		json_object_set_new(host, "IpcMode", json_string("host"));
	if (s->host_pid)
		json_object_set_new(host, "PidMode", json_string("host"));
	json_object_set_new(host, "Binds", strv_json(s->binds));
	json_object_set_new(host, "CapAdd", strv_json(s->cap_add));
	json_t *devices = json_array();
	for (char *const *dev = s->devices; dev && *dev; dev++)
		json_array_append_new(devices, json_pack("{s:s,s:s,s:s}", "PathOnHost", *dev,
							 "PathInContainer", *dev,
							 "CgroupPermissions", "rwm"));
	json_object_set_new(host, "Devices", devices);
	if (s->memlock_unlimited)
		json_object_set_new(
		    host, "Ulimits",
		    json_pack("[{s:s,s:i,s:i}]", "Name", "memlock", "Soft", -1, "Hard", -1));
	json_object_set_new(host, "AutoRemove", json_boolean(s->auto_remove));

	json_t *body = json_object();
	json_object_set_new(body, "Image", json_string(s->image));
	json_object_set_new(body, "Cmd", strv_json(s->cmd));
	json_object_set_new(body, "Env", strv_json(s->env));
	if (s->workdir)
		json_object_set_new(body, "WorkingDir", json_string(s->workdir));
	json_object_set_new(body, "Labels", labels_json(s->labels));
	json_object_set_new(body, "Tty", json_false());
	json_object_set_new(body, "HostConfig", host);
	return body;
}

int docker_container_create(struct docker *d, const struct docker_container_spec *spec, char id[65],
			    struct docker_error *err)
{
	char path[300] = "/containers/create";
	if (spec->name) {
		char *name = curl_easy_escape(d->curl, spec->name, 0);
		snprintf(path, sizeof path, "/containers/create?name=%s", name ? name : "");
		curl_free(name);
	}
	json_t *body = create_body(spec);
	long status = request(d, "POST", path, body, err);
	json_decref(body);
	if (status == 404) {
		set_error(err, 404, "image '%s' not found on the engine at %s", spec->image,
			  d->url);
		return -1;
	}
	if (status != 201)
		return status < 0 ? -1 : engine_error(d, status, "cannot create a container", err);
	if (docker_json_created_id(d->body, d->len, id) == 0)
		return 0;
	set_error(err, status, "the engine at %s created a container without an id", d->url);
	return -1;
}

/* id must be the engine's hex id: it goes into the path as it is. */
static bool id_ok(const char *id)
{
	return strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

int docker_container_start(struct docker *d, const char *id, struct docker_error *err)
{
	char path[128];
	if (!id_ok(id))
		return -1;
	snprintf(path, sizeof path, "/containers/%s/start", id);
	long status = request(d, "POST", path, NULL, err);
	if (status == 204 || status == 304)
		return 0;
	return status < 0 ? -1 : engine_error(d, status, "cannot start a container", err);
}

int docker_container_upload(struct docker *d, const char *id, const char *dir, const char *tar,
			    struct docker_error *err)
{
	char *path = NULL, *where = curl_easy_escape(d->curl, dir, 0);
	FILE *f = fopen(tar, "rb");
	struct stat st;
	int rc = -1;

	if (!id_ok(id)) {
		set_error(err, 0, "'%s' is not a container id", id);
		goto out;
	}
	if (!f || fstat(fileno(f), &st) < 0) {
		char why[128];
		/* GNU strerror_r: worker threads call this. */
		set_error(err, 0, "cannot read %s: %s", tar, strerror_r(errno, why, sizeof why));
		goto out;
	}
	if (!where || asprintf(&path, "/containers/%s/archive?path=%s", id, where) < 0) {
		set_error(err, 0, "out of memory");
		goto out;
	}
	d->upload = f;
	d->upload_size = st.st_size;
	long status = request(d, "PUT", path, NULL, err);
	d->upload = NULL;
	if (status == 200)
		rc = 0;
	else if (status > 0)
		engine_error(d, status, "cannot copy files into a container", err);
out:
	if (f)
		fclose(f);
	free(path);
	curl_free(where);
	return rc;
}

/* False when the engine says the container is gone or not running. */
static bool container_running(struct docker *d, const char *id)
{
	char path[128];
	snprintf(path, sizeof path, "/containers/%s/json", id);
	long status = request(d, "GET", path, NULL, NULL);
	if (status == 404)
		return false;
	return status != 200 || docker_json_running(d->body, d->len); /* unknown: it runs */
}

int docker_container_kill(struct docker *d, const char *id, int signal, struct docker_error *err)
{
	char path[160];
	if (!id_ok(id))
		return -1;
	snprintf(path, sizeof path, "/containers/%s/kill?signal=%d", id, signal);
	long status = request(d, "POST", path, NULL, err);
	/* 404: gone; 409: not running. Either way nothing is left to signal. */
	if (status == 204 || status == 404 || status == 409)
		return 0;
	if (status < 0)
		return -1;
	/* Podman says 500 for "not running": ask the container's state. */
	char refused[400];
	engine_message(d, refused, sizeof refused);
	if (!container_running(d, id))
		return 0;
	set_error(err, status, "cannot signal a container: the engine at %s said %ld: %s", d->url,
		  status, refused);
	return -1;
}

int docker_container_remove(struct docker *d, const char *id, struct docker_error *err)
{
	char path[160];
	if (!id_ok(id))
		return -1;
	snprintf(path, sizeof path, "/containers/%s?force=1", id);
	long status = request(d, "DELETE", path, NULL, err);
	if (status == 204 || status == 404)
		return 0;
	if (status != 409)
		return status < 0 ? -1 : engine_error(d, status, "cannot remove a container", err);
	/* 409: AutoRemove is removing it already. Wait until it is gone, so that
	 * "removed" means the engine no longer lists it. */
	snprintf(path, sizeof path, "/containers/%s/json", id);
	for (int i = 0; i < 500; i++) {
		struct timespec tick = {0, 10 * 1000 * 1000};
		status = request(d, "GET", path, NULL, err);
		if (status == 404)
			return 0;
		if (status < 0)
			return -1;
		nanosleep(&tick, NULL);
	}
	set_error(err, 409, "the engine at %s did not remove container %.12s within 5 s", d->url,
		  id);
	return -1;
}

long docker_containers_with_label(struct docker *d, const char *label, char ***ids,
				  const char *value_of, char ***values, struct docker_error *err)
{
	json_t *filter = json_pack("{s:[s]}", "label", label);
	char *text = json_dumps(filter, JSON_COMPACT);
	char *esc = text ? curl_easy_escape(d->curl, text, 0) : NULL;
	char *path = NULL;
	long n = -1;

	*ids = NULL;
	if (values)
		*values = NULL;
	json_decref(filter);
	if (!esc || asprintf(&path, "/containers/json?all=1&filters=%s", esc) < 0) {
		set_error(err, 0, "out of memory");
		goto out;
	}
	long status = request(d, "GET", path, NULL, err);
	if (status != 200) {
		if (status > 0)
			engine_error(d, status, "cannot list containers", err);
		goto out;
	}
	n = docker_json_container_ids(d->body, d->len, value_of, ids, values);
	if (n < 0)
		set_error(err, 0, "out of memory");
out:
	free(path);
	curl_free(esc);
	free(text);
	return n;
}
