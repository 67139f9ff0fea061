/**
 * Errors raised by the checkpoint readers and writers.
 *
 * Every failure surfaces as one of these with a single-line message, so a CLI
 * can print `err.message` as is and tests can match on it. File contents end
 * up in messages (global names, keys), hence the sanitising.
 */

/** Collapse control characters and cap the length of text quoted from a file. */
export function quote(text: string, max = 120): string {
  // Control characters would break the one-line promise; escape them visibly.
  // eslint-disable-next-line no-control-regex
  let s = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (s.length > max) s = `${s.slice(0, max)}…`;
  return s;
}

/** A format violation found while reading or writing a checkpoint. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  /** The file involved, when there is one. */
  readonly file: string | undefined;
  /** The reason without the file prefix. */
  readonly reason: string;

  constructor(file: string | undefined, reason: string, options?: { cause?: unknown }) {
    const oneLine = quote(reason, 500);
    super(file === undefined ? oneLine : `${quote(file, 300)}: ${oneLine}`, options);
    this.file = file;
    this.reason = oneLine;
  }
}

/** Message of anything thrown, without trusting it to be an Error. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Re-throw `err` as a CheckpointError about `file`. Errors that already name
 * the file keep their reason; anything else (fs errors, yauzl errors, bugs)
 * is folded into one line so callers only ever see one error type.
 */
export function asCheckpointError(file: string, err: unknown, prefix?: string): CheckpointError {
  if (err instanceof CheckpointError) {
    if (err.file === file) return err;
    return new CheckpointError(file, prefix ? `${prefix}: ${err.reason}` : err.reason, { cause: err });
  }
  const code = err instanceof Error && 'code' in err ? (err as NodeJS.ErrnoException).code : undefined;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    // File-system errors are about the file, not its format: no prefix.
    const known: Record<string, string> = {
      ENOENT: 'no such file',
      EISDIR: 'is a directory',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
    };
    return new CheckpointError(file, known[code] ?? messageOf(err), { cause: err });
  }
  const reason = messageOf(err);
  return new CheckpointError(file, prefix ? `${prefix}: ${reason}` : reason, { cause: err });
}
