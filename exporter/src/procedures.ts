/** Procedure labels: what a request's message type means, per protocol. */
import { NfOutcome, NfProto, SBI_STATUS_UNSEEN, SbiMethod } from './kernel/layout';

/** PFCP request message types (3GPP TS 29.244 §7.3), named without "Request". */
const PFCP_REQUESTS: Record<number, string> = {
  1: 'Heartbeat',
  3: 'PFDManagement',
  5: 'AssociationSetup',
  7: 'AssociationUpdate',
  9: 'AssociationRelease',
  12: 'NodeReport',
  14: 'SessionSetDeletion',
  16: 'SessionSetModification',
  50: 'SessionEstablishment',
  52: 'SessionModification',
  54: 'SessionDeletion',
  56: 'SessionReport',
};

/** GTP-U (TS 29.281 §7.2): only Echo has a response. */
const GTPU_REQUESTS: Record<number, string> = { 1: 'Echo' };

/** NGAP procedure codes (TS 38.413 §9.4.7, ProcedureCode). */
const NGAP_PROCEDURES: string[] = [
  'AMFConfigurationUpdate',
  'AMFStatusIndication',
  'CellTrafficTrace',
  'DeactivateTrace',
  'DownlinkNASTransport',
  'DownlinkNonUEAssociatedNRPPaTransport',
  'DownlinkRANConfigurationTransfer',
  'DownlinkRANStatusTransfer',
  'DownlinkUEAssociatedNRPPaTransport',
  'ErrorIndication',
  'HandoverCancel',
  'HandoverNotification',
  'HandoverPreparation',
  'HandoverResourceAllocation',
  'InitialContextSetup',
  'InitialUEMessage',
  'LocationReportingControl',
  'LocationReportingFailureIndication',
  'LocationReport',
  'NASNonDeliveryIndication',
  'NGReset',
  'NGSetup',
  'OverloadStart',
  'OverloadStop',
  'Paging',
  'PathSwitchRequest',
  'PDUSessionResourceModify',
  'PDUSessionResourceModifyIndication',
  'PDUSessionResourceRelease',
  'PDUSessionResourceSetup',
  'PDUSessionResourceNotify',
  'PrivateMessage',
  'PWSCancel',
  'PWSFailureIndication',
  'PWSRestartIndication',
  'RANConfigurationUpdate',
  'RerouteNASRequest',
  'RRCInactiveTransitionReport',
  'TraceFailureIndication',
  'TraceStart',
  'UEContextModification',
  'UEContextRelease',
  'UEContextReleaseRequest',
  'UERadioCapabilityCheck',
  'UERadioCapabilityInfoIndication',
  'UETNLABindingRelease',
  'UplinkNASTransport',
  'UplinkNonUEAssociatedNRPPaTransport',
  'UplinkRANConfigurationTransfer',
  'UplinkRANStatusTransfer',
  'UplinkUEAssociatedNRPPaTransport',
  'WriteReplaceWarning',
  'SecondaryRATDataUsageReport',
];

/** SBI: the HTTP method (enum sbi_method); methods the datapath cannot read are `other`. */
/**
 * Method and status of SBI requests on a connection whose start nfscope did
 * not see (the first exporter on a node whose NFs already run): the HPACK
 * dynamic table they refer to was never known. Apart from `other`, which is
 * a table lost on a connection nfscope followed from its start.
 */
export const UNSEEN_START = 'unseen_start';

const SBI_METHODS: Record<number, string> = {
  [SbiMethod.Other]: 'other',
  [SbiMethod.Get]: 'GET',
  [SbiMethod.Post]: 'POST',
  [SbiMethod.Put]: 'PUT',
  [SbiMethod.Patch]: 'PATCH',
  [SbiMethod.Delete]: 'DELETE',
  [SbiMethod.Unseen]: UNSEEN_START,
};

/** The procedure label of a series; codes nfscope does not know are named by number. */
export function procedureName(proto: NfProto, procedure: number): string {
  if (proto === NfProto.Sbi) return SBI_METHODS[procedure] ?? 'other';
  const table: Record<number, string> | undefined = proto === NfProto.Pfcp ? PFCP_REQUESTS : proto === NfProto.Gtpu ? GTPU_REQUESTS : proto === NfProto.Ngap ? NGAP_PROCEDURES : undefined;
  return table?.[procedure] ?? `${proto === NfProto.Ngap ? 'procedure' : 'type'}_${procedure}`;
}

/**
 * The `code` label of a completed transaction: the PFCP cause, the HTTP
 * status on the SBI (`other` when the datapath could not read it: dynamic
 * HPACK entries, a header block cut by the segment's end).
 */
export function codeLabel(proto: NfProto, code: number): string {
  if (proto === NfProto.Sbi && code === 0) return 'other';
  if (proto === NfProto.Sbi && code === SBI_STATUS_UNSEEN) return UNSEEN_START;
  return String(code);
}

export const OUTCOME_LABELS: Record<NfOutcome, string> = {
  [NfOutcome.Accepted]: 'accepted',
  [NfOutcome.Rejected]: 'rejected',
  [NfOutcome.Other]: 'other',
  [NfOutcome.Initiated]: 'initiated',
};
