/** SIP messages (RFC 3261 §7): a small, strict parser and serializer. Header values stay strings; see headers.ts. */

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'max-forwards': 'Max-Forwards',
};

/** Headers whose values may be comma-joined lists (RFC 3261 §7.3.1); others are never split. */
const LIST_HEADERS = new Set(['via', 'contact', 'route', 'record-route', 'allow', 'supported']);

/** Ordered, case-insensitive header multimap. Names are stored lower-case with compact forms expanded. */
export class Headers {
  private readonly entries: [string, string][] = [];

  static from(list: [string, string][]): Headers {
    const h = new Headers();
    for (const [n, v] of list) h.add(n, v);
    return h;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    return this.entries.find((e) => e[0] === n)?.[1];
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.entries.filter((e) => e[0] === n).map((e) => e[1]);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): this {
    this.entries.push([name.toLowerCase(), value]);
    return this;
  }

  /** Insert before every other value of the same header (a proxy's own Via goes on top). */
  prepend(name: string, value: string): this {
    const n = name.toLowerCase();
    const at = this.entries.findIndex((e) => e[0] === n);
    if (at < 0) this.entries.push([n, value]);
    else this.entries.splice(at, 0, [n, value]);
    return this;
  }

  set(name: string, value: string): this {
    this.delete(name);
    return this.add(name, value);
  }

  /** Replace the first value of a header in place (e.g. the top Via's received/rport). */
  replaceFirst(name: string, value: string): void {
    const n = name.toLowerCase();
    const e = this.entries.find((x) => x[0] === n);
    if (e) e[1] = value;
  }

  delete(name: string): this {
    const n = name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--)
      if (this.entries[i]![0] === n) this.entries.splice(i, 1);
    return this;
  }

  list(): readonly (readonly [string, string])[] {
    return this.entries;
  }

  clone(): Headers {
    return Headers.from(this.entries.map(([n, v]) => [n, v]));
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: Headers;
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: Headers;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {}

/** Split a header value on commas that are outside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    else if (!quoted && depth === 0 && ch === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

/** Parse the header section (no body) of one message. */
export function parseHead(head: string): Omit<SipRequest, 'body'> | Omit<SipResponse, 'body'> {
  const lines = head.split(/\r?\n/);
  const first = lines.shift() ?? '';
  const headers = new Headers();
  let last: [string, string] | undefined;
  const flush = () => {
    if (!last) return;
    const [name, value] = last;
    if (LIST_HEADERS.has(name) && value !== '*') for (const v of splitList(value)) headers.add(name, v);
    else headers.add(name, value);
  };
  for (const line of lines) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] += ' ' + line.trim();
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line: ${line.slice(0, 60)}`);
    const raw = line.slice(0, colon).trim().toLowerCase();
    last = [COMPACT[raw] ?? raw, line.slice(colon + 1).trim()];
  }
  flush();
  const status = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(first);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers };
  const req = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(first);
  if (!req) throw new SipParseError(`malformed start line: ${first.slice(0, 60)}`);
  return { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers };
}

/** Parse one complete datagram. Throws SipParseError on malformed input. */
export function parseMessage(data: Buffer): SipMessage {
  const sep = data.indexOf('\r\n\r\n');
  const headEnd = sep >= 0 ? sep : data.length;
  const head = parseHead(data.subarray(0, headEnd).toString('utf8'));
  let body = sep >= 0 ? data.subarray(sep + 4) : Buffer.alloc(0);
  const cl = head.headers.get('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (!Number.isInteger(n) || n < 0 || n > body.length) throw new SipParseError('bad Content-Length');
    body = body.subarray(0, n);
  }
  const msg = { ...head, body: body.toString('utf8') } as SipMessage;
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!msg.headers.has(h)) throw new SipParseError(`missing ${h} header`);
  }
  return msg;
}

/** Wire names already worked out: every message sends the same dozen; bounded, as peers may send any name. */
const wireNames = new Map<string, string>();

function headerName(n: string): string {
  let w = wireNames.get(n);
  if (w === undefined) {
    w = CANONICAL[n] ?? n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
    if (wireNames.size >= 1000) wireNames.clear();
    wireNames.set(n, w);
  }
  return w;
}

/** Serialize a message; Content-Length is always recomputed from the body. */
export function serialize(msg: SipMessage): Buffer {
  const start =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [start];
  for (const [n, v] of msg.headers.list()) {
    if (n !== 'content-length') lines.push(`${headerName(n)}: ${v}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(msg.body)}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + msg.body, 'utf8');
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

/** A response to `req` copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). */
export function makeResponse(req: SipRequest, status: number, reason = reasonPhrase(status)): SipResponse {
  const headers = new Headers();
  for (const v of req.headers.getAll('via')) headers.add('via', v);
  headers.add('from', req.headers.get('from')!);
  headers.add('to', req.headers.get('to')!);
  headers.add('call-id', req.headers.get('call-id')!);
  headers.add('cseq', req.headers.get('cseq')!);
  return { kind: 'response', status, reason, headers, body: '' };
}

/** The methods this server handles (RFC 3261 §20.5), listed by OPTIONS and by every 405. */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE';

/** 405 with the Allow header RFC 3261 §8.2.1 requires. */
export function methodNotAllowed(req: SipRequest): SipResponse {
  const res = makeResponse(req, 405);
  res.headers.add('allow', ALLOW);
  return res;
}
