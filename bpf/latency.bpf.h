/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Request/response pairing and latency histograms, shared by the protocol
 * parsers. The first hook of this node that sees a request stamps it in
 * `inflight`; the first that sees the matching response completes it: the
 * latency goes into the per-CPU histogram of its series, the outcome into
 * `outcomes`. Requests that never get a response are swept by the exporter
 * (timeouts) or, under pressure, evicted by the LRU (counted as the
 * difference between stamped, completed, swept and present entries).
 */
#ifndef NFSCOPE_LATENCY_BPF_H
#define NFSCOPE_LATENCY_BPF_H

#include "common.bpf.h"

#define MAX_INFLIGHT 65536
#define MAX_SERIES 4096
#define MAX_OUTCOME_KEYS 8192

/* Procedure wildcard for responses that may answer any request (PFCP Version Not Supported). */
#define PROC_ANY 0xff

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct flow_seq);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_SERIES);
	__type(key, struct lat_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* A zeroed histogram to create new series from: too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} zero_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_OUTCOME_KEYS);
	__type(key, struct outcome_key);
	__type(value, __u64);
} outcomes SEC(".maps");

/* Retransmitted requests (a copy of a request still in flight), per series. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_SERIES);
	__type(key, struct lat_key);
	__type(value, __u64);
} retrans SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* Histogram slot of a latency (layout in nfscope.h). */
static __always_inline __u32 hist_slot(__u64 ns)
{
	__u32 e, sub;

	if (ns < (1ULL << HIST_MIN_EXP))
		return 0;
	e = log2_u64(ns);
	if (e > HIST_MAX_EXP)
		return HIST_SLOTS - 1;
	sub = (ns >> (e - HIST_SUB_BITS)) & ((1 << HIST_SUB_BITS) - 1);
	return 1 + (e - HIST_MIN_EXP) * (1 << HIST_SUB_BITS) + sub;
}

static __always_inline void record_latency(const struct lat_key *k, __u64 ns)
{
	__u32 zero = 0, slot = hist_slot(ns);
	struct hist *h = bpf_map_lookup_elem(&hists, k);

	if (!h) {
		struct hist *z = bpf_map_lookup_elem(&zero_hist, &zero);

		if (!z)
			return;
		/* EEXIST: another CPU created it first; either way look it up again. */
		bpf_map_update_elem(&hists, k, z, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, k);
		if (!h) {
			count_event(EV_HIST_MAP_FULL);
			return;
		}
	}
	if (slot < HIST_SLOTS)
		h->slots[slot] += 1;
	h->sum_ns += ns;
}

/*
 * A request was seen. A copy of a request that is still in flight is a
 * retransmission: the first timestamp is kept.
 */
static __always_inline void stamp_request(const struct flow_seq *f, const struct lat_key *lat)
{
	struct inflight *cur = bpf_map_lookup_elem(&inflight, f);
	struct inflight v = {};

	if (cur) {
		if (cur->lat.procedure == lat->procedure) {
			count_u64(&retrans, lat, EV_OUTCOME_MAP_FULL);
			return;
		}
		/* Same sequence number, different message: the old one is abandoned. */
	}
	v.ts_ns = bpf_ktime_get_ns();
	v.lat = *lat;
	if (bpf_map_update_elem(&inflight, f, &v, BPF_ANY) == 0)
		count_event(EV_INFLIGHT_NEW);
	else
		count_event(EV_INFLIGHT_FULL);
}

/*
 * Takes the in-flight request `req` out of the map if it is there (and, unless
 * `answers` is PROC_ANY, if it is of that type) and records its latency.
 * Only the CPU whose delete succeeds records: a response seen twice counts once.
 */
static __always_inline int take_inflight_at(const struct flow_seq *req, __u8 answers, struct lat_key *lat, __u64 now)
{
	struct inflight *cur = bpf_map_lookup_elem(&inflight, req);
	__u64 ts;

	if (!cur)
		return 0;
	if (answers != PROC_ANY && cur->lat.procedure != answers)
		return 0;
	ts = cur->ts_ns;
	*lat = cur->lat;
	if (bpf_map_delete_elem(&inflight, req) != 0)
		return 0;
	record_latency(lat, now - ts);
	count_event(EV_INFLIGHT_DONE);
	return 1;
}

static __always_inline int take_inflight(const struct flow_seq *req, __u8 answers, struct lat_key *lat)
{
	return take_inflight_at(req, answers, lat, bpf_ktime_get_ns());
}

/*
 * A response was seen; `req` is the request's flow (addresses and ports
 * swapped back). `answers` is the request type this response answers, or
 * PROC_ANY. Returns 1 when it completed a transaction.
 */
static __always_inline int complete_response_at(const struct flow_seq *req, __u8 answers, __u8 outcome, __u32 code, __u64 now)
{
	struct outcome_key ok = {};
	struct lat_key lat;

	if (!take_inflight_at(req, answers, &lat, now))
		return 0;
	ok.client_nf = lat.client_nf;
	ok.server_nf = lat.server_nf;
	ok.proto = lat.proto;
	ok.procedure = lat.procedure;
	ok.outcome = outcome;
	ok.code = code;
	count_u64(&outcomes, &ok, EV_OUTCOME_MAP_FULL);
	return 1;
}

static __always_inline int complete_response(const struct flow_seq *req, __u8 answers, __u8 outcome, __u32 code)
{
	return complete_response_at(req, answers, outcome, code, bpf_ktime_get_ns());
}

/* A transport acknowledgement (SCTP SACK): a round trip, with no outcome of its own. */
static __always_inline int complete_rtt(const struct flow_seq *req)
{
	struct lat_key lat;

	return take_inflight(req, PROC_ANY, &lat);
}

#endif
