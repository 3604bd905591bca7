/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Request/response pairing and latency histograms, shared by the protocol
 * parsers. The first hook of this node that sees a request stamps it in
 * `inflight`; the first that sees the matching response completes it: the
 * latency goes into the per-CPU histogram of its series, the outcome into
 * `outcomes`. Requests that never get a response are swept by the exporter
 * (timeouts) or, when both of their slots are taken, evicted by a newer
 * request (EV_INFLIGHT_EVICTED). A slot is touched with plain loads and
 * compare-and-swap only: no lock, no list, no per-element allocation, which
 * is what an LRU hash pays on every insert and delete.
 */
#ifndef NFSCOPE_LATENCY_BPF_H
#define NFSCOPE_LATENCY_BPF_H

#include "common.bpf.h"

#define MAX_SERIES 4096
#define MAX_OUTCOME_KEYS 8192

/* Procedure wildcard for responses that may answer any request (PFCP Version Not Supported). */
#define PROC_ANY 0xff

/*
 * Requests in flight. Each request has two candidate slots, at two hashes of
 * its flow plus its sequence number: a flow's consecutive requests take
 * consecutive slots (the same few cache lines and pages stay hot), and two
 * flows that overlap in one place rarely overlap in the other. A request
 * goes to a free candidate, or else evicts the older of the two (counted).
 * Slots are claimed by compare-and-swap on their state, by the programs on
 * every CPU and by the exporter's timeout sweep, which reads the table
 * through mmap.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, INFLIGHT_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct inflight_slot);
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

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
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

/* Adds a latency to its series; returns the series' histogram value, or 0 when the map is full. */
static __always_inline struct hist *record_latency(const struct lat_key *k, __u64 ns)
{
	__u32 zero = 0, slot = hist_slot(ns);
	struct hist *h = bpf_map_lookup_elem(&hists, k);

	if (!h) {
		struct hist *z = bpf_map_lookup_elem(&zero_hist, &zero);

		if (!z)
			return 0;
		/* EEXIST: another CPU created it first; either way look it up again. */
		bpf_map_update_elem(&hists, k, z, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, k);
		if (!h) {
			count_event(EV_HIST_MAP_FULL);
			return 0;
		}
	}
	if (slot < HIST_SLOTS)
		h->slots[slot] += 1;
	h->sum_ns += ns;
	return h;
}

/* The enum fast_outcome of an outcome and code, or FAST_OUTCOMES when it is none of them. */
static __always_inline __u32 fast_outcome(__u8 outcome, __u32 code)
{
	if (outcome != OUTCOME_ACCEPTED)
		return FAST_OUTCOMES;
	switch (code) {
	case 0:
		return FAST_ACCEPTED_0;
	case 1:
		return FAST_ACCEPTED_1;
	case 200:
		return FAST_ACCEPTED_200;
	case 201:
		return FAST_ACCEPTED_201;
	case 204:
		return FAST_ACCEPTED_204;
	}
	return FAST_OUTCOMES;
}

/*
 * Multipliers of the in-flight index: the 64-bit golden ratio and the second
 * constant of MurmurHash3's finaliser (odd, with well-spread bits).
 * exporter/src/kernel/inflight-index.ts mirrors the index; a test ties the
 * two together through the kernel.
 */
#define INFLIGHT_MIX_K1 0x9e3779b97f4a7c15ULL
#define INFLIGHT_MIX_K2 0xc4ceb9fe1a85ec53ULL

/* One 64-bit word into the index hash: a multiply carries each bit upwards, the fold brings the high half back down. */
static __always_inline __u64 inflight_absorb(__u64 h, __u64 w)
{
	h = (h ^ w) * INFLIGHT_MIX_K1;
	return h ^ (h >> 32);
}

/*
 * The two candidate slots of a request (see `inflight`): a hash of the flow,
 * that is of all 32 octets of its two addresses (four native-order 64-bit
 * words, saddr first), both ports and the protocol, plus the request's run
 * number, so that a flow's consecutive requests take consecutive slots. Each
 * word goes through a multiply and a fold, and the result through two more
 * multiplies, so every bit of the flow reaches every bit the slots are taken
 * from (peers that differ only in the last octet of an address get unrelated
 * slots); the two slots are the top two 16-bit fields of the last product.
 */
