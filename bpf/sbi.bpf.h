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
 * The frames are read by h2.bpf.h, the method and :status by hpack.bpf.h.
 */
#ifndef NFSCOPE_SBI_BPF_H
#define NFSCOPE_SBI_BPF_H

#include "latency.bpf.h"
#include "packet.bpf.h"
#include "h2.bpf.h"
#include "hpack.bpf.h"

#define H2_MAX_CONNS 65536
/* Frames walked per TCP segment; a segment with more loses sync (counted). */
#define H2_MAX_FRAMES 512
#define H2_NO_GOAWAY 0x7fffffff

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

enum { H2_WALK_MORE = 0, H2_WALK_DONE = 1, H2_WALK_BAD = 2 };

/* State of one segment's frame walk, shared with the bpf_loop callback. */
struct h2_walk {
	struct __sk_buff *skb;
	struct h2_conn *conn; /* NULL while only checking that the segment holds whole frames */
	struct h2_dir *d;
	struct flow_seq *req; /* client→server tuple (in struct pkt); seq = stream id */
	struct pkt *p;
	__u64 now;          /* bpf_ktime_get_ns(), read at the segment's first HEADERS frame */
	__u32 off;          /* next frame header, from skb->data */
	__u32 end;          /* end of the segment's payload */
	struct h2_wpos win; /* what h2_window holds */
	__u8 dir;           /* 0 client→server, 1 server→client */
	__u8 result;
};

static __always_inline __u64 h2_now(struct h2_walk *w)
{
	if (!w->now)
		w->now = bpf_ktime_get_ns();
	return w->now;
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
			conn->goaway_last =
			    (((__u32)last[0] << 24) | ((__u32)last[1] << 16) | ((__u32)last[2] << 8) | last[3]) &
			    0x7fffffff;
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