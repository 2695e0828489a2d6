import { html } from '../html.js';
import { api } from '../api.js';
import { duration, t } from '../i18n.js';
import { useLive } from './use-live.js';

export function Queues() {
  const data = useLive(() => api('/queues'));
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  return html`<div class="panel">
    <table class="grid">
      <thead>
        <tr>
          <th>${t('name')}</th>
          <th>${t('strategy')}</th>
          <th>${t('members')}</th>
          <th>${t('maxWait')}</th>
          <th>${t('announce')}</th>
          <th>${t('wrapupSec')}</th>
          <th>${t('ringTimeout')}</th>
          <th>${t('serviceLevel')}</th>
          <th>${t('moh')}</th>
        </tr>
      </thead>
      <tbody>
        ${data.queues.map(
          (q) =>
            html`<tr data-queue=${q.queue_id}>
              <td class="strong">${q.name}</td>
              <td>${q.strategy ?? '—'}</td>
              <td>${q.members}</td>
              <td>${q.max_wait_sec ? duration(q.max_wait_sec) : '—'}</td>
              <td>${q.announce_position ? t('yes') : t('no')}</td>
              <td>${q.wrap_up_sec}</td>
              <td>${q.ring_timeout_sec}</td>
              <td>${t('within', { n: q.service_level_sec })}</td>
              <td class="small">${q.moh ?? '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
