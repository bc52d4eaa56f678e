/* verbs_none.c - verbs.h for a build without libibverbs (DESIGN.md makes it optional): no
 * device, so the verbs tests say so and exit 77 as on a host without RDMA hardware. */
#include <stdio.h>

#include "verbs.h"

int verbs_device_count(void)
{
	return 0;
}

struct verbs_ep *verbs_ep_open(const struct verbs_config *cfg, enum wire_test test, uint32_t size,
			       char *err, size_t errlen)
{
	(void)cfg;
	(void)test;
	(void)size;
	snprintf(err, errlen, "rawbench was built without libibverbs");
	return NULL;
}

void verbs_ep_info(const struct verbs_ep *ep, struct wire_qp *out)
{
	(void)ep;
	(void)out;
}

const char *verbs_ep_describe(const struct verbs_ep *ep)
{
	(void)ep;
	return "no libibverbs";
}

int verbs_ep_connect(struct verbs_ep *ep, const struct wire_qp *peer, char *err, size_t errlen)
{
	(void)ep;
	(void)peer;
	snprintf(err, errlen, "rawbench was built without libibverbs");
	return -1;
}

int verbs_ep_run(struct verbs_ep *ep, struct verbs_run *run, char *err, size_t errlen)
{
	(void)ep;
	(void)run;
	snprintf(err, errlen, "rawbench was built without libibverbs");
	return -1;
}

void verbs_ep_close(struct verbs_ep *ep)
{
	(void)ep;
}
