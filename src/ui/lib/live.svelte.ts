import { errorText, isSuperseded } from './query';

/**
 * A value loaded asynchronously from the reactive inputs `deps()` returns:
 * re-runs when they change, and only the latest run's answer is kept (an
 * older answer that arrives late is dropped). Create it during component
 * initialisation (it owns an effect).
 */
export class Live<T> {
  value = $state.raw<T | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
}

export function live<D, T>(deps: () => D | null, run: (d: D) => Promise<T>): Live<T> {
  const l = new Live<T>();
  let token = 0;
  $effect(() => {
    const d = deps();
    const mine = ++token;
    if (d === null) {
      l.value = null;
      l.error = null;
      return;
    }
    l.loading = true;
    run(d).then(
      (v) => {
        if (mine !== token) return;
        l.value = v;
        l.error = null;
        l.loading = false;
      },
      (e) => {
        if (mine !== token || isSuperseded(e)) return;
        l.error = errorText(e);
        l.loading = false;
      },
    );
  });
  return l;
}
