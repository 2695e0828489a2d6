import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, can, session } from '../api.js';
import { duration, t } from '../i18n.js';
import { liveTick, now } from '../live.js';
import { useLive } from './use-live.js';
import { EditDialog, InviteDialog } from './agent-forms.js';

export function StatusSelect({ value, statuses, onPick, label }) {
  // Agents pick custom statuses or Offline; a system status they are in (Ringing, In-call, Wrap-up…) still shows.
  const pickable = statuses.filter((s) => s.kind === 'custom' || s.name === 'Offline');
  return html`<select aria-label=${label} value=${value} onChange=${(e) => onPick(e.currentTarget.value)}>
    ${!pickable.some((s) => s.name === value) && html`<option value=${value}>${value}</option>`}
    ${pickable.map((s) => html`<option value=${s.name}>${s.name}</option>`)}
  </select>`;
}

export function Agents() {
  const data = useLive(() => Promise.all([api('/agents'), api('/statuses'), api('/queues')]));
  const [error, setError] = useState('');
  const [dialog, setDialog] = useState(null);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [{ agents }, { statuses }, { queues }] = data;
  const act = (p) =>
    p.then(
      () => liveTick.value++,
      (e) => setError(e.message),
    );
  const roleLabel = (r) => t(r === 'agent' ? 'agentRole' : r);
  const admin = can('admin');
  const close = () => setDialog(null);
  return html`<div>
    ${error && html`<div class="alert" role="alert">${error}</div>`}
    ${
      admin &&
      html`<div class="toolbar">
        <span class="spacer"></span>
        <button class="primary invite" onClick=${() => setDialog({ invite: true })}>
          + ${t('inviteAgent')}
        </button>
      </div>`
    }
    ${dialog?.invite && html`<${InviteDialog} queues=${queues} onClose=${close} />`}
    ${
      dialog?.agent &&
      html`<${EditDialog}
        agent=${agents.find((a) => a.agent_id === dialog.agent) ?? agents[0]}
        queues=${queues}
        self=${dialog.agent === session.value.user.agent_id}
        onClose=${close}
      />`
    }
    <div class="panel">
      <table class="grid">
        <thead>
          <tr>
            <th>${t('name')}</th>
            <th>${t('extension')}</th>
            <th>${t('role')}</th>
            <th>${t('status')}</th>
            <th>${t('since')}</th>
            ${queues.map((q) => html`<th class="center">${q.name}</th>`)}
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${agents.map(
            (a) =>
              html`<tr data-agent=${a.agent_id} class=${a.active ? '' : 'inactive'}>
                <td>
                  <div class="strong">${a.name}</div>
                  <div class="muted small">${a.email}</div>
                </td>
                <td>${a.extension}</td>
                <td>
                  <span class="tag">${roleLabel(a.role)}</span>
                  ${!a.active && html` <span class="tag off">${t('inactive')}</span>`}
                </td>
                <td>
                  <span class=${`dot-inline s-${a.presence}`}></span>
                  <${StatusSelect}
                    value=${a.status}
                    statuses=${statuses}
                    label=${t('setStatus')}
                    onPick=${(v) => act(api(`/agents/${a.agent_id}/status`, { method: 'POST', body: { status: v } }))}
                  />
                </td>
                <td class="mono">${a.since ? duration((now.value - a.since) / 1000) : '—'}</td>
                ${queues.map(
                  (q) =>
                    html`<td class="center">
                      <input
                        type="checkbox"
                        aria-label=${`${t('membership')} ${q.name}`}
                        checked=${a.queue_ids.includes(q.queue_id)}
                        onChange=${(e) => act(api(`/agents/${a.agent_id}/queues/${q.queue_id}`, { method: 'PUT', body: { member: e.currentTarget.checked } }))}
                      />
                    </td>`,
                )}
                <td>
                  <button
                    class="ghost danger"
                    disabled=${a.presence === 'offline'}
                    onClick=${() => act(api(`/agents/${a.agent_id}/logout`, { method: 'POST' }))}
                  >
                    ${t('forceLogout')}
                  </button>
                  ${
                    admin &&
                    html`<button class="ghost edit" onClick=${() => setDialog({ agent: a.agent_id })}>
                      ${t('edit')}
                    </button>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </div>`;
}
