/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * HPACK (RFC 7541) as far as the SBI datapath (sbi.bpf.h) needs it: the
 * :method of a request and the :status of a response, from HPACK
 * static-table entries, literals whose name is :method or :status (the value
 * plain or, for :status, Huffman-coded), and dynamic-table references to such
 * literals, found by following each direction's insertions (hpack_walk). Once
 * a header block of a direction could not be walked, its dynamic table is
 * unknown and such references count as "other".
 */
#ifndef NFSCOPE_HPACK_BPF_H
#define NFSCOPE_HPACK_BPF_H

#include "h2.bpf.h"

/* Octets of a header block read for :method / :status, and fields looked at. */
#define HPACK_BUF 64
#define HPACK_MAX_FIELDS 6
/* Header blocks followed field by field for the dynamic table: size and fields at most. */
#define HPACK_BLOCK H2_WIN
#define HPACK_BLOCK_FIELDS 40
/* Fields of a header block read by hpack_fast, the walk of the common shape. */
#define HPACK_FAST_FIELDS 10
#define HPACK_STATIC_ENTRIES 61

/* Per-CPU room for the first octets of a header block: the BPF stack is too small for them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[HPACK_BUF]);
} hpack_scratch SEC(".maps");

/* Loads up to HPACK_BUF octets of [from, to) into buf; returns how many. */
static __always_inline __u32 hpack_load(struct __sk_buff *skb, __u32 from, __u32 to, __u8 *buf)
{
	__u32 n;

	if (from >= to)
		return 0;
	n = to - from;
	if (n > HPACK_BUF)
		n = HPACK_BUF;
	if (n < 1)
		return 0;
	n = ((n - 1) & (HPACK_BUF - 1)) + 1; /* 1..HPACK_BUF, in a form the verifier can follow */
	if (bpf_skb_load_bytes(skb, from, buf, n))
		return 0;
	return n;
}

/*
 * The request's :method among the first fields of its header block (RFC 7541 §6).
 * A global function: the verifier checks it once, not once per path that calls it.
 */
