// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel packet drops, counted per (source NF, destination NF, 5G protocol,
 * drop reason) from the skb:kfree_skb tracepoint; for an unspecified reason,
 * also per freeing location. The exporter attributes each drop to the NF the
 * packet was addressed to (or its sender), names the reason from the running
 * kernel's BTF and classifies it as loss or benign.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Reasons that are not drops. Set from BTF at load time, because the numbering
 * of enum skb_drop_reason differs between kernels (SKB_CONSUMED exists only on
 * newer ones; ~0 where absent). */
const volatile __u32 reason_not_dropped = 0;
const volatile __u32 reason_consumed = ~0U;
/* SKB_DROP_REASON_NOT_SPECIFIED of the running kernel (~0 where absent): the
 * one reason whose key carries the freeing location, since the reason alone
 * says nothing. Other reasons leave it 0, so they keep one key per NF pair. */
const volatile __u32 reason_not_specified = ~0U;

#define MAX_DROP_KEYS 16384

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_DROP_KEYS);
	__type(key, struct drop_key);
	__type(value, __u64);
} drops SEC(".maps");

#define IPPROTO_FRAG_MASK 0x3fff /* IPv4 MF flag + fragment offset */

/* Ports of the transport header at `l4`, read from kernel memory; only for
 * protocols with ports in the first four bytes. */
static __always_inline __u8 proto_at(const unsigned char *l4, __u8 l4proto)
{
	__u16 p[2];

	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP && l4proto != IPPROTO_SCTP)
		return PROTO_OTHER;
	if (bpf_probe_read_kernel(p, sizeof(p), l4))
		return PROTO_OTHER;
	return proto_of(l4proto, bpf_ntohs(p[0]), bpf_ntohs(p[1]));
}

/* tp_btf arguments: (skb, location, reason[, rx_sk]) since Linux 5.17. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(count_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct drop_key key = {};
	unsigned char *head, *nh;
	__u16 nh_off, l3proto;
	__u8 first;

	if ((__u32)reason == reason_not_dropped || (__u32)reason == reason_consumed)
		return 0;

	l3proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (l3proto != ETH_P_IP && l3proto != ETH_P_IPV6)
		return 0;
	nh_off = BPF_CORE_READ(skb, network_header);
	if (nh_off == (__u16)~0U) /* network header never set */
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = head + nh_off;
	if (bpf_probe_read_kernel(&first, 1, nh))
		return 0;

	if (l3proto == ETH_P_IP && (first >> 4) == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), nh))
			return 0;
		key.src_nf = nf_of_v4(ip.saddr);
		key.dst_nf = nf_of_v4(ip.daddr);
		/* Ports exist only in the first fragment. */
		if (!(bpf_ntohs(ip.frag_off) & 0x1fff))
			key.proto = proto_at(nh + ip.ihl * 4, ip.protocol);
	} else if (l3proto == ETH_P_IPV6 && (first >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), nh))
			return 0;
		key.src_nf = nf_of_v6((const __u8 *)&ip6.saddr);
		key.dst_nf = nf_of_v6((const __u8 *)&ip6.daddr);
		/* Extension headers are not walked: such packets count as PROTO_OTHER. */
		key.proto = proto_at(nh + sizeof(ip6), ip6.nexthdr);
	} else {
		return 0;
	}

	key.reason = (__u32)reason;
	if ((__u32)reason == reason_not_specified)
		key.location = (__u64)location;
	count_u64(&drops, &key, EV_DROPS_MAP_FULL);
	return 0;
}

/*
 * What the exporter records of the datapath it pinned (datapath.ts): the
 * build of its maps, the NF ids it gave out, the interfaces it attached. The
 * programs never touch it; it lives beside the maps in the bpf file system so
 * that the next exporter knows what it adopts.
 */
struct nfscope_meta {
	char json[8192];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nfscope_meta);
} meta SEC(".maps");
