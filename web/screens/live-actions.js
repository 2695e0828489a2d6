import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { FormDialog, submitter, useAction } from './ui.js';

const KINDS = [
  ['agent_id', 'toAgent'],
  ['extension', 'toExtension'],
  ['number', 'toNumber'],
  ['queue_id', 'toQueue'],
];

/**
 * A supervisor's actions on one live call (from the wallboard): hang up; blind transfer to an agent, extension,
 * number or queue (the caller waits in it again); listen / whisper / barge, which ring the supervisor's own registered phone. A call still waiting in a
 * queue can only be hung up.
 */
export function CallActions({ call, agents, queues = [], onClose }) {
  const action = useAction();
  const [kind, setKind] = useState('agent_id');
  const [monitor, setMonitor] = useState(null);
  const path = `/live-calls/${encodeURIComponent(call.callId)}`;
  const hangup = async () => {
    if (await action.run(api(`${path}/hangup`, { method: 'POST' }))) onClose();
  };
  const watch = async (mode) => {
    const r = await action.run(api(`${path}/monitor`, { method: 'POST', body: { mode } }));
    if (r) setMonitor(r.status === 'stopped' ? null : r);
  };
  const transfer = submitter(
    action.run,
    (f) =>
      api(`${path}/transfer`, {
        method: 'POST',
        body: { [f.kind]: f.kind === 'agent_id' || f.kind === 'queue_id' ? Number(f.target) : f.target },
      }),
    onClose,
  );
  // Ready agents first; an offline one stays listed (the engine refuses it with its own message).
  const rank = (a) => (a.presence === 'ready' ? 0 : a.presence === 'offline' ? 2 : 1);
  const others = agents.filter((a) => a.agentId !== call.agentId).sort((x, y) => rank(x) - rank(y));
  return html`<${FormDialog}
    title=${`${t('callActions')} · ${call.caller}`}
    onClose=${onClose}
    formClass="call-actions"
    action=${action}
    onSubmit=${call.agentName ? transfer : undefined}
    submitLabel=${t('transfer')}
    extra=${html`<button type="button" class="danger hangup" onClick=${hangup} disabled=${action.busy}>
      ${t('hangUp')}
    </button>`}
  >
    <div class="muted small">
      ${call.agentName ? `${t('agent')}: ${call.agentName}` : t('waitingCallHint')}
      ${call.queueName && ` · ${t('queue')}: ${call.queueName}`}
    </div>
    ${
      call.agentName &&
      html`<div class="monitor-row">
          ${['listen', 'whisper', 'barge'].map(
            (m) =>
              html`<button
                type="button"
                class=${`ghost monitor ${monitor?.mode === m ? 'on' : ''}`}
                data-mode=${m}
                disabled=${action.busy}
                onClick=${() => watch(m)}
              >
                ${t(m)}
              </button>`,
          )}
          ${
            monitor &&
            html`<button type="button" class="ghost" onClick=${() => watch('off')}>
                ${t('stopMonitor')}
              </button>
              <span class="muted small monitor-state"
                >${monitor.status === 'ringing_supervisor' ? t('monitorRinging') : t('monitoring', { mode: t(monitor.mode) })}</span
              >`
          }
        </div>
        <div class="row">
          <label
            >${t('transferTo')}<select
              name="kind"
              value=${kind}
              onChange=${(e) => setKind(e.currentTarget.value)}
            >
              ${KINDS.map(([k, label]) => html`<option value=${k}>${t(label)}</option>`)}
            </select></label
          >
          <label
            >${t('target')}${
              kind === 'agent_id'
                ? html`<select name="target" required>
                    ${others.map((a) => html`<option value=${a.agentId}>${a.name} (${a.extension})</option>`)}
                  </select>`
                : kind === 'queue_id'
                  ? html`<select name="target" required>
                      ${queues.map((q) => html`<option value=${q.queueId}>${q.name}</option>`)}
                    </select>`
                  : html`<input
                      name="target"
                      required
                      inputmode="tel"
                      pattern=${kind === 'extension' ? '[0-9]+' : '\\+?[0-9 ().\\-]+'}
                    />`
            }</label
          >
        </div>`
    }
  <//>`;
}