__noinline int hpack_method(struct __sk_buff *skb, __u32 from, __u32 to)
{
	__u32 zero = 0, n, i = 0;
	__u8 *b = bpf_map_lookup_elem(&hpack_scratch, &zero);

	if (!b)
		return SBI_METHOD_OTHER;
	n = hpack_load(skb, from, to, b);

	for (int f = 0; f < HPACK_MAX_FIELDS; f++) {
		__u8 c, name, len, v0, v1;

		if (i >= n)
			return SBI_METHOD_OTHER;
		c = b[i & (HPACK_BUF - 1)];
		if (c & 0x80) { /* indexed field: static entries 2 and 3 are GET and POST */
			if ((c & 0x7f) == 2)
				return SBI_METHOD_GET;
			if ((c & 0x7f) == 3)
				return SBI_METHOD_POST;
			if ((c & 0x7f) == 0x7f)
				return SBI_METHOD_OTHER; /* multi-octet index: a dynamic entry */
			i++;
			continue;
		}
		if ((c & 0xe0) == 0x20) { /* dynamic table size update */
			if ((c & 0x1f) == 0x1f)
				return SBI_METHOD_OTHER;
			i++;
			continue;
		}
		/* Literal: 6-bit name index with incremental indexing, else 4-bit. */
		name = (c & 0x40) ? (c & 0x3f) : (c & 0x0f);
		if (name == ((c & 0x40) ? 0x3f : 0x0f))
			return SBI_METHOD_OTHER; /* name from the dynamic table */
		i++;
		if (name == 0) { /* literal name: skip it */
			if (i >= n)
				return SBI_METHOD_OTHER;
			len = b[i & (HPACK_BUF - 1)] & 0x7f;
			if (len == 0x7f)
				return SBI_METHOD_OTHER;
			i += 1 + len;
		}
		if (i >= n)
			return SBI_METHOD_OTHER;
		c = b[i & (HPACK_BUF - 1)];
		len = c & 0x7f;
		if (len == 0x7f)
			return SBI_METHOD_OTHER;
		if (name == 2 || name == 3) { /* the name of static entries 2 and 3 is :method */
			/* Huffman never shortens these upper-case names, so encoders send them plain. */
			if ((c & 0x80) || i + 1 + len > n)
				return SBI_METHOD_OTHER;
			v0 = b[(i + 1) & (HPACK_BUF - 1)];
			v1 = b[(i + 2) & (HPACK_BUF - 1)];
			if (len == 3 && v0 == 'P' && v1 == 'U' && b[(i + 3) & (HPACK_BUF - 1)] == 'T')
				return SBI_METHOD_PUT;
			if (len == 5 && v0 == 'P' && v1 == 'A' && b[(i + 3) & (HPACK_BUF - 1)] == 'T' &&
			    b[(i + 4) & (HPACK_BUF - 1)] == 'C' && b[(i + 5) & (HPACK_BUF - 1)] == 'H')
				return SBI_METHOD_PATCH;
			if (len == 6 && v0 == 'D' && v1 == 'E' && b[(i + 3) & (HPACK_BUF - 1)] == 'L' &&
			    b[(i + 4) & (HPACK_BUF - 1)] == 'E' && b[(i + 5) & (HPACK_BUF - 1)] == 'T' &&
			    b[(i + 6) & (HPACK_BUF - 1)] == 'E')
				return SBI_METHOD_DELETE;
			if (len == 3 && v0 == 'G' && v1 == 'E' && b[(i + 3) & (HPACK_BUF - 1)] == 'T')
				return SBI_METHOD_GET;
			if (len == 4 && v0 == 'P' && v1 == 'O' && b[(i + 3) & (HPACK_BUF - 1)] == 'S' &&
			    b[(i + 4) & (HPACK_BUF - 1)] == 'T')
				return SBI_METHOD_POST;
			return SBI_METHOD_OTHER;
		}
		i += 1 + len;
	}
	return SBI_METHOD_OTHER;
}

/*
 * Three decimal digits Huffman-coded (RFC 7541 Appendix B): '0'-'2' are the
 * 5-bit codes 00000-00010, '3'-'9' the 6-bit codes 011001-011111; what is
 * left of the last octet is padding of 1 bits. Returns the number, or 0.
 */
static __always_inline __u32 huffman_status(__u8 v0, __u8 v1, __u8 v2, __u32 len)
{
	__u32 bits = ((__u32)v0 << 16) | ((__u32)v1 << 8) | (len > 2 ? v2 : 0);
	__u32 used = 0, code = 0, nbits = len * 8;

	bits <<= 8; /* the code starts at bit 31 */
	for (int k = 0; k < 3; k++) {
		__u32 top5 = bits >> 27, top6 = bits >> 26;

		if (top5 <= 2) {
			code = code * 10 + top5;
			bits <<= 5;
			used += 5;
		} else if (top6 >= 0x19 && top6 <= 0x1f) {
			code = code * 10 + (top6 - 0x19 + 3);
			bits <<= 6;
			used += 6;
		} else {
			return 0;
		}
	}
	/* The padding is shorter than an octet and all ones (§5.2). */
	if (used > nbits || nbits - used >= 8)
		return 0;
	if (nbits - used > 0 && (bits >> (32 - (nbits - used))) != (1u << (nbits - used)) - 1)
		return 0;
	return code;
}

/* The :status of static table entries 8-14 (RFC 7541 Appendix A). */
static __always_inline __u32 hpack_static_status(__u32 idx)
{
	switch (idx) {
	case 8:
		return 200;
	case 9:
		return 204;
	case 10:
		return 206;
	case 11:
		return 304;
	case 12:
		return 400;
	case 13:
		return 404;
	case 14:
		return 500;
	}
	return 0;
}

/*
 * An HPACK integer with an N-bit prefix (RFC 7541 §5.1) at b[*i], at most
 * three continuation octets; advances *i. Returns 0 when it does not fit.
 */
