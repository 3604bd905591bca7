/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SBI: HTTP/2 cleartext with prior knowledge (h2c) over TCP (RFC 9113,
 * HPACK RFC 7541). A request starts at the first client HEADERS frame of a
 * stream and completes at the first server HEADERS frame of the same stream
 * on the same connection; pairing key: client→server 4-tuple + stream id.
 *
 * TCP delivers a byte stream, so each direction keeps where its next frame
 * header starts (struct h2_dir in `h2_conns`): a segment is walked from
 * there, frame by frame; a frame may run into later segments, a frame header
 * may be cut in two, and one segment may carry many frames of many streams.
 * When a segment does not continue where the last one ended (a gap, or a
 * connection that existed before nfscope started), that direction is out of
 * sync: it waits for a segment that holds nothing but whole, plausible frames
 * (or starts with the connection preface) and resynchronises there, rather
 * than guessing where a frame might begin.
 *
 * The method and :status come from the header block: HPACK static-table
 * entries, literals whose name is :method or :status (the value plain or, for
 * :status, Huffman-coded), and dynamic-table references to such literals,
 * found by following each direction's insertions (hpack_walk). Once a header
 * block of a direction could not be walked, its dynamic table is unknown and
 * such references count as "other".
 */
#ifndef NFSCOPE_SBI_BPF_H
#define NFSCOPE_SBI_BPF_H

#include "latency.bpf.h"
#include "packet.bpf.h"

#define H2_MAX_CONNS 65536
/* Frames walked per TCP segment; a segment with more loses sync (counted). */
#define H2_MAX_FRAMES 512
/* Largest frame believed while resynchronising: the default SETTINGS_MAX_FRAME_SIZE (§6.5.2). */
#define H2_SANE_FRAME_LEN 16384
#define H2_FRAME_HEADER 9
#define H2_PREFACE_LEN 24
/* Octets of a header block read for :method / :status, and fields looked at. */
#define HPACK_BUF 64
#define HPACK_MAX_FIELDS 6
/*
 * Octets of a segment copied at once (one bpf_skb_load_bytes) into a per-CPU
 * window, from which the frame walk reads frame headers and header blocks:
 * a segment of a few small frames costs one copy instead of one per frame
 * header and header block. A power of two.
 */
#define H2_WIN 512
/* Header blocks followed field by field for the dynamic table: size and fields at most. */
#define HPACK_BLOCK H2_WIN
#define HPACK_BLOCK_FIELDS 40
/* Fields of a header block read by hpack_fast, the walk of the common shape. */
#define HPACK_FAST_FIELDS 10
#define HPACK_STATIC_ENTRIES 61
#define H2_NO_GOAWAY 0x7fffffff

/* Frame types and flags (RFC 9113 §6). */
#define H2_DATA 0
#define H2_HEADERS 1
#define H2_PRIORITY 2
#define H2_RST_STREAM 3
#define H2_SETTINGS 4
#define H2_PUSH_PROMISE 5
#define H2_PING 6
#define H2_GOAWAY 7
#define H2_WINDOW_UPDATE 8
#define H2_CONTINUATION 9
#define H2_FLAG_END_HEADERS 0x04
#define H2_FLAG_PADDED 0x08
#define H2_FLAG_PRIORITY 0x20

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, H2_MAX_CONNS);
	__type(key, struct flow_seq);
	__type(value, struct h2_conn);
} h2_conns SEC(".maps");

/* A fresh connection state: too large to build on the BPF stack next to the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct h2_conn);
} h2_zero SEC(".maps");

/* Per-CPU room for the first octets of a header block: the BPF stack is too small for them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[HPACK_BUF]);
} hpack_scratch SEC(".maps");

/* Per-CPU window onto the segment (struct h2_walk.win says which octets); header blocks are walked in it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[H2_WIN]);
} h2_window SEC(".maps");

/* Which octets of the packet h2_window holds: [base, base + len), none while len is 0. */
struct h2_wpos {
	__u32 base;
	__u32 len;
};

struct h2_fhdr {
	__u8 b[9];
};

struct h2_frame {
	__u32 len;
	__u32 stream;
	__u8 type;
	__u8 flags;
};

