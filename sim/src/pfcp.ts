/**
 * PFCP codec (3GPP TS 29.244): message header (§7.2.2), information elements
 * (§8.1), and the messages the simulator exchanges on N4. Pure functions over
 * Buffers; nothing here touches a socket.
 */
import { isIPv4, isIPv6 } from 'net';
import { ipv6Bytes, ipv6String } from './inet';

/** PFCP runs over UDP port 8805 (§4.2). */
export const PFCP_PORT = 8805;
export const PFCP_VERSION = 1;

/** Message types (§7.3, Table 7.3-1). Node messages 1..49, session messages 50..99. */
export const MsgType = {
  HeartbeatRequest: 1,
  HeartbeatResponse: 2,
  AssociationSetupRequest: 5,
  AssociationSetupResponse: 6,
  VersionNotSupportedResponse: 11,
  SessionEstablishmentRequest: 50,
  SessionEstablishmentResponse: 51,
  SessionModificationRequest: 52,
  SessionModificationResponse: 53,
  SessionDeletionRequest: 54,
  SessionDeletionResponse: 55,
  SessionReportRequest: 56,
  SessionReportResponse: 57,
} as const;

/** IE types (§8.1.2, Table 8.1.2-1) used here. */
export const IeType = {
  CreatePdr: 1,
  Pdi: 2,
  CreateFar: 3,
  UpdateFar: 10,
  Cause: 19,
  SourceInterface: 20,
  Precedence: 29,
  ReportType: 39,
  ApplyAction: 44,
  PdrId: 56,
  FSeid: 57,
  NodeId: 60,
  DownlinkDataReport: 83,
  RecoveryTimeStamp: 96,
  FarId: 108,
} as const;

/** Cause values (§8.2.1, Table 8.2.1-1). 1..63 are success, 64 and above rejections. */
export const Cause = {
  RequestAccepted: 1,
  RequestRejected: 64,
  SessionContextNotFound: 65,
  MandatoryIeMissing: 66,
  NoEstablishedAssociation: 72,
  RuleCreationModificationFailure: 73,
  PfcpEntityInCongestion: 74,
  NoResourcesAvailable: 75,
  SystemFailure: 77,
} as const;

export function isAcceptedCause(cause: number): boolean {
  return cause >= 1 && cause < 64;
}

/** The procedures the simulator runs, named as nfscope labels them (message name without Request/Response). */
export type PfcpProcedure = 'Heartbeat' | 'AssociationSetup' | 'SessionEstablishment' | 'SessionModification' | 'SessionDeletion' | 'SessionReport';

export const PFCP_PROCEDURES: readonly PfcpProcedure[] = ['Heartbeat', 'AssociationSetup', 'SessionEstablishment', 'SessionModification', 'SessionDeletion', 'SessionReport'];

export const REQUEST_TYPE: Readonly<Record<PfcpProcedure, number>> = {
  Heartbeat: MsgType.HeartbeatRequest,
  AssociationSetup: MsgType.AssociationSetupRequest,
  SessionEstablishment: MsgType.SessionEstablishmentRequest,
  SessionModification: MsgType.SessionModificationRequest,
  SessionDeletion: MsgType.SessionDeletionRequest,
  SessionReport: MsgType.SessionReportRequest,
};

/** What a message type is: its procedure and whether it is the request. Responses are request type + 1. */
export function classify(type: number): { procedure: PfcpProcedure; request: boolean } | undefined {
  for (const p of PFCP_PROCEDURES) {
    if (REQUEST_TYPE[p] === type) return { procedure: p, request: true };
    if (REQUEST_TYPE[p] + 1 === type) return { procedure: p, request: false };
  }
  return undefined;
}

/** Session messages (types 50..99) carry a SEID: S=1 (§7.2.2.1, §7.2.2.4.1). */
export function isSessionMessage(type: number): boolean {
  return type >= 50 && type <= 99;
}

/** Which procedures' responses carry a Cause IE (Heartbeat Response has none, §7.4.2.2). */
export function hasCause(procedure: PfcpProcedure): boolean {
  return procedure !== 'Heartbeat';
}

export interface Ie {
  type: number;
  /** The value octets (for a grouped IE: its encoded member IEs). */
  value: Buffer;
}

export interface PfcpMessage {
  type: number;
  /** Present exactly when the S flag is set (session messages). */
  seid?: bigint;
  /** 24-bit sequence number. */
  seq: number;
  /** Message priority (MP flag, 4 bits), only in session messages. */
  priority?: number;
  ies: Ie[];
}

