import { Counter, type Registry } from 'prom-client';

/**
 * The tenant-label rule (docs/operations.md § Metrics): a `tenant` label appears only on gauges whose other labels
 * come from a small closed set (active calls, waiting calls, agents by state), and only for the first `limit`
 * tenants this process reports; every later tenant is counted under `tenant="other"`. So a series family holds at
 * most (limit + 1) × its closed set, however many tenants a shared deployment hosts.
 */
export class TenantLabels {
  private readonly named = new Set<number>();

  constructor(private readonly limit: number) {}

  label(tenantId: number): string {
    if (this.named.has(tenantId)) return String(tenantId);
    if (this.named.size < this.limit) {
      this.named.add(tenantId);
      return String(tenantId);
    }
    return 'other';
  }
}

/** Add `n` to the entry of `key`. */
export function bump<K>(m: Map<K, number>, key: K, n = 1): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

/**
 * One read shared by the gauges of a scrape: prom-client starts every metric's collect() in the same tick, so the
 * callers of one scrape get the same in-flight promise and see one consistent snapshot.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

/**
 * A counter set from a running total read at each scrape: each scrape adds what moved since the last one (never a
 * decrease, so a total that goes back, such as a stream's loss count after late packets, cannot lower the counter).
 */
export function runningTotal(
  register: Registry,
  name: string,
  help: string,
  read: () => Promise<number>,
): void {
  runningTotals(register, name, help, null, async () => [['', await read()]]);
}

/** runningTotal() per value of one label (a closed set): `read` gives each value's running total. */
export function runningTotals(
  register: Registry,
  name: string,
  help: string,
  label: string | null,
  read: () => Promise<Iterable<[string, number]>>,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [register],
    async collect() {
      for (const [value, v] of await read()) {
        const before = seen.get(value) ?? 0;
        if (v > before) {
          if (label) this.inc({ [label]: value }, v - before);
          else this.inc(v - before);
        }
        seen.set(value, Math.max(before, v));
      }
    },
  });
}
