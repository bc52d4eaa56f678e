/* container_watch.h - watch a job's containers from outside: what their agents print (the
 * engine's attach stream) and how they end (its wait call), so that an agent that dies
 * before it connects is reported at once, with its own words. */
#ifndef CMPI_CONTAINER_WATCH_H
#define CMPI_CONTAINER_WATCH_H

struct docker;
struct event_base;
struct container_watch;

/* Called on the event loop's thread once node's container has exited: status is a
 * wait(2) status, output what its agent printed (up to 4 KiB, NUL-terminated). */
typedef void (*container_exited_f)(void *ctx, long node, int status, const char *output);

struct container_watch *container_watch_start(struct event_base *base, const struct docker *engine,
					      long ncontainers, container_exited_f exited,
					      void *ctx);
/* Watches node's container (created, not started yet); safe from any thread. Returns
 * once the engine has taken both requests, so nothing the container does is missed:
 * 0, or -1 when it could not within 2 s (the container then goes unwatched: its end
 * is never reported, and the job's connect timeout still catches a dead agent). */
int container_watch_add(struct container_watch *w, long node, const char *id);
/* Ends the watching (what is still open is dropped) and frees w. */
void container_watch_stop(struct container_watch *w);

#endif
