import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { html } from './html.js';
import { api, can, session } from './api.js';
import { lang, langChosen, setLang, t } from './i18n.js';
import { connectLive, disconnectLive, liveState, tv } from './live.js';
import { Login } from './screens/login.js';
import { Wallboard } from './screens/wallboard.js';
import { Agents } from './screens/agents.js';
import { Queues } from './screens/queues.js';
import { Calls } from './screens/calls.js';
import { Workspace } from './screens/workspace.js';
import { Setup } from './screens/setup.js';
import { Numbers } from './screens/numbers.js';
import { Credentials } from './screens/credentials.js';
import { Webhooks } from './screens/webhooks.js';

/** A screen whose module loads the first time it is opened (kept out of the first load: docs/console.md, Size). */
function lazy(load) {
  let View = null;
  return function Lazy() {
    const [, loaded] = useState(false);
    useEffect(() => {
      if (!View)
        load().then((v) => {
          View = v;
          loaded(true);
        });
    }, []);
    return View ? html`<${View} />` : html`<div class="muted">…</div>`;
  };
}

const SCREENS = [
  { id: 'wallboard', label: 'wallboard', role: 'supervisor', view: Wallboard, icon: '▦' },
  { id: 'agents', label: 'agents', role: 'supervisor', view: Agents, icon: '☺' },
  { id: 'queues', label: 'queues', role: 'supervisor', view: Queues, icon: '≡' },
  { id: 'calls', label: 'calls', role: 'supervisor', view: Calls, icon: '☏' },
  { id: 'setup', label: 'statusesTeams', role: 'supervisor', view: Setup, icon: '◎' },
  {
    id: 'flows',
    label: 'flows',
    role: 'supervisor',
    view: lazy(() => import('./screens/flows.js').then((m) => m.Flows)),
    icon: '↳',
  },
  { id: 'numbers', label: 'numbersTrunks', role: 'admin', view: Numbers, icon: '#' },
  { id: 'credentials', label: 'credentials', role: 'admin', view: Credentials, icon: '◈' },
  { id: 'webhooks', label: 'webhooks', role: 'admin', view: Webhooks, icon: '⇄' },
  { id: 'me', label: 'workspace_', role: 'agent', view: Workspace, icon: '◉' },
];

const route = signal(location.hash.slice(2) || '');
addEventListener('hashchange', () => (route.value = location.hash.slice(2)));

function LangSwitch() {
  return html`<div class="lang" role="group" aria-label=${t('language')}>
    ${['vi', 'en'].map(
      (l) =>
        html`<button class=${lang.value === l ? 'on' : ''} onClick=${() => setLang(l)}>
          ${l.toUpperCase()}
        </button>`,
    )}
  </div>`;
}

function Shell() {
  const s = session.value;
  const allowed = SCREENS.filter((x) => can(x.role));
  const current = allowed.find((x) => x.id === route.value) ?? allowed[0];
  useEffect(() => {
    connectLive();
  }, []);
  const signOut = async () => {
    await api('/logout', { method: 'POST' }).catch(() => undefined);
    disconnectLive();
    session.value = null;
  };
  const View = current.view;
  return html`<div class=${`shell ${tv.value ? 'tv' : ''}`}>
    <aside class="nav">
      <div class="brand"><img src="/app/icon.svg" alt="" /><span>tongdai</span></div>
      <nav>
        ${allowed.map(
          (x) =>
            html`<a href=${`#/${x.id}`} class=${x === current ? 'on' : ''}
              ><span class="ico" aria-hidden="true">${x.icon}</span>${t(x.label)}</a
            >`,
        )}
      </nav>
      <div class="who">
        <div class="who-name">${s.user.name}</div>
        <div class="who-meta">${s.user.email}</div>
        <div class="who-meta">
          ${t(s.user.role === 'agent' ? 'agentRole' : s.user.role)} · ${s.tenant.name}
        </div>
      </div>
    </aside>
    <main>
      <header class="top">
        <h1>${t(current.label)}</h1>
        <div class="top-right">
          <span class=${`live-dot ${liveState.value}`}
            >${liveState.value === 'up' ? t('live') : t('reconnecting')}</span
          >
          <${LangSwitch} />
          <button class="ghost" onClick=${signOut}>${t('signOut')}</button>
        </div>
      </header>
      <section class="content"><${View} key=${current.id} /></section>
    </main>
  </div>`;
}

function App() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    api('/session')
      .then((s) => {
        if (!langChosen()) lang.value = s.locale;
        session.value = s;
      })
      .catch(() => (session.value = null))
      .finally(() => setReady(true));
  }, []);
  document.documentElement.lang = lang.value;
  if (!ready) return html`<div class="splash">tongdai</div>`;
  if (!session.value) return html`<${Login} langSwitch=${LangSwitch} />`;
  return html`<${Shell} />`;
}

render(html`<${App} />`, document.getElementById('root'));
