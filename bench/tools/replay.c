// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Replays a capture (pcap, Ethernet framing, IPv4) through traffic_ingress
 * of one or more builds of bpf/traffic.bpf.c with BPF_PROG_TEST_RUN, one run
 * per packet, the builds taking turns packet by packet (the order rotating),
 * so that a disturbance of the machine falls on all of them alike. Every
 * build gets fresh maps for each pass, with nfscope's default ports (PFCP
 * 8805 and GTP-U 2152 on UDP, SBI 7777 on TCP, NGAP 38412 on SCTP) and every
 * IPv4 address of the capture as an NF of its own. All packets run (TCP
 * connection state needs the SYNs and ACKs); UDP and SCTP packets and TCP
 * segments with payload are timed. With THRASH=MiB in the environment, that
 * much memory is written before every run, which leaves the caches about as
 * cold as the network stack leaves them between two packets of real traffic.
 *
 *   replay FILE.pcap PASSES OBJECT...
 *
 * Prints, per object, the mean ns per run over the timed packets and the
 * transactions it completed (the counts of its latency histograms). A test run's
 * packet is linear (no page fragments), unlike real TCP segments:
 * bpf_skb_load_bytes costs less here than on real traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/types.h>
#include "../../bpf/nfscope.h"

#define L4_UDP 0
#define L4_TCP 1
#define L4_SCTP 2
#define MAX_ADDRS 64
#define MAX_OBJS 8

struct rec {
	uint8_t *data;
	uint32_t len;
	int timed;
};

/* The IPv4 addresses of the capture, in the order they first appear: NF i + 1. */
static uint32_t addrs[MAX_ADDRS];
static int naddrs;

static void add_addr(uint32_t a)
{
	for (int i = 0; i < naddrs; i++)
		if (addrs[i] == a)
			return;
	if (naddrs < MAX_ADDRS)
		addrs[naddrs++] = a;
}

static void die(const char *what, const char *where)
{
	fprintf(stderr, "replay: %s: %s\n", what, where);
	exit(1);
}

/* Opens and loads one build with the default ports and the capture's addresses as NFs. */
static struct bpf_object *load(const char *path, int *prog_fd)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *m, *ro = NULL;
	const struct btf_var_secinfo *v;
	const struct btf_type *t;
	struct btf *btf;
	long off = -1;
	size_t sz = 0;
	const void *iv;
	uint8_t *init, key[16] = { [10] = 0xff, [11] = 0xff };
	int id, fd;

	if (!obj)
		die("cannot open", path);
	btf = bpf_object__btf(obj);
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (id < 0)
		die("no .rodata in the BTF of", path);
	t = btf__type_by_id(btf, id);
	v = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, v++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off), "port_proto"))
			off = v->offset;
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		size_t len = strlen(name);

		/* libbpf names it after the object: "<prefix>.rodata" (not .rodata.str1.1). */
		if (bpf_map__is_internal(m) && len >= 7 && !strcmp(name + len - 7, ".rodata"))
			ro = m;
	}
	if (off < 0 || !ro)
		die("no port_proto in", path);
	iv = bpf_map__initial_value(ro, &sz);
	if (!iv || sz != bpf_map__value_size(ro) || !(init = malloc(sz)))
		die("cannot read .rodata of", path);
	memcpy(init, iv, sz);
	init[off + 65536 * L4_UDP + 8805] = 1;   /* PROTO_PFCP */
	init[off + 65536 * L4_UDP + 2152] = 2;   /* PROTO_GTPU */
	init[off + 65536 * L4_TCP + 7777] = 3;   /* PROTO_SBI */
	init[off + 65536 * L4_SCTP + 38412] = 4; /* PROTO_NGAP */
	bpf_map__set_initial_value(ro, init, sz);
	free(init);
	if (bpf_object__load(obj))
		die("the verifier or the kernel refused", path);
	fd = bpf_object__find_map_fd_by_name(obj, "nf_addrs");
	for (uint32_t i = 0; i < (uint32_t)naddrs; i++) {
		uint32_t nf = i + 1;

		memcpy(key + 12, &addrs[i], 4);
		if (bpf_map_update_elem(fd, key, &nf, 0))
			die("cannot fill nf_addrs of", path);
	}
	*prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "traffic_ingress"));
	if (*prog_fd < 0)
		die("no traffic_ingress in", path);
	return obj;
}

static uint64_t event(struct bpf_object *obj, uint32_t ev)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu], s = 0;

	if (bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj, "events"), &ev, vals))
		return 0;
	for (int c = 0; c < ncpu; c++)
		s += vals[c];
	return s;
}

