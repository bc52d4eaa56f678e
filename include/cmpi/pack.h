/* pack.h - bounds-checked packing of message payloads (integers, byte strings, string lists). */
#ifndef CMPI_PACK_H
#define CMPI_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* Writers append to an evbuffer; they return 0, or -1 when out of memory. */
int cmpi_pack_u8(struct evbuffer *out, uint8_t v);
int cmpi_pack_u32(struct evbuffer *out, uint32_t v);
int cmpi_pack_bytes(struct evbuffer *out, const void *data, size_t len); /* u32 length + bytes */
int cmpi_pack_str(struct evbuffer *out, const char *s);
int cmpi_pack_strv(struct evbuffer *out, char *const *strv);           /* u32 count + strings */

/* A reader over one payload. Any short read sets `failed` and every later
 * read returns zero values, so a decoder checks once at the end. */
struct cmpi_unpack {
	const uint8_t *pos;
	size_t left;
	bool failed;
};

void cmpi_unpack_init(struct cmpi_unpack *r, const void *data, size_t len);
uint8_t cmpi_unpack_u8(struct cmpi_unpack *r);
uint32_t cmpi_unpack_u32(struct cmpi_unpack *r);
void cmpi_unpack_fixed(struct cmpi_unpack *r, void *out, size_t len);
/* Points into the payload; no copy. */
const uint8_t *cmpi_unpack_bytes(struct cmpi_unpack *r, size_t *len);
/* Returns a malloc'd NUL-terminated copy; a string with an embedded NUL fails. */
char *cmpi_unpack_str(struct cmpi_unpack *r);
/* Returns a malloc'd NULL-terminated array of malloc'd strings. */
char **cmpi_unpack_strv(struct cmpi_unpack *r);
/* True when every byte was consumed and nothing failed. */
bool cmpi_unpack_done(const struct cmpi_unpack *r);

void cmpi_strv_free(char **strv);
size_t cmpi_strv_len(char *const *strv);

#endif