export class PfcpDecodeError extends Error {
  constructor(message: string) {
    super(`PFCP: ${message}`);
    this.name = 'PfcpDecodeError';
  }
}

const FLAG_FO = 0x04;
const FLAG_MP = 0x02;
const FLAG_S = 0x01;
const MAX_SEQ = 0xffffff;
/** Bound on messages per datagram (FO loop) and IEs per level, so hostile input cannot make us spin. */
const MAX_MESSAGES_PER_DATAGRAM = 64;
const MAX_IES = 1024;

// ---------------------------------------------------------------- header and IEs

export function encodeIes(ies: readonly Ie[]): Buffer {
  const parts: Buffer[] = [];
  for (const ie of ies) {
    if (!Number.isInteger(ie.type) || ie.type < 0 || ie.type > 0xffff) throw new RangeError(`IE type ${ie.type} out of range`);
    if (ie.value.length > 0xffff) throw new RangeError(`IE ${ie.type} value too long (${ie.value.length})`);
    // §8.1.1: Type (2 octets), Length (2 octets, of the value only), value.
    const h = Buffer.alloc(4);
    h.writeUInt16BE(ie.type, 0);
    h.writeUInt16BE(ie.value.length, 2);
    parts.push(h, ie.value);
  }
  return Buffer.concat(parts);
}

export function decodeIes(buf: Buffer): Ie[] {
  const ies: Ie[] = [];
  let off = 0;
  while (off < buf.length) {
    if (ies.length >= MAX_IES) throw new PfcpDecodeError(`more than ${MAX_IES} IEs`);
    if (off + 4 > buf.length) throw new PfcpDecodeError(`truncated IE header at offset ${off}`);
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    if (off + 4 + len > buf.length) throw new PfcpDecodeError(`IE ${type} at offset ${off} claims ${len} octets, ${buf.length - off - 4} left`);
    ies.push({ type, value: buf.subarray(off + 4, off + 4 + len) });
    off += 4 + len;
  }
  return ies;
}

export function findIe(ies: readonly Ie[], type: number): Ie | undefined {
  return ies.find((ie) => ie.type === type);
}

/**
 * Encodes one message (§7.2.2.1). `followOn` sets FO: another message follows in
 * the same datagram (§7.2.2.1: FO=1 means a further message is piggybacked).
 */
export function encodeMessage(msg: PfcpMessage, followOn = false): Buffer {
  if (!Number.isInteger(msg.seq) || msg.seq < 0 || msg.seq > MAX_SEQ) throw new RangeError(`sequence number ${msg.seq} is not 24-bit`);
  if (!Number.isInteger(msg.type) || msg.type < 1 || msg.type > 255) throw new RangeError(`message type ${msg.type} out of range`);
  const withSeid = msg.seid !== undefined;
  if (withSeid !== isSessionMessage(msg.type)) {
    throw new RangeError(`message type ${msg.type}: ${withSeid ? 'node messages have no SEID' : 'session messages need a SEID'} (TS 29.244 §7.2.2.1)`);
  }
  if (msg.priority !== undefined && (!withSeid || msg.priority < 0 || msg.priority > 15)) throw new RangeError('message priority needs a SEID and 0..15');
  const body = encodeIes(msg.ies);
  const headerLen = withSeid ? 16 : 8;
  const h = Buffer.alloc(headerLen);
  h[0] = (PFCP_VERSION << 5) | (followOn ? FLAG_FO : 0) | (msg.priority !== undefined ? FLAG_MP : 0) | (withSeid ? FLAG_S : 0);
  h[1] = msg.type;
  // Length: octets after the first 4 of the header (§7.2.2.1, "Message Length").
  h.writeUInt16BE(headerLen - 4 + body.length, 2);
  let seqOff = 4;
  if (withSeid) {
    h.writeBigUInt64BE(BigInt.asUintN(64, msg.seid as bigint), 4);
    seqOff = 12;
    h[15] = (msg.priority ?? 0) << 4; // priority in the high nibble of the last header octet
  }
  h.writeUIntBE(msg.seq, seqOff, 3);
  return Buffer.concat([h, body]);
}

/** Several messages in one datagram, chained with FO (§7.2.2.1). */
export function encodeMessages(msgs: readonly PfcpMessage[]): Buffer {
  return Buffer.concat(msgs.map((m, i) => encodeMessage(m, i < msgs.length - 1)));
}

