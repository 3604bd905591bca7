/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * GTP-U on N3/N9 (3GPP TS 29.281 §5, §7.2): Echo Request/Response pairing on
 * the 4-tuple and the 16-bit sequence number. G-PDUs are counted by the
 * traffic map like every packet on the GTP-U port.
 */
#ifndef NFSCOPE_GTPU_BPF_H
#define NFSCOPE_GTPU_BPF_H

#include "latency.bpf.h"
#include "packet.bpf.h"

#define GTPU_ECHO_REQUEST 1
#define GTPU_ECHO_RESPONSE 2

static __noinline void handle_gtpu(struct __sk_buff *skb, struct pkt *p)
{
	__u8 h[10];
	__u16 len;

	if (p->l7 + sizeof(h) > p->end || bpf_skb_load_bytes(skb, p->l7, h, sizeof(h)))
		return;
	/* Version 1, PT=1 (GTP, not GTP'); echo messages carry a sequence number (S=1). */
	if ((h[0] >> 5) != 1 || !(h[0] & 0x10) || !(h[0] & 0x02))
		return;
	len = be16_at(h + 2); /* octets after the mandatory 8: the rest of the datagram */
	if (len < 4 || p->l7 + 8 + len != p->end)
		return;
	if (h[1] == GTPU_ECHO_REQUEST) {
		struct lat_key lat = { .client_nf = p->src_nf,
				       .server_nf = p->dst_nf,
				       .proto = PROTO_GTPU,
				       .procedure = GTPU_ECHO_REQUEST };

		p->flow.seq = be16_at(h + 8);
		stamp_request(&p->flow, &lat);
	} else if (h[1] == GTPU_ECHO_RESPONSE) {
		p->rflow.seq = be16_at(h + 8);
		complete_response(&p->rflow, GTPU_ECHO_REQUEST, OUTCOME_ACCEPTED, 0);
	}
}

#endif
