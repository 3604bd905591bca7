/**
 * NGAP messages (TS 38.413) in their ALIGNED PER encoding, as far as the
 * testbed needs them: the NGAP-PDU header (CHOICE, procedure code,
 * criticality, open-type length) exactly, and a ProtocolIE-Container with the
 * UE's NGAP IDs, a NAS-PDU and a Cause. The messages are well-formed PER, so
 * Wireshark decodes them, but they carry only a few of each message's
 * mandatory IEs: what nfscope reads is the header.
 */

/** NGAP-PDU CHOICE (extensible, 3 alternatives): the first octet of every message. */
export const PduKind = { Initiating: 0x00, Successful: 0x20, Unsuccessful: 0x40 } as const;
export type PduKindName = 'initiating' | 'successful' | 'unsuccessful';
const KIND_NAME: Record<number, PduKindName> = { 0x00: 'initiating', 0x20: 'successful', 0x40: 'unsuccessful' };

/** The procedures the testbed runs, with their ProcedureCode (§9.4.7) and class (§8: 1 has a response, 2 has none). */
export const NGAP_PROCEDURES = {
  NGSetup: { code: 21, class: 1, unsuccessful: true, criticality: 'reject' },
  InitialUEMessage: { code: 15, class: 2, unsuccessful: false, criticality: 'ignore' },
  DownlinkNASTransport: { code: 4, class: 2, unsuccessful: false, criticality: 'ignore' },
  UplinkNASTransport: { code: 46, class: 2, unsuccessful: false, criticality: 'ignore' },
  InitialContextSetup: { code: 14, class: 1, unsuccessful: true, criticality: 'reject' },
  PDUSessionResourceSetup: { code: 29, class: 1, unsuccessful: false, criticality: 'reject' },
  UEContextRelease: { code: 41, class: 1, unsuccessful: false, criticality: 'reject' },
} as const;
export type NgapProcedure = keyof typeof NGAP_PROCEDURES;
export const NGAP_PROCEDURE_NAMES = Object.keys(NGAP_PROCEDURES) as NgapProcedure[];
const BY_CODE = new Map<number, NgapProcedure>(NGAP_PROCEDURE_NAMES.map((p) => [NGAP_PROCEDURES[p].code, p]));

export function procedureOfCode(code: number): NgapProcedure | undefined {
  return BY_CODE.get(code);
}

/** ProtocolIE-IDs (§9.4.7). */
export const IeId = { AmfUeNgapId: 10, Cause: 15, DefaultPagingDrx: 21, NasPdu: 38, RanUeNgapId: 85, RelativeAmfCapacity: 86, UeNgapIds: 114 } as const;

const CRITICALITY = { reject: 0x00, ignore: 0x40, notify: 0x80 } as const;

export class NgapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NgapError';
  }
}

// ---------------------------------------------------------------- PER pieces

/** Open-type / unconstrained length determinant (X.691 §11.9.3.6): one octet below 128, two below 16384. */
function lengthDeterminant(n: number): Buffer {
  if (n < 128) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x80 | (n >> 8), n & 0xff]);
  throw new NgapError(`open type of ${n} octets needs fragmentation, which the testbed does not do`);
}

function readLength(b: Buffer, off: number, what: string): { len: number; off: number } {
  if (off >= b.length) throw new NgapError(`${what}: length missing at offset ${off}`);
  if (b[off] < 0x80) return { len: b[off], off: off + 1 };
  if ((b[off] & 0xc0) === 0x80 && off + 1 < b.length) return { len: ((b[off] & 0x3f) << 8) | b[off + 1], off: off + 2 };
  throw new NgapError(`${what}: unsupported length determinant 0x${b[off].toString(16)} at offset ${off}`);
}

/**
 * A constrained whole number whose range needs more than two octets (X.691
 * §11.5.7.4): the octet count (minus one) in `lenBits` bits, padding to the
 * octet, then the value in that many octets. RAN-UE-NGAP-ID (0..2^32−1): 2
 * bits; AMF-UE-NGAP-ID (0..2^40−1): 3 bits. `prefix`/`prefixBits` are bits
 * that come first in the same octet (a CHOICE index).
 */
function bigConstrained(value: number, lenBits: number, prefix = 0, prefixBits = 0): Buffer {
  let n = 1;
  while (n < 8 && value >= 2 ** (8 * n)) n++;
  const head = (prefix << (8 - prefixBits)) | ((n - 1) << (8 - prefixBits - lenBits));
  const v = Buffer.alloc(n);
  v.writeUIntBE(value, 0, n);
  return Buffer.concat([Buffer.from([head & 0xff]), v]);
}

