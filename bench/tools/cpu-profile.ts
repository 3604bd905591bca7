/**
 * Preloaded into the exporter by bench/exporter-load --cpu-prof DIR
 * (node -r): profiles the exporter's JavaScript over a window that starts
 * NFSCOPE_BENCH_PROF_DELAY_MS after start and lasts NFSCOPE_BENCH_PROF_MS, and
 * writes DIR/exporter-<pid>.cpuprofile. Not node's own --cpu-prof: its
 * profiling signals arrive from the first instruction, and a signal pending
 * while the kernel verifies an eBPF program makes the load fail (EAGAIN).
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as path from 'path';

const dir = process.env.NFSCOPE_BENCH_PROF_DIR;
const delay = Number(process.env.NFSCOPE_BENCH_PROF_DELAY_MS ?? 20000);
const length = Number(process.env.NFSCOPE_BENCH_PROF_MS ?? 60000);
if (dir) {
  const session = new inspector.Session();
  session.connect();
  setTimeout(() => {
    session.post('Profiler.enable', () =>
      session.post('Profiler.start', () => {
        setTimeout(() => {
          session.post('Profiler.stop', (err, r) => {
            if (!err) fs.writeFileSync(path.join(dir, `exporter-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
          });
        }, length).unref();
      }),
    );
  }, delay).unref();
}