enum { H2_WALK_MORE = 0, H2_WALK_DONE = 1, H2_WALK_BAD = 2 };

/* State of one segment's frame walk, shared with the bpf_loop callback. */
struct h2_walk {
	struct __sk_buff *skb;
	struct h2_conn *conn; /* NULL while only checking that the segment holds whole frames */
	struct h2_dir *d;
	struct flow_seq *req; /* client→server tuple (in struct pkt); seq = stream id */
	struct pkt *p;
	__u64 now;            /* bpf_ktime_get_ns(), read at the segment's first HEADERS frame */
	__u32 off;            /* next frame header, from skb->data */
	__u32 end;            /* end of the segment's payload */
	struct h2_wpos win;   /* what h2_window holds */
	__u8 dir;             /* 0 client→server, 1 server→client */
	__u8 result;
};

/*
 * Makes octets [off, off + len) of the segment, which ends at `end`,
 * readable in h2_window: returns their index there, or -1 when they are not
 * in the segment (or len is more than the window). A miss copies the window
 * anew, starting at off. Global, as the functions below that read the
 * window: indexes into it then never become part of the frame walk's
 * verifier state.
 */
__noinline int h2_win_get(struct __sk_buff *skb, struct h2_wpos *pos, __u32 off, __u32 len, __u32 end)
{
	__u32 zero = 0, n;
	__u8 *win = bpf_map_lookup_elem(&h2_window, &zero);

	if (!win || !pos)
		return -1;
	if (off >= pos->base && off + len <= pos->base + pos->len && off - pos->base < H2_WIN)
		return off - pos->base;
	if (off >= end || len > H2_WIN || len > end - off)
		return -1;
	n = end - off;
	if (n > H2_WIN)
		n = H2_WIN;
	n = ((n - 1) & (H2_WIN - 1)) + 1; /* 1..H2_WIN, in a form the verifier can follow */
	pos->len = 0;
	if (bpf_skb_load_bytes(skb, off, win, n))
		return -1;
	pos->base = off;
	pos->len = n;
	return 0;
}

/* The frame header at off, through the window; 0 when read. */
__noinline int h2_header_at(struct __sk_buff *skb, struct h2_wpos *pos, __u32 off, __u32 end, struct h2_fhdr *h)
{
	__u32 zero = 0;
	__u8 *win = bpf_map_lookup_elem(&h2_window, &zero);
	int at;

	if (!win || !h || !pos)
		return -1;
	/* The common case, in the window already, without a call. */
	if (off >= pos->base && off - pos->base < H2_WIN && off + H2_FRAME_HEADER <= pos->base + pos->len)
		at = off - pos->base;
	else
		at = h2_win_get(skb, pos, off, H2_FRAME_HEADER, end);
	if (at < 0)
		return -1;
	for (int k = 0; k < H2_FRAME_HEADER; k++)
		h->b[k] = win[(at + k) & (H2_WIN - 1)];
	return 0;
}

static __always_inline __u64 h2_now(struct h2_walk *w)
{
	if (!w->now)
		w->now = bpf_ktime_get_ns();
	return w->now;
}

static __always_inline void h2_decode(const __u8 *h, struct h2_frame *f)
{
	f->len = ((__u32)h[0] << 16) | ((__u32)h[1] << 8) | h[2];
	f->type = h[3];
	f->flags = h[4];
	f->stream = (((__u32)h[5] << 24) | ((__u32)h[6] << 16) | ((__u32)h[7] << 8) | h[8]) & 0x7fffffff;
}

/*
 * Whether a frame header is plausible (RFC 9113 §6: stream 0 or not, fixed
 * lengths). `strict` while resynchronising: also a known type, the reserved
 * bit clear and a length within the default maximum frame size.
 */
