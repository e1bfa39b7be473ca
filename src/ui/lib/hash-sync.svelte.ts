import { encodeHash, majorKey, parseHash, type HashState } from './hash-state';
import type { Session } from './session.svelte';

/**
 * Mirrors the session's view into the URL hash and back. Call once during
 * the root component's initialisation (it creates effects). A hash that names
 * an archive not loaded yet waits until that archive is loaded.
 */
export function syncHash(session: Session): void {
  let pending: HashState | null = null;
  /** A hash waits for its archive; the page readies what it will show meanwhile (\`linkedPanel\`). */
  const wait = (h: HashState | null) => {
    pending = h;
    session.linkedPanel = h?.panel ?? null;
  };
  const linked = location.hash.length > 1 ? parseHash(location.hash) : null;
  wait(linked);
  let lastMajor = linked ? majorKey(linked) : '';

  const current = (): HashState => ({
    archive: session.archive,
    panel: session.panel,
    process: session.selectedProcess,
    cursor: session.cursor,
    view: session.view && session.span && session.view.start === session.span.start && session.view.end === session.span.end ? null : session.view,
    seq: session.selectedSeq,
    compare: session.compareWith ?? session.compareWanted,
    pins: session.pinnedLanes,
    folded: session.foldedGroups,
    order: session.laneOrder,
  });

  const apply = (h: HashState) => {
    if (h.panel) session.panel = h.panel;
    if (h.compare !== session.compareWith) session.compareWanted = h.compare ?? null;
    session.selectProcess(h.process);
    session.selectedSeq = h.seq;
    session.pinnedLanes = h.pins;
    session.foldedGroups = h.folded;
    session.laneOrder = h.order ?? [];
    session.setCursor(h.cursor);
    if (h.view) session.setView(h.view);
    else if (session.span) session.setView(session.span);
  };

  const tryApply = () => {
    if (!pending || session.generation === 0) return;
    const h = pending;
    wait(null);
    // A link made for another archive does not apply to this one: drop it rather than block the hash forever.
    if (h.archive === null || h.archive === session.archive) apply(h);
  };

  const onNavigate = () => {
    const h = parseHash(location.hash);
    if (encodeHash(h) === encodeHash(current())) return;
    lastMajor = majorKey(h);
    if (session.generation === 0 || (h.archive !== null && h.archive !== session.archive)) wait(h);
    else apply(h);
  };

  $effect(() => {
    // Re-run when a load completes: a waiting hash may now apply.
    void session.generation;
    void session.archive;
    tryApply();
  });

  $effect(() => {
    const h = current();
    if (session.generation === 0 || pending) return;
    const text = encodeHash(h);
    if (text === location.hash.replace(/^#/, '')) return;
    const major = majorKey(h);
    const url = `${location.pathname}${location.search}#${text}`;
    if (major !== lastMajor) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    lastMajor = major;
  });

  $effect(() => {
    addEventListener('hashchange', onNavigate);
    addEventListener('popstate', onNavigate);
    return () => {
      removeEventListener('hashchange', onNavigate);
      removeEventListener('popstate', onNavigate);
    };
  });
}