/* Latencies recorded, all series and CPUs: the transactions completed. */
static uint64_t recorded(struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "hists"), ncpu = libbpf_num_possible_cpus();
	size_t stride = (sizeof(struct hist) + 7) & ~(size_t)7;
	struct lat_key k, next, *prev = NULL;
	uint8_t *vals = malloc(stride * ncpu);
	uint64_t s = 0;

	if (!vals)
		die("out of memory", "");
	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++) {
			const struct hist *h = (const struct hist *)(vals + c * stride);

			for (int i = 0; i < HIST_SLOTS; i++)
				s += h->slots[i];
		}
	}
	free(vals);
	return s;
}

int main(int argc, char **argv)
{
	struct rec *recs = NULL;
	int n = 0, cap = 0, passes, nobj, skipped = 0;
	double sum[MAX_OBJS] = { 0 };
	uint64_t ev[MAX_OBJS][3] = { { 0 } };
	long timed = 0;
	size_t thrash = 0;
	volatile uint8_t *tb = NULL;
	uint8_t gh[24];
	FILE *f;

	if (argc < 4 || argc - 3 > MAX_OBJS) {
		fprintf(stderr, "usage: replay FILE.pcap PASSES OBJECT... (at most %d objects)\n", MAX_OBJS);
		return 2;
	}
	passes = atoi(argv[2]);
	nobj = argc - 3;
	if (passes < 1)
		die("PASSES must be a positive number, not", argv[2]);
	f = fopen(argv[1], "rb");
	if (!f || fread(gh, 1, 24, f) != 24 || *(uint32_t *)gh != 0xa1b2c3d4 || *(uint32_t *)(gh + 20) != 1)
		die("not a little-endian pcap of Ethernet frames", argv[1]);
	for (;;) {
		uint32_t h[4], ihl, iplen, a;
		uint8_t *d;
		int timed;

		if (fread(h, 4, 4, f) != 4)
			break;
		d = malloc(h[2]);
		if (fread(d, 1, h[2], f) != h[2])
			die("truncated packet in", argv[1]);
		/* A test run takes at most a page less its head and tail room. */
		if (h[2] > 3500 || h[2] < 42 || d[12] != 0x08 || d[13] != 0x00) {
			skipped++;
			free(d);
			continue;
		}
		ihl = (d[14] & 15) * 4;
		iplen = (d[16] << 8) | d[17];
		if (d[23] == 6 && h[2] >= 14 + ihl + 20)
			timed = iplen > ihl + (d[14 + ihl + 12] >> 4) * 4; /* TCP: segments with payload */
		else
			timed = d[23] == 17 || d[23] == 132; /* UDP, SCTP: every packet */
		memcpy(&a, d + 26, 4);
		add_addr(a);
		memcpy(&a, d + 30, 4);
		add_addr(a);
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			recs = realloc(recs, cap * sizeof(*recs));
		}
		recs[n++] = (struct rec){ .data = d, .len = h[2], .timed = timed };
	}
	if (getenv("THRASH"))
		thrash = (size_t)(atof(getenv("THRASH")) * (1 << 20));
	if (thrash)
		tb = malloc(thrash);
	for (int p = 0; p < passes; p++) {
		struct bpf_object *objs[MAX_OBJS];
		int fds[MAX_OBJS];

		for (int v = 0; v < nobj; v++)
			objs[v] = load(argv[3 + v], &fds[v]);
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < nobj; k++) {
				int v = (k + i + p) % nobj;
				LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = recs[i].data, .data_size_in = recs[i].len,
					    .repeat = 1);

				for (size_t t = 0; t < thrash; t += 64)
					tb[t]++;
				if (bpf_prog_test_run_opts(fds[v], &o))
					die("BPF_PROG_TEST_RUN failed for", argv[3 + v]);
				if (recs[i].timed)
					sum[v] += o.duration;
			}
			timed += recs[i].timed;
		}
		for (int v = 0; v < nobj; v++) {
			ev[v][0] += recorded(objs[v]);
			ev[v][1] += event(objs[v], EV_SBI_RESYNC);
			bpf_object__close(objs[v]);
		}
	}
	printf("%d packets (%ld timed per pass), %d left out (too large for a test run or not IPv4), %d passes, THRASH "
	       "%.2f MiB\n",
	       n, timed / passes, skipped, passes, thrash / 1048576.0);
	for (int v = 0; v < nobj; v++)
		printf("%-40s %8.1f ns per timed packet; completed %lu, SBI lost sync %lu\n", argv[3 + v],
		       sum[v] / timed, ev[v][0], ev[v][1]);
	return 0;
}
