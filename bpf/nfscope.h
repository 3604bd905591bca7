/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Layouts shared between the eBPF programs and the exporter. The TypeScript
 * side, exporter/src/kernel/layout.gen.ts, is generated from the compiled
 * objects' BTF (`npm run gen`, scripts/gen-layouts.js); layout.test.ts fails
 * when it differs from what the objects say. Constants the exporter reads are
 * enumerators rather than #defines, since BTF keeps enums but not macros;
 * common.bpf.h declares a variable of each enum type so that clang keeps them.
 */
#ifndef NFSCOPE_H
#define NFSCOPE_H

/* NF id 0 means "no configured NF owns this address" (reported as `unknown`). */
enum nf_id { NF_UNKNOWN = 0 };

/* 5G protocol recognised from the transport port (port_proto in common.bpf.h). */
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

/* Key of the `drops` map; the value is a per-CPU __u64 count. */
struct drop_key {
	__u32 src_nf;
	__u32 dst_nf;
	__u32 reason; /* enum skb_drop_reason of the running kernel */
	__u8 proto;   /* enum nf_proto */
	__u8 pad[3];
	/* Kernel address the packet was freed from (the tracepoint's `location`),
	 * for SKB_DROP_REASON_NOT_SPECIFIED only, else 0: the exporter names the
	 * function from /proc/kallsyms. */
	__u64 location;
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

/* Slots per enum nf_proto (PROTO_OTHER included) in struct nf_pair_cached: one for each. */
enum nf_proto_slots { PROTO_SLOTS = 5 };
_Static_assert(PROTO_NGAP + 1 == PROTO_SLOTS, "struct nf_pair_cached needs a slot for every enum nf_proto");

/*
 * Value of the per-CPU `nf_pair_cache` array (traffic.bpf.c): an address
 * pair, the NFs it belongs to, and its packets and bytes on this CPU.
 */
struct nf_pair_cached {
	__u64 lo[2]; /* the two addresses, lo < hi as two native-order u64 words */
	__u64 hi[2];
	__u32 nf_lo;
	__u32 nf_hi;
	__u32 valid;
	__u32 pad;
	struct traffic_val count[2][PROTO_SLOTS]; /* [0]: lo → hi, [1]: hi → lo; by enum nf_proto */
};

/* Indexes of the per-CPU `events` array: things the programs count about
 * themselves (full maps, requests that could not be stamped or were evicted,
 * HTTP/2 streams out of sync). */
enum nf_event {
	EV_DROPS_MAP_FULL = 0,
	EV_TRAFFIC_MAP_FULL = 1,
	EV_HIST_MAP_FULL = 2,
	EV_OUTCOME_MAP_FULL = 3,
	/* 4 and 5 are free: requests stamped and completed are not counted (no one read them, and
	 * each cost a counter update per transaction). */
	EV_INFLIGHT_FULL = 6, /* requests not stamped: both of their slots held requests newer than they */
	EV_SBI_RESYNC = 7,    /* HTTP/2 byte streams that lost their frame boundary and wait to resynchronise */
	/* 8 is free: requests ended by the protocol (HTTP/2 RST_STREAM) are not counted. */
	/* requests in flight overwritten by a newer one (no slot free, or the same sequence number reused) */
	EV_INFLIGHT_EVICTED = 9,
	/* requests not stamped: other CPUs held their slots at every try (latency.bpf.h inflight_put) */
	EV_INFLIGHT_CONTENDED = 10,
	EV_MAX = 16,
};

/*
 * Latency histograms: log-linear, 16 sub-buckets per power of two, in
 * nanoseconds. Slot 0 holds values below 2^HIST_MIN_EXP ns (1.024 us); slot
 * 1 + (e - HIST_MIN_EXP) * 16 + s holds [ (16 + s) << (e - 4), (17 + s) << (e - 4) )
 * for 2^e <= v < 2^(e+1); the last slot holds values of 2^(HIST_MAX_EXP+1) ns
 * (137 s) and more.
 */
enum hist_layout {
	HIST_SUB_BITS = 4,
	HIST_MIN_EXP = 10,
	HIST_MAX_EXP = 36,
	HIST_SLOTS = 2 + (HIST_MAX_EXP - HIST_MIN_EXP + 1) * (1 << HIST_SUB_BITS),
};

/* A series of transactions: who asked whom, over which protocol, for what. */
struct lat_key {
	__u32 client_nf;
	__u32 server_nf;
	__u8 proto;     /* enum nf_proto */
	__u8 procedure; /* request message type (PFCP, GTP-U), NGAP procedure code, enum sbi_method */
	__u8 pad[2];
};

/*
 * The outcomes most responses have: accepted, with the code of the index's
 * name (PFCP cause, HTTP status; 0 when the response carries none). A
 * response with one of them is counted in its series' histogram value
 * (struct hist .accepted, in the cache line of sum_ns, which the response
 * writes anyway); any other outcome in the `outcomes` map, whose bucket,
 * element and per-CPU value are three more lines to fetch.
 */
enum fast_outcome {
	FAST_ACCEPTED_0 = 0,
	FAST_ACCEPTED_1 = 1,
	FAST_ACCEPTED_200 = 2,
	FAST_ACCEPTED_201 = 3,
	FAST_ACCEPTED_204 = 4,
	FAST_OUTCOMES = 5,
};

/* Value of the per-CPU `hists` map. */
struct hist {
	__u64 slots[HIST_SLOTS];
	__u64 sum_ns;
	__u64 accepted[FAST_OUTCOMES]; /* transactions with each enum fast_outcome */
};

enum nf_outcome {
	OUTCOME_ACCEPTED = 0,
	OUTCOME_REJECTED = 1,
	OUTCOME_OTHER = 2,
	OUTCOME_INITIATED = 3, /* NGAP: a procedure's initiating message */
};

/* Key of the per-CPU `outcomes` map (value: __u64 count of completed transactions). */
struct outcome_key {
	__u32 client_nf;
	__u32 server_nf;
	__u8 proto;
	__u8 procedure;
	__u8 outcome; /* enum nf_outcome */
	__u8 pad;
	__u32 code; /* PFCP cause; 0 when the response carries none */
};

/* Key of the `inflight` map: a request as it travelled, client to server. */
struct flow_seq {
	__u8 saddr[16]; /* IPv4-mapped for IPv4, as in addr_key */
	__u8 daddr[16];
	__u16 sport; /* host byte order */
	__u16 dport;
	__u32 seq; /* PFCP 24-bit or GTP-U 16-bit sequence number, SCTP TSN, HTTP/2 stream id */
	__u8 proto;
	__u8 pad[3];
};

/*
 * One slot of the `inflight` table (an mmapable array, latency.bpf.h): a
 * request in flight, with its flow as it travelled, client to server. 64
 * octets, one cache line.
 */
struct inflight_slot {
	__u32 state; /* enum inflight_state; changed only by compare-and-swap */
	__u32 seq;   /* as in flow_seq */
	__u64 ts_ns; /* bpf_ktime_get_ns() when the first copy was seen */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 procedure;
	__u8 pad[2];
	__u32 client_nf;
	__u32 server_nf;
};

/* Slots of the `inflight` table (latency.bpf.h): a power of two. */
enum inflight_slots { INFLIGHT_SLOTS = 65536 };

enum inflight_state {
	INFLIGHT_FREE = 0,
	INFLIGHT_BUSY = 1, /* being written or taken by one CPU (or the exporter's sweep) */
	INFLIGHT_HELD = 2, /* a request in flight */
};

/* SBI: the HTTP method of a request (lat_key.procedure for PROTO_SBI). */
enum sbi_method {
	SBI_METHOD_OTHER = 0, /* not in the HPACK static table and not a literal nfscope reads */
	SBI_METHOD_GET = 1,
	SBI_METHOD_POST = 2,
	SBI_METHOD_PUT = 3,
	SBI_METHOD_PATCH = 4,
	SBI_METHOD_DELETE = 5,
	/* not readable, on a connection whose start nfscope did not see (its HPACK tables were never known) */
	SBI_METHOD_UNSEEN = 6,
};

/* The :status code of a response not readable on a connection whose start nfscope did not see (no HTTP status is 1). */
enum sbi_status { SBI_STATUS_UNSEEN = 1 };

/* struct h2_dir .hp_lost: whether this direction's HPACK dynamic table is known. */
enum h2_hp_state {
	H2_HP_KNOWN = 0, /* followed from the connection's start */
	H2_HP_LOST = 1,  /* a header block went unread since */
	/* the connection's start was not seen: never known (LOST | 2, so that losing it again keeps it) */
	H2_HP_UNSEEN = 3,
};

/*
 * HTTP/2 parse state of one direction of a TCP connection (sbi.bpf.h). The
 * frame walk of each segment starts at next_seq; a frame header cut by the
 * segment's end waits in hdr; a HEADERS frame that has not ended yet waits in
 * pend_* and counts only once its last byte has been seen.
 */
struct h2_dir {
	__u64 pend_ts;     /* bpf_ktime_get_ns() of the segment the pending HEADERS started in */
	__u32 next_seq;    /* TCP sequence number of the next frame header */
	__u32 pend_stream; /* stream id of the pending HEADERS frame */
	__u32 pend_code;   /* its method (client) or :status (server) */
	__u8 sync;         /* enum h2_sync */
	__u8 have;         /* octets of a cut frame header kept in hdr */
	__u8 pend;         /* 1 while a HEADERS frame is pending */
	__u8 fin;          /* 1 once this direction sent FIN */
	__u8 hdr[9];
	__u8 hp_lost; /* enum h2_hp_state: 0 while the dynamic table is known */
	__u8 hp_next; /* slot of hp_ins/hp_val to use next */
	__u8 pad[5];
	/*
	 * The HPACK dynamic table of this direction's encoder, as far as nfscope
	 * needs it (RFC 7541 §2.3.3): how many entries were ever inserted, and
	 * for the last few :method / :status literals inserted, their insertion
	 * number and value. Dynamic index 62 is the newest insertion, so index i
	 * is insertion hp_count - (i - 62).
	 */
	__u32 hp_count;
	__u32 hp_ins[4];
	__u32 hp_val[4];
};

enum h2_sync {
	H2_UNSYNCED = 0, /* frame boundary unknown: wait for a segment that holds whole frames */
	H2_PREFACE = 1,  /* client direction after the SYN: the connection preface comes first */
	H2_SYNCED = 2,   /* next_seq is a frame boundary */
	/* client direction: its first octets were not the preface; both directions are skipped until one comes (h2c upgrade) */
	H2_NOT_H2C = 3,
};

/* Value of the `h2_conns` map, keyed by the client→server flow_seq with seq 0. */
struct h2_conn {
	struct h2_dir dir[2]; /* 0 client→server, 1 server→client */
	__u32 max_stream;     /* highest client stream id seen in a HEADERS frame */
	__u32 goaway_last;    /* last stream id of the server's GOAWAY; 0x7fffffff before one */
};

#endif