/** Decodes every message of a datagram, following FO. Throws PfcpDecodeError on anything malformed. */
export function decodeMessages(buf: Buffer): PfcpMessage[] {
  const out: PfcpMessage[] = [];
  let off = 0;
  for (;;) {
    if (out.length >= MAX_MESSAGES_PER_DATAGRAM) throw new PfcpDecodeError(`more than ${MAX_MESSAGES_PER_DATAGRAM} messages in one datagram`);
    if (off + 8 > buf.length) throw new PfcpDecodeError(`truncated header at offset ${off}`);
    const flags = buf[off];
    const version = flags >> 5;
    if (version !== PFCP_VERSION) throw new PfcpDecodeError(`version ${version}, expected ${PFCP_VERSION}`);
    const withSeid = (flags & FLAG_S) !== 0;
    const type = buf[off + 1];
    const end = off + 4 + buf.readUInt16BE(off + 2);
    const headerLen = withSeid ? 16 : 8;
    if (end > buf.length) throw new PfcpDecodeError(`message at offset ${off} claims ${end - off} octets, ${buf.length - off} left`);
    if (end < off + headerLen) throw new PfcpDecodeError(`message length ${end - off} shorter than its ${headerLen}-octet header`);
    const msg: PfcpMessage = { type, seq: 0, ies: decodeIes(buf.subarray(off + headerLen, end)) };
    if (withSeid) {
      msg.seid = buf.readBigUInt64BE(off + 4);
      msg.seq = buf.readUIntBE(off + 12, 3);
      if (flags & FLAG_MP) msg.priority = buf[off + 15] >> 4;
    } else {
      msg.seq = buf.readUIntBE(off + 4, 3);
    }
    out.push(msg);
    off = end;
    if (!(flags & FLAG_FO)) break;
  }
  if (off !== buf.length) throw new PfcpDecodeError(`${buf.length - off} octets after the last message (FO not set)`);
  return out;
}

/** The first (usually only) message of a datagram. */
export function decodeMessage(buf: Buffer): PfcpMessage {
  return decodeMessages(buf)[0];
}

// ---------------------------------------------------------------- IE values

/** Node ID (§8.2.38): type (0 IPv4, 1 IPv6, 2 FQDN) in the low nibble, then the address or DNS-encoded name. */
export function nodeIdIe(id: string): Ie {
  let value: Buffer;
  if (isIPv4(id)) value = Buffer.concat([Buffer.from([0]), Buffer.from(id.split('.').map(Number))]);
  else if (isIPv6(id)) value = Buffer.concat([Buffer.from([1]), ipv6Bytes(id)]);
  else value = Buffer.concat([Buffer.from([2]), dnsName(id)]);
  return { type: IeType.NodeId, value };
}

export function decodeNodeId(value: Buffer): string {
  const kind = value[0] & 0x0f;
  if (kind === 0 && value.length === 5) return [...value.subarray(1, 5)].join('.');
  if (kind === 1 && value.length === 17) return ipv6String(value.subarray(1, 17));
  if (kind === 2) {
    const labels: string[] = [];
    for (let off = 1; off < value.length;) {
      const n = value[off];
      labels.push(value.subarray(off + 1, off + 1 + n).toString('ascii'));
      off += 1 + n;
    }
    return labels.join('.');
  }
  throw new PfcpDecodeError(`Node ID type ${kind} with ${value.length} octets`);
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** Recovery Time Stamp (§8.2.65): when the entity started, NTP seconds (RFC 5905), 4 octets. */
export function recoveryTimeStampIe(unixSeconds: number): Ie {
  const value = Buffer.alloc(4);
  value.writeUInt32BE((Math.floor(unixSeconds) + NTP_UNIX_OFFSET) >>> 0, 0);
  return { type: IeType.RecoveryTimeStamp, value };
}

export function decodeRecoveryTimeStamp(value: Buffer): number {
  if (value.length < 4) throw new PfcpDecodeError('Recovery Time Stamp shorter than 4 octets');
  return value.readUInt32BE(0) - NTP_UNIX_OFFSET;
}

export function causeIe(cause: number): Ie {
  if (!Number.isInteger(cause) || cause < 0 || cause > 255) throw new RangeError(`cause ${cause} out of range`);
  return { type: IeType.Cause, value: Buffer.from([cause]) };
}

/** The Cause IE's value, wherever it is among the IEs (it is not first in every response). */
export function causeOf(msg: PfcpMessage): number | undefined {
  const ie = findIe(msg.ies, IeType.Cause);
  return ie && ie.value.length >= 1 ? ie.value[0] : undefined;
}

/** F-SEID (§8.2.37): flags (V4 0x02, V6 0x01), SEID (8 octets), then the IPv4 and/or IPv6 address. */
export function fSeidIe(seid: bigint, address: string): Ie {
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) throw new RangeError(`F-SEID address ${JSON.stringify(address)} is not an IP address`);
  const head = Buffer.alloc(9);
  head[0] = v4 ? 0x02 : 0x01;
  head.writeBigUInt64BE(BigInt.asUintN(64, seid), 1);
  return { type: IeType.FSeid, value: Buffer.concat([head, v4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address)]) };
}

