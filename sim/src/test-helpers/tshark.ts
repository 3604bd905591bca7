/**
 * Runs tshark over a pcap file written by the tests: an independent dissector
 * for what the codecs produce. Without tshark the tests that use it skip,
 * except in CI (CI=true), where they fail.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pcapFile, type PcapRecord } from '../pcap';

export function tsharkMissing(): string | null {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'tshark is not installed (apt-get install tshark)' : null;
}

/** test() when tshark is there; otherwise skipped, or failing when CI=true. */
export function testWithTshark(name: string, fn: () => void): void {
  const missing = tsharkMissing();
  if (!missing) test(name, fn);
  else if (process.env.CI === 'true') {
    test(name, () => {
      throw new Error(`cannot run in CI: ${missing}`);
    });
  } else test.skip(`${name} (skipped: ${missing})`, fn);
}

/** Writes the records to a temporary pcap and returns tshark's field rows (tab-separated, one per frame). */
export function tsharkFields(records: readonly PcapRecord[], fields: string[], extraArgs: string[] = []): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfsim-pcap-'));
  try {
    const file = path.join(dir, 'capture.pcap');
    fs.writeFileSync(file, pcapFile(records));
    const r = spawnSync('tshark', ['-n', '-r', file, ...extraArgs, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir }, // keep tshark away from user profiles
    });
    if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('\t'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
