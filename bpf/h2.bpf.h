/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * HTTP/2 frames (RFC 9113 §4, §6) as the SBI datapath (sbi.bpf.h) reads them
 * from a TCP segment: frame headers, their plausibility, the connection
 * preface, and a per-CPU window onto the segment that frame headers and
 * header blocks (hpack.bpf.h) are read from.
 */
#ifndef NFSCOPE_H2_BPF_H
#define NFSCOPE_H2_BPF_H

/* Largest frame believed while resynchronising: the default SETTINGS_MAX_FRAME_SIZE (§6.5.2). */
#define H2_SANE_FRAME_LEN 16384
#define H2_FRAME_HEADER 9
#define H2_PREFACE_LEN 24
/*
 * Octets of a segment copied at once (one bpf_skb_load_bytes) into a per-CPU
 * window, from which the frame walk reads frame headers and header blocks:
 * a segment of a few small frames costs one copy instead of one per frame
 * header and header block. A power of two.
 */
#define H2_WIN 512

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

/*
 * Makes octets [off, off + len) of the segment, which ends at `end`,
 * readable in h2_window: returns their index there, or -1 when they are not
 * in the segment (or len is more than the window). A miss copies the window
 * anew, starting at off. Global, as the functions that read the window
 * (h2_header_at, hpack.bpf.h): indexes into it then never become part of the
 * frame walk's verifier state.
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

/* Whether the connection preface (§3.4) is at `off`. */
static __always_inline int h2_preface_at(struct __sk_buff *skb, __u32 off, __u32 end)
{
	__u64 b[3], want[3];

	if (off + H2_PREFACE_LEN > end || bpf_skb_load_bytes(skb, off, b, sizeof(b)))
		return 0;
	__builtin_memcpy(want, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", sizeof(want));
	return b[0] == want[0] && b[1] == want[1] && b[2] == want[2];
}

#endif
