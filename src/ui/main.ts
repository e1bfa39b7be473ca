import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initTheme } from './lib/theme';
import { startEngineEarly } from './lib/engine-bridge';

performance.mark('otpscope:main');
// The engine's worker first, then a short pause: its thread starts only once this thread has taken the browser's
// reply, and building the page below is one long task (src/ui/lib/engine-bridge.ts, startEngineEarly).
startEngineEarly();
await new Promise((resolve) => setTimeout(resolve, 16));
initTheme();

const target = document.getElementById('app');
if (target === null) throw new Error('#app element missing from index.html');
mount(App, { target });

// The first number formatted for the user's locale sets up the browser's ICU number formatter: 40-80 ms of this thread
// in Chromium 156, paid when a load's progress and then the Overview's counts are first shown. Paid here instead,
// while the page waits for the engine.
const idle = (f: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(f) : setTimeout(f, 0));
idle(() => (0).toLocaleString());

// The service worker (offline support) is registered by UpdatePrompt.svelte, which also offers its updates.
