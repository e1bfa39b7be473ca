import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initTheme } from './lib/theme';

performance.mark('otpscope:main');
initTheme();

const target = document.getElementById('app');
if (target === null) throw new Error('#app element missing from index.html');
mount(App, { target });

// The service worker (offline support) is registered by UpdatePrompt.svelte, which also offers its updates.