static __always_inline void inflight_index(const struct flow_seq *f, __u32 *i1, __u32 *i2)
{
	/* HTTP/2 client streams are odd: consecutive requests differ by 2. */
	__u32 run = f->proto == PROTO_SBI ? f->seq >> 1 : f->seq;
	__u64 w[4], h;

	__builtin_memcpy(&w[0], f->saddr, 16);
	__builtin_memcpy(&w[2], f->daddr, 16);
	h = ((__u64)f->sport << 32) | ((__u64)f->dport << 16) | f->proto;
	h = inflight_absorb(h, w[0]);
	h = inflight_absorb(h, w[1]);
	h = inflight_absorb(h, w[2]);
	h = inflight_absorb(h, w[3]);
	/* Two more rounds, so that the last word's bits reach every bit of both fields too. */
	h *= INFLIGHT_MIX_K2;
	h = (h ^ (h >> 29)) * INFLIGHT_MIX_K1;
	*i1 = ((__u32)(h >> 48) + run) & (INFLIGHT_SLOTS - 1);
	*i2 = ((__u32)(h >> 32) + run) & (INFLIGHT_SLOTS - 1);
}

static __always_inline int slot_match(const struct inflight_slot *s, const struct flow_seq *f)
{
	__u64 a[4], b[4];

	__builtin_memcpy(a, s->saddr, 32);
	__builtin_memcpy(&b[0], f->saddr, 16);
	__builtin_memcpy(&b[2], f->daddr, 16);
	return s->seq == f->seq && s->sport == f->sport && s->dport == f->dport && s->proto == f->proto &&
	       a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* The slot holding request `f`, if it is in flight. */
static __always_inline struct inflight_slot *inflight_find(const struct flow_seq *f)
{
	struct inflight_slot *s;
	__u32 i1, i2;

	inflight_index(f, &i1, &i2);
	s = bpf_map_lookup_elem(&inflight, &i1);
	if (s && s->state == INFLIGHT_HELD && slot_match(s, f))
		return s;
	s = bpf_map_lookup_elem(&inflight, &i2);
	if (s && s->state == INFLIGHT_HELD && slot_match(s, f))
		return s;
	return 0;
}

/*
 * Claims a held slot for taking it out: 1 when this CPU owns it now (state
 * BUSY) and it still holds `f`. Another CPU may have taken and refilled it
 * between the look and the claim: then it is put back as it was.
 */
static __always_inline int inflight_claim(struct inflight_slot *s, const struct flow_seq *f)
{
	if (__sync_val_compare_and_swap(&s->state, INFLIGHT_HELD, INFLIGHT_BUSY) != INFLIGHT_HELD)
		return 0;
	if (slot_match(s, f))
		return 1;
	__sync_lock_test_and_set(&s->state, INFLIGHT_HELD);
	return 0;
}

/* Fills a slot this CPU holds BUSY with request `f` and makes it visible (HELD). */
static __always_inline void inflight_fill(struct inflight_slot *s, const struct flow_seq *f, const struct lat_key *lat,
					  __u64 ts)
{
	s->seq = f->seq;
	s->ts_ns = ts;
	__builtin_memcpy(s->saddr, f->saddr, 16);
	__builtin_memcpy(s->daddr, f->daddr, 16);
	s->sport = f->sport;
	s->dport = f->dport;
	s->proto = f->proto;
	s->procedure = lat->procedure;
	s->client_nf = lat->client_nf;
	s->server_nf = lat->server_nf;
	/* An atomic exchange: a full barrier, so the look at the other candidate that follows comes after it. */
	__sync_lock_test_and_set(&s->state, INFLIGHT_HELD);
}

/* Claim attempts of one request before it counts as contended. */
#define INFLIGHT_PUT_TRIES 3

/*
 * A request was seen at `ts`. With `copies_count`, a copy of a request that
 * is still in flight is a retransmission (the first timestamp is kept) and a
 * different message with the same sequence number replaces it; without, a
 * request already in flight is left as it is (HTTP/2 stream ids are never
 * reused on a connection: it is this stream's).
 *
 * Otherwise the request takes a free candidate, claimed by compare-and-swap
 * expecting FREE; a claim lost to another CPU looks at both candidates again.
 * When both hold other requests, the older goes (EV_INFLIGHT_EVICTED), once
 * this CPU holds it and has seen that it still holds the request it compared,
 * which is older than the new one (when both are newer, the new one is not
 * kept: EV_INFLIGHT_FULL). After INFLIGHT_PUT_TRIES looks that all found a
 * candidate another CPU held that instant, the request is
 * EV_INFLIGHT_CONTENDED.
 *
 * Two CPUs that see two copies of one request at the same moment may store
 * them in its two candidates, neither having seen the other's: each looks at
 * the other candidate after storing its own, so one of them at least sees
 * both, and the copy in the second candidate goes.
 *
 * A global function: the verifier checks it once, not in every caller.
 */
__noinline int inflight_put(const struct flow_seq *f, const struct lat_key *lat, __u64 ts, int copies_count)
{
	struct inflight_slot *s = 0, *s1, *s2;
	__u32 i1, i2, st1, st2, n, evicted = 0;
	__u64 t;

	if (!f || !lat)
		return 0;
	inflight_index(f, &i1, &i2);
	s1 = bpf_map_lookup_elem(&inflight, &i1);
	s2 = bpf_map_lookup_elem(&inflight, &i2);
	if (!s1 || !s2)
		return 0;
	for (n = 0; n < INFLIGHT_PUT_TRIES; n++) {
		st1 = *(volatile __u32 *)&s1->state;
		st2 = *(volatile __u32 *)&s2->state;
		if (st1 == INFLIGHT_HELD && slot_match(s1, f))
			s = s1;
		else if (st2 == INFLIGHT_HELD && slot_match(s2, f))
			s = s2;
		if (s) {
			if (!copies_count)
				return 0;
			if (s->procedure == lat->procedure) {
				count_u64(&retrans, lat, EV_OUTCOME_MAP_FULL);
				return 0;
			}
			/* Same sequence number, different message: the old one is abandoned. */
			if (!inflight_claim(s, f)) {
				s = 0;
				continue; /* taken out or refilled this instant: look again */
			}
			inflight_fill(s, f, lat, ts);
			count_event(EV_INFLIGHT_EVICTED);
			return 0;
		}
		if (st1 == INFLIGHT_FREE &&
		    __sync_val_compare_and_swap(&s1->state, INFLIGHT_FREE, INFLIGHT_BUSY) == INFLIGHT_FREE) {
			s = s1;
			break;
		}
		if (st2 == INFLIGHT_FREE &&
		    __sync_val_compare_and_swap(&s2->state, INFLIGHT_FREE, INFLIGHT_BUSY) == INFLIGHT_FREE) {
			s = s2;
			break;
		}
		if (st1 != INFLIGHT_HELD || st2 != INFLIGHT_HELD)
			continue; /* a claim lost, or a candidate being written or taken out: look again */
		/* Both hold other requests: the older goes, if it is older than this one. */
		s = s1->ts_ns <= s2->ts_ns ? s1 : s2;
		t = s->ts_ns;
		if (t > ts) {
			count_event(EV_INFLIGHT_FULL);
			return 0;
		}
		if (__sync_val_compare_and_swap(&s->state, INFLIGHT_HELD, INFLIGHT_BUSY) == INFLIGHT_HELD) {
			if (s->ts_ns == t && !slot_match(s, f)) {
				evicted = 1;
				break;
			}
			/* Refilled since it was compared, or with a copy of this request: put back, look again. */
			__sync_lock_test_and_set(&s->state, INFLIGHT_HELD);
		}
		s = 0;
	}
	if (!s) {
		count_event(EV_INFLIGHT_CONTENDED);
		return 0;
	}
	inflight_fill(s, f, lat, ts);
	if (evicted)
		count_event(EV_INFLIGHT_EVICTED);
	/* A copy stored in the other candidate at the same moment: the one in the second goes. */
	if (s1 != s2 && s1->state == INFLIGHT_HELD && slot_match(s1, f) && s2->state == INFLIGHT_HELD &&
	    slot_match(s2, f) && inflight_claim(s2, f)) {
		st2 = s2->procedure == s1->procedure;
		__sync_lock_test_and_set(&s2->state, INFLIGHT_FREE);
		if (copies_count && st2)
			count_u64(&retrans, lat, EV_OUTCOME_MAP_FULL);
	}
	return 0;
}

static __always_inline void stamp_request(const struct flow_seq *f, const struct lat_key *lat)
{
	inflight_put(f, lat, bpf_ktime_get_ns(), 1);
}

/* The protocol ended request `f` without a response (HTTP/2 RST_STREAM): no transaction. */
static __always_inline void release_inflight(const struct flow_seq *f)
{
	struct inflight_slot *s = inflight_find(f);

	if (s && inflight_claim(s, f))
		__sync_lock_test_and_set(&s->state, INFLIGHT_FREE);
}

/*
 * Takes the in-flight request `req` out of the table if it is there (and,
 * unless `answers` is PROC_ANY, if it is of that type): its series in `lat`
 * and its latency in `ns`. Only the CPU whose claim succeeds gets it: a
 * response seen twice counts once.
 */
static __always_inline int take_inflight_at(const struct flow_seq *req, __u8 answers, struct lat_key *lat, __u64 now,
					    __u64 *ns)
{
	struct inflight_slot *s = inflight_find(req);
	__u64 ts;

	if (!s)
		return 0;
	if (answers != PROC_ANY && s->procedure != answers)
		return 0;
	if (!inflight_claim(s, req))
		return 0;
	ts = s->ts_ns;
	lat->client_nf = s->client_nf;
	lat->server_nf = s->server_nf;
	lat->proto = s->proto;
	lat->procedure = s->procedure;
	lat->pad[0] = 0;
	lat->pad[1] = 0;
	__sync_lock_test_and_set(&s->state, INFLIGHT_FREE);
	*ns = now - ts;
	return 1;
}

/*
 * A completed transaction of series `lat`: its latency, and its outcome in
 * the series' histogram value when it is one of enum fast_outcome, in
 * `outcomes` otherwise. A global function: the verifier checks it once, on
 * its own, instead of following its branches through the rest of every
 * caller (the SBI frame walk would exceed its instruction limit).
 */
__noinline int record_transaction(const struct lat_key *lat, __u64 ns, __u32 outcome, __u32 code)
{
	struct outcome_key ok = {};
	struct hist *h;
	__u32 f;

	if (!lat)
		return 0;
	h = record_latency(lat, ns);
	f = fast_outcome(outcome, code);
	if (h && f < FAST_OUTCOMES) {
		h->accepted[f] += 1;
		return 0;
	}
	ok.client_nf = lat->client_nf;
	ok.server_nf = lat->server_nf;
	ok.proto = lat->proto;
	ok.procedure = lat->procedure;
	ok.outcome = outcome;
	ok.code = code;
	count_u64(&outcomes, &ok, EV_OUTCOME_MAP_FULL);
	return 0;
}

/*
 * A response was seen; `req` is the request's flow (addresses and ports
 * swapped back). `answers` is the request type this response answers, or
 * PROC_ANY. Returns 1 when it completed a transaction.
 */
__noinline int complete_response_at(const struct flow_seq *req, __u32 answers, __u32 outcome, __u32 code, __u64 now)
{
	struct lat_key lat;
	__u64 ns;

	if (!req)
		return 0;
	if (!take_inflight_at(req, answers, &lat, now, &ns))
		return 0;
	record_transaction(&lat, ns, outcome, code);
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
	__u64 ns;

	if (!take_inflight_at(req, PROC_ANY, &lat, bpf_ktime_get_ns(), &ns))
		return 0;
	record_latency(&lat, ns);
	return 1;
}

#endif
