/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the tc classifier knows about a packet once L2-L4 are parsed. */
#ifndef NFSCOPE_PACKET_BPF_H
#define NFSCOPE_PACKET_BPF_H

#include "nfscope.h"

struct pkt {
	struct flow_seq flow;  /* this packet's direction; seq filled per message */
	struct flow_seq rflow; /* the opposite direction, to find the request a response answers */
	__u32 src_nf;
	__u32 dst_nf;
	__u32 l7;       /* offset of the 5G payload from skb->data (after UDP/TCP/SCTP headers) */
	__u32 end;      /* end of the UDP datagram: nothing past it belongs to the message */
	__u32 tcp_seq;  /* TCP: sequence number of the segment's first payload octet */
	__u8 tcp_flags; /* TCP: FIN, SYN, RST, ACK … (octet 13 of the header) */
	__u8 proto;     /* enum nf_proto */
};

static __always_inline __u16 be16_at(const __u8 *b)
{
	return ((__u16)b[0] << 8) | b[1];
}

#endif
