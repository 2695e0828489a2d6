import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, t } from '../i18n.js';
import { useLive } from './use-live.js';
import { Alert, ShownOnce, submitter, useAction } from './ui.js';

/** Re-read every 2 s while a delivery is still pending: the outbox worker publishes no live event. */
const POLL_MS = 2000;

function Deliveries({ endpoint }) {
  const [poll, setPoll] = useState(0);
  const data = useLive(() => api(`/webhooks/${endpoint.id}/deliveries`), [endpoint.id, poll]);
  const pending = !!data?.deliveries?.some((d) => d.status === 'pending');
  useEffect(() => {
    if (!pending) return undefined;
    const id = setTimeout(() => setPoll((n) => n + 1), POLL_MS);
    return () => clearTimeout(id);
  }, [pending, data]);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  if (data.deliveries.length === 0) return html`<div class="muted empty">${t('noDeliveries')}</div>`;
  return html`<table class="grid deliveries">
    <thead>
      <tr>
        <th>${t('time')}</th>
        <th>${t('event')}</th>
        <th>${t('status')}</th>
        <th>${t('attempts')}</th>
        <th>${t('lastAnswer')}</th>
      </tr>
    </thead>
    <tbody>
      ${data.deliveries.map((d) => {
        const last = d.attempts[d.attempts.length - 1];
        const tone = d.status === 'done' ? 'ok' : d.status === 'failed' ? 'bad' : '';
        return html`<tr data-delivery=${d.id}>
          <td class="small">${dateTime(d.createdAt)}</td>
          <td class="mono">${d.type}</td>
          <td><span class=${`tag ${tone}`}>${t(`delivery_${d.status}`)}</span></td>
          <td>${d.attempts.length}</td>
          <td class="small">
            ${last ? (last.statusCode ? `HTTP ${last.statusCode}` : (last.error ?? '—')) : '—'}
            ${last && html` · ${last.durationMs} ms`}
          </td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

/** Webhook endpoints: list, add (the signing secret shown once), delete, send a ping, recent deliveries. */
export function Webhooks() {
  const data = useLive(() => api('/webhooks'));
  const { error, busy, run } = useAction();
  const [issued, setIssued] = useState(null);
  const [open, setOpen] = useState(null);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const add = submitter(
    run,
    (f) =>
      api('/webhooks', {
        method: 'POST',
        body: { url: f.url, events: data.events.filter((x) => f[`ev_${x}`]) },
      }),
    (r, form) => {
      form.reset();
      setIssued([[t('signingSecret'), r.secret]]);
      setOpen(r.id);
    },
  );
  const shown = data.endpoints.find((x) => x.id === open);
  return html`<div class="webhooks">
    ${issued && html`<${ShownOnce} items=${issued} onClose=${() => setIssued(null)} />`}
    <${Alert} error=${error} />
    <section class="panel">
      <div class="section-head"><h3>${t('endpoints')}</h3></div>
      <div class="muted small">${t('webhooksHint')}</div>
      <table class="grid">
        <thead>
          <tr>
            <th>URL</th>
            <th>${t('events')}</th>
            <th>${t('created')}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${data.endpoints.map(
            (ep) =>
              html`<tr data-endpoint=${ep.id} class=${open === ep.id ? 'selected' : ''}>
                <td class="mono small">${ep.url}</td>
                <td><div class="chips">${ep.events.map((x) => html`<span class="tag">${x}</span>`)}</div></td>
                <td class="small">${dateTime(ep.created_at)}</td>
                <td>
                  <button class="ghost show" onClick=${() => setOpen(ep.id)}>${t('deliveries')}</button>
                  <button
                    class="ghost ping"
                    onClick=${() => run(api(`/webhooks/${ep.id}/ping`, { method: 'POST' })).then(() => setOpen(ep.id))}
                  >
                    ${t('sendPing')}
                  </button>
                  <button
                    class="ghost danger"
                    onClick=${() => run(api(`/webhooks/${ep.id}`, { method: 'DELETE' }))}
                  >
                    ${t('delete')}
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <form class="inline-form new-endpoint" onSubmit=${add}>
        <label class="grow"
          >URL<input name="url" type="url" required placeholder="https://crm.example.vn/hooks/tongdai"
        /></label>
        ${data.events.map(
          (x) =>
            html`<label class="check"
              ><input type="checkbox" name=${`ev_${x}`} defaultChecked=${x === 'call.*'} /> ${x}</label
            >`,
        )}
        <button class="primary" type="submit" disabled=${busy}>${t('addEndpoint')}</button>
      </form>
    </section>
    ${
      shown &&
      html`<section class="panel">
        <div class="section-head">
          <h3>${t('recentDeliveries')} · <span class="mono small">${shown.url}</span></h3>
        </div>
        <${Deliveries} endpoint=${shown} />
      </section>`
    }
  </div>`;
}
