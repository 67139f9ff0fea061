// Runs the gdt CLI in-process and captures what it prints.
import { main } from '../../src/cli/main.js';

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  // Commands report failure through process.exitCode; node:test also sets it after any failed
  // test, so clear it first or one failure would make every later call look failed.
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'gdt', ...args]);
    const set = process.exitCode;
    return { code: code || (typeof set === 'number' ? set : 0), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
    process.exitCode = exitCode;
  }
}
