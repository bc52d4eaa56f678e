/* pull.h - pull a missing image for --pull, showing the engine's progress on stderr. */
#ifndef CMPI_PULL_H
#define CMPI_PULL_H

struct docker;

/* Pulls image on the engine; 0, or -1 after saying why. */
int pull_image(struct docker *engine, const char *image);

#endif
