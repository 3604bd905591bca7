// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The smallest tc program: it returns TC_ACT_UNSPEC (tcx: next) and does
 * nothing else. bench/datapath.js attaches it where nfscope's programs are not
 * attached to measure what the kernel's bpf_stats report for a program that
 * does no work (the clock reads and the dispatch), and runs it with
 * BPF_PROG_TEST_RUN with statistics on and off to measure their cost per run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int bench_empty(struct __sk_buff *skb)
{
	return -1;
}
