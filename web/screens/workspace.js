import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, session } from '../api.js';
import { duration, t } from '../i18n.js';
import { liveTick, now } from '../live.js';
import { useLive } from './use-live.js';
import { StatusSelect } from './agents.js';
import { CallTable } from './calls.js';
import { disconnectLive } from '../live.js';
import { Alert, formData, useAction } from './ui.js';
import { Phone } from './phone.js';

/** The user's own password: every session (this one too) ends, so the user signs in again. */
function PasswordChange() {
  const { error, busy, run, setError } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const f = formData(e.currentTarget);
    if (f.new_password !== f.repeat) return setError(t('passwordsDiffer'));
    const body = { current_password: f.current_password, new_password: f.new_password };
    if (await run(api('/me/password', { method: 'POST', body }))) {
      disconnectLive();
      session.value = null;
    }
  };
  return html`<section class="panel">
    <h3>${t('changePassword')}</h3>
    <form class="form password-form" onSubmit=${submit}>
      <label
        >${t('currentPassword')}<input
          name="current_password"
          type="password"
          required
          autocomplete="current-password"
      /></label>
      <label
        >${t('newPassword')}<input
          name="new_password"
          type="password"
          required
          minlength="8"
          autocomplete="new-password"
      /></label>
      <label
        >${t('repeatPassword')}<input
          name="repeat"
          type="password"
          required
          minlength="8"
          autocomplete="new-password"
      /></label>
      <div class="muted small">${t('passwordChangeHint')}</div>
      <${Alert} error=${error} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>${t('changePassword')}</button>
      </div>
    </form>
  </section>`;
}

export function Workspace() {
  const data = useLive(() => Promise.all([api('/me'), api('/statuses'), api('/me/calls')]));
  const [error, setError] = useState('');
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [me, { statuses }, { calls }] = data;
  const pick = (status) =>
    api('/me/status', { method: 'POST', body: { status } }).then(
      () => (setError(''), liveTick.value++),
      (e) => setError(e.message),
    );
  return html`<div class="workspace">
    <section class=${`panel me s-${me.presence}`}>
      <h3>${t('myStatus')}</h3>
      <div class="me-row">
        <span class="avatar big">${me.name.split(' ').slice(-1)[0][0]}</span>
        <div>
          <div class="agent-name">${me.name}</div>
          <div class="muted">${t('extension')} ${me.extension}</div>
        </div>
        <div class="me-status">
          <span class="dot"></span>
          <${StatusSelect} value=${me.status} statuses=${statuses} onPick=${pick} label=${t('myStatus')} />
          <span class="timer">${me.since ? duration((now.value - me.since) / 1000) : ''}</span>
        </div>
      </div>
      ${error && html`<div class="alert" role="alert">${error}</div>`}
    </section>
    <${Phone} />
    <section class="panel">
      <h3>${t('myCalls')}</h3>
      <${CallTable} calls=${calls} />
    </section>
    <${PasswordChange} />
  </div>`;
}
