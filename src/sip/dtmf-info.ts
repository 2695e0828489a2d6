import type { SipRequest } from './message.js';

/**
 * A key press a phone sent by SIP INFO instead of RFC 4733: `application/dtmf-relay` (`Signal=5`,
 * `Duration=160`, the Cisco form most phones use) or `application/dtmf` (the digit alone). Null when the INFO
 * carries something else.
 */
export function dtmfOfInfo(req: SipRequest): { digit: string; durationMs: number } | null {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const body = req.body.trim();
  let signal: string | undefined;
  let duration = 0;
  if (type === 'application/dtmf-relay') {
    for (const line of body.split(/\r?\n/)) {
      const m = /^\s*(signal|duration)\s*=\s*(\S+)\s*$/i.exec(line);
      if (!m) continue;
      if (m[1]!.toLowerCase() === 'signal') signal = m[2];
      else duration = Number(m[2]) || 0;
    }
  } else if (type === 'application/dtmf') signal = body;
  if (signal === undefined) return null;
  const digit = signal === '10' ? '*' : signal === '11' ? '#' : signal.toUpperCase();
  if (!/^[0-9*#A-D]$/.test(digit)) return null;
  return { digit, durationMs: duration };
}
