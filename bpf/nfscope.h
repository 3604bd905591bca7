/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Layouts shared between the eBPF programs and the exporter.
 * The TypeScript side declares the same layouts in exporter/src/kernel/layout.ts;
 * exporter/src/kernel/layout.test.ts fails when the two drift.
 */
#ifndef NFSCOPE_H
#define NFSCOPE_H

/* NF id 0 means "no configured NF owns this address" (reported as `unknown`). */
#define NF_UNKNOWN 0

/* 5G protocol recognised from the transport port (key of the `ports` map). */
enum nf_proto {
	PROTO_OTHER = 0,
	PROTO_PFCP = 1, /* N4, UDP */
	PROTO_GTPU = 2, /* N3 or N9, UDP: which one depends on the NF types at both ends */
	PROTO_SBI = 3,  /* HTTP/2 over TCP */
	PROTO_NGAP = 4, /* N2, SCTP */
};

/* Key of the `nf_addrs` map: IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d). */
struct addr_key {
	__u8 addr[16];
};

/* Key of the `ports` map. */
struct port_key {
	__u8 l4proto; /* IPPROTO_UDP, IPPROTO_TCP or IPPROTO_SCTP */
	__u8 pad;
	__u16 port; /* host byte order */
};

/* Key of the `drops` map; the value is a per-CPU __u64 count. */
struct drop_key {
	__u32 src_nf;
	__u32 dst_nf;
	__u32 reason; /* enum skb_drop_reason of the running kernel */
	__u8 proto;   /* enum nf_proto */
	__u8 pad[3];
};

/* Key of the `traffic` map; the value is a per-CPU struct traffic_val. */
struct traffic_key {
	__u32 src_nf;
	__u32 dst_nf;
	__u8 proto; /* enum nf_proto */
	__u8 pad[3];
};

struct traffic_val {
	__u64 packets;
	__u64 bytes;
};

/* Indexes of the per-CPU `errors` array: events the programs could not record. */
enum nf_error {
	ERR_DROPS_MAP_FULL = 0,
	ERR_TRAFFIC_MAP_FULL = 1,
	ERR_MAX = 4,
};

#endif
