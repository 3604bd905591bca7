/**
 * Test hosts in network namespaces behind a bridge: the topology library of
 * sim/src/topology.ts, which the testbed and the benchmarks build theirs
 * with too. Names carry a per-run id and everything is removed by destroy(),
 * also after a failed test (and at process exit).
 */
export { Topology, type Host, type HostSpec } from '../../sim/src/topology';
