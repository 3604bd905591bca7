/**
 * Every kernel drop reason nfscope knows (enum skb_drop_reason, without the
 * SKB_DROP_REASON_ prefix), with its class and what the kernel documents for
 * it in include/net/dropreason-core.h, in our words.
 *
 * - `loss`: a packet that was on its way to a socket, a host or a link and did
 *   not get there.
 * - `benign`: the kernel freed a packet that nobody was still waiting for: a
 *   frame for another host seen because an interface is promiscuous, a
 *   duplicate of data or acknowledgements already received, a packet for a
 *   connection or socket its owner had already closed, a queue purged at
 *   teardown, a capture's copy.
 *
 * Reasons are classified only from their documented meaning; where the
 * kernel's words leave room, the reason is loss, so nothing is hidden by
 * default. Reasons of the running kernel not listed here count as loss (the
 * exporter says which at start), and `drops.benign_reasons` /
 * `drops.loss_reasons` in the config override any of it. docs/drops.md is
 * generated from this table (scripts/gen-drop-table.js); a test keeps them
 * equal and checks that the running kernel's reasons are all here.
 */

export type DropClass = 'loss' | 'benign';

export interface DropReasonInfo {
  name: string;
  class: DropClass;
  /** what the kernel documents for the reason */
  meaning: string;
  /** why a benign reason is benign */
  why?: string;
}

const L = (name: string, meaning: string): DropReasonInfo => ({ name, class: 'loss', meaning });
const B = (name: string, meaning: string, why: string): DropReasonInfo => ({ name, class: 'benign', meaning, why });

