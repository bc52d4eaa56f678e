/* frame.h - control protocol between cmpirun and cmpi-agent: frame header and message types. */
#ifndef CMPI_FRAME_H
#define CMPI_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Header: version (u8), type (u8), reserved (u16, zero), payload length (u32),
 * all big-endian, then the payload. */
#define CMPI_FRAME_VERSION 1
#define CMPI_FRAME_HEADER_SIZE 8
/* Fence data for big jobs travels in one frame; anything past this is an attack or a bug. */
#define CMPI_FRAME_MAX_PAYLOAD (64u << 20)
#define CMPI_TOKEN_SIZE 32

enum cmpi_msg_type {
	CMPI_MSG_HELLO = 1, /* agent -> launcher: token, node index, pid (first frame) */
	CMPI_MSG_JOB,       /* launcher -> agent: the agent's part of the job */
	CMPI_MSG_STDIO,     /* agent -> launcher: rank, stream, bytes */
	CMPI_MSG_STDIN,     /* launcher -> agent: bytes for rank 0; empty means EOF */
	CMPI_MSG_EXIT,      /* agent -> launcher: a rank ended (or could not start) */
	CMPI_MSG_KILL,      /* launcher -> agent: signal the ranks, escalate to SIGKILL later */
	CMPI_MSG_BYE,       /* agent -> launcher: all my ranks are done */
	CMPI_MSG_STDIN_ACK, /* agent -> launcher: stdin bytes rank 0 took (flow control) */
	CMPI_MSG_LOG,       /* agent -> launcher: one line of the agent's own messages */
	CMPI_MSG_FENCE_IN,  /* agent -> launcher: this agent's part of an allgather */
	CMPI_MSG_FENCE_OUT, /* launcher -> agent: every agent's part, or the error */
	CMPI_MSG_DMODEX_REQ, /* both ways: a rank's data is wanted by another agent */
	CMPI_MSG_DMODEX_RESP, /* both ways: the data, or the error */
	CMPI_MSG_ABORT,     /* agent -> launcher: a rank asked to end the job (MPI_Abort) */
	CMPI_MSG_CLIENT,    /* agent -> launcher: a rank's MPI library connected or finalized */
	CMPI_MSG_STARTED,   /* agent -> launcher: every rank is forked (or its EXIT said why not) */
	CMPI_MSG_TREE_PORT, /* agent -> launcher: where this agent takes its tree children */
	CMPI_MSG_TREE,      /* launcher -> agent: its parent's address and its children */
	CMPI_MSG_TYPE_END
};

struct cmpi_frame_header {
	uint8_t version;
	uint8_t type;
	uint32_t length;
};

enum cmpi_frame_status {
	CMPI_FRAME_OK = 0,
	CMPI_FRAME_INCOMPLETE,  /* need more bytes */
	CMPI_FRAME_BAD_VERSION,
	CMPI_FRAME_BAD_TYPE,
	CMPI_FRAME_BAD_RESERVED,
	CMPI_FRAME_TOO_LARGE,
};

void cmpi_frame_header_encode(uint8_t out[CMPI_FRAME_HEADER_SIZE], enum cmpi_msg_type type,
			      uint32_t length);

/* Decodes the header at the start of data[0..len). INCOMPLETE when fewer than
 * CMPI_FRAME_HEADER_SIZE bytes are there; the payload need not be present. */
enum cmpi_frame_status cmpi_frame_header_decode(const uint8_t *data, size_t len,
						struct cmpi_frame_header *hdr);

const char *cmpi_frame_status_string(enum cmpi_frame_status status);
const char *cmpi_msg_type_name(unsigned type);

#endif
