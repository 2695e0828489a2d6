/** Every failure the domain can report; each API family maps these to its own envelope in one place. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LIMIT_EXCEEDED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const codeToStatus: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INSUFFICIENT_SCOPE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** A typed domain error: `reason` is a machine-readable detail a family may map (e.g. OmiCall's `agent_exists`). */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, reason?: string) =>
  new DomainError('NOT_FOUND', `${what} not found`, reason);
export const invalid = (message: string, reason?: string) =>
  new DomainError('INVALID_INPUT', message, reason);
export const conflict = (message: string, reason?: string) => new DomainError('CONFLICT', message, reason);

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** A failure that should stop the process with one line and a hint, never a stack trace. */
export class FatalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalConfigError';
  }
}
