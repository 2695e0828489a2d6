import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { AgentSkillFields, agentSkillsBody, useSkillList } from './skill-fields.js';
import { FormDialog, Modal, PriorityPicker, ShownOnce, submitter, useAction } from './ui.js';

const ROLES = ['agent', 'supervisor', 'admin'];
const roleLabel = (r) => t(r === 'agent' ? 'agentRole' : r);

/** The agent's queues with a priority each (`value`: [{queue_id, priority}], as the API takes them). */
const MembershipPicker = ({ queues, value, onChange }) =>
  html`<${PriorityPicker}
    heading=${t('queue')}
    rowKey="queue"
    items=${queues.map((q) => ({ id: q.queue_id, name: q.name }))}
    value=${value.map((m) => ({ id: m.queue_id, priority: m.priority }))}
    onChange=${(list) => onChange(list.map((m) => ({ queue_id: m.id, priority: m.priority })))}
  />`;

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
  const [skills, setSkills, skillsTouched] = useSkillList(`/agents/${agent.agent_id}/skills`, 'skills');
  const submit = submitter(
    run,
    async (f) => {
      const body = {
        name: f.name,
        phone: f.phone || null,
        role: f.role,
        recording: f.recording,
        queues: members,
      };
      const r = await api(`/agents/${agent.agent_id}`, { method: 'PATCH', body });
      if (skillsTouched)
        await api(`/agents/${agent.agent_id}/skills`, { method: 'PUT', body: agentSkillsBody(skills.value) });
      return r;
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
    <${AgentSkillFields} state=${skills} onChange=${setSkills} />
  <//>`;
}
