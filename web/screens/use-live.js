import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { liveTick } from '../live.js';

/**
 * Load with `fetcher`, and again whenever the live namespace says something changed. A change starts a request at
 * once unless two are already in flight; changes meanwhile ask for one more when one answers. An answer is shown
 * when it is newer than the one on screen, so a slow answer never hides a later one and, while changes arrive
 * faster than the screen loads (a busy floor, bench/console), answers still reach the screen. When `deps` change,
 * answers to requests made for the older ones are dropped.
 */
export function useLive(fetcher, deps = []) {
  const [data, setData] = useState(undefined);
  const tick = liveTick.value;
  const s = useRef({ inFlight: 0, again: false, seq: 0, shown: 0, gen: 0, mounted: true }).current;
  const latest = useRef(fetcher);
  latest.current = fetcher;
  const gen = useMemo(() => ++s.gen, deps);
  useEffect(() => () => void (s.mounted = false), []);
  useEffect(() => {
    const load = () => {
      s.inFlight++;
      s.again = false;
      const g = s.gen;
      const n = ++s.seq;
      latest
        .current()
        .catch((e) => ({ error: e }))
        .then((d) => {
          s.inFlight--;
          if (!s.mounted) return;
          if (g === s.gen && n > s.shown) {
            s.shown = n;
            setData(d);
          }
          if (s.again || g !== s.gen) load();
        });
    };
    if (s.inFlight >= 2) s.again = true;
    else load();
  }, [tick, gen]);
  return data;
}
