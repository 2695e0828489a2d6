import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, session } from '../api.js';
import { lang, langChosen, t } from '../i18n.js';

/** The server's reason, in the page's language. */
function loginMessage(err) {
  if (err.status === 401) return t('badLogin');
  const minutes = /(\d+) more minute/.exec(err.message)?.[1];
  if (err.status === 429 && minutes) return t('locked', { n: minutes });
  const secs = /wait (\d+) s/.exec(err.message)?.[1];
  if (err.status === 429 && secs) return t('slowDown', { n: secs });
  if (err.status === 403) return t('deactivated');
  return err.message;
}

export function Login({ langSwitch: LangSwitch }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [tenant, setTenant] = useState('');
  const [needTenant, setNeedTenant] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body = { email, password, ...(tenant ? { tenant_id: Number(tenant) } : {}) };
      const s = await api('/login', { method: 'POST', body });
      if (!langChosen()) lang.value = s.locale;
      location.hash = '';
      session.value = s;
    } catch (err) {
      if (err.code === 'INVALID_INPUT' && /workspace/.test(err.message)) setNeedTenant(true);
      setError(loginMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="login-page">
    <form class="login-card" onSubmit=${submit}>
      <div class="login-head">
        <img src="/app/icon.svg" alt="" />
        <div>
          <div class="login-brand">tongdai</div>
          <div class="muted">${t('consoleTitle')}</div>
        </div>
        <${LangSwitch} />
      </div>
      <p class="muted">${t('loginHint')}</p>
      <label
        >${t('email')}<input
          name="email"
          type="email"
          autocomplete="username"
          required
          value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)}
      /></label>
      <label
        >${t('password')}<input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)}
      /></label>
      ${
        needTenant &&
        html`<label
          >${t('workspace')}<input
            name="tenant"
            inputmode="numeric"
            value=${tenant}
            onInput=${(e) => setTenant(e.currentTarget.value)}
        /></label>`
      }
      ${error && html`<div class="alert" role="alert">${error}</div>`}
      <button class="primary" type="submit" disabled=${busy}>${busy ? t('signingIn') : t('signIn')}</button>
    </form>
  </div>`;
}