export const DROP_REASONS: readonly DropReasonInfo[] = Object.freeze([
  L('NOT_SPECIFIED', 'no reason given by the code that freed the packet; nfscope names that function (`NOT_SPECIFIED@function`)'),
  L('NO_SOCKET', 'no socket to deliver to: no established or listening socket found, or no valid request or child socket during the TCP handshake'),
  B('SOCKET_CLOSE', 'the socket was closed', 'its owner closed the socket; nothing was waiting for the packet'),
  L('SOCKET_FILTER', 'a socket filter (BPF) rejected the packet'),
  L('TCP_FILTER', 'a socket filter rejected a TCP packet (the name before SOCKET_FILTER, Linux 5.17)'),
  L('SOCKET_RCVBUFF', 'the socket receive buffer is full'),
  B(
    'UNIX_DISCONNECT',
    'a Unix datagram or seqpacket socket purged its receive queue when reconnecting or on finding its peer closed',
    'the peer the data was for is gone by its own doing (and Unix sockets carry no IP)',
  ),
  B('UNIX_SKIP_OOB', 'out-of-band data skipped by a recv() without MSG_OOB', 'the receiver chose not to read it (and Unix sockets carry no IP)'),
  L('PKT_TOO_SMALL', 'the packet is too small'),
  L('TCP_CSUM', 'TCP checksum error'),
  L('UDP_CSUM', 'UDP checksum error'),
  L('NETFILTER_DROP', 'netfilter dropped it'),
  B(
    'OTHERHOST',
    'the packet is not for this host (the interface is in promiscuous mode)',
    'a frame for another host, seen only because a capture or a bridge made the interface promiscuous; the frame itself goes on to its destination',
  ),
  L('IP_CSUM', 'IP header checksum error'),
  L('IP_INHDR', 'something is wrong with the IP header (IPSTATS_MIB_INHDRERRORS)'),
  L('IP_RPFILTER', 'reverse-path filter (rp_filter) check failed'),
  L('UNICAST_IN_L2_MULTICAST', 'L2 destination is multicast but L3 is unicast'),
  L('XFRM_POLICY', 'xfrm (IPsec) policy check failed'),
  L('IP_NOPROTO', 'no handler for the IP protocol'),
  L('PROTO_MEM', 'the protocol is over its memory limit (e.g. udp_memory_allocated)'),
  L('TCP_AUTH_HDR', 'TCP-MD5 or TCP-AO option present twice or set incorrectly'),
  L('TCP_MD5NOTFOUND', 'no TCP-MD5 signature where one is expected'),
  L('TCP_MD5UNEXPECTED', 'a TCP-MD5 signature where none is expected'),
  L('TCP_MD5FAILURE', 'wrong TCP-MD5 signature'),
  L('TCP_AONOTFOUND', 'no TCP-AO signature where one is expected'),
  L('TCP_AOUNEXPECTED', 'a TCP-AO signature where none is expected'),
  L('TCP_AOKEYNOTFOUND', 'unknown TCP-AO key'),
  L('TCP_AOFAILURE', 'wrong TCP-AO signature'),
  L('SOCKET_BACKLOG', 'could not add the packet to the socket backlog (LINUX_MIB_TCPBACKLOGDROP)'),
  L('TCP_FLAGS', 'invalid TCP flags'),
  L('TCP_ABORT_ON_DATA', 'data arrived for a socket that was closing, and the connection was aborted (LINUX_MIB_TCPABORTONDATA)'),
  L('TCP_ZEROWINDOW', 'the TCP receive window is zero (LINUX_MIB_TCPZEROWINDOWDROP)'),
  B('TCP_OLD_DATA', 'TCP data already received before, a spurious retransmission (LINUX_MIB_DELAYEDACKLOST)', 'a second copy of data the receiver already has'),
  L('TCP_OVERWINDOW', 'TCP data beyond the right edge of the receive window'),
  B('TCP_OFOMERGE', 'TCP data already in the out-of-order queue (LINUX_MIB_TCPOFOMERGE)', 'a second copy of data the receiver already holds'),
  L('TCP_RFC7323_PAWS', 'PAWS check failed (LINUX_MIB_PAWSESTABREJECTED, LINUX_MIB_PAWSACTIVEREJECTED)'),
  B('TCP_RFC7323_PAWS_ACK', 'PAWS check: an old ACK (LINUX_MIB_PAWS_OLD_ACK)', 'an old acknowledgement, superseded by newer ones'),
  B('TCP_RFC7323_TW_PAWS', 'PAWS check on a socket in TIME_WAIT (LINUX_MIB_PAWS_TW_REJECTED)', 'a stale segment for a connection that has already ended'),
  L('TCP_RFC7323_TSECR', 'PAWS check: invalid TSecr (LINUX_MIB_TSECRREJECTED)'),
  L('TCP_LISTEN_OVERFLOW', 'the listener queue is full'),
  B('TCP_OLD_SEQUENCE', 'old TCP sequence number: a duplicate packet', 'a duplicate of a segment already received'),
  L('TCP_INVALID_SEQUENCE', 'TCP sequence number not acceptable'),
  L('TCP_INVALID_END_SEQUENCE', 'TCP end sequence number not acceptable (LINUX_MIB_BEYOND_WINDOW)'),
  L('TCP_INVALID_ACK_SEQUENCE', 'TCP ACK number outside snd_una..snd_nxt'),
  L('TCP_RESET', 'invalid RST'),
  L('TCP_INVALID_SYN', 'unexpected SYN flag'),
  B('TCP_CLOSE', 'the TCP socket is in the CLOSE state', 'a segment for a connection that is already over'),
  L('TCP_FASTOPEN', 'dropped by a TCP Fast Open request socket'),
  B('TCP_OLD_ACK', 'old TCP ACK, but within the window', 'a duplicate acknowledgement, superseded by newer ones'),
  L('TCP_TOO_OLD_ACK', 'TCP ACK too old'),
  L('TCP_ACK_UNSENT_DATA', 'TCP ACK for data not sent yet'),
  L('TCP_OFO_QUEUE_PRUNE', 'pruned from the TCP out-of-order queue'),
  B('TCP_OFO_DROP', 'TCP data already in the receive queue', 'a second copy of data the receiver already has'),
  L('IP_OUTNOROUTES', 'route lookup failed'),
  L('BPF_CGROUP_EGRESS', 'a BPF_PROG_TYPE_CGROUP_SKB program dropped it'),
  L('IPV6DISABLED', 'IPv6 is disabled on the device'),
  L('NEIGH_CREATEFAIL', 'could not create a neighbour entry'),
  L('NEIGH_FAILED', 'the neighbour entry is in the failed state'),
  L('NEIGH_QUEUEFULL', "the neighbour entry's queue (arp_queue) is full"),
  L('NEIGH_DEAD', 'the neighbour entry is dead'),
  L('NEIGH_HH_FILLFAIL', 'could not fill in the device hardware header'),
  L('TC_EGRESS', 'dropped at the tc egress hook'),
  L('SECURITY_HOOK', 'dropped by a security hook'),
  L('QDISC_DROP', 'dropped by a qdisc on enqueue or dequeue'),
  L('QDISC_OVERLIMIT', 'a qdisc is over its total buffer limit'),
  L('QDISC_CONGESTED', "a qdisc's AQM dropped it for congestion"),
  L('QDISC_BURST_DROP', 'net.core.qdisc_max_burst was hit'),
  L('CAKE_FLOOD', 'the flood protection (BLUE) of the CAKE qdisc dropped it'),
  L('FQ_BAND_LIMIT', "the fq qdisc reached a band's limit"),
  L('FQ_HORIZON_LIMIT', 'the fq qdisc got a packet time-stamped too far in the future'),
  L('FQ_FLOW_LIMIT', "the fq qdisc reached a flow's limit"),
  L('DUALPI2_STEP_DROP', 'the step-drop threshold of the DualPI2 qdisc'),
  L('CPU_BACKLOG', 'could not enqueue to the per-CPU backlog (netdev_max_backlog or the RPS flow limit)'),
  L('MACVLAN_BROADCAST_BACKLOG', 'could not enqueue to the macvlan broadcast queue'),
  L('IPVLAN_MULTICAST_BACKLOG', 'could not enqueue to the ipvlan multicast queue'),
  L('XDP', 'dropped by XDP on input'),
  L('TC_INGRESS', 'dropped at the tc ingress hook'),
  L('UNHANDLED_PROTO', 'protocol not implemented or not supported'),
  L('SKB_CSUM', 'checksum computation of the sk_buff failed'),
  L('SKB_GSO_SEG', 'GSO segmentation failed'),
  L('SKB_BAD_GSO', 'a malicious GSO packet'),
  L('SKB_UCOPY_FAULT', 'copying data from user space failed'),
  L('DEV_HDR', 'invalid device-specific header or metadata'),
  L('DEV_READY', 'the device is not ready to send or receive (e.g. not up)'),
  L('FULL_RING', 'a ring buffer is full'),
  L('NOMEM', 'out of memory'),
  L('HDR_TRUNC', 'could not pull a protocol header out of the packet'),
  L('TAP_FILTER', 'a filter attached to a tun/tap device dropped it'),
  L('TAP_TXFILTER', 'the transmit filter of a tun/tap device dropped it'),
  L('ICMP_CSUM', 'ICMP checksum error'),
  L('INVALID_PROTO', "the packet breaks its protocol's rules (e.g. a broadcast ICMP timestamp)"),
  L('IP_INADDRERRORS', 'host unreachable (IPSTATS_MIB_INADDRERRORS)'),
  L('IP_INNOROUTES', 'network unreachable'),
  L('IP_LOCAL_SOURCE', 'the source address is a local one'),
  L('IP_INVALID_SOURCE', 'invalid source address (multicast, limited broadcast, or zero outside IGMP)'),
  L('IP_LOCALNET', 'source or destination in the local network (127/8) where not allowed'),
  L('IP_INVALID_DEST', 'invalid destination address (zero)'),
  L('IP_TTL_EXCEEDED', 'IPv4 TTL or IPv6 hop limit of 1 or less'),
  L('PKT_TOO_BIG', 'the packet is too big (maybe over the MTU)'),
  B('DUP_FRAG', 'a duplicate IP fragment', 'a second copy of a fragment already queued for reassembly'),
  L('FRAG_REASM_TIMEOUT', 'IP fragment reassembly timed out'),
  L('FRAG_TOO_FAR', 'IPv4 fragment too far out of order (ipfrag_max_dist)'),
  L('TCP_MINTTL', "TTL or hop limit below the socket's IP_MINTTL / IPV6_MINHOPCOUNT"),
  L('IPV6_BAD_EXTHDR', 'bad IPv6 extension header'),
  L('IPV6_TOO_MANY_EXTHDRS', 'more IPv6 extension headers than allowed'),
  L('IPV6_NDISC_FRAG', 'a fragmented neighbour-discovery message'),
  L('IPV6_NDISC_HOP_LIMIT', 'neighbour discovery with an invalid hop limit'),
  L('IPV6_NDISC_BAD_CODE', 'neighbour discovery with an invalid ICMPv6 code'),
  L('IPV6_NDISC_BAD_OPTIONS', 'neighbour discovery with invalid options'),
  B('IPV6_NDISC_NS_OTHERHOST', 'a neighbour solicitation for another host', 'a solicitation for an address this host does not have; the host it is for answers it'),
  B('QUEUE_PURGE', 'bulk free: a whole queue freed at once', 'a queue emptied at teardown (a socket being destroyed, a device or qdisc reset), typically once per closed connection'),
  L('TC_COOKIE_ERROR', 'error processing a tc extension cookie'),
  B('PACKET_SOCK_ERROR', 'a packet socket failed to take a packet its filter had matched', "the packet socket's copy (a capture's) was lost; the packet itself went on its way"),
  L('TC_CHAIN_NOTFOUND', 'tc chain lookup failed'),
  L('TC_RECLASSIFY_LOOP', 'tc exceeded its reclassification loop limit'),
  L('VXLAN_INVALID_HDR', 'invalid VXLAN header'),
  L('VXLAN_VNI_NOT_FOUND', 'no VXLAN device for the VNI'),
  L('MAC_INVALID_SOURCE', 'invalid source MAC address'),
  L('VXLAN_ENTRY_EXISTS', 'attempt to migrate a static VXLAN FDB entry or one pointing to a nexthop'),
  L('NO_TX_TARGET', 'no target to transmit to'),
  L('IP_TUNNEL_ECN', 'dropped on decapsulation by RFC 6040 section 4.2 (ECN)'),
  L('TUNNEL_TXINFO', 'a packet without tunnel metadata reached a tunnel device in external mode'),
  L('LOCAL_MAC', "the source MAC address is the local device's own"),
  L('ARP_PVLAN_DISABLE', 'a non-IP packet forwarded to the device while proxy_arp_pvlan is off'),
  L('MAC_IEEE_MAC_CONTROL', 'the destination MAC is an IEEE MAC Control address'),
  L('BRIDGE_INGRESS_STP_STATE', 'the STP state of the bridge ingress port does not forward'),
  L('CAN_RX_INVALID_FRAME', 'a non-conforming CAN frame'),
  L('CANFD_RX_INVALID_FRAME', 'a non-conforming CAN FD frame'),
  L('CANXL_RX_INVALID_FRAME', 'a non-conforming CAN XL frame'),
  L('PFMEMALLOC', 'a packet allocated from the memory reserve reached a path or socket not allowed to use it'),
  L('PSP_INPUT', 'PSP input checks failed'),
  L('PSP_OUTPUT', 'PSP output checks failed'),
  L('RECURSION_LIMIT', 'dead loop on a virtual device (transmit recursion limit)'),
  L('SKB_RX_HEADROOM', 'not documented in the kernel sources nfscope was checked against; by its name, too little headroom in a received packet'),
  L('BLACKHOLE', 'a blackhole route'),
  L('TNL_OPT_MISMATCH', "tunnel options of the packet do not match the tunnel's configuration (e.g. GRE checksum or sequence)"),
  L('TNL_OLD_SEQ', 'tunnel sequence number older than expected'),
  L('GRE_INVALID_HDR', 'invalid GRE header'),
  L('GRE_CSUM', 'GRE checksum error'),
  L('GRE_TUNNEL_NOT_FOUND', 'no GRE tunnel for the endpoints and key'),
  L('SEG6_MOBILE_INVALID_SRH_SL', 'invalid Segments Left or SRH on an SRv6 Mobile path'),
  L('SEG6_MOBILE_NOMEM', 'allocation failed on an SRv6 Mobile path'),
]);

/** Names of enum skb_drop_reason that are not drop reasons (no class). */
export const NOT_DROP_REASONS: readonly string[] = Object.freeze(['SKB_NOT_DROPPED_YET', 'SKB_CONSUMED', 'SKB_DROP_REASON_MAX', 'SKB_DROP_REASON_SUBSYS_MASK']);
