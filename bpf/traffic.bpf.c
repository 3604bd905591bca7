// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tc classifier on the configured interfaces, ingress and egress: packets and
 * bytes per (source NF, destination NF, 5G protocol), and request/response
 * pairing for the 5G protocols (pfcp.bpf.h, gtpu.bpf.h). Every program returns
 * TC_ACT_UNSPEC (tcx: TCX_NEXT), so the packet continues to whatever else is
 * attached on the interface.
 *
 * Each packet is counted once per node: at the first attached hook that sees
 * it. A packet leaving through an attached interface was already counted if it
 * came in through one (bridged or routed), so egress skips those.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "gtpu.bpf.h"
#include "packet.bpf.h"
#include "pfcp.bpf.h"
#include "sbi.bpf.h"
#include "sctp.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TC_ACT_UNSPEC (-1)
#define MAX_TRAFFIC_KEYS 16384
#define MAX_ATTACHED_IFS 65536

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_TRAFFIC_KEYS);
	__type(key, struct traffic_key);
	__type(value, struct traffic_val);
} traffic SEC(".maps");

/* 1 at the ifindexes the exporter attached to. An array, so that the egress
 * check is a plain load; interfaces with larger ifindexes are not marked. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_ATTACHED_IFS);
	__type(key, __u32);
	__type(value, __u8);
} attached_ifs SEC(".maps");

/*
 * Which NFs the two addresses of a packet belong to, and the packets and
 * bytes between them, per CPU for recent address pairs: a direct-mapped
 * table by a hash of the pair (either direction). The first pair that comes
 * to an empty slot keeps it, so a packet of that pair costs one per-CPU
 * array read instead of two nf_addrs lookups and a `traffic` lookup, and its
 * counts stay in the slot (the exporter adds every CPU's slots to `traffic`).
 * Only pairs with a known NF at one end take a slot. A pair whose slot
 * another pair holds is looked up and counted in the maps.
 * The exporter fills nf_addrs before it attaches and never changes it while
 * attached; a change would have to clear this table too.
 */
#define NF_CACHE_SLOTS 256

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NF_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct nf_pair_cached);
} nf_pair_cache SEC(".maps");

