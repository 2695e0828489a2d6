import { type SipRequest, SipParseError, makeResponse, parseHead, type SipResponse } from './message.js';

/** What one chunk of a TCP stream yields: whole messages, and a framing error that must close the connection. */
export interface FrameResult {
  messages: Buffer[];
  /** Set when the stream can no longer be framed; `reply` is the 400 to send first when the head was readable. */
  error?: { reason: string; reply?: SipResponse };
}

const DIGITS = /^\d{1,10}$/;

/**
 * RFC 3261 §18.3 stream framing: a message ends `Content-Length` bytes after its blank line. Anything that makes
 * the boundary unknowable (a missing blank line within `maxBytes`, a non-numeric, negative, conflicting or
 * oversized Content-Length, an unreadable head) is fatal for the connection: there is no way to find the next
 * message, and guessing is how a stream loops or desynchronises.
 */
export class TcpFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** Bytes held for a message that has not fully arrived (0 between messages). */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): FrameResult {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const messages: Buffer[] = [];
    for (;;) {
      // RFC 5626 keepalives (CRLF) may precede a message.
      let skip = 0;
      while (this.buf[skip] === 13 || this.buf[skip] === 10) skip++;
      if (skip) this.buf = this.buf.subarray(skip);
      const sep = this.buf.indexOf('\r\n\r\n');
      if (sep < 0) {
        if (this.buf.length > this.maxBytes) return this.fail(messages, 'head too large');
        return { messages };
      }
      const framed = this.frame(sep);
      if ('reason' in framed) return this.fail(messages, framed.reason, framed.reply);
      if (this.buf.length < framed.total) return { messages };
      messages.push(this.buf.subarray(0, framed.total));
      this.buf = this.buf.subarray(framed.total);
    }
  }

  private frame(sep: number): { total: number } | { reason: string; reply?: SipResponse } {
    let head: ReturnType<typeof parseHead>;
    try {
      head = parseHead(this.buf.subarray(0, sep).toString('utf8'));
    } catch (e) {
      if (e instanceof SipParseError) return { reason: e.message };
      throw e;
    }
    const values = head.headers.getAll('content-length').map((v) => v.trim());
    const bad = (reason: string) => ({ reason, reply: badRequest(head, reason) });
    // RFC 3261 §18.3 makes the length mandatory on streams; a missing one is read as an empty body, as before.
    if (values.length === 0) return { total: sep + 4 };
    if (values.some((v) => v !== values[0])) return bad('conflicting Content-Length');
    if (!DIGITS.test(values[0]!)) return bad('bad Content-Length');
    const total = sep + 4 + Number(values[0]);
    if (total > this.maxBytes) return bad('message too large');
    return { total };
  }

  private fail(messages: Buffer[], reason: string, reply?: SipResponse): FrameResult {
    this.buf = Buffer.alloc(0);
    return { messages, error: { reason, reply } };
  }
}

/** A 400 for a request whose head names enough to address an answer; null for responses or partial heads. */
function badRequest(head: ReturnType<typeof parseHead>, reason: string): SipResponse | undefined {
  if (head.kind !== 'request') return undefined;
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) if (!head.headers.has(h)) return undefined;
  return makeResponse({ ...head, body: '' } as SipRequest, 400, `Bad Request (${reason})`);
}
