import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, can } from '../api.js';
import { duration, t } from '../i18n.js';
import { useLive } from './use-live.js';
import { QueueSkillFields, queueSkillsBody, useSkillList } from './skill-fields.js';
import { Alert, FormDialog, Modal, PriorityPicker, submitter, useAction } from './ui.js';

/** Read a picked file as base64 (the console API takes JSON only). */
function base64Of(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function MohUpload({ onUploaded }) {
  const { error, busy, run } = useAction();
  const upload = async (e) => {
    const file = e.currentTarget.files?.[0];
    if (!file) return;
    const name = file.name.replace(/[^A-Za-z0-9 ._-]/g, '_').slice(0, 63);
    const r = await run(
      base64Of(file).then((data) => api('/moh', { method: 'POST', body: { name, data_base64: data } })),
    );
    if (r) onUploaded(r.name);
  };
  return html`<label
    >${t('uploadMoh')}
    <input type="file" name="moh-file" accept="audio/wav,.wav" onChange=${upload} disabled=${busy} />
    <${Alert} error=${error} />
  </label>`;
}

function QueueDialog({ q, agents, onClose }) {
  const detail = useLive(() => Promise.all([api(`/queues/${q.queue_id}/members`), api('/moh')]));
  const action = useAction();
  const [members, setMembers] = useState(null);
  const [moh, setMoh] = useState(q.moh ?? '');
  const [skills, setSkills, skillsTouched] = useSkillList(`/queues/${q.queue_id}/skills`, 'requirements');
  if (!detail) return html`<${Modal} title=${q.name} onClose=${onClose}><div class="muted">…</div><//>`;
  if (detail.error)
    return html`<${Modal} title=${q.name} onClose=${onClose}><${Alert} error=${detail.error.message} /><//>`;
  const [{ members: current, strategies }, { files }] = detail;
  const list = members ?? current;
  const submit = submitter(
    action.run,
    async (f) => {
      const r = await api(`/queues/${q.queue_id}`, {
        method: 'PATCH',
        body: {
          strategy: f.strategy || null,
          max_wait_sec: f.max_wait_sec,
          announce_position: f.announce_position,
          wrap_up_sec: f.wrap_up_sec ?? 0,
          ring_timeout_sec: f.ring_timeout_sec ?? 20,
          service_level_sec: f.service_level_sec ?? 20,
          overflow: f.overflow || null,
          moh: moh || null,
          members: list,
        },
      });
      if (skillsTouched)
        await api(`/queues/${q.queue_id}/skills`, { method: 'PUT', body: queueSkillsBody(skills.value) });
      return r;
    },
    onClose,
  );
  return html`<${FormDialog}
    title=${`${t('editQueue')} · ${q.name}`}
    onClose=${onClose}
    wide
    formClass="queue-form"
    action=${action}
    onSubmit=${submit}
  >
    <div class="row">
      <label
        >${t('strategy')}<select name="strategy">
          <option value="">${t('default')}</option>
          ${strategies.map((s) => html`<option value=${s} selected=${s === q.strategy}>${s}</option>`)}
        </select></label
      >
      <label
        >${t('maxWait')} (s)<input
          name="max_wait_sec"
          type="number"
          min="1"
          max="86400"
          defaultValue=${q.max_wait_sec ?? ''}
      /></label>
    </div>
    <div class="row">
      <label
        >${t('wrapupSec')}<input
          name="wrap_up_sec"
          type="number"
          min="0"
          max="3600"
          defaultValue=${q.wrap_up_sec}
      /></label>
      <label
        >${t('ringTimeout')}<input
          name="ring_timeout_sec"
          type="number"
          min="5"
          max="300"
          defaultValue=${q.ring_timeout_sec}
      /></label>
    </div>
    <div class="row">
      <label
        >${t('serviceLevel')} (s)<input
          name="service_level_sec"
          type="number"
          min="1"
          max="3600"
          defaultValue=${q.service_level_sec}
      /></label>
      <label
        >${t('overflow')}<input
          name="overflow"
          maxlength="100"
          defaultValue=${q.overflow ?? ''}
          placeholder="queue:2, 0901234567…"
      /></label>
    </div>
    <label class="check"
      ><input type="checkbox" name="announce_position" defaultChecked=${q.announce_position} />
      ${t('announce')}</label
    >
    <div class="row">
      <label
        >${t('moh')}<select name="moh" value=${moh} onChange=${(e) => setMoh(e.currentTarget.value)}>
          <option value="">${t('default')}</option>
          ${files.map((f) => html`<option value=${f.name}>${f.name} (${duration(f.duration_ms / 1000)})</option>`)}
        </select></label
      >
      <${MohUpload} onUploaded=${setMoh} />
    </div>
    <${PriorityPicker}
      heading=${t('agent')}
      rowKey="agent"
      items=${agents.map((a) => ({ id: a.agent_id, name: a.name, sub: a.extension }))}
      value=${list.map((m) => ({ id: m.agent_id, priority: m.priority }))}
      onChange=${(next) => setMembers(next.map((m) => ({ agent_id: m.id, priority: m.priority })))}
    />
    <${QueueSkillFields} state=${skills} onChange=${setSkills} />
  <//>`;
}

export function Queues() {
  const data = useLive(() => Promise.all([api('/queues'), api('/agents')]));
  const [editing, setEditing] = useState(null);
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [{ queues }, { agents }] = data;
  const admin = can('admin');
  const q = editing && queues.find((x) => x.queue_id === editing);
  return html`<div class="panel">
    ${q && html`<${QueueDialog} q=${q} agents=${agents.filter((a) => a.active)} onClose=${() => setEditing(null)} />`}
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
          <th>${t('overflow')}</th>
          <th>${t('moh')}</th>
          ${admin && html`<th></th>`}
        </tr>
      </thead>
      <tbody>
        ${queues.map(
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
              <td class="small">${q.overflow ?? '—'}</td>
              <td class="small">${q.moh ?? '—'}</td>
              ${
                admin &&
                html`<td>
                  <button class="ghost edit" onClick=${() => setEditing(q.queue_id)}>${t('edit')}</button>
                </td>`
              }
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
