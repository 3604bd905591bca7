/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Maps and helpers shared by the nfscope eBPF objects. Every object declares
 * `nf_addrs` and `events`; the exporter loads one copy and hands its file
 * descriptor to the other objects (bpf_map__reuse_fd), so all programs see the
 * same NF table. The port table is load-time constant data of each object.
 */
#ifndef NFSCOPE_COMMON_BPF_H
#define NFSCOPE_COMMON_BPF_H

#include "nfscope.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define MAX_NF_ADDRS 4096
#define MAX_PORTS 64

/* Which NF owns an address; filled by the exporter from its config. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_NF_ADDRS);
	__type(key, struct addr_key);
	__type(value, __u32);
} nf_addrs SEC(".maps");

/*
 * Which 5G protocol (enum nf_proto) each transport port carries, per
 * transport: set by the exporter from its config before load. A read is a
 * plain memory load, so ports are checked before anything costlier.
 */
enum l4_slot { L4_UDP, L4_TCP, L4_SCTP, L4_SLOTS };
const volatile __u8 port_proto[L4_SLOTS][65536] = {};

/*
 * A member of each enum type the exporter shares (nfscope.h, enum l4_slot):
 * clang writes an enum into the object's BTF only when something has its
 * type, and scripts/gen-layouts.js reads them from there. Never read.
 */
const volatile struct {
	enum nf_id nf_id;
	enum nf_proto nf_proto;
	enum nf_proto_slots nf_proto_slots;
	enum nf_event nf_event;
	enum hist_layout hist_layout;
	enum fast_outcome fast_outcome;
	enum nf_outcome nf_outcome;
	enum inflight_state inflight_state;
	enum inflight_slots inflight_slots;
	enum sbi_method sbi_method;
	enum sbi_status sbi_status;
	enum l4_slot l4_slot;
} nfscope_btf_enums = {};

/* Per-CPU counters of the programs' own events (enum nf_event). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} events SEC(".maps");

static __always_inline void count_event(__u32 ev)
{
	__u64 *v = bpf_map_lookup_elem(&events, &ev);

	if (v)
		*v += 1;
}

static __always_inline __u32 nf_of_v4(__u32 addr_be)
{
	struct addr_key k = {};
	__u32 *id;

	k.addr[10] = 0xff;
	k.addr[11] = 0xff;
	__builtin_memcpy(&k.addr[12], &addr_be, 4);
	id = bpf_map_lookup_elem(&nf_addrs, &k);
	return id ? *id : NF_UNKNOWN;
}

static __always_inline __u32 nf_of_v6(const __u8 *addr16)
{
	struct addr_key k;
	__u32 *id;

	__builtin_memcpy(k.addr, addr16, 16);
	id = bpf_map_lookup_elem(&nf_addrs, &k);
	return id ? *id : NF_UNKNOWN;
}

/* The 5G protocol of a flow: the server's port decides, so try the
 * destination first (requests) and then the source (responses). */
static __always_inline __u8 proto_of(__u8 l4proto, __u16 sport, __u16 dport)
{
	int slot;
	__u8 p;

	if (l4proto == IPPROTO_UDP)
		slot = L4_UDP;
	else if (l4proto == IPPROTO_TCP)
		slot = L4_TCP;
	else if (l4proto == IPPROTO_SCTP)
		slot = L4_SCTP;
	else
		return PROTO_OTHER;
	p = port_proto[slot][dport];
	return p ? p : port_proto[slot][sport];
}

/* Add one to a per-CPU __u64 counter under `key`, creating it when new. */
static __always_inline void count_u64(void *map, const void *key, __u32 err_if_full)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v) {
		*v += 1;
		return;
	}
	/* Another CPU may have created the key between the lookup and here. */
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(map, key);
	if (v)
		*v += 1;
	else
		count_event(err_if_full);
}

#endif