static __always_inline int h2_sane(const __u8 *h, const struct h2_frame *f, int strict)
{
	if (strict && ((h[5] & 0x80) || f->type > H2_CONTINUATION || f->len > H2_SANE_FRAME_LEN))
		return 0;
	switch (f->type) {
	case H2_DATA:
	case H2_HEADERS:
	case H2_PUSH_PROMISE:
	case H2_CONTINUATION:
		return f->stream != 0;
	case H2_PRIORITY:
		return f->stream != 0 && f->len == 5;
	case H2_RST_STREAM:
		return f->stream != 0 && f->len == 4;
	case H2_SETTINGS:
		return f->stream == 0 && f->len % 6 == 0;
	case H2_PING:
		return f->stream == 0 && f->len == 8;
	case H2_GOAWAY:
		return f->stream == 0 && f->len >= 8;
	case H2_WINDOW_UPDATE:
		return f->len == 4;
	}
	return 1; /* unknown types are ignored by receivers (§4.1) */
}

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
	case 8: return 200;
	case 9: return 204;
	case 10: return 206;
	case 11: return 304;
	case 12: return 400;
	case 13: return 404;
	case 14: return 500;
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
	__u8 *b;        /* h2_window, which holds the block */
	struct h2_dir *d;
	__u32 n;        /* where the block ends in b */
	__u32 i;        /* next field */
	__u32 code;     /* the :method or :status read so far */
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

static __always_inline __u8 sbi_outcome(__u32 status)
{
	if (status >= 200 && status < 300)
		return OUTCOME_ACCEPTED;
	if (status >= 400 && status < 600)
		return OUTCOME_REJECTED;
	return OUTCOME_OTHER;
}

/*
 * A method or status nfscope could not read (`unreadable`) on a direction
 * whose connection started before nfscope saw it: `unseen` instead, said
 * apart from "other". Global: checked once, and its result is one unknown
 * value to the callers, whose states the two outcomes would otherwise double.
 */
__noinline __u32 sbi_unseen(__u32 code, __u32 hp_lost, __u32 unreadable, __u32 unseen)
{
	return code == unreadable && hp_lost == H2_HP_UNSEEN ? unseen : code;
}

/*
 * A client HEADERS frame, complete: the stream's request, stamped at `ts`.
 * Functions of their own (not inlined), so that their stack frames are not
 * part of the frame walk's, which the verifier limits with the header
 * block walk's.
 */
static __noinline int sbi_request(struct h2_walk *w, __u32 stream, __u8 method, __u64 ts)
{
	struct lat_key lat = {};

	lat.client_nf = w->dir == 0 ? w->p->src_nf : w->p->dst_nf;
	lat.server_nf = w->dir == 0 ? w->p->dst_nf : w->p->src_nf;
	lat.proto = PROTO_SBI;
	lat.procedure = sbi_unseen(method, w->d ? w->d->hp_lost : 0, SBI_METHOD_OTHER, SBI_METHOD_UNSEEN);
	w->req->seq = stream;
	/* Stream ids are never reused on a connection (§5.1.1): an entry already there is this stream's. */
	inflight_put(w->req, &lat, ts, 0);
	return 0;
}

/* A server HEADERS frame, complete: the response of its stream, seen at `ts`. */
static __noinline int sbi_response(struct h2_walk *w, __u32 stream, __u32 status, __u64 ts)
{
	w->req->seq = stream;
	status = sbi_unseen(status, w->d ? w->d->hp_lost : 0, 0, SBI_STATUS_UNSEEN);
	complete_response_at(w->req, PROC_ANY, sbi_outcome(status), status, ts);
	return 0;
}

/* RST_STREAM: the stream ends without (more of) a response; no transaction. */
static __always_inline void sbi_release(struct h2_walk *w, __u32 stream)
{
	w->req->seq = stream;
	release_inflight(w->req);
}