function readBigConstrained(v: Buffer, lenBits: number, prefixBits = 0): number {
  if (v.length < 2) throw new NgapError(`integer IE of ${v.length} octets is too short`);
  const n = ((v[0] >> (8 - prefixBits - lenBits)) & ((1 << lenBits) - 1)) + 1;
  if (v.length < 1 + n) throw new NgapError(`integer IE says ${n} octets, has ${v.length - 1}`);
  return v.readUIntBE(1, n);
}

export interface Ie {
  id: number;
  criticality: keyof typeof CRITICALITY;
  value: Buffer;
}

function ieBytes(ie: Ie): Buffer {
  const h = Buffer.alloc(3);
  h.writeUInt16BE(ie.id, 0);
  h[2] = CRITICALITY[ie.criticality];
  return Buffer.concat([h, lengthDeterminant(ie.value.length), ie.value]);
}

// ---------------------------------------------------------------- IE values

export const ies = {
  amfUeNgapId: (id: number): Ie => ({ id: IeId.AmfUeNgapId, criticality: 'reject', value: bigConstrained(id, 3) }),
  ranUeNgapId: (id: number): Ie => ({ id: IeId.RanUeNgapId, criticality: 'reject', value: bigConstrained(id, 2) }),
  /** NAS-PDU: OCTET STRING, unconstrained (length determinant, then the octets). */
  nasPdu: (nas: Buffer): Ie => ({ id: IeId.NasPdu, criticality: 'reject', value: Buffer.concat([lengthDeterminant(nas.length), nas]) }),
  /** Cause CHOICE (6 alternatives, 3 bits): misc (4), CauseMisc unspecified (5): 100 0 101 0. */
  causeMiscUnspecified: (): Ie => ({ id: IeId.Cause, criticality: 'ignore', value: Buffer.from([0x8a]) }),
  /** Cause nas (2), CauseNas normal-release (0): 010 0 00 00. */
  causeNasNormalRelease: (): Ie => ({ id: IeId.Cause, criticality: 'ignore', value: Buffer.from([0x40]) }),
  /** PagingDRX ENUMERATED {v32, v64, v128, v256, ...}: v128 = 0 10 00000. */
  defaultPagingDrx: (): Ie => ({ id: IeId.DefaultPagingDrx, criticality: 'ignore', value: Buffer.from([0x40]) }),
  /** RelativeAMFCapacity INTEGER (0..255): one octet. */
  relativeAmfCapacity: (c: number): Ie => ({ id: IeId.RelativeAmfCapacity, criticality: 'ignore', value: Buffer.from([c & 0xff]) }),
  /** UE-NGAP-IDs CHOICE {uE-NGAP-ID-pair, aMF-UE-NGAP-ID, choice-Extensions}: index 1 in 2 bits, then the AMF-UE-NGAP-ID. */
  ueNgapIdsAmf: (id: number): Ie => ({ id: IeId.UeNgapIds, criticality: 'reject', value: bigConstrained(id, 3, 1, 2) }),
};

// ---------------------------------------------------------------- messages

export interface NgapMessage {
  kind: PduKindName;
  procedure: NgapProcedure;
  ies: Ie[];
}

/** Encodes an NGAP-PDU: CHOICE octet, procedure code, criticality, then the message as an open type. */
export function encode(m: NgapMessage): Buffer {
  const p = NGAP_PROCEDURES[m.procedure];
  const kind = m.kind === 'initiating' ? PduKind.Initiating : m.kind === 'successful' ? PduKind.Successful : PduKind.Unsuccessful;
  // Message ::= SEQUENCE { protocolIEs, ... }: extension bit (0) padded to the octet, then SIZE (0..65535) as two octets.
  const count = Buffer.alloc(3);
  count.writeUInt16BE(m.ies.length, 1);
  const value = Buffer.concat([count, ...m.ies.map(ieBytes)]);
  return Buffer.concat([Buffer.from([kind, p.code, CRITICALITY[p.criticality]]), lengthDeterminant(value.length), value]);
}

export interface DecodedNgap {
  kind: PduKindName;
  code: number;
  /** Undefined for a procedure code the testbed does not run. */
  procedure?: NgapProcedure;
  ies: Array<{ id: number; value: Buffer }>;
  ranUeNgapId?: number;
  amfUeNgapId?: number;
}

