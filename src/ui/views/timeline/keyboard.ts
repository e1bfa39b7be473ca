/**
 * The timeline's keys (Perfetto's WASD): W/S zoom at the pointer, A/D pan,
 * held keys move smoothly once per animation frame. The shortcuts work
 * whenever focus is not in a text field, so `keyCommand` is pure and tested;
 * `KeyMotion` owns the held keys and the frame loop.
 */

export type KeyCommand = 'help' | 'escape' | 'fit' | 'pin' | 'w' | 'a' | 's' | 'd' | null;

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/** What a key press asks of the timeline; null for keys it leaves alone (typed text, browser shortcuts). */
export function keyCommand(e: KeyInput, inTextField: boolean): KeyCommand {
  if (inTextField || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === '?') return 'help';
  if (e.key === 'Escape') return 'escape';
  const k = e.key.toLowerCase();
  if (k === 'f') return 'fit';
  if (k === 'p') return 'pin';
  return k === 'w' || k === 'a' || k === 's' || k === 'd' ? k : null;
}

/** Whether an element takes typed text (keys there are the user's text, not shortcuts). */
export function isTextField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** Zoom factor and pan fraction of the window for keys held `dt` seconds. */
export function keyStep(held: ReadonlySet<string>, dt: number): { zoom: number; pan: number } {
  let zoom = 1;
  if (held.has('w')) zoom *= Math.exp(-dt * 3);
  if (held.has('s')) zoom *= Math.exp(dt * 3);
  let pan = 0;
  if (held.has('a')) pan -= dt * 1.2;
  if (held.has('d')) pan += dt * 1.2;
  return { zoom, pan };
}

/** Held WASD keys, stepped once per frame while any is down. */
export class KeyMotion {
  readonly #held = new Set<string>();
  #last = 0;
  readonly #step: (zoom: number, pan: number) => void;

  /** `step` applies a zoom factor (at the pointer) and a pan (a fraction of the window). */
  constructor(step: (zoom: number, pan: number) => void) {
    this.#step = step;
  }

  press(k: 'w' | 'a' | 's' | 'd'): void {
    if (this.#held.has(k)) return;
    this.#held.add(k);
    this.#apply(0.06);
    this.#last = performance.now();
    if (this.#held.size === 1) requestAnimationFrame(this.#tick);
  }

  release(key: string): void {
    this.#held.delete(key.toLowerCase());
  }

  clear(): void {
    this.#held.clear();
  }

  #apply(dt: number): void {
    const { zoom, pan } = keyStep(this.#held, dt);
    this.#step(zoom, pan);
  }

  readonly #tick = (now: number) => {
    if (this.#held.size === 0) return;
    this.#apply(Math.min(0.05, (now - this.#last) / 1000));
    this.#last = now;
    requestAnimationFrame(this.#tick);
  };
}
