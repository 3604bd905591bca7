/** @nfscope/sim: the 5G namespace testbed and traffic simulator (see README.md). */
export { Testbed, TESTBED_NFS, type TestbedNf, type TestbedOptions } from './testbed';
export { Topology, checkBenchmarkingIpv4, checkBenchmarkingIpv6, topologyNames, type Host, type HostSpec, type Ipv6Mode, type TopologyOptions } from './topology';
export { runAgents, writeRecord, type Progress, type RunOptions } from './run';
export { DEFAULT_SCENARIO, loadScenario, resolveScenario, ScenarioError, type EchoBehaviour, type GtpuScenario, type PfcpScenario, type Scenario, type ScenarioInput } from './scenario';
export type { Behaviour, Decision, DecisionKind } from './behaviour';
export type { Distribution } from './distributions';
export {
  summarize,
  type ClientTransaction,
  type GpduFlow,
  type Interface,
  type Outcome,
  type Procedure,
  type ResponderSummary,
  type ResponderView,
  type RunRecord,
  type SummaryRow,
  type Transaction,
} from './record';
export type { ExporterConfigExtra } from './exporter-config';
export * as pfcp from './pfcp';
export * as gtpu from './gtpu';
export type { NgapBehaviour, NgapScenario } from './scenario';
export { ngapCounts, sackRoundTrips, type NgapProcedureEntry, type NgapProcedureRecord, type NgapRecord, type NgapResponderView, type SctpDataRecord, type SctpPacketCount } from './ngap-record';
export * as ngap from './ngap';
export * as sctp from './sctp';
