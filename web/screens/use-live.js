import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { liveTick } from '../live.js';

/**
 * Load with `fetcher`, and again whenever the live namespace says something changed. At most one request is in
 * flight: changes during it ask for one more once it answered. (Dropping an answer because a newer change came
 * in would show nothing at all while changes arrive faster than the screen loads: a busy floor, bench/console.)
 * When `deps` change, answers to the older request are dropped.
 */
export function useLive(fetcher, deps = []) {
  const [data, setData] = useState(undefined);
  const tick = liveTick.value;
  const s = useRef({ inFlight: false, again: false, gen: 0, mounted: true }).current;
  const latest = useRef(fetcher);
  latest.current = fetcher;
  const gen = useMemo(() => ++s.gen, deps);
  useEffect(() => () => void (s.mounted = false), []);
  useEffect(() => {
    const load = () => {
      s.inFlight = true;
      s.again = false;
      const g = s.gen;
      latest
        .current()
        .catch((e) => ({ error: e }))
        .then((d) => {
          s.inFlight = false;
          if (!s.mounted) return;
          if (g === s.gen) setData(d);
          if (s.again || g !== s.gen) load();
        });
    };
    if (s.inFlight) s.again = true;
    else load();
  }, [tick, gen]);
  return data;
}
