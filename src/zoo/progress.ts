// Byte progress of a download: a bar with size, rate and ETA in a terminal, plain lines
// otherwise (logs, CI), as the CLI's item progress in src/cli/progress.ts does for counts.
import cliProgress from 'cli-progress';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ByteProgress {
  /** `received` counts from the start of the file (a resumed download starts above 0). */
  update(received: number): void;
  /** Final line (plain mode) or bar teardown. */
  stop(): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * Progress of `label` from `start` bytes to `total` (undefined when the server sent no length).
 * The rate counts only the bytes of this session, so a resumed download's ETA is honest.
 */
export function byteProgress(label: string, start: number, total: number | undefined, o: { stream: ProgressStream; intervalMs?: number }): ByteProgress {
  const t0 = performance.now();
  const rateOf = (received: number): number => (received - start) / Math.max((performance.now() - t0) / 1000, 1e-3);
  if (o.stream.isTTY && total !== undefined && total > 0) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {size} | {speed}/s | ETA {eta_formatted}`,
        stream: o.stream as NodeJS.WritableStream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { size: `${formatBytes(start)}/${formatBytes(total)}`, speed: formatBytes(0) });
    return {
      update(received) {
        bar.update(received, { size: `${formatBytes(received)}/${formatBytes(total)}`, speed: formatBytes(rateOf(received)) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = performance.now();
  let current = start;
  let printed = -1;
  const line = (received: number): void => {
    const rate = rateOf(received);
    const of = total === undefined ? '' : ` / ${formatBytes(total)} (${Math.floor((100 * received) / Math.max(total, 1))}%)`;
    const eta = total === undefined ? '' : ` ETA ${formatSeconds((total - received) / Math.max(rate, 1e-9))}`;
    o.stream.write(`${label}: ${formatBytes(received)}${of} ${formatBytes(rate)}/s${eta}\n`);
    last = performance.now();
    printed = received;
  };
  return {
    update(received) {
      current = received;
      if (performance.now() - last >= (o.intervalMs ?? 5000)) line(received);
    },
    stop() {
      if (printed !== current) line(current);
    },
  };
}