static __always_inline int hp_int(const __u8 *b, __u32 n, __u32 *i, __u32 mask, __u32 *out)
{
	__u32 v;

	if (*i >= n)
		return 0;
	v = b[*i & (HPACK_BLOCK - 1)] & mask;
	*i += 1;
	if (v < mask) {
		*out = v;
		return 1;
	}
	for (int k = 0; k < 3; k++) {
		__u8 c;

		if (*i >= n)
			return 0;
		c = b[*i & (HPACK_BLOCK - 1)];
		*i += 1;
		v += (__u32)(c & 0x7f) << (7 * k);
		if (!(c & 0x80)) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

/* A plain :method value of `len` octets at b[at]. */
static __always_inline __u32 hp_method_value(const __u8 *b, __u32 at, __u32 len)
{
#define V(k) b[(at + (k)) & (HPACK_BLOCK - 1)]
	if (len == 3 && V(0) == 'G' && V(1) == 'E' && V(2) == 'T')
		return SBI_METHOD_GET;
	if (len == 4 && V(0) == 'P' && V(1) == 'O' && V(2) == 'S' && V(3) == 'T')
		return SBI_METHOD_POST;
	if (len == 3 && V(0) == 'P' && V(1) == 'U' && V(2) == 'T')
		return SBI_METHOD_PUT;
	if (len == 5 && V(0) == 'P' && V(1) == 'A' && V(2) == 'T' && V(3) == 'C' && V(4) == 'H')
		return SBI_METHOD_PATCH;
	if (len == 6 && V(0) == 'D' && V(1) == 'E' && V(2) == 'L' && V(3) == 'E' && V(4) == 'T' && V(5) == 'E')
		return SBI_METHOD_DELETE;
	return SBI_METHOD_OTHER;
}

/* A :status value of `len` octets at b[at], plain or Huffman-coded; 0 when it is not three digits. */
static __always_inline __u32 hp_status_value(const __u8 *b, __u32 at, __u32 len, int huffman)
{
	if (huffman)
		return (len == 2 || len == 3) ? huffman_status(V(0), V(1), V(2), len) : 0;
	if (len != 3 || V(0) < '1' || V(0) > '9' || V(1) < '0' || V(1) > '9' || V(2) < '0' || V(2) > '9')
		return 0;
	return (V(0) - '0') * 100 + (V(1) - '0') * 10 + (V(2) - '0');
#undef V
}

/* What a reference to dynamic index idx (> 61) reads: a value remembered by hp_field, or `code`. */
/* A header block of this direction went unread: its dynamic table is unknown from now on (unless it never was known). */
static __always_inline void h2_hp_lose(struct h2_dir *d)
{
	d->hp_lost |= H2_HP_LOST; /* no branch: H2_HP_UNSEEN holds the bit already */
}

static __always_inline __u32 hp_dynamic(const struct h2_dir *d, __u32 idx, __u32 code)
{
	__u32 ins = d->hp_count - (idx - HPACK_STATIC_ENTRIES - 1);

	for (int k = 0; k < 4; k++)
		if (ins != 0 && d->hp_ins[k] == ins)
			code = d->hp_val[k];
	return code;
}

/* State of one header block's walk, shared with the bpf_loop callback. */
struct hp_walk {
	__u8 *b; /* h2_window, which holds the block */
	struct h2_dir *d;
	__u32 n;    /* where the block ends in b */
	__u32 i;    /* next field */
	__u32 code; /* the :method or :status read so far */
	__u32 client;
	int failed;
};

/* bpf_loop callback: one field of a header block (RFC 7541 §6). */
static long hp_field(__u32 index, void *ctx)
{
	struct hp_walk *w = ctx;
	struct h2_dir *d = w->d;
	__u8 *b = w->b;
	__u32 n = w->n, i = w->i, idx, len, at, v = 0;
	int insert, huffman, named;
	__u8 c;

	if (i >= n)
		return 1;
	c = b[i & (HPACK_BLOCK - 1)];
	if (c & 0x80) { /* indexed field */
		if (!hp_int(b, n, &i, 0x7f, &idx) || idx == 0)
			goto failed;
		if (idx > HPACK_STATIC_ENTRIES) {
			w->code = hp_dynamic(d, idx, w->code);
		} else if (w->client && (idx == 2 || idx == 3)) {
			w->code = idx == 2 ? SBI_METHOD_GET : SBI_METHOD_POST;
		} else if (!w->client && idx >= 8 && idx <= 14) {
			w->code = hpack_static_status(idx);
		}
		w->i = i;
		return 0;
	}
	if ((c & 0xe0) == 0x20) { /* dynamic table size update */
		if (!hp_int(b, n, &i, 0x1f, &idx))
			goto failed;
		w->i = i;
		return 0;
	}
	insert = (c & 0xc0) == 0x40;
	if (!hp_int(b, n, &i, insert ? 0x3f : 0x0f, &idx))
		goto failed;
	if (idx == 0) { /* literal name */
		if (!hp_int(b, n, &i, 0x7f, &len))
			goto failed;
		i += len;
	}
	if (i >= n)
		goto failed;
	huffman = b[i & (HPACK_BLOCK - 1)] & 0x80;
	if (!hp_int(b, n, &i, 0x7f, &len))
		goto failed;
	at = i;
	i += len;
	if (i > n)
		goto failed;
	named = w->client ? (idx == 2 || idx == 3) : (idx >= 8 && idx <= 14);
	if (named)
		v = w->client ? (huffman ? 0 : hp_method_value(b, at, len)) : hp_status_value(b, at, len, huffman);
	if (v)
		w->code = v;
	if (insert) {
		d->hp_count += 1;
		if (v) {
			__u32 slot = d->hp_next & 3;

			d->hp_ins[slot] = d->hp_count;
			d->hp_val[slot] = v;
			d->hp_next = (slot + 1) & 3;
		}
	}
	w->i = i;
	return 0;
failed:
	w->failed = 1;
	return 1;
}

/*
 * The common shape of a header block, read in one pass without bpf_loop:
 * nothing but fields that leave the dynamic table as it is, i.e. indexed
 * fields with a one-octet index, and literals without indexing or never
 * indexed whose name is a static entry (a 4-bit index, or 15 plus one
 * continuation octet) and whose value length fits its 7-bit prefix. Returns
 * the method or status exactly as hpack_walk would, or -2 when the block
 * holds any other field (or more than HPACK_FAST_FIELDS): then hpack_walk
 * follows it from the start, which nothing here has changed. Global, as
 * hpack_walk.
 */
__noinline int hpack_fast(__u32 at, __u32 len, const struct h2_dir *d, __u32 client)
{
	__u32 zero = 0, i = at, n = at + len, code = 0, idx, vlen, v;
	__u8 *b = bpf_map_lookup_elem(&h2_window, &zero);
	__u8 c;

	if (!b || !d || d->hp_lost || len == 0 || at >= HPACK_BLOCK || len > HPACK_BLOCK - at)
		return -2;
	for (int f = 0; f < HPACK_FAST_FIELDS; f++) {
		if (i >= n)
			return code;
		c = b[i & (HPACK_BLOCK - 1)];
		i++;
		if (c & 0x80) { /* indexed field */
			idx = c & 0x7f;
			if (idx == 0 || idx == 0x7f)
				return -2;
			if (idx > HPACK_STATIC_ENTRIES)
				code = hp_dynamic(d, idx, code);
			else if (client && (idx == 2 || idx == 3))
				code = idx == 2 ? SBI_METHOD_GET : SBI_METHOD_POST;
			else if (!client && idx >= 8 && idx <= 14)
				code = hpack_static_status(idx);
			continue;
		}
		if (c & 0xe0)
			return -2; /* incremental indexing, or a dynamic table size update */
		idx = c & 0x0f;
		if (idx == 0)
			return -2; /* literal name */
		if (idx == 0x0f) {
			if (i >= n)
				return -2;
			c = b[i & (HPACK_BLOCK - 1)];
			i++;
			if (c & 0x80)
				return -2;
			idx += c;
		}
		if (i >= n)
			return -2;
		c = b[i & (HPACK_BLOCK - 1)];
		i++;
		vlen = c & 0x7f;
		if (vlen == 0x7f || vlen > n - i)
			return -2;
		v = 0;
		if (client && (idx == 2 || idx == 3))
			v = (c & 0x80) ? 0 : hp_method_value(b, i, vlen);
		else if (!client && idx >= 8 && idx <= 14)
			v = hp_status_value(b, i, vlen, c & 0x80);
		if (v)
			code = v;
		i += vlen;
	}
	return i >= n ? code : -2;
}

/*
 * Walks a whole header block of one direction, the `len` octets at `at` in
 * h2_window (len 0: the block is not there), field by field, following that
 * direction's dynamic table (RFC 7541 §2.3.3, §6): counts every insertion
 * and remembers where :method (client) or :status (server) literals went, so
 * that a later reference to them is read too. Returns the method or status (0
 * when none was readable), or -1 when the block could not be followed: then
 * the table is lost for the rest of the connection. Global, so verified once.
 */
__noinline int hpack_walk(__u32 at, __u32 len, struct h2_dir *d, __u32 client)
{
	__u32 zero = 0;
	__u8 *b = bpf_map_lookup_elem(&h2_window, &zero);
	struct hp_walk w = {};

	if (!d)
		return -1;
	if (!b || d->hp_lost || len == 0 || at >= HPACK_BLOCK || len > HPACK_BLOCK - at)
		goto lost;
	w.b = b;
	w.d = d;
	w.i = at;
	w.n = at + len;
	w.client = client;
	bpf_loop(HPACK_BLOCK_FIELDS, hp_field, &w, 0);
	if (w.failed || w.i != w.n)
		goto lost; /* malformed, or more fields than followed */
	return w.code;
lost:
	h2_hp_lose(d);
	return -1;
}

/*
 * A response's :status, its first field (RFC 9113 §8.3): the status code, or
 * 0 when not readable here. Global, as hpack_method.
 */
__noinline int hpack_status(struct __sk_buff *skb, __u32 from, __u32 to)
{
	__u32 zero = 0, n, i = 0, len;
	__u8 *b = bpf_map_lookup_elem(&hpack_scratch, &zero);
	__u8 c, name;

	if (!b || from >= to)
		return 0;
	n = to - from;
	if (n > 8)
		n = 8;
	if (n < 1)
		return 0;
	n = ((n - 1) & 7) + 1;
	if (bpf_skb_load_bytes(skb, from, b, n))
		return 0;
	/* Dynamic table size updates may come first (§4.2). */
	if ((b[0] & 0xe0) == 0x20)
		i = (b[1] & 0xe0) == 0x20 ? 2 : 1;
	if (i >= n)
		return 0;
	c = b[i & 7];
	if (c & 0x80)
		return hpack_static_status(c & 0x7f);
	if ((c & 0xe0) == 0x20)
		return 0;
	name = (c & 0x40) ? (c & 0x3f) : (c & 0x0f);
	if (name < 8 || name > 14) /* the name of static entries 8-14 is :status */
		return 0;
	if (i + 1 >= n)
		return 0;
	c = b[(i + 1) & 7];
	len = c & 0x7f;
	if (i + 2 + len > n)
		return 0;
	if (c & 0x80) {
		if (len != 2 && len != 3)
			return 0;
		return huffman_status(b[(i + 2) & 7], b[(i + 3) & 7], b[(i + 4) & 7], len);
	}
	if (len != 3)
		return 0;
	{
		__u8 d0 = b[(i + 2) & 7], d1 = b[(i + 3) & 7], d2 = b[(i + 4) & 7];

		if (d0 < '1' || d0 > '9' || d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9')
			return 0;
		return (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
	}
}

#endif
