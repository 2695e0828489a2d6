/** The samples of a Prometheus text exposition, keyed `name{a="x",b="y"}` with the labels sorted by name. */
export type Samples = Map<string, number>;

export function parseExposition(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map((l) => `${l[1]}="${l[2]}"`)
      .sort();
    out.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1]!, Number(m[3]));
  }
  return out;
}

/** Scrape `url` and parse it; throws on anything but a 200 in the Prometheus text format. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Samples> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`scrape ${url}: ${res.status} ${text}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? ''))
    throw new Error(`scrape ${url}: content-type ${res.headers.get('content-type')}`);
  return parseExposition(text);
}

/** A series' value, 0 when absent (a counter not yet incremented). */
export const value = (s: Samples, series: string): number => s.get(series) ?? 0;