/* Acts on one frame whose header is known and whose payload starts at `po`. */
static __always_inline int h2_frame(struct h2_walk *w, const struct h2_frame *f, __u32 po)
{
	struct h2_conn *conn = w->conn;
	struct h2_dir *d = w->d;
	__u32 fe = po + f->len, block = po, block_end = fe, readable, code;
	int whole = fe <= w->end, hp, at;

	if (!conn || !d)
		return 0;
	if (f->type == H2_HEADERS) {
		if (!(f->stream & 1))
			return 0; /* client streams are odd (§5.1.1) */
		if (f->flags & H2_FLAG_PADDED) {
			__u8 pad;

			if (bpf_skb_load_bytes(w->skb, po, &pad, 1) || 1 + pad > f->len)
				return 0;
			block += 1;
			block_end -= pad;
		}
		if (f->flags & H2_FLAG_PRIORITY)
			block += 5;
		readable = fe < w->end ? fe : w->end;
		/*
		 * Every header block of a direction changes its dynamic table, so
		 * each one is walked whole when it is here whole; else the table
		 * is lost and only the first octets are read.
		 */
		hp = -1;
		if (whole && (f->flags & H2_FLAG_END_HEADERS) && block < block_end) {
			at = h2_win_get(w->skb, &w->win, block, block_end - block, w->end);
			hp = at < 0 ? -2 : hpack_fast(at, block_end - block, d, w->dir == 0);
			if (hp == -2)
				hp = hpack_walk(at < 0 ? 0 : at, at < 0 ? 0 : block_end - block, d, w->dir == 0);
		} else {
			h2_hp_lose(d);
		}
		if (w->dir == 0) {
			/* Only a stream's first HEADERS opens it: later ones carry trailers. */
			if (f->stream <= conn->max_stream)
				return 0;
			conn->max_stream = f->stream;
			code = hp >= 0 ? hp : hpack_method(w->skb, block, readable);
			if (whole) {
				sbi_request(w, f->stream, code, h2_now(w));
				return 0;
			}
		} else {
			code = hp >= 0 ? hp : hpack_status(w->skb, block, readable);
			if (whole) {
				sbi_response(w, f->stream, code, h2_now(w));
				return 0;
			}
		}
		/* The frame runs into later segments: it counts once its last octet is seen. */
		d->pend = 1;
		d->pend_stream = f->stream;
		d->pend_code = code;
		d->pend_ts = h2_now(w);
	} else if (f->type == H2_PUSH_PROMISE || f->type == H2_CONTINUATION) {
		h2_hp_lose(d); /* header blocks nfscope does not follow */
	} else if (f->type == H2_RST_STREAM) {
		if (whole)
			sbi_release(w, f->stream);
	} else if (f->type == H2_GOAWAY && w->dir == 1) {
		__u8 last[4];

		/* Streams above the last one the server processed get no response (§6.8). */
		if (whole && !bpf_skb_load_bytes(w->skb, po, last, 4))
			conn->goaway_last = (((__u32)last[0] << 24) | ((__u32)last[1] << 16) | ((__u32)last[2] << 8) | last[3]) & 0x7fffffff;
	}
	return 0;
}

/* bpf_loop callback: one frame header at w->off. */
static long h2_walk_frame(__u32 index, void *ctx)
{
	struct h2_walk *w = ctx;
	struct h2_frame f;
	struct h2_fhdr fh;
	__u8 *h;
	__u32 off = w->off;

	if (off >= w->end) {
		/* The segment ends at a frame boundary (==) or inside the last frame (>). */
		if (!w->conn && off != w->end)
			w->result = H2_WALK_BAD;
		else
			w->result = H2_WALK_DONE;
		return 1;
	}
	if (off + H2_FRAME_HEADER > w->end) {
		__u32 have = w->end - off;
		struct h2_dir *d = w->d;

		/* A header cut by the segment's end: keep its first octets for the next segment. */
		if (!w->conn || !d || have > H2_FRAME_HEADER - 1 || have < 1) {
			w->result = H2_WALK_BAD;
			return 1;
		}
		have = ((have - 1) & 7) + 1; /* 1..8, in a form the verifier can follow */
		if (bpf_skb_load_bytes(w->skb, off, d->hdr, have)) {
			w->result = H2_WALK_BAD;
			return 1;
		}
		d->have = have;
		w->result = H2_WALK_DONE;
		return 1;
	}
	if (h2_header_at(w->skb, &w->win, off, w->end, &fh)) {
		w->result = H2_WALK_BAD;
		return 1;
	}
	h = fh.b;
	h2_decode(h, &f);
	if (!h2_sane(h, &f, !w->conn)) {
		w->result = H2_WALK_BAD;
		return 1;
	}
	h2_frame(w, &f, off + H2_FRAME_HEADER);
	w->off = off + H2_FRAME_HEADER + f.len;
	return 0;
}

