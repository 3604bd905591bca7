/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * PFCP on N4 (3GPP TS 29.244 §7.2): pair requests and responses on the
 * 4-tuple and the 24-bit sequence number, outcome from the Cause IE.
 */
#ifndef NFSCOPE_PFCP_BPF_H
#define NFSCOPE_PFCP_BPF_H

#include "latency.bpf.h"
#include "packet.bpf.h"

/* Messages one datagram may chain with the FO flag that are looked at. */
#define PFCP_MAX_MSGS 4
/* IEs walked looking for Cause (Node ID and a few others may come first). */
#define PFCP_MAX_IES 16

#define PFCP_IE_CAUSE 19
#define PFCP_VERSION_NOT_SUPPORTED 11
#define PFCP_HEARTBEAT_RESPONSE 2

/* §7.3: node messages 1-17, session messages 50-57. */
static __always_inline int pfcp_is_request(__u8 t)
{
	switch (t) {
	case 1:
	case 3:
	case 5:
	case 7:
	case 9:
	case 12:
	case 14:
	case 16:
	case 50:
	case 52:
	case 54:
	case 56:
		return 1;
	}
	return 0;
}

static __always_inline int pfcp_is_response(__u8 t)
{
	switch (t) {
	case 2:
	case 4:
	case 6:
	case 8:
	case 10:
	case 11:
	case 13:
	case 15:
	case 17:
	case 51:
	case 53:
	case 55:
	case 57:
		return 1;
	}
	return 0;
}

/* Value of the Cause IE among the IEs in [off, end), or 0 when there is none. */
static __always_inline __u32 pfcp_cause(struct __sk_buff *skb, __u32 off, __u32 end)
{
	__u8 ie[4], cause;

	for (int i = 0; i < PFCP_MAX_IES; i++) {
		__u16 type, len;

		if (off + 4 > end || bpf_skb_load_bytes(skb, off, ie, 4))
			return 0;
		type = be16_at(ie);
		len = be16_at(ie + 2);
		if (type == PFCP_IE_CAUSE) {
			if (len < 1 || off + 5 > end || bpf_skb_load_bytes(skb, off + 4, &cause, 1))
				return 0;
			return cause;
		}
		off += 4 + len;
	}
	return 0;
}

/* §8.2.1: 1 accepted, 2-3 also success, 64 and above rejections. */
static __always_inline __u8 pfcp_outcome(__u8 type, __u32 cause)
{
	if (type == PFCP_VERSION_NOT_SUPPORTED)
		return OUTCOME_OTHER;
	if (cause == 0)
		return type == PFCP_HEARTBEAT_RESPONSE ? OUTCOME_ACCEPTED : OUTCOME_OTHER;
	if (cause <= 3)
		return OUTCOME_ACCEPTED;
	return cause >= 64 ? OUTCOME_REJECTED : OUTCOME_OTHER;
}

/*
 * One message header at `off`: its flags, type, sequence number, header
 * length (after the first four octets) and end. Returns 0 when it is not a
 * sane PFCP v1 header inside the datagram.
 */
static __always_inline int pfcp_header(struct __sk_buff *skb, const struct pkt *p, __u32 off, __u8 *flags, __u8 *type,
				       __u32 *seq, __u32 *hlen, __u32 *end)
{
	__u8 h[8];
	__u32 len;

	/* The shortest message (S=0) has 8 octets: flags, type, length, sequence, spare. */
	if (off + 8 > p->end || bpf_skb_load_bytes(skb, off, h, 8))
		return 0;
	if ((h[0] >> 5) != 1)
		return 0; /* not PFCP version 1 */
	*flags = h[0];
	*type = h[1];
	len = be16_at(h + 2); /* octets after the first four */
	/* S=1: SEID (8), sequence (3), spare (1); S=0: sequence (3), spare (1) */
	*hlen = (h[0] & 0x01) ? 12 : 4;
	*end = off + 4 + len;
	if (len < *hlen || *end > p->end)
		return 0;
	if (h[0] & 0x01) {
		if (bpf_skb_load_bytes(skb, off + 12, h + 4, 3)) /* octets 12-14 */
			return 0;
	}
	*seq = ((__u32)h[4] << 16) | ((__u32)h[5] << 8) | h[6];
	return 1;
}

/*
 * A datagram is taken only when its whole FO chain (§7.2.2) is well formed:
 * at most PFCP_MAX_MSGS messages, each length inside the datagram, the last
 * one (FO=0) ending exactly where the datagram ends. Anything else is ignored
 * as a whole, so a malformed chain never stamps half its requests.
 */
static __always_inline int pfcp_chain_ok(struct __sk_buff *skb, const struct pkt *p)
{
	__u32 off = p->l7, hlen, end, seq;
	__u8 flags, type;

	for (int i = 0; i < PFCP_MAX_MSGS; i++) {
		if (!pfcp_header(skb, p, off, &flags, &type, &seq, &hlen, &end))
			return 0;
		if (!(flags & 0x04))
			return end == p->end;
		off = end;
	}
	return 0;
}

static __always_inline void pfcp_message(struct __sk_buff *skb, struct pkt *p, __u32 off, __u8 type, __u32 seq,
					 __u32 hlen, __u32 end)
{
	if (pfcp_is_request(type)) {
		struct lat_key lat = {
			.client_nf = p->src_nf, .server_nf = p->dst_nf, .proto = PROTO_PFCP, .procedure = type
		};

		p->flow.seq = seq;
		stamp_request(&p->flow, &lat);
	} else if (pfcp_is_response(type)) {
		__u32 cause = pfcp_cause(skb, off + 4 + hlen, end);

		p->rflow.seq = seq;
		complete_response(&p->rflow, type == PFCP_VERSION_NOT_SUPPORTED ? PROC_ANY : type - 1,
				  pfcp_outcome(type, cause), cause);
	}
}

static __noinline void handle_pfcp(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = p->l7, hlen, end, seq;
	__u8 flags, type;

	if (!pfcp_header(skb, p, off, &flags, &type, &seq, &hlen, &end))
		return;
	/* The common case, one message: it must fill the datagram exactly. */
	if (!(flags & 0x04)) {
		if (end == p->end)
			pfcp_message(skb, p, off, type, seq, hlen, end);
		return;
	}
	if (!pfcp_chain_ok(skb, p))
		return;
	for (int i = 0; i < PFCP_MAX_MSGS; i++) {
		if (!pfcp_header(skb, p, off, &flags, &type, &seq, &hlen, &end))
			return;
		pfcp_message(skb, p, off, type, seq, hlen, end);
		if (!(flags & 0x04)) /* FO: another message follows */
			return;
		off = end;
	}
}

#endif
