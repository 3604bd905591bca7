/**
 * The NF table: which kernel NF id stands for which configured NF, and how
 * kernel keys (NF ids + protocol) become 5G labels (NF names, N2/N3/N4/N9/SBI).
 */
import type { Config, NfConfig } from './config';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, L4Slot, NF_UNKNOWN, NfProto, PORT_TABLE_BYTES, PORT_TABLE_SLOTS } from './kernel/layout';

export const UNKNOWN = 'unknown';

export interface NfIdentity {
  name: string;
  type: string;
}

const UNKNOWN_NF: NfIdentity = { name: UNKNOWN, type: UNKNOWN };

/** 5G interface label of a flow; `other` is traffic on none of the configured 5G ports. */
export type InterfaceLabel = 'N2' | 'N3' | 'N4' | 'N9' | 'SBI' | 'other';

export interface PortEntry {
  l4proto: number;
  port: number;
  proto: NfProto;
}

/** An NF id as the datapath's record keeps it (datapath.ts): which id stood for which NF. */
export interface NfIdEntry {
  id: number;
  name: string;
  type: string;
}

export class NfTable {
  private readonly byId = new Map<number, NfConfig>();

  /**
   * Ids start at 1: 0 is NF_UNKNOWN in the kernel. `known` are the ids of a
   * datapath that outlived an earlier exporter: an NF keeps its id, a new one
   * gets one never given out, and an NF no longer configured keeps its id and
   * name (its counts in the kernel's maps stay its own), without addresses.
   */
  constructor(
    readonly nfs: NfConfig[],
    known: readonly NfIdEntry[] = [],
  ) {
    const byName = new Map(known.map((k) => [k.name, k]));
    let next = known.reduce((m, k) => Math.max(m, k.id), 0) + 1;
    const configured = new Set<string>();
    for (const nf of nfs) {
      configured.add(nf.name);
      this.byId.set(byName.get(nf.name)?.id ?? next++, nf);
    }
    for (const k of known) if (!configured.has(k.name) && !this.byId.has(k.id)) this.byId.set(k.id, { name: k.name, type: k.type, addresses: [] });
  }

  /** Every id with its NF, configured or kept from an earlier exporter. */
  idEntries(): NfIdEntry[] {
    return [...this.byId].map(([id, nf]) => ({ id, name: nf.name, type: nf.type }));
  }

  /** (address, NF id) pairs for the kernel's nf_addrs map. */
  addressEntries(): [string, number][] {
    const out: [string, number][] = [];
    this.byId.forEach((nf, id) => nf.addresses.forEach((a) => out.push([a, id])));
    return out;
  }

  identity(id: number): NfIdentity {
    if (id === NF_UNKNOWN) return UNKNOWN_NF;
    const nf = this.byId.get(id);
    // An id the kernel has that the table does not would be a bug: say so in the label.
    return nf ? { name: nf.name, type: nf.type } : { name: `${UNKNOWN}-id-${id}`, type: UNKNOWN };
  }

  /**
   * N3 and N9 are both GTP-U: N9 joins two UPFs, N3 a gNB (or anything else) and a UPF
   * (TS 23.501 §4.2.3).
   */
  interfaceOf(proto: NfProto, a: number, b: number): InterfaceLabel {
    switch (proto) {
      case NfProto.Pfcp:
        return 'N4';
      case NfProto.Gtpu:
        return this.identity(a).type === 'UPF' && this.identity(b).type === 'UPF' ? 'N9' : 'N3';
      case NfProto.Sbi:
        return 'SBI';
      case NfProto.Ngap:
        return 'N2';
      default:
        return 'other';
    }
  }

  /**
   * A drop belongs to the NF the packet was addressed to, with the sender as
   * peer, when that address is a known NF; otherwise to the sender.
   */
  dropOwner(srcId: number, dstId: number): { nf: NfIdentity; peer: NfIdentity } {
    if (dstId !== NF_UNKNOWN) return { nf: this.identity(dstId), peer: this.identity(srcId) };
    return { nf: this.identity(srcId), peer: this.identity(dstId) };
  }
}

/** Entries of the kernel's ports map: which transport port carries which 5G protocol. */
export function portEntries(protocols: Config['protocols']): PortEntry[] {
  return [
    ...protocols.pfcp.map((port) => ({ l4proto: IPPROTO_UDP, port, proto: NfProto.Pfcp })),
    ...protocols.gtpu.map((port) => ({ l4proto: IPPROTO_UDP, port, proto: NfProto.Gtpu })),
    ...protocols.sbi.map((port) => ({ l4proto: IPPROTO_TCP, port, proto: NfProto.Sbi })),
    ...protocols.ngap.map((port) => ({ l4proto: IPPROTO_SCTP, port, proto: NfProto.Ngap })),
  ];
}

/** Slot of each transport in the kernel's port table (enum in common.bpf.h). */
const L4_SLOT: Record<number, L4Slot> = { [IPPROTO_UDP]: L4Slot.Udp, [IPPROTO_TCP]: L4Slot.Tcp, [IPPROTO_SCTP]: L4Slot.Sctp };

/** The kernel's port_proto table: one byte per (transport, port), the nf_proto carried there. */
export function portTable(protocols: Config['protocols']): Buffer {
  const t = Buffer.alloc(PORT_TABLE_BYTES);
  const row = PORT_TABLE_BYTES / PORT_TABLE_SLOTS;
  for (const e of portEntries(protocols)) t[L4_SLOT[e.l4proto] * row + e.port] = e.proto;
  return t;
}