/* Whether the connection preface (§3.4) is at `off`. */
static __always_inline int h2_preface_at(struct __sk_buff *skb, __u32 off, __u32 end)
{
	__u64 b[3], want[3];

	if (off + H2_PREFACE_LEN > end || bpf_skb_load_bytes(skb, off, b, sizeof(b)))
		return 0;
	__builtin_memcpy(want, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", sizeof(want));
	return b[0] == want[0] && b[1] == want[1] && b[2] == want[2];
}

/* The HEADERS frame that was waiting for its last octet has it now. */
static __noinline int h2_finish_pending(struct h2_walk *w, struct h2_dir *d)
{
	if (w->dir == 0)
		sbi_request(w, d->pend_stream, d->pend_code, d->pend_ts);
	else
		sbi_response(w, d->pend_stream, d->pend_code, d->pend_ts);
	d->pend = 0;
	return 0;
}

/*
 * The segment starts with the rest of a frame header whose first d->have
 * octets ended the previous one. Returns the offset after that frame, or 0
 * when the joined header makes no sense.
 */
static __noinline __u32 h2_join_header(struct h2_walk *w, struct h2_dir *d, __u32 base)
{
	__u8 h[H2_FRAME_HEADER], rest[H2_FRAME_HEADER];
	__u32 have = d->have, need;
	struct h2_frame f;

	if (have < 1 || have > H2_FRAME_HEADER - 1)
		return 0;
	need = ((H2_FRAME_HEADER - have - 1) & 7) + 1;
	if (base + need > w->end || bpf_skb_load_bytes(w->skb, base, rest, need))
		return 0;
	for (int k = 0; k < H2_FRAME_HEADER; k++)
		h[k] = k < have ? d->hdr[k] : rest[(k - have) & 7];
	d->have = 0;
	h2_decode(h, &f);
	if (!h2_sane(h, &f, 0))
		return 0;
	h2_frame(w, &f, base + need);
	return base + need + f.len;
}

static __always_inline struct h2_conn *h2_new_conn(const struct flow_seq *key)
{
	__u32 zero = 0;
	struct h2_conn *z = bpf_map_lookup_elem(&h2_zero, &zero);

	if (!z)
		return 0;
	z->goaway_last = H2_NO_GOAWAY;
	bpf_map_update_elem(&h2_conns, key, z, BPF_ANY);
	return bpf_map_lookup_elem(&h2_conns, key);
}

/* Runs the frame walk from w->off; returns the walk's result. */
static __always_inline int h2_walk(struct h2_walk *w)
{
	w->result = H2_WALK_MORE;
	bpf_loop(H2_MAX_FRAMES, h2_walk_frame, w, 0);
	return w->result;
}

/*
 * A TCP segment on an SBI port. p->flow is this segment's direction; the
 * server is the side whose port is an SBI port.
 */
static __always_inline void handle_sbi(struct __sk_buff *skb, struct pkt *p)
{
	struct h2_walk w = { .skb = skb, .p = p };
	__u8 dir = port_proto[L4_TCP][p->flow.dport] == PROTO_SBI ? 0 : 1;
	__u32 base = p->l7, end = p->end, seq = p->tcp_seq, start;
	struct h2_conn *conn;
	struct h2_dir *d = 0;
	__s32 off0;

	w.req = dir == 0 ? &p->flow : &p->rflow;
	w.req->seq = 0;
	w.dir = dir;
	w.end = end;

	if (p->tcp_flags & TCP_FLAG_RST) {
		/* The exporter releases the streams of connections that are gone. */
		bpf_map_delete_elem(&h2_conns, w.req);
		return;
	}
	if (p->tcp_flags & TCP_FLAG_SYN) {
		if (dir == 0 && !(p->tcp_flags & TCP_FLAG_ACK)) {
			conn = h2_new_conn(w.req);
			if (conn) {
				conn->dir[0].next_seq = seq + 1;
				conn->dir[0].sync = H2_PREFACE;
			}
		} else if (dir == 1) {
			conn = bpf_map_lookup_elem(&h2_conns, w.req);
			if (conn) {
				conn->dir[1].next_seq = seq + 1;
				conn->dir[1].sync = H2_SYNCED;
			}
		}
		return;
	}
	/* A pure ACK (no payload, no FIN) needs no connection state at all. */
	if (base >= end && !(p->tcp_flags & TCP_FLAG_FIN))
		return;
	conn = bpf_map_lookup_elem(&h2_conns, w.req);
	if (base < end) {
		d = conn ? (dir ? &conn->dir[1] : &conn->dir[0]) : 0;
		if (conn && conn->dir[0].sync == H2_NOT_H2C) {
			/*
			 * Not h2c with prior knowledge (HTTP/1.1, TLS, anything else on
			 * an SBI port): nothing to walk, unless the client starts HTTP/2
			 * now (after an HTTP/1.1 Upgrade: h2c, RFC 7540 §3.2) with the
			 * preface; then both directions resynchronise from there.
			 */
			if (dir == 1 || !h2_preface_at(skb, base, end))
				goto fin;
			conn->dir[0].sync = H2_UNSYNCED;
			conn->dir[1].sync = H2_UNSYNCED;
		}
		if (d && d->sync == H2_PREFACE) {
			off0 = (__s32)(d->next_seq - seq);
			if (off0 != 0)
				goto fin; /* a retransmitted SYN's data, or a gap: wait */
			if (!h2_preface_at(skb, base, end)) {
				/*
				 * Not HTTP/2 with prior knowledge. Shorter than the preface,
				 * it may still be its first part: then wait for whole frames.
				 */
				d->sync = end - base >= H2_PREFACE_LEN ? H2_NOT_H2C : H2_UNSYNCED;
				goto fin;
			}
			d->next_seq += H2_PREFACE_LEN;
			d->sync = H2_SYNCED;
		}
		if (d && d->sync == H2_SYNCED) {
			off0 = (__s32)(d->next_seq - seq);
			w.conn = conn;
			w.d = d;
			if (d->have && off0 + (__s32)d->have == 0) {
				start = h2_join_header(&w, d, base);
				if (!start)
					goto lost;
			} else {
				d->have = 0;
				if (off0 < 0)
					goto lost; /* octets were missed */
				if ((__u32)off0 > end - base)
					goto fin; /* inside a frame that started earlier, or old data again */
				if (d->pend)
					h2_finish_pending(&w, d);
				start = base + off0;
			}
		} else {
			/* Out of sync: take the segment only if it holds nothing but whole, plausible frames. */
			start = base;
			if (dir == 0 && h2_preface_at(skb, base, end))
				start += H2_PREFACE_LEN;
			w.off = start;
			if (h2_walk(&w) != H2_WALK_DONE)
				goto fin;
			if (!conn) {
				/* Picked up mid-way: neither direction's dynamic table is known. */
				conn = h2_new_conn(w.req);
				if (!conn)
					goto fin;
				conn->dir[0].hp_lost = H2_HP_UNSEEN;
				conn->dir[1].hp_lost = H2_HP_UNSEEN;
			}
			d = dir ? &conn->dir[1] : &conn->dir[0];
			h2_hp_lose(d); /* this direction was out of sync: blocks were missed */
			d->sync = H2_SYNCED;
			d->have = 0;
			d->pend = 0;
			w.conn = conn;
			w.d = d;
		}
		w.off = start;
		if (h2_walk(&w) != H2_WALK_DONE)
			goto lost;
		/* May lie past the segment: the last frame continues in the next one. */
		d->next_seq = seq + (w.off - base);
	}
	goto fin;
lost:
	if (d) {
		d->sync = H2_UNSYNCED;
		d->have = 0;
		d->pend = 0;
		h2_hp_lose(d);
	}
	count_event(EV_SBI_RESYNC);
fin:
	if ((p->tcp_flags & TCP_FLAG_FIN) && conn) {
		/* Both directions closed: the connection is gone. */
		if (dir == 0)
			conn->dir[0].fin = 1;
		else
			conn->dir[1].fin = 1;
		if (conn->dir[0].fin && conn->dir[1].fin) {
			w.req->seq = 0; /* the walk left a stream id there */
			bpf_map_delete_elem(&h2_conns, w.req);
		}
	}
}

#endif
