import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaTotals, RtpQuality } from './quality.js';

/** Feed packets `seqs` of one source, 20 ms apart on the wire and 160 samples apart in RTP time. */
function feed(q: RtpQuality, seqs: number[], ssrc = 1, jitterMs: (i: number) => number = () => 0) {
  seqs.forEach((seq, i) => q.packet(ssrc, seq & 0xffff, (seq * 160) >>> 0, i * 20 + jitterMs(i)));
}

test('a clean stream: no loss, no jitter', () => {
  const q = new RtpQuality();
  feed(q, [10, 11, 12, 13, 14]);
  assert.deepEqual(q.snapshot(), { lost: 0, jitterSec: 0 });
});

test('a gap counts the missing packets; a reordered late one is not lost', () => {
  const q = new RtpQuality();
  feed(q, [100, 101, 104, 105]);
  assert.equal(q.snapshot().lost, 2);
  q.packet(1, 102, 102 * 160, 200);
  assert.equal(q.snapshot().lost, 1);
});

test('sequence wrap-around is not loss', () => {
  const q = new RtpQuality();
  feed(q, [65533, 65534, 65535, 65536, 65537]);
  assert.equal(q.snapshot().lost, 0);
});

test('a new source keeps the old one’s loss and starts afresh', () => {
  const q = new RtpQuality();
  feed(q, [1, 2, 5]);
  feed(q, [900, 901, 903], 2);
  assert.equal(q.snapshot().lost, 2 + 1);
});

test('arrival jitter follows RFC 3550: alternating ±4 ms converges near 8 ms', () => {
  const q = new RtpQuality();
  feed(
    q,
    Array.from({ length: 400 }, (_, i) => i),
    1,
    (i) => (i % 2 ? 4 : -4),
  );
  const j = q.snapshot().jitterSec * 1000;
  assert.ok(j > 7 && j <= 8, `jitter ${j} ms`);
});

test('media totals add closed endpoints to the open ones', () => {
  const open = [{ packetsIn: 5, packetsOut: 6, lost: 1, jitterSec: 0.002 }];
  const t = new MediaTotals(() => open);
  t.retire({ packetsIn: 10, packetsOut: 11, lost: 2, jitterSec: 0.5 });
  assert.deepEqual(t.snapshot(), {
    packetsIn: 15,
    packetsOut: 17,
    lost: 3,
    openStreams: 1,
    jitterMeanSec: 0.002,
    jitterMaxSec: 0.002,
  });
});