static __always_inline void add_traffic(const struct traffic_key *key, __u32 len)
{
	struct traffic_val *v = bpf_map_lookup_elem(&traffic, key);
	struct traffic_val init = { .packets = 1, .bytes = len };

	if (v) {
		v->packets += 1;
		v->bytes += len;
		return;
	}
	if (bpf_map_update_elem(&traffic, key, &init, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(&traffic, key);
	if (v) {
		v->packets += 1;
		v->bytes += len;
	} else {
		count_event(EV_TRAFFIC_MAP_FULL);
	}
}

/*
 * The NFs of the packet's addresses into p->src_nf and p->dst_nf (both
 * NF_UNKNOWN when neither is an NF), and the packet counted (len octets)
 * when either is.
 */
static __noinline void nf_pair_of(struct pkt *p, __u32 len)
{
	struct nf_pair_cached *c;
	__u64 s0, s1, d0, d1, l0, l1, h0, h1;
	__u32 i, nlo, nhi, proto = p->proto;
	int swap;

	__builtin_memcpy(&s0, p->flow.saddr, 8);
	__builtin_memcpy(&s1, p->flow.saddr + 8, 8);
	__builtin_memcpy(&d0, p->flow.daddr, 8);
	__builtin_memcpy(&d1, p->flow.daddr + 8, 8);
	swap = s0 > d0 || (s0 == d0 && s1 > d1);
	l0 = swap ? d0 : s0;
	l1 = swap ? d1 : s1;
	h0 = swap ? s0 : d0;
	h1 = swap ? s1 : d1;
	/* The two addresses mixed in turn, not folded together: pairs of addresses in one subnet
	 * (a ^ b equal for many pairs) would share a few slots. */
	i = (__u32)(((((l0 ^ l1) * 0x9e3779b97f4a7c15ULL) ^ h0 ^ h1) * 0xc2b2ae3d27d4eb4fULL) >> 56) &
	    (NF_CACHE_SLOTS - 1);
	c = bpf_map_lookup_elem(&nf_pair_cache, &i);
	if (!c)
		return;
	if (!c->valid || c->lo[0] != l0 || c->lo[1] != l1 || c->hi[0] != h0 || c->hi[1] != h1) {
		nlo = nf_of_v6(swap ? p->flow.daddr : p->flow.saddr);
		nhi = nf_of_v6(swap ? p->flow.saddr : p->flow.daddr);
		p->src_nf = swap ? nhi : nlo;
		p->dst_nf = swap ? nlo : nhi;
		/* Neither address an NF: nothing to count, and no slot for the pair. */
		if (nlo == NF_UNKNOWN && nhi == NF_UNKNOWN)
			return;
		if (c->valid) {
			/* The slot is another pair's: this one is counted in the maps. */
			struct traffic_key key = { .src_nf = p->src_nf, .dst_nf = p->dst_nf, .proto = proto };

			add_traffic(&key, len);
			return;
		}
		/* An empty slot: this pair keeps it, its counters start from zero. */
		c->lo[0] = l0;
		c->lo[1] = l1;
		c->hi[0] = h0;
		c->hi[1] = h1;
		c->nf_lo = nlo;
		c->nf_hi = nhi;
		asm volatile("" ::: "memory"); /* the pair before the mark: the exporter reads the slot as it is */
		c->valid = 1;
	}
	/* A slot's pair has a known NF at one end at least. */
	p->src_nf = swap ? c->nf_hi : c->nf_lo;
	p->dst_nf = swap ? c->nf_lo : c->nf_hi;
	if (proto < PROTO_SLOTS) { /* always (nfscope.h asserts it): the bound for the verifier */
		c->count[swap & 1][proto].packets += 1;
		c->count[swap & 1][proto].bytes += len;
	}
}

static __always_inline void set_v4(__u8 *a, __u32 addr_be)
{
	__builtin_memset(a, 0, 10);
	a[10] = 0xff;
	a[11] = 0xff;
	__builtin_memcpy(a + 12, &addr_be, 4);
}

static __always_inline int handle_packet(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	void *start = data;
	struct ethhdr *eth = data;
	struct pkt p = {};
	__u16 l3proto, sport, dport;
	__u32 l3_end; /* end of the IP packet, from its length field */
	__u8 l4proto;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_UNSPEC;
	l3proto = bpf_ntohs(eth->h_proto);
	data = eth + 1;
	/* One VLAN tag in the packet (an offloaded tag is in skb->vlan_tci). */
	if (l3proto == ETH_P_8021Q || l3proto == ETH_P_8021AD) {
		struct vlan_hdr *vh = data;

		if ((void *)(vh + 1) > data_end)
			return TC_ACT_UNSPEC;
		l3proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		data = vh + 1;
	}

	if (l3proto == ETH_P_IP) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return TC_ACT_UNSPEC;
		if (bpf_ntohs(ip->frag_off) & 0x1fff)
			return TC_ACT_UNSPEC; /* later fragments carry no ports */
		l3_end = (__u32)((void *)ip - start) + bpf_ntohs(ip->tot_len);
		set_v4(p.flow.saddr, ip->saddr);
		set_v4(p.flow.daddr, ip->daddr);
		l4proto = ip->protocol;
		l4 = data + ip->ihl * 4;
	} else if (l3proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > data_end)
			return TC_ACT_UNSPEC;
		l3_end = (__u32)((void *)ip6 - start) + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(p.flow.saddr, &ip6->saddr, 16);
		__builtin_memcpy(p.flow.daddr, &ip6->daddr, 16);
		l4proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return TC_ACT_UNSPEC;
	}
	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP && l4proto != IPPROTO_SCTP)
		return TC_ACT_UNSPEC;
	/* UDP, TCP and SCTP all start with source and destination port. */
	if (l4 + 4 > data_end)
		return TC_ACT_UNSPEC;
	sport = bpf_ntohs(((__u16 *)l4)[0]);
	dport = bpf_ntohs(((__u16 *)l4)[1]);
	/* The port first: traffic on no 5G port costs no map lookup at all. */
	p.proto = proto_of(l4proto, sport, dport);
	if (p.proto == PROTO_OTHER)
		return TC_ACT_UNSPEC;
	/* IPv4 addresses are IPv4-mapped in flow, as in the nf_addrs keys. */
	nf_pair_of(&p, skb->len);
	if (p.src_nf == NF_UNKNOWN && p.dst_nf == NF_UNKNOWN)
		return TC_ACT_UNSPEC;

	p.flow.sport = sport;
	p.flow.dport = dport;
	p.flow.proto = p.proto;
	__builtin_memcpy(p.rflow.saddr, p.flow.daddr, 16);
	__builtin_memcpy(p.rflow.daddr, p.flow.saddr, 16);
	p.rflow.sport = dport;
	p.rflow.dport = sport;
	p.rflow.proto = p.proto;
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if (p.proto != PROTO_SBI || (void *)(th + 1) > data_end || th->doff < 5)
			return TC_ACT_UNSPEC;
		p.l7 = (__u32)(l4 - start) + th->doff * 4;
		/* A GSO packet's IP length may be 0 (BIG TCP): then the skb is the packet. */
		p.end = l3_end >= p.l7 && l3_end <= skb->len ? l3_end : skb->len;
		p.tcp_seq = bpf_ntohl(th->seq);
		p.tcp_flags = ((__u8 *)th)[13];
		handle_sbi(skb, &p);
		return TC_ACT_UNSPEC;
	}
	if (l4proto == IPPROTO_SCTP) {
		/* Common header: ports, verification tag, checksum (RFC 9260 §3.1). */
		p.l7 = (__u32)(l4 - start) + 12;
		p.end = l3_end < skb->len ? l3_end : skb->len;
		if (p.proto == PROTO_NGAP && p.l7 < p.end)
			handle_sctp(skb, &p);
		return TC_ACT_UNSPEC;
	}
	p.l7 = (__u32)(l4 - start) + 8;
	/* The UDP length, not skb->len: a short frame may carry Ethernet padding. */
	if (l4 + 6 > data_end)
		return TC_ACT_UNSPEC;
	p.end = (__u32)(l4 - start) + bpf_ntohs(((__u16 *)l4)[2]);
	if (p.end < p.l7 || p.end > skb->len)
		return TC_ACT_UNSPEC;
	if (p.proto == PROTO_PFCP) {
		handle_pfcp(skb, &p);
	} else if (p.proto == PROTO_GTPU) {
		/* Only Echo messages are parsed further: a G-PDU, the common case, is counted and
		 * done after one look at its type octet (in the linear part; else handle_gtpu reads it). */
		__u8 *g = l4 + 8;

		if ((void *)(g + 2) <= data_end && g[1] != GTPU_ECHO_REQUEST && g[1] != GTPU_ECHO_RESPONSE)
			return TC_ACT_UNSPEC;
		handle_gtpu(skb, &p);
	}
	return TC_ACT_UNSPEC;
}

SEC("tc")
int traffic_ingress(struct __sk_buff *skb)
{
	return handle_packet(skb);
}

SEC("tc")
int traffic_egress(struct __sk_buff *skb)
{
	__u32 in = skb->ingress_ifindex;
	__u8 *seen;

	if (in) {
		seen = bpf_map_lookup_elem(&attached_ifs, &in);
		if (seen && *seen)
			return TC_ACT_UNSPEC;
	}
	return handle_packet(skb);
}