export function decodeFSeid(value: Buffer): { seid: bigint; ipv4?: string; ipv6?: string } {
  if (value.length < 9) throw new PfcpDecodeError('F-SEID shorter than 9 octets');
  const out: { seid: bigint; ipv4?: string; ipv6?: string } = { seid: value.readBigUInt64BE(1) };
  let off = 9;
  if (value[0] & 0x02) {
    if (value.length < off + 4) throw new PfcpDecodeError('F-SEID: V4 set but no IPv4 address');
    out.ipv4 = [...value.subarray(off, off + 4)].join('.');
    off += 4;
  }
  if (value[0] & 0x01) {
    if (value.length < off + 16) throw new PfcpDecodeError('F-SEID: V6 set but no IPv6 address');
    out.ipv6 = ipv6String(value.subarray(off, off + 16));
  }
  return out;
}

/** Report Type (§8.2.21) flags. */
export const ReportType = { DLDR: 0x01, USAR: 0x02, ERIR: 0x04, UPIR: 0x08 } as const;

export function reportTypeIe(flags: number): Ie {
  return { type: IeType.ReportType, value: Buffer.from([flags & 0xff]) };
}

const u8 = (type: number, v: number): Ie => ({ type, value: Buffer.from([v]) });
const u16 = (type: number, v: number): Ie => {
  const value = Buffer.alloc(2);
  value.writeUInt16BE(v, 0);
  return { type, value };
};
const u32 = (type: number, v: number): Ie => {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(v >>> 0, 0);
  return { type, value };
};
const grouped = (type: number, members: Ie[]): Ie => ({ type, value: encodeIes(members) });

/** Apply Action (§8.2.26) flags: DROP 0x01, FORW 0x02, BUFF 0x04, NOCP 0x08. */
export const ApplyAction = { DROP: 0x01, FORW: 0x02, BUFF: 0x04, NOCP: 0x08 } as const;

/** Source Interface (§8.2.2): 0 Access (uplink, from the gNB), 1 Core (downlink). */
export const SourceInterface = { Access: 0, Core: 1 } as const;

/**
 * A minimal Create PDR (§7.5.2.2, Table 7.5.2.2-1): PDR ID, Precedence and a PDI
 * with Source Interface are mandatory; FAR ID ties it to a Create FAR.
 */
export function createPdrIe(p: { pdrId: number; precedence: number; sourceInterface: number; farId: number }): Ie {
  return grouped(IeType.CreatePdr, [
    u16(IeType.PdrId, p.pdrId),
    u32(IeType.Precedence, p.precedence),
    grouped(IeType.Pdi, [u8(IeType.SourceInterface, p.sourceInterface & 0x0f)]),
    u32(IeType.FarId, p.farId),
  ]);
}

/** A minimal Create FAR (§7.5.2.3, Table 7.5.2.3-1): FAR ID and Apply Action. */
export function createFarIe(f: { farId: number; applyAction: number }): Ie {
  return grouped(IeType.CreateFar, [u32(IeType.FarId, f.farId), u8(IeType.ApplyAction, f.applyAction)]);
}

/** Update FAR (§7.5.4.3): FAR ID and a new Apply Action. */
export function updateFarIe(f: { farId: number; applyAction: number }): Ie {
  return grouped(IeType.UpdateFar, [u32(IeType.FarId, f.farId), u8(IeType.ApplyAction, f.applyAction)]);
}

/** Downlink Data Report (§7.5.8.2): the PDR that matched buffered downlink data. */
export function downlinkDataReportIe(pdrId: number): Ie {
  return grouped(IeType.DownlinkDataReport, [u16(IeType.PdrId, pdrId)]);
}

// ---------------------------------------------------------------- messages

/** Heartbeat Request/Response (§7.4.2): Recovery Time Stamp (M); no Cause in the response. */
export function heartbeatRequest(seq: number, recoveryUnixS: number): PfcpMessage {
  return { type: MsgType.HeartbeatRequest, seq, ies: [recoveryTimeStampIe(recoveryUnixS)] };
}

