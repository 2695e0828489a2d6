// Timers of the ACD live in one binary min-heap ordered by deadline. Cancelling is lazy: every timer
// carries a token, the record it belongs to keeps the token of its live timer, and a popped timer
// whose token no longer matches is dropped. That keeps every re-arm O(log n) without searching.

/** What a timer does when it fires. */
export type TimerKind = 'ring' | 'max_wait' | 'announce' | 'widen' | 'retry' | 'wrapup' | 'relax';

/** One pending timer; `callId`/`agentId` name its subject, `token` tells whether it is still live. */
export interface Timer {
  at: number;
  seq: number;
  kind: TimerKind;
  callId: string;
  agentId: number;
  token: number;
}

/** A min-heap of timers by (at, seq), so timers due at the same moment fire in the order they were armed. */
export class TimerHeap {
  private items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      this.sinkFrom(0);
    }
    return top;
  }

  private sinkFrom(start: number): void {
    const a = this.items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l]!, a[m]!)) m = l;
      if (r < a.length && before(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}

function before(x: Timer, y: Timer): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
