/**
 * The colour theme: the user's choice (light, dark, or the system's), kept
 * in localStorage, applied as `data-theme` on <html> (app.css keys the dark
 * palette on it). With "system" the attribute follows the OS setting live.
 * Applied before the app mounts, so the first paint already has the theme.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEME_CHOICES: ThemeChoice[] = ['system', 'light', 'dark'];
const KEY = 'otpscope.theme';

const dark = () => matchMedia('(prefers-color-scheme: dark)');

export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function apply(choice: ThemeChoice): void {
  document.documentElement.dataset.theme = choice === 'system' ? (dark().matches ? 'dark' : 'light') : choice;
}

/** Applies and remembers `choice`. */
export function setTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // storage unavailable (private mode): the choice lasts for the visit
  }
  apply(choice);
}

/** Applies the stored choice and follows the OS while the choice is "system". Call once at start. */
export function initTheme(): void {
  apply(storedTheme());
  dark().addEventListener('change', () => {
    if (storedTheme() === 'system') apply('system');
  });
}
