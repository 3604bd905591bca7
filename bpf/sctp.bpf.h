/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * NGAP over SCTP on N2 (RFC 9260, TS 38.412/38.413). Counts NGAP messages per
 * NF pair and procedure, and times DATA→SACK: a DATA chunk is stamped by its
 * TSN; a SACK whose cumulative TSN ack equals a stamped TSN completes it. That
 * round trip includes the peer's delayed-SACK timer: it is a transport round
 * trip, not the application's response time.
 */
#ifndef NFSCOPE_SCTP_BPF_H
#define NFSCOPE_SCTP_BPF_H

#include "latency.bpf.h"
#include "packet.bpf.h"

#define SCTP_MAX_CHUNKS 4
#define SCTP_CHUNK_DATA 0
#define SCTP_CHUNK_SACK 3
#define SCTP_PPID_NGAP 60

/* NGAP-PDU CHOICE, first octet of the APER encoding (TS 38.413 §9.4) */
#define NGAP_INITIATING 0x00
#define NGAP_SUCCESSFUL 0x20
#define NGAP_UNSUCCESSFUL 0x40

static __always_inline __u32 be32_at(const __u8 *b)
{
	return ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
}

static __always_inline void ngap_message(struct pkt *p, __u8 pdu, __u8 code)
{
	struct outcome_key k = { .proto = PROTO_NGAP, .procedure = code };

	if (pdu == NGAP_INITIATING) {
		k.client_nf = p->src_nf;
		k.server_nf = p->dst_nf;
		k.outcome = OUTCOME_INITIATED;
	} else if (pdu == NGAP_SUCCESSFUL || pdu == NGAP_UNSUCCESSFUL) {
		/* An outcome travels back from the procedure's responder to its initiator. */
		k.client_nf = p->dst_nf;
		k.server_nf = p->src_nf;
		k.outcome = pdu == NGAP_SUCCESSFUL ? OUTCOME_ACCEPTED : OUTCOME_REJECTED;
	} else {
		return;
	}
	count_u64(&outcomes, &k, EV_OUTCOME_MAP_FULL);
}

static __noinline void handle_sctp(struct __sk_buff *skb, struct pkt *p)
{
	__u32 off = p->l7;

	for (int i = 0; i < SCTP_MAX_CHUNKS; i++) {
		__u8 c[18];
		__u16 len;

		if (off + 4 > p->end || bpf_skb_load_bytes(skb, off, c, 4))
			return;
		len = be16_at(c + 2); /* without the padding to 4 octets */
		if (len < 4 || off + len > p->end)
			return;
		if (c[0] == SCTP_CHUNK_DATA && len >= sizeof(c)) {
			if (bpf_skb_load_bytes(skb, off, c, sizeof(c)))
				return;
			if (be32_at(c + 12) == SCTP_PPID_NGAP) {
				struct lat_key lat = { .client_nf = p->src_nf,
						       .server_nf = p->dst_nf,
						       .proto = PROTO_NGAP,
						       .procedure = c[17] };

				ngap_message(p, c[16], c[17]);
				p->flow.seq = be32_at(c + 4); /* TSN */
				stamp_request(&p->flow, &lat);
			}
		} else if (c[0] == SCTP_CHUNK_SACK && len >= 8) {
			if (bpf_skb_load_bytes(skb, off + 4, c, 4))
				return;
			p->rflow.seq = be32_at(c); /* cumulative TSN ack */
			complete_rtt(&p->rflow);
		}
		off += (len + 3) & ~3;
	}
}

#endif
