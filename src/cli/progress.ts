// Progress for long work: a bar with rate and ETA in a terminal, plain lines otherwise (logs, CI).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A progress reporter for `total` units of `unit`. In a TTY it draws a bar; otherwise it prints a
 * line at most every `intervalMs` (and at the end) so logs stay readable.
 */
export function progress(label: string, total: number, o: { unit?: string; stream?: NodeJS.WriteStream; intervalMs?: number } = {}): Progress {
  const stream = o.stream ?? process.stderr;
  const unit = o.unit ?? 'items';
  const t0 = performance.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}{extra}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', extra: '' });
    return {
      update(done, extra) {
        const rate = done / ((performance.now() - t0) / 1000);
        const ex = extra ? ' | ' + Object.entries(extra).map(([k, v]) => `${k} ${v}`).join(' | ') : '';
        bar.update(done, { rate: rate.toFixed(1), extra: ex });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = -Infinity;
  let lastDone = -1;
  const line = (done: number, extra?: Record<string, string | number>): void => {
    const el = (performance.now() - t0) / 1000;
    const rate = done / Math.max(el, 1e-9);
    const eta = (total - done) / Math.max(rate, 1e-9);
    const ex = extra ? ' ' + Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    stream.write(`${label}: ${done}/${total} ${unit} (${Math.round((100 * done) / Math.max(total, 1))}%) ${rate.toFixed(1)} ${unit}/s ETA ${fmtEta(eta)}${ex}\n`);
    last = performance.now();
    lastDone = done;
  };
  return {
    update(done, extra) {
      if (performance.now() - last >= (o.intervalMs ?? 5000) || done === total) line(done, extra);
    },
    stop() {
      if (lastDone !== total) line(Math.max(lastDone, 0), undefined);
    },
  };
}
