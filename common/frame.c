/* frame.c - encode and decode the 8-byte control frame header (transport-free). */
#include "cmpi/frame.h"

void cmpi_frame_header_encode(uint8_t out[CMPI_FRAME_HEADER_SIZE], enum cmpi_msg_type type,
			      uint32_t length)
{
	out[0] = CMPI_FRAME_VERSION;
	out[1] = (uint8_t)type;
	out[2] = 0;
	out[3] = 0;
	out[4] = (uint8_t)(length >> 24);
	out[5] = (uint8_t)(length >> 16);
	out[6] = (uint8_t)(length >> 8);
	out[7] = (uint8_t)length;
}

enum cmpi_frame_status cmpi_frame_header_decode(const uint8_t *data, size_t len,
						struct cmpi_frame_header *hdr)
{
	if (len < CMPI_FRAME_HEADER_SIZE)
		return CMPI_FRAME_INCOMPLETE;
	hdr->version = data[0];
	hdr->type = data[1];
	hdr->length = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 |
		      data[7];
	if (hdr->version != CMPI_FRAME_VERSION)
		return CMPI_FRAME_BAD_VERSION;
	if (hdr->type < CMPI_MSG_HELLO || hdr->type >= CMPI_MSG_TYPE_END)
		return CMPI_FRAME_BAD_TYPE;
	if (data[2] != 0 || data[3] != 0)
		return CMPI_FRAME_BAD_RESERVED;
	if (hdr->length > CMPI_FRAME_MAX_PAYLOAD)
		return CMPI_FRAME_TOO_LARGE;
	return CMPI_FRAME_OK;
}

const char *cmpi_frame_status_string(enum cmpi_frame_status status)
{
	switch (status) {
	case CMPI_FRAME_OK: return "ok";
	case CMPI_FRAME_INCOMPLETE: return "incomplete frame";
	case CMPI_FRAME_BAD_VERSION: return "unknown protocol version";
	case CMPI_FRAME_BAD_TYPE: return "unknown message type";
	case CMPI_FRAME_BAD_RESERVED: return "reserved header bits set";
	case CMPI_FRAME_TOO_LARGE: return "frame too large";
	}
	return "unknown frame status";
}

const char *cmpi_msg_type_name(unsigned type)
{
	static const char *const names[CMPI_MSG_TYPE_END] = {
		[CMPI_MSG_HELLO] = "HELLO", [CMPI_MSG_JOB] = "JOB",   [CMPI_MSG_STDIO] = "STDIO",
		[CMPI_MSG_STDIN] = "STDIN", [CMPI_MSG_EXIT] = "EXIT", [CMPI_MSG_KILL] = "KILL",
		[CMPI_MSG_BYE] = "BYE",     [CMPI_MSG_STDIN_ACK] = "STDIN_ACK",
		[CMPI_MSG_LOG] = "LOG",     [CMPI_MSG_FENCE_IN] = "FENCE_IN",
		[CMPI_MSG_FENCE_OUT] = "FENCE_OUT", [CMPI_MSG_DMODEX_REQ] = "DMODEX_REQ",
		[CMPI_MSG_DMODEX_RESP] = "DMODEX_RESP", [CMPI_MSG_ABORT] = "ABORT",
		[CMPI_MSG_CLIENT] = "CLIENT", [CMPI_MSG_STARTED] = "STARTED",
		[CMPI_MSG_TREE_PORT] = "TREE_PORT", [CMPI_MSG_TREE] = "TREE",
	};
	if (type >= CMPI_MSG_TYPE_END || !names[type])
		return "?";
	return names[type];
}
