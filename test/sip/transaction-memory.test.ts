/**
 * The SIP transaction table's memory under a flood (issue 18): bench/sip/transaction-table.ts, in a process of its
 * own so its heap is its own, fills a table of 5,000 with realistic REGISTER / INVITE / OPTIONS transactions over
 * UDP and floods on. The table must stay at its cap, the overflow must be answered 503 statelessly, and a
 * transaction must cost under 8 KB of heap: with the default cap of 20,000 that bounds a flood's SIP state at
 * 160 MB (measured: ~5.2 KB a transaction, +98 MB heap for a full 20,000-entry table; docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const BENCH = fileURLToPath(new URL('../../bench/sip/transaction-table.ts', import.meta.url));
const CAP = 5000;
const OVERFLOW = 1000;

it(`a flood fills the table to ${CAP} and no further; each transaction under 8 KB of heap`, async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', BENCH, String(CAP), String(OVERFLOW)],
    { timeout: 120_000 },
  );
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  console.log(JSON.stringify(r));
  assert.equal(r.held, CAP, 'the flood filled the table');
  assert.equal(r.peakAfterOverflow, CAP, 'never past its cap');
  // UDP on a loaded loopback may drop a few; most of the overflow must have been refused 503.
  assert.ok(r.overflow503! >= OVERFLOW / 2, `${r.overflow503} of ${OVERFLOW} answered 503`);
  assert.ok(r.bytesPerTransaction! < 8192, `${r.bytesPerTransaction} bytes a transaction`);
});