/** Decodes the header and the IE container; throws NgapError naming what is wrong. */
export function decode(b: Buffer): DecodedNgap {
  if (b.length < 4) throw new NgapError(`NGAP-PDU of ${b.length} octets is shorter than its 4-octet header`);
  const kind = KIND_NAME[b[0]];
  if (!kind) throw new NgapError(`NGAP-PDU CHOICE octet 0x${b[0].toString(16)} is none of initiating (0x00), successful (0x20), unsuccessful (0x40)`);
  const code = b[1];
  const { len, off } = readLength(b, 3, 'NGAP message');
  if (off + len > b.length) throw new NgapError(`NGAP message says ${len} octets, ${b.length - off} follow`);
  const v = b.subarray(off, off + len);
  if (v.length < 3) throw new NgapError('NGAP message has no ProtocolIE-Container');
  const n = v.readUInt16BE(1);
  const out: DecodedNgap = { kind, code, procedure: procedureOfCode(code), ies: [] };
  let o = 3;
  for (let i = 0; i < n; i++) {
    if (o + 3 > v.length) throw new NgapError(`IE ${i + 1} of ${n} is cut off at offset ${o}`);
    const id = v.readUInt16BE(o);
    const l = readLength(v, o + 3, `IE ${id}`);
    if (l.off + l.len > v.length) throw new NgapError(`IE ${id} says ${l.len} octets, ${v.length - l.off} follow`);
    const value = v.subarray(l.off, l.off + l.len);
    out.ies.push({ id, value });
    if (id === IeId.RanUeNgapId) out.ranUeNgapId = readBigConstrained(value, 2);
    else if (id === IeId.AmfUeNgapId) out.amfUeNgapId = readBigConstrained(value, 3);
    else if (id === IeId.UeNgapIds && value.length > 0 && value[0] >> 6 === 1) out.amfUeNgapId = readBigConstrained(value, 3, 2);
    o = l.off + l.len;
  }
  return out;
}

// ---------------------------------------------------------------- the testbed's messages

/**
 * Plain 5GMM messages (TS 24.501 §8.2) with their mandatory IEs only:
 * Registration Request (initial, no key, "no identity"), Authentication
 * Request (ngKSI, empty ABBA), Authentication Response (no mandatory IE).
 */
const NAS = {
  registrationRequest: Buffer.from([0x7e, 0x00, 0x41, 0x71, 0x00, 0x01, 0x00]),
  authenticationRequest: Buffer.from([0x7e, 0x00, 0x56, 0x00, 0x02, 0x00, 0x00]),
  authenticationResponse: Buffer.from([0x7e, 0x00, 0x57]),
};

export interface UeIds {
  ran: number;
  amf?: number;
}

const idIes = (u: UeIds): Ie[] => (u.amf === undefined ? [ies.ranUeNgapId(u.ran)] : [ies.amfUeNgapId(u.amf), ies.ranUeNgapId(u.ran)]);

/** The message a procedure's initiator sends. */
export function request(procedure: NgapProcedure, ue?: UeIds): NgapMessage {
  const m = (list: Ie[]): NgapMessage => ({ kind: 'initiating', procedure, ies: list });
  if (procedure === 'NGSetup') return m([ies.defaultPagingDrx()]);
  if (!ue) throw new NgapError(`${procedure} is UE-associated: UE NGAP IDs needed`);
  switch (procedure) {
    case 'InitialUEMessage':
      return m([ies.ranUeNgapId(ue.ran), ies.nasPdu(NAS.registrationRequest)]);
    case 'DownlinkNASTransport':
      return m([...idIes(ue), ies.nasPdu(NAS.authenticationRequest)]);
    case 'UplinkNASTransport':
      return m([...idIes(ue), ies.nasPdu(NAS.authenticationResponse)]);
    case 'UEContextRelease':
      return m([ies.ueNgapIdsAmf(ue.amf ?? 0), ies.causeNasNormalRelease()]);
    default:
      return m(idIes(ue));
  }
}

/** The response of a class 1 procedure: successful, or unsuccessful (with a Cause) where the procedure has that outcome. */
export function response(procedure: NgapProcedure, successful: boolean, ue?: UeIds): NgapMessage {
  const p = NGAP_PROCEDURES[procedure];
  if (p.class !== 1) throw new NgapError(`${procedure} is a class 2 procedure: it has no response`);
  if (!successful && !p.unsuccessful) throw new NgapError(`${procedure} has no unsuccessful outcome`);
  const kind: PduKindName = successful ? 'successful' : 'unsuccessful';
  if (procedure === 'NGSetup') return { kind, procedure, ies: [successful ? ies.relativeAmfCapacity(255) : ies.causeMiscUnspecified()] };
  if (!ue) throw new NgapError(`${procedure} is UE-associated: UE NGAP IDs needed`);
  return { kind, procedure, ies: successful ? idIes(ue) : [...idIes(ue), ies.causeMiscUnspecified()] };
}
