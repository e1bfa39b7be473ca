/** A view query superseded by a newer one with the same key (the engine drops it): not an error to show. */
export function isSuperseded(e: unknown): boolean {
  return e instanceof Error && (e.name === 'SupersededError' || /superseded by a newer request/.test(e.message));
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
