/* pack.c - bounds-checked packing of message payloads. */
#include "cmpi/pack.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

int cmpi_pack_u8(struct evbuffer *out, uint8_t v)
{
	return evbuffer_add(out, &v, 1);
}

int cmpi_pack_u32(struct evbuffer *out, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return evbuffer_add(out, b, sizeof b);
}

int cmpi_pack_bytes(struct evbuffer *out, const void *data, size_t len)
{
	if (len > UINT32_MAX || cmpi_pack_u32(out, (uint32_t)len) < 0)
		return -1;
	return len ? evbuffer_add(out, data, len) : 0;
}

int cmpi_pack_str(struct evbuffer *out, const char *s)
{
	return cmpi_pack_bytes(out, s, strlen(s));
}

int cmpi_pack_strv(struct evbuffer *out, char *const *strv)
{
	size_t n = cmpi_strv_len(strv);
	if (n > UINT32_MAX || cmpi_pack_u32(out, (uint32_t)n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (cmpi_pack_str(out, strv[i]) < 0)
			return -1;
	return 0;
}

void cmpi_unpack_init(struct cmpi_unpack *r, const void *data, size_t len)
{
	r->pos = data;
	r->left = len;
	r->failed = false;
}

/* Returns a pointer to the next len bytes and consumes them, or NULL. */
static const uint8_t *take(struct cmpi_unpack *r, size_t len)
{
	if (r->failed || len > r->left) {
		r->failed = true;
		return NULL;
	}
	const uint8_t *p = r->pos;
	r->pos += len;
	r->left -= len;
	return p;
}

uint8_t cmpi_unpack_u8(struct cmpi_unpack *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t cmpi_unpack_u32(struct cmpi_unpack *r)
{
	const uint8_t *p = take(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

void cmpi_unpack_fixed(struct cmpi_unpack *r, void *out, size_t len)
{
	const uint8_t *p = take(r, len);
	if (p)
		memcpy(out, p, len);
	else
		memset(out, 0, len);
}

const uint8_t *cmpi_unpack_bytes(struct cmpi_unpack *r, size_t *len)
{
	uint32_t n = cmpi_unpack_u32(r);
	const uint8_t *p = take(r, n);
	*len = p ? n : 0;
	return p;
}

char *cmpi_unpack_str(struct cmpi_unpack *r)
{
	size_t len;
	const uint8_t *p = cmpi_unpack_bytes(r, &len);
	if (!p || memchr(p, '\0', len)) {
		r->failed = true;
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		r->failed = true;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

char **cmpi_unpack_strv(struct cmpi_unpack *r)
{
	uint32_t n = cmpi_unpack_u32(r);
	/* Each string takes at least its 4-byte length: a bigger count is a lie. */
	if (r->failed || n > r->left / 4) {
		r->failed = true;
		return NULL;
	}
	char **strv = calloc((size_t)n + 1, sizeof *strv);
	if (!strv) {
		r->failed = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		strv[i] = cmpi_unpack_str(r);
		if (!strv[i]) {
			cmpi_strv_free(strv);
			return NULL;
		}
	}
	return strv;
}

bool cmpi_unpack_done(const struct cmpi_unpack *r)
{
	return !r->failed && r->left == 0;
}

void cmpi_strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **s = strv; *s; s++)
		free(*s);
	free(strv);
}

size_t cmpi_strv_len(char *const *strv)
{
	size_t n = 0;
	while (strv && strv[n])
		n++;
	return n;
}
