/* stage.h - --stage: the user's files packed once into a tar archive, for the engines of
 * other hosts to unpack into each container (they see none of this host's files). */
#ifndef CMPI_STAGE_H
#define CMPI_STAGE_H

#include <stddef.h>

/* Where the files land in each container, and where its ranks start. */
#define STAGE_NAME "cmpi-stage"
#define STAGE_DIR "/" STAGE_NAME

/* Packs paths (files or directories; symbolic links followed) as STAGE_DIR/BASENAME into
 * a new archive in a private directory under $TMPDIR, with GNU tar. Returns its
 * malloc'd path, or NULL after saying why. */
char *stage_pack(const char *const *paths, size_t npaths);

/* Removes the archive and its directory; NULL is nothing. */
void stage_remove(char *tar);

#endif
