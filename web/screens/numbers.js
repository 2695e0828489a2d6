import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { useLive } from './use-live.js';
import { Alert, Grid, resetForm, submitter, useAction } from './ui.js';

/** Numbers (DID/hotlines → queue or agent) and SIP trunks. Admin only. */
export function Numbers() {
  const data = useLive(() =>
    Promise.all([api('/numbers'), api('/queues'), api('/agents'), api('/ivr/flows')]),
  );
  const { error, busy, run } = useAction();
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [{ numbers, trunks }, { queues }, { agents }, { flows }] = data;
  const flowName = new Map(flows.map((f) => [f.id, f.name]));
  const queueName = new Map(queues.map((q) => [q.queue_id, q.name]));
  const agentName = new Map(agents.map((a) => [a.agent_id, a.name]));
  const trunkName = new Map(trunks.map((x) => [x.id, x.name]));
  const addNumber = submitter(
    run,
    (f) => {
      const [type, id] = f.target.split(':');
      const body = {
        number: f.number,
        target_type: type,
        target_id: Number(id),
        trunk_id: f.trunk ? Number(f.trunk) : null,
      };
      return api('/numbers', { method: 'POST', body });
    },
    resetForm,
  );
  const addTrunk = submitter(
    run,
    (f) => {
      const body = {
        name: f.name,
        host: f.host,
        port: f.port ?? 5060,
        transport: f.transport,
        allowed_ips: f.allowed_ips.split(/[\s,]+/).filter(Boolean),
      };
      if (f.username) body.username = f.username;
      if (f.password) body.password = f.password;
      return api('/trunks', { method: 'POST', body });
    },
    resetForm,
  );
  // A number pointed to an IVR flow (from the flows screen or the API) shows the flow, linked to its editor.
  const target = (n) =>
    n.targetType === 'ivr'
      ? html`<a href="#/flows">${t('flow')}: ${flowName.get(n.targetId) ?? n.targetId}</a>`
      : n.targetType === 'queue'
        ? `${t('queue')}: ${queueName.get(n.targetId) ?? n.targetId}`
        : `${t('agent')}: ${agentName.get(n.targetId) ?? n.targetId}`;
  return html`<div>
    <${Alert} error=${error} />
    <div class="cols">
      <section class="panel numbers">
        <div class="section-head"><h3>${t('numbers')}</h3></div>
        <${Grid}
          head=${[t('number'), t('routesTo'), t('trunk'), '']}
          rows=${numbers.map(
            (n) =>
              html`<tr data-number=${n.number}>
                <td class="mono strong">${n.number}</td>
                <td>${target(n)}</td>
                <td>${n.trunkId ? (trunkName.get(n.trunkId) ?? n.trunkId) : '—'}</td>
                <td>
                  <button
                    class="ghost danger"
                    onClick=${() => run(api(`/numbers/${n.id}`, { method: 'DELETE' }))}
                  >
                    ${t('delete')}
                  </button>
                </td>
              </tr>`,
          )}
        />
        <form class="inline-form add-number" onSubmit=${addNumber}>
          <label
            >${t('number')}<input name="number" required inputmode="tel" placeholder="02873001234"
          /></label>
          <label
            >${t('routesTo')}<select name="target" required>
              ${queues.map((q) => html`<option value=${`queue:${q.queue_id}`}>${t('queue')}: ${q.name}</option>`)}
              ${agents
                .filter((a) => a.active)
                .map((a) => html`<option value=${`agent:${a.agent_id}`}>${t('agent')}: ${a.name}</option>`)}
            </select></label
          >
          <label
            >${t('trunk')}<select name="trunk">
              <option value="">—</option>
              ${trunks.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
            </select></label
          >
          <button class="primary" type="submit" disabled=${busy}>${t('add')}</button>
        </form>
      </section>
      <section class="panel trunks">
        <div class="section-head"><h3>${t('trunks')}</h3></div>
        <${Grid}
          head=${[t('name'), t('host'), t('allowedIps'), t('auth'), '']}
          rows=${trunks.map(
            (x) =>
              html`<tr data-trunk=${x.name}>
                <td class="strong">${x.name}</td>
                <td class="mono">${x.host}:${x.port}/${x.transport}</td>
                <td class="small mono">${x.allowedIps.join(', ') || '—'}</td>
                <td>${x.username ? html`${x.username}${x.hasPassword ? ' · ••••' : ''}` : '—'}</td>
                <td>
                  <button
                    class="ghost danger"
                    onClick=${() => run(api(`/trunks/${x.id}`, { method: 'DELETE' }))}
                  >
                    ${t('delete')}
                  </button>
                </td>
              </tr>`,
          )}
        />
        <form class="form add-trunk" onSubmit=${addTrunk}>
          <div class="row">
            <label>${t('name')}<input name="name" required maxlength="100" /></label>
            <label>${t('host')}<input name="host" required placeholder="sip.carrier.vn" /></label>
          </div>
          <div class="row">
            <label
              >${t('port')}<input name="port" type="number" min="1" max="65535" placeholder="5060"
            /></label>
            <label
              >${t('transport')}<select name="transport">
                <option value="udp">UDP</option>
                <option value="tcp">TCP</option>
              </select></label
            >
          </div>
          <label
            >${t('allowedIps')}<input name="allowed_ips" placeholder="203.0.113.10, 203.0.113.11"
          /></label>
          <div class="row">
            <label>${t('username')}<input name="username" autocomplete="off" /></label>
            <label
              >${t('password')}<input name="password" type="password" autocomplete="new-password"
            /></label>
          </div>
          <div class="actions">
            <button class="primary" type="submit" disabled=${busy}>${t('addTrunk')}</button>
          </div>
        </form>
      </section>
    </div>
  </div>`;
}
