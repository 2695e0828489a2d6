import { useEffect, useState } from 'preact/hooks';
import { liveTick } from '../live.js';

/** Load with `fetcher`, and again whenever the live namespace says something changed. */
export function useLive(fetcher, deps = []) {
  const [data, setData] = useState(undefined);
  const tick = liveTick.value;
  useEffect(() => {
    let stale = false;
    fetcher()
      .then((d) => !stale && setData(d))
      .catch((e) => !stale && setData({ error: e }));
    return () => (stale = true);
  }, [tick, ...deps]);
  return data;
}
