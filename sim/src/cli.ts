/**
 * `nfscope testbed …` (the `nfscope` command is @nfscope/cli; this is its
 * testbed subcommand): creates the namespace testbed, runs a scenario,
 * records it and tears everything down.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Progress } from './run';
import { writeRecord } from './run';
import { summarize, type RunRecord } from './record';
import { summarizeNgap } from './ngap-record';
import { describe as describeDelay } from './distributions';
import { estimatePacketsPerSecond, loadScenario, resolveScenario, ScenarioError, type Scenario } from './scenario';
import { Testbed, TESTBED_NFS } from './testbed';
import { durationOption, parseCommandLine, parseOptions, UsageError } from '@nfscope/cli';

const TESTBED_USAGE = `usage: nfscope testbed [--duration 30s] [--scenario FILE.json] [--seed N]
                       [--record FILE] [--config-out FILE] [--ipv6]
                       [--start-delay DURATION] [--keep] [--quiet]
       nfscope testbed --down ID   (or: nfscope remove-testbed ID)

Creates one network namespace per simulated NF (${TESTBED_NFS.map((n) => n.name).join(' ')})
joined by veth pairs to a bridge, with addresses 198.18.0.1-9/24 (and
2001:2::1-9/64 with --ipv6); runs a scenario between them with real sockets;
records every transaction as its client saw it, joined with the responder's
decision; then removes everything, also on Ctrl-C. Needs root.

Traffic (rates, delays, rejections and losses come from the scenario):
  N4  smf-1 <-> upf-1, upf-2, PFCP on UDP 8805: Association Setup, Heartbeat,
      Session Establishment, Modification, Deletion; Session Report from the UPFs
  N3  gnb-1 -> upf-1, GTP-U on UDP 2152: Echo, G-PDUs
  N9  upf-1 -> upf-2, GTP-U: Echo, the G-PDUs from gnb-1 forwarded
  N2  gnb-1 <-> amf-1, NGAP over SCTP (raw sockets, AMF port 38412): NG Setup,
      then per UE InitialUEMessage, NAS transport, Initial Context Setup,
      PDU Session Resource Setup, UE Context Release
  SBI amf-1, smf-1 -> nrf-1, ausf-1, udm-1, smf-1, pcf-1, HTTP/2 (h2c) on TCP 7777:
      NRF registration, discovery, authentication, UDM, SM context, policy
      (on by default; "sbi": {"registrationsPerSecond": 0, "nrfHeartbeatMs": 0} turns it off)

Options:
  --duration DURATION     how long transactions are started (default: the
                          scenario's durationMs, 30s); e.g. 500ms, 30s, 2m, 1h.
                          Outstanding requests then finish (T1 x (N1+1) at most)
  --scenario FILE         scenario JSON; every field is optional (sim/README.md)
  --seed N                seed of every random decision (overrides the scenario)
  --record FILE           write the record (transactions, G-PDUs, N2) as JSON
  --config-out FILE       write the exporter configuration for the testbed here
                          (default: a temporary file, removed at the end)
  --ipv6                  give the NFs IPv6 addresses too (implied by a
                          scenario with "ipFamily": 6)
  --start-delay DURATION  wait after creating the testbed before the traffic
                          starts, e.g. to start the exporter (default 0)
  --keep                  leave the testbed up after the run (no traffic)
  --down ID               remove a testbed left up by --keep, and exit (as
                          "nfscope remove-testbed ID")
  --quiet                 print only the summary and errors
  -h, --help              show this help

Measure it with the exporter, in another terminal:
  sudo npx nfscope exporter --config CONFIG   (CONFIG: the file --config-out names)

Exit status: 0 done, 1 failure, 2 bad arguments or scenario, 130 interrupted.`;

export { UsageError };

const REMOVE_USAGE = `usage: nfscope remove-testbed ID

Removes a testbed that "nfscope testbed --keep" left up: its namespaces,
veths, bridge and exporter configuration; ID is the six hex digits printed
when it was created. The same as "nfscope testbed --down ID". Needs root.

Options:
  -h, --help   show this help

Exit status: 0 removed, 1 no such testbed or not all of it removed, 2 bad arguments.`;

export interface TestbedArgs {
  durationMs?: number;
  scenarioFile?: string;
  seed?: number;
  recordFile?: string;
  configOut?: string;
  ipv6: boolean;
  startDelayMs: number;
  keep: boolean;
  down?: string;
  quiet: boolean;
}

const OPTIONS = {
  duration: { type: 'string' },
  scenario: { type: 'string' },
  seed: { type: 'string' },
  record: { type: 'string' },
  'config-out': { type: 'string' },
  ipv6: { type: 'boolean' },
  'start-delay': { type: 'string' },
  keep: { type: 'boolean' },
  down: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export function parseTestbedArgs(argv: string[]): TestbedArgs | 'help' {
  const o = parseOptions(argv, OPTIONS);
  if (o === 'help') return 'help';
  const a: TestbedArgs = { ipv6: o.ipv6 === true, startDelayMs: 0, keep: o.keep === true, quiet: o.quiet === true };
  if (o.duration !== undefined) a.durationMs = durationOption(o.duration, '--duration', 100, 86_400_000);
  if (o.scenario !== undefined) a.scenarioFile = o.scenario;
  if (o.seed !== undefined) {
    if (!/^\d+$/.test(o.seed) || Number(o.seed) > 0xffffffff) throw new UsageError(`--seed: ${JSON.stringify(o.seed)} is not an integer from 0 to 4294967295`);
    a.seed = Number(o.seed);
  }
  if (o.record !== undefined) a.recordFile = o.record;
  if (o['config-out'] !== undefined) a.configOut = o['config-out'];
  if (o['start-delay'] !== undefined) a.startDelayMs = durationOption(o['start-delay'], '--start-delay', 0, 3_600_000);
  if (o.down !== undefined) {
    if (!/^[0-9a-f]{6}$/.test(o.down)) throw new UsageError(`--down: ${JSON.stringify(o.down)} is not a testbed id (six hex digits, as printed when it was created)`);
    a.down = o.down;
  }
  if (a.down !== undefined) {
    const others = argv.filter((x) => x.startsWith('-') && !x.startsWith('--down'));
    if (others.length > 0) throw new UsageError(`--down takes no other options (got ${others.join(' ')})`);
  }
  if (a.recordFile && a.configOut && path.resolve(a.recordFile) === path.resolve(a.configOut)) {
    throw new UsageError('--record and --config-out name the same file');
  }
  return a;
}

function fmtMs(v: number | null): string {
  return v === null ? '-' : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0);
}

/** Left-aligned text columns, right-aligned numbers. */
function table(head: string[], body: string[][], leftColumns: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** The summary tables printed at the end of a run: transactions, then G-PDU flows (UDP payload octets). */
export function formatSummary(r: RunRecord): string {
  const tx = table(
    ['interface', 'client', 'server', 'procedure', 'count', 'accepted', 'rejected', 'timeouts', 'retrans', 'p50 ms', 'p99 ms', 'max ms'],
    summarize(r.transactions).map((x) =>
      [x.interface, x.client, x.server, x.procedure, x.count, x.accepted, x.rejected, x.timeouts, x.retransmissions, fmtMs(x.p50_ms), fmtMs(x.p99_ms), fmtMs(x.max_ms)].map(String),
    ),
    4,
  );
  const parts = [tx];
  if (r.gpdu.length > 0) {
    parts.push(
      table(
        ['interface', 'from', 'to', 'G-PDU teid', 'sent', 'received', 'sent octets', 'received octets'],
        r.gpdu.map((f) => [f.interface, f.from, f.to, `0x${f.teid.toString(16).padStart(8, '0')}`, f.sent.packets, f.received.packets, f.sent.bytes, f.received.bytes].map(String)),
        4,
      ),
    );
  }
  // N2: NGAP procedures, and the DATA→SACK transport round trips of their messages.
  if (r.ngap && r.ngap.procedures.length > 0) {
    parts.push(
      table(
        ['N2 initiator', 'responder', 'procedure', 'sent', 'successful', 'unsuccessful', 'timeouts', 'p50 ms', 'p99 ms', 'DATA', 'SACKed exactly', 'DATA→SACK p50 ms', 'max ms'],
        summarizeNgap(r.ngap).map((x) =>
          [
            x.initiator,
            x.responder,
            x.procedure,
            x.sent,
            x.successful,
            x.unsuccessful,
            x.timeouts,
            fmtMs(x.p50_ms),
            fmtMs(x.p99_ms),
            x.data,
            x.sackedExactly,
            fmtMs(x.sack_p50_ms),
            fmtMs(x.sack_max_ms),
          ].map(String),
        ),
        3,
      ),
    );
  }
  return parts.join('\n\n');
}

function progressLine(id: string, p: Progress): string {
  return `[testbed ${id}] ${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  ${p.phase.padEnd(8)}  ${p.transactions} transactions (${p.accepted} accepted, ${p.rejected} rejected, ${p.timeouts} timeouts), ${p.retransmissions} retransmissions`;
}

function scenarioLine(s: Scenario): string {
  const est = estimatePacketsPerSecond(s);
  return (
    `scenario: ${s.durationMs / 1000} s, seed ${s.seed}, IPv${s.ipFamily}, about ${Math.round(est.total)} packets/s; ` +
    `PFCP ${s.pfcp.sessionsPerSecond} sessions/s and ${s.pfcp.reportsPerSecond} reports/s per UPF, heartbeat every ${s.pfcp.heartbeatIntervalMs} ms, ` +
    `T1 ${s.pfcp.t1Ms} ms, N1 ${s.pfcp.n1}, delay ${describeDelay(s.pfcp.responder.delay)}; ` +
    `GTP-U echo every ${s.gtpu.echoIntervalMs} ms, ${s.gtpu.gpduPerSecond} G-PDUs/s of ${s.gtpu.gpduSize} octets` +
    (s.ngap.enabled ? `; NGAP ${s.ngap.uesPerSecond} UEs/s, delayed SACK ${s.ngap.sackDelayMs} ms or every ${s.ngap.sackEveryPackets} packets` : '')
  );
}

/** Removes the testbed `id` left up by --keep (its config file too); returns the exit status. Needs root. */
function removeTestbed(id: string, prog: string): number {
  const removed = Testbed.destroyById(id);
  const left = Testbed.existingNames(id);
  const conf = path.join(os.tmpdir(), `nfscope-testbed-${id}.yaml`);
  if (fs.existsSync(conf)) fs.rmSync(conf);
  if (removed.length === 0) {
    process.stderr.write(`${prog}: no testbed ${id} here\n`);
    return 1;
  }
  if (left.length > 0) {
    process.stderr.write(`${prog}: could not remove ${left.join(', ')}\n`);
    return 1;
  }
  process.stdout.write(`removed testbed ${id}: ${removed.join(', ')}\n`);
  return 0;
}

/** `nfscope remove-testbed ID`: what `nfscope testbed --down ID` does. */
export function parseRemoveTestbedArgs(argv: string[]): string | 'help' {
  const r = parseCommandLine(argv, {}, 1);
  if (r === 'help') return 'help';
  const [id] = r.positionals;
  if (id === undefined) throw new UsageError('ID is required: the six hex digits printed when the testbed was created');
  if (!/^[0-9a-f]{6}$/.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a testbed id (six hex digits, as printed when it was created)`);
  return id;
}

/** `nfscope remove-testbed ID`; returns the exit status. */
export async function removeTestbedMain(argv: string[], prog = 'nfscope remove-testbed'): Promise<number> {
  let id: string;
  try {
    const parsed = parseRemoveTestbedArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(`${REMOVE_USAGE}\n`);
      return 0;
    }
    id = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${prog}: ${e.message}\nRun "${prog} --help" for usage.\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(`${prog}: needs root (it removes network namespaces and interfaces): sudo npx ${prog} ${id}\n`);
    return 1;
  }
  return removeTestbed(id, prog);
}

/** `nfscope testbed …`; returns the exit status. */
export async function testbedMain(argv: string[], prog = 'nfscope testbed'): Promise<number> {
  let args: TestbedArgs;
  let scenario: Scenario;
  try {
    const parsed = parseTestbedArgs(argv);
    if (parsed === 'help') {
      process.stdout.write(`${TESTBED_USAGE}\n`);
      return 0;
    }
    args = parsed;
    if (args.down === undefined) {
      const base: unknown = args.scenarioFile ? loadScenario(args.scenarioFile) : {};
      scenario = resolveScenario(
        { ...(base as object), ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : {}), ...(args.seed !== undefined ? { seed: args.seed } : {}) },
        args.scenarioFile ?? 'scenario',
      );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${prog}: ${e.message}\nRun "${prog} --help" for usage.\n`);
      return 2;
    }
    if (e instanceof ScenarioError) {
      process.stderr.write(`nfscope testbed: invalid scenario:\n${e.message}\n`);
      return 2;
    }
    throw e;
  }

  if (process.getuid?.() !== 0) {
    process.stderr.write('nfscope testbed: needs root (it creates network namespaces and interfaces): sudo npx nfscope testbed …\n');
    return 1;
  }

  if (args.down !== undefined) return removeTestbed(args.down, 'nfscope testbed');

  const say = (msg: string): void => {
    if (!args.quiet) process.stdout.write(`${msg}\n`);
  };
  const abort = new AbortController();
  let interrupts = 0;
  let tb: Testbed | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nnfscope testbed: ${sig}: stopping the agents and removing the testbed (again to force)\n`);
      abort.abort();
    } else {
      tb?.destroy();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let configFile = args.configOut;
  let tempConfig = false;
  try {
    tb = Testbed.create({ ipv6: args.ipv6 || scenario!.ipFamily === 6 });
    say(`testbed ${tb.id}: ${tb.nfs.length} NFs in namespaces nfsim-${tb.id}-*, bridge ${tb.bridge}, host-side veths ${tb.vethGlob}`);
    for (const nf of tb.nfs) say(`  ${nf.name.padEnd(7)} ${nf.type.padEnd(5)} ${nf.addresses.join(', ').padEnd(28)} netns ${nf.netns}, veth ${nf.veth}`);
    if (!configFile) {
      configFile = path.join(os.tmpdir(), `nfscope-testbed-${tb.id}.yaml`);
      tempConfig = true;
    }
    fs.writeFileSync(configFile, tb.exporterConfigYaml());
    say(`exporter config: ${configFile}  (npx nfscope exporter --config ${configFile})`);
    if (args.startDelayMs > 0 && !abort.signal.aborted) {
      say(`waiting ${args.startDelayMs / 1000} s before starting the traffic`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, args.startDelayMs);
        abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    if (abort.signal.aborted) return 130;
    say(scenarioLine(scenario!));
    const record = await tb.run(scenario!, {
      signal: abort.signal,
      progressEveryMs: scenario!.durationMs > 60_000 ? 5000 : 2000,
      onProgress: (p) => say(progressLine(tb!.id, p)),
    });
    process.stdout.write(`${formatSummary(record)}\n`);
    if (record.unmatched.length > 0) say(`note: ${record.unmatched.length} responder views matched no client transaction`);
    if (args.recordFile) {
      writeRecord(args.recordFile, record);
      say(`record: ${args.recordFile} (${record.transactions.length} transactions)`);
    }
    return record.interrupted ? 130 : 0;
  } catch (e) {
    process.stderr.write(`nfscope testbed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (tb) {
      if (args.keep && !abort.signal.aborted) {
        tb.keep();
        // Printed even with --quiet: without the id the testbed cannot be removed.
        process.stdout.write(`testbed ${tb.id} is still up (no traffic); exporter config ${configFile}; remove it with: nfscope remove-testbed ${tb.id}\n`);
      } else {
        tb.destroy();
        if (tempConfig && configFile) fs.rmSync(configFile, { force: true });
        const left = tb.leftovers();
        if (left.length > 0) process.stderr.write(`nfscope testbed: could not remove ${left.join(', ')}\n`);
        else say(`removed testbed ${tb.id}`);
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
