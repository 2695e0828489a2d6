import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { FormDialog, Modal, ShownOnce, submitter, useAction } from './ui.js';

const ROLES = ['agent', 'supervisor', 'admin'];
const roleLabel = (r) => t(r === 'agent' ? 'agentRole' : r);

/** Queue memberships with a priority each: a checkbox and a number per queue. */
function MembershipPicker({ queues, value, onChange }) {
  const byId = new Map(value.map((m) => [m.queue_id, m.priority]));
  const set = (id, priority) => {
    const rest = value.filter((m) => m.queue_id !== id);
    onChange(priority === null ? rest : [...rest, { queue_id: id, priority }]);
  };
  return html`<div class="members">
    <table class="grid">
      <thead>
        <tr>
          <th>${t('queue')}</th>
          <th class="center">${t('member')}</th>
          <th>${t('priority')}</th>
        </tr>
      </thead>
      <tbody>
        ${queues.map(
          (q) =>
            html`<tr data-queue=${q.queue_id}>
              <td>${q.name}</td>
              <td class="center">
                <input
                  type="checkbox"
                  aria-label=${`${t('member')} ${q.name}`}
                  checked=${byId.has(q.queue_id)}
                  onChange=${(e) => set(q.queue_id, e.currentTarget.checked ? 1 : null)}
                />
              </td>
              <td>
                <input
                  type="number"
                  min="1"
                  max="100"
                  aria-label=${`${t('priority')} ${q.name}`}
                  disabled=${!byId.has(q.queue_id)}
                  value=${byId.get(q.queue_id) ?? ''}
                  onInput=${(e) => set(q.queue_id, Math.max(1, Math.min(100, Number(e.currentTarget.value) || 1)))}
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Invite an agent: name, email, role, optional phone and password, queues; the secrets are shown once. */
export function InviteDialog({ queues, onClose }) {
  const action = useAction();
  const [members, setMembers] = useState([]);
  const [issued, setIssued] = useState(null);
  const submit = submitter(
    action.run,
    (f) => {
      const body = { name: f.name, email: f.email, role: f.role, queues: members, recording: f.recording };
      if (f.phone) body.phone = f.phone;
      if (f.password) body.password = f.password;
      return api('/agents', { method: 'POST', body });
    },
    setIssued,
  );
  if (issued)
    return html`<${Modal} title=${t('invited')} onClose=${onClose}>
      <p>${t('extension')} <b>${issued.extension}</b></p>
      <${ShownOnce}
        items=${[
          ...(issued.console_password ? [[t('consolePassword'), issued.console_password]] : []),
          [t('sipPassword'), issued.sip_password],
        ]}
        onClose=${onClose}
      />
    <//>`;
  return html`<${FormDialog}
    title=${t('inviteAgent')}
    onClose=${onClose}
    wide
    action=${action}
    onSubmit=${submit}
    submitLabel=${t('invite')}
  >
    <div class="row">
      <label>${t('name')}<input name="name" required maxlength="200" /></label>
      <label>${t('email')}<input name="email" type="email" required /></label>
    </div>
    <div class="row">
      <label>${t('phone')}<input name="phone" inputmode="tel" /></label>
      <label
        >${t('role')}<select name="role">
          ${ROLES.map((r) => html`<option value=${r}>${roleLabel(r)}</option>`)}
        </select></label
      >
    </div>
    <label
      >${t('initialPassword')}<input
        name="password"
        type="text"
        autocomplete="off"
        minlength="8"
        placeholder=${t('generatedIfEmpty')}
    /></label>
    <label class="check"><input type="checkbox" name="recording" /> ${t('recordCalls')}</label>
    <${MembershipPicker} queues=${queues} value=${members} onChange=${setMembers} />
  <//>`;
}

/** Edit an agent: name, phone, role, recording, queues with priority; deactivate/reactivate; reset SIP password. */
export function EditDialog({ agent, queues, self, onClose }) {
  const action = useAction();
  const { busy, run } = action;
  const [members, setMembers] = useState(agent.memberships);
  const [sip, setSip] = useState(null);
  const submit = submitter(
    run,
    (f) => {
      const body = {
        name: f.name,
        phone: f.phone || null,
        role: f.role,
        recording: f.recording,
        queues: members,
      };
      return api(`/agents/${agent.agent_id}`, { method: 'PATCH', body });
    },
    onClose,
  );
  const setActive = async (active) => {
    if (await run(api(`/agents/${agent.agent_id}/active`, { method: 'PUT', body: { active } }))) onClose();
  };
  const resetSip = async () => {
    const r = await run(api(`/agents/${agent.agent_id}/sip-password`, { method: 'POST' }));
    if (r) setSip(r.sip_password);
  };
  return html`<${FormDialog}
    title=${`${t('editAgent')} · ${agent.name}`}
    onClose=${onClose}
    wide
    action=${action}
    onSubmit=${submit}
    extra=${html`<button type="button" class="ghost" onClick=${resetSip} disabled=${busy || !agent.active}>
        ${t('resetSip')}
      </button>
      ${
        agent.active
          ? html`<button
              type="button"
              class="ghost danger deactivate"
              onClick=${() => setActive(false)}
              disabled=${busy || self}
            >
              ${t('deactivate')}
            </button>`
          : html`<button
              type="button"
              class="ghost reactivate"
              onClick=${() => setActive(true)}
              disabled=${busy}
            >
              ${t('reactivate')}
            </button>`
      }`}
  >
    ${sip && html`<${ShownOnce} items=${[[t('sipPassword'), sip]]} />`}
    <div class="row">
      <label>${t('name')}<input name="name" required maxlength="200" defaultValue=${agent.name} /></label>
      <label>${t('email')}<input value=${agent.email} disabled /></label>
    </div>
    <div class="row">
      <label>${t('phone')}<input name="phone" inputmode="tel" defaultValue=${agent.phone ?? ''} /></label>
      <label
        >${t('role')}<select name="role" disabled=${self}>
          ${ROLES.map((r) => html`<option value=${r} selected=${r === agent.role}>${roleLabel(r)}</option>`)}
        </select></label
      >
    </div>
    <label class="check"
      ><input type="checkbox" name="recording" defaultChecked=${agent.recording} /> ${t('recordCalls')}</label
    >
    <${MembershipPicker} queues=${queues} value=${members} onChange=${setMembers} />
  <//>`;
}