export function heartbeatResponse(seq: number, recoveryUnixS: number): PfcpMessage {
  return { type: MsgType.HeartbeatResponse, seq, ies: [recoveryTimeStampIe(recoveryUnixS)] };
}

/** Association Setup Request (§7.4.4.1): Node ID (M), Recovery Time Stamp (M). */
export function associationSetupRequest(seq: number, nodeId: string, recoveryUnixS: number): PfcpMessage {
  return { type: MsgType.AssociationSetupRequest, seq, ies: [nodeIdIe(nodeId), recoveryTimeStampIe(recoveryUnixS)] };
}

/** Association Setup Response (§7.4.4.2): Node ID (M), Cause (M), Recovery Time Stamp (M). */
export function associationSetupResponse(seq: number, nodeId: string, cause: number, recoveryUnixS: number): PfcpMessage {
  return { type: MsgType.AssociationSetupResponse, seq, ies: [nodeIdIe(nodeId), causeIe(cause), recoveryTimeStampIe(recoveryUnixS)] };
}

/**
 * Session Establishment Request (§7.5.2): the SEID in the header is 0, because the
 * CP function does not know the UP SEID yet (§7.2.2.4.2); Node ID, CP F-SEID, one
 * Create PDR and one Create FAR (uplink: Access → forward).
 */
export function sessionEstablishmentRequest(r: { seq: number; nodeId: string; cpSeid: bigint; cpAddress: string }): PfcpMessage {
  return {
    type: MsgType.SessionEstablishmentRequest,
    seid: 0n,
    seq: r.seq,
    ies: [
      nodeIdIe(r.nodeId),
      fSeidIe(r.cpSeid, r.cpAddress),
      createPdrIe({ pdrId: 1, precedence: 255, sourceInterface: SourceInterface.Access, farId: 1 }),
      createFarIe({ farId: 1, applyAction: ApplyAction.FORW }),
    ],
  };
}

/**
 * Session Establishment Response (§7.5.3): header SEID = the CP F-SEID's SEID from
 * the request; Node ID first, then Cause, then UP F-SEID (only when accepted).
 */
export function sessionEstablishmentResponse(r: { seq: number; cpSeid: bigint; nodeId: string; cause: number; upSeid?: bigint; upAddress?: string }): PfcpMessage {
  const ies = [nodeIdIe(r.nodeId), causeIe(r.cause)];
  if (isAcceptedCause(r.cause) && r.upSeid !== undefined && r.upAddress !== undefined) ies.push(fSeidIe(r.upSeid, r.upAddress));
  return { type: MsgType.SessionEstablishmentResponse, seid: r.cpSeid, seq: r.seq, ies };
}

/** Session Modification Request (§7.5.4): header SEID = UP SEID; here it changes the FAR. */
export function sessionModificationRequest(r: { seq: number; upSeid: bigint }): PfcpMessage {
  return { type: MsgType.SessionModificationRequest, seid: r.upSeid, seq: r.seq, ies: [updateFarIe({ farId: 1, applyAction: ApplyAction.FORW })] };
}

/** Session Deletion Request (§7.5.6): no mandatory IEs. */
export function sessionDeletionRequest(r: { seq: number; upSeid: bigint }): PfcpMessage {
  return { type: MsgType.SessionDeletionRequest, seid: r.upSeid, seq: r.seq, ies: [] };
}

/** Session Report Request (§7.5.8), UPF → SMF: header SEID = CP SEID; Report Type (M). */
export function sessionReportRequest(r: { seq: number; cpSeid: bigint; reportType?: number }): PfcpMessage {
  const reportType = r.reportType ?? ReportType.DLDR;
  const ies = [reportTypeIe(reportType)];
  if (reportType & ReportType.DLDR) ies.push(downlinkDataReportIe(1));
  return { type: MsgType.SessionReportRequest, seid: r.cpSeid, seq: r.seq, ies };
}

/**
 * Modification (§7.5.5), Deletion (§7.5.7) and Report (§7.5.9) responses: the
 * header SEID is the peer's SEID, Cause (M).
 */
export function sessionResponse(procedure: 'SessionModification' | 'SessionDeletion' | 'SessionReport', r: { seq: number; peerSeid: bigint; cause: number }): PfcpMessage {
  return { type: REQUEST_TYPE[procedure] + 1, seid: r.peerSeid, seq: r.seq, ies: [causeIe(r.cause)] };
}

// ---------------------------------------------------------------- helpers

function dnsName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  if (labels.some((l) => l.length > 63)) throw new RangeError(`FQDN label longer than 63 octets in ${name}`);
  return Buffer.concat(labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])));
}
