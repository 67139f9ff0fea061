// Errors of the model zoo. Each says what failed and what to do about it; `code` lets callers
// (and tests) tell an offline machine from a bad URL from a corrupt file without parsing text.

export type ZooErrorCode =
  /** DNS failed: the machine is most likely offline. */
  | 'offline'
  /** Connection refused / unreachable network or host. */
  | 'unreachable'
  /** No data for the configured time. */
  | 'timeout'
  /** The server answered with an error status (404, 500, ...). */
  | 'http'
  /** The connection ended before the whole file arrived (the partial file is kept). */
  | 'interrupted'
  /** The file does not match its recorded or known SHA-256 / size. */
  | 'integrity'
  /** A local path that does not exist. */
  | 'missing';

export class ZooError extends Error {
  override readonly name = 'ZooError';
  constructor(
    readonly code: ZooErrorCode,
    message: string,
    readonly details: { url?: string; path?: string; status?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
  /** Worth another attempt (which resumes from the partial file). */
  get retryable(): boolean {
    return this.details.retryable ?? false;
  }
}

/** The errno-style code of a Node network error, if any (`ENOTFOUND`, `ECONNRESET`, ...). */
export function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
