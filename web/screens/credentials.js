import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, t } from '../i18n.js';
import { useLive } from './use-live.js';
import { Alert, Grid, ShownOnce, submitter, useAction } from './ui.js';

const SCOPES = ['agent', 'queue', 'call', 'status', 'admin'];

function state(c) {
  if (c.revoked_at) return html`<span class="tag off">${t('revoked')}</span>`;
  if (c.expires_at && c.expires_at <= Date.now()) return html`<span class="tag">${t('expired')}</span>`;
  return html`<span class="tag ok">${t('active')}</span>`;
}

/** API keys, app credentials and bearer tokens: created and shown once, revoked. Admin only. */
export function Credentials() {
  const data = useLive(() => api('/credentials'));
  const { error, busy, run } = useAction();
  const [issued, setIssued] = useState(null);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const createKey = submitter(
    run,
    (f) =>
      api('/credentials/api-keys', {
        method: 'POST',
        body: { name: f.name, scopes: SCOPES.filter((s) => f[`scope_${s}`]) },
      }),
    (r) => setIssued([[t('apiKey'), r.key]]),
  );
  const createApp = async () => {
    const r = await run(api('/credentials/apps', { method: 'POST' }));
    if (r)
      setIssued([
        ['app_id', r.app_id],
        ['app_secret', r.app_secret],
      ]);
  };
  const createToken = submitter(
    run,
    ({ hours }) =>
      api('/credentials/tokens', {
        method: 'POST',
        body: hours ? { ttl_sec: Math.round(hours * 3600) } : {},
      }),
    (r) => setIssued([[t('bearerToken'), r.token]]),
  );
  const revoke = (path, id) => run(api(`/credentials/${path}/${id}`, { method: 'DELETE' }));
  const revokeBtn = (path, c) =>
    !c.revoked_at &&
    html`<button class="ghost danger revoke" onClick=${() => revoke(path, c.id)}>${t('revoke')}</button>`;
  return html`<div class="credentials">
    ${issued && html`<${ShownOnce} items=${issued} onClose=${() => setIssued(null)} />`}
    <${Alert} error=${error} />
    <section class="panel api-keys">
      <div class="section-head"><h3>${t('apiKeys')}</h3></div>
      <${Grid}
        head=${[t('name'), t('prefix'), t('scopes'), t('created'), t('status'), '']}
        rows=${data.api_keys.map(
          (k) =>
            html`<tr data-key=${k.id}>
              <td class="strong">${k.name}</td>
              <td class="mono">${k.prefix}…</td>
              <td><div class="chips">${k.scopes.map((s) => html`<span class="tag">${s}</span>`)}</div></td>
              <td class="small">${dateTime(k.created_at)}</td>
              <td>${state(k)}</td>
              <td>${revokeBtn('api-keys', k)}</td>
            </tr>`,
        )}
      />
      <form class="inline-form new-key" onSubmit=${createKey}>
        <label>${t('name')}<input name="name" required maxlength="100" placeholder="CRM" /></label>
        ${SCOPES.map(
          (s) =>
            html`<label class="check"
              ><input type="checkbox" name=${`scope_${s}`} defaultChecked=${s !== 'admin'} /> ${s}</label
            >`,
        )}
        <button class="primary" type="submit" disabled=${busy}>${t('createKey')}</button>
      </form>
    </section>
    <div class="cols">
      <section class="panel apps">
        <div class="section-head">
          <h3>${t('apps')}</h3>
          <button class="primary new-app" onClick=${createApp} disabled=${busy}>${t('createApp')}</button>
        </div>
        <div class="muted small">${t('appsHint')}</div>
        <${Grid}
          head=${['app_id', t('created'), t('status'), '']}
          rows=${data.apps.map(
            (a) =>
              html`<tr data-app=${a.app_id}>
                <td class="mono">${a.app_id}</td>
                <td class="small">${dateTime(a.created_at)}</td>
                <td>${state(a)}</td>
                <td>${revokeBtn('apps', a)}</td>
              </tr>`,
          )}
        />
      </section>
      <section class="panel tokens">
        <div class="section-head"><h3>${t('bearerTokens')}</h3></div>
        <div class="muted small">${t('tokensHint')}</div>
        <${Grid}
          head=${['#', t('created'), t('expires'), t('status'), '']}
          rows=${data.tokens.map(
            (x) =>
              html`<tr data-token=${x.id}>
                <td class="mono">${x.id}</td>
                <td class="small">${dateTime(x.created_at)}</td>
                <td class="small">${dateTime(x.expires_at)}</td>
                <td>${state(x)}</td>
                <td>${revokeBtn('tokens', x)}</td>
              </tr>`,
          )}
        />
        <form class="inline-form new-token" onSubmit=${createToken}>
          <label
            >${t('lifetimeHours')}<input name="hours" type="number" min="1" max="720" placeholder="24"
          /></label>
          <button class="primary" type="submit" disabled=${busy}>${t('createToken')}</button>
        </form>
      </section>
    </div>
  </div>`;
}
