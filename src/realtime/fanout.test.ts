import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { wsTextFrame } from './fanout.js';

interface WsReceiver {
  on(ev: 'message', fn: (m: Buffer) => void): void;
  write(chunk: Buffer, cb: (err?: Error | null) => void): void;
}
// ws's own framing, untyped in @types/ws: the reference the frame is checked against.
const { Receiver, Sender } = createRequire(import.meta.url)('ws') as {
  Receiver: new (o: object) => WsReceiver;
  Sender: { frame(d: Buffer, o: object): Buffer[] };
};

describe('wsTextFrame', () => {
  for (const n of [0, 1, 125, 126, 65_535, 65_536, 70_000]) {
    it(`matches ws's own frame and decodes back (${n} bytes)`, async () => {
      const data = Buffer.alloc(n, 'x');
      const ours = wsTextFrame(data);
      const theirs = Buffer.concat(
        Sender.frame(data, {
          readOnly: false,
          mask: false,
          rsv1: false,
          opcode: 1,
          fin: true,
        }),
      );
      assert.deepEqual(ours, theirs);
      // Two frames back to back in one buffer are two messages, in order.
      const got: string[] = [];
      const r = new Receiver({ isServer: false });
      r.on('message', (m: Buffer) => got.push(m.toString()));
      const second = wsTextFrame(Buffer.from('second'));
      await new Promise<void>((resolve, reject) =>
        r.write(Buffer.concat([ours, second]), (e?: Error | null) => (e ? reject(e) : resolve())),
      );
      assert.deepEqual(got, [data.toString(), 'second']);
    });
  }
});
