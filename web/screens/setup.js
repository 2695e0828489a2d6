import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api, can } from '../api.js';
import { t } from '../i18n.js';
import { useLive } from './use-live.js';
import { Alert, resetForm, submitter, useAction } from './ui.js';

function Statuses({ statuses, admin }) {
  const { error, busy, run } = useAction();
  const [renaming, setRenaming] = useState(null);
  const add = submitter(
    run,
    (f) => api('/statuses', { method: 'POST', body: { name: f.name, is_ready: f.is_ready } }),
    resetForm,
  );
  const rename = (s) =>
    submitter(
      run,
      (f) => api(`/statuses/${s.id}`, { method: 'PATCH', body: { name: f.name } }),
      () => setRenaming(null),
    );
  return html`<section class="panel statuses">
    <div class="section-head"><h3>${t('statuses')}</h3></div>
    <table class="grid">
      <thead>
        <tr>
          <th>${t('name')}</th>
          <th>${t('kind')}</th>
          <th class="center">${t('takesCalls')}</th>
          ${admin && html`<th></th>`}
        </tr>
      </thead>
      <tbody>
        ${statuses.map(
          (s) =>
            html`<tr data-status=${s.name}>
              <td>
                ${
                  renaming === s.id
                    ? html`<form class="inline-form tight" onSubmit=${rename(s)}>
                        <input name="name" defaultValue=${s.name} maxlength="100" required />
                        <button class="primary" type="submit">${t('save')}</button>
                      </form>`
                    : html`<span class="strong">${s.name}</span>`
                }
              </td>
              <td><span class="tag">${t(s.kind === 'custom' ? 'custom' : 'system')}</span></td>
              <td class="center">
                ${
                  s.kind === 'custom'
                    ? html`<input
                        type="checkbox"
                        aria-label=${`${t('takesCalls')} ${s.name}`}
                        checked=${s.is_ready}
                        disabled=${!admin || busy}
                        onChange=${(e) =>
                          run(
                            api(`/statuses/${s.id}`, {
                              method: 'PATCH',
                              body: { is_ready: e.currentTarget.checked },
                            }),
                          )}
                      />`
                    : '—'
                }
              </td>
              ${
                admin &&
                html`<td>
                  ${
                    s.kind === 'custom' &&
                    html`<button class="ghost" onClick=${() => setRenaming(s.id)}>${t('rename')}</button>
                      <button
                        class="ghost danger"
                        onClick=${() => run(api(`/statuses/${s.id}`, { method: 'DELETE' }))}
                      >
                        ${t('delete')}
                      </button>`
                  }
                </td>`
              }
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      admin &&
      html`<form class="inline-form add-status" onSubmit=${add}>
        <label
          >${t('newStatus')}<input name="name" required maxlength="100" placeholder=${t('statusExample')}
        /></label>
        <label class="check"><input type="checkbox" name="is_ready" /> ${t('takesCalls')}</label>
        <button class="primary" type="submit" disabled=${busy}>${t('add')}</button>
      </form>`
    }
    <${Alert} error=${error} />
  </section>`;
}

function Teams({ teams, agents, admin }) {
  const { error, busy, run } = useAction();
  const name = new Map(agents.map((a) => [a.agent_id, a.name]));
  const add = submitter(run, (f) => api('/teams', { method: 'POST', body: { name: f.name } }), resetForm);
  const addMember = (team, id) =>
    id && run(api(`/teams/${team.team_id}/members`, { method: 'POST', body: { agent_ids: [Number(id)] } }));
  return html`<section class="panel teams">
    <div class="section-head"><h3>${t('teams')}</h3></div>
    ${teams.length === 0 && html`<div class="muted empty">${t('noTeams')}</div>`}
    ${teams.map(
      (team) =>
        html`<div class="team" data-team=${team.name}>
          <div class="section-head">
            <span class="strong"
              >${team.name} <span class="muted small">(${team.agent_ids.length})</span></span
            >
            ${
              admin &&
              html`<button
                class="ghost danger"
                onClick=${() => run(api(`/teams/${team.team_id}`, { method: 'DELETE' }))}
              >
                ${t('delete')}
              </button>`
            }
          </div>
          <div class="chips">
            ${team.agent_ids.map(
              (id) =>
                html`<span class="tag"
                  >${name.get(id) ?? id}
                  ${
                    admin &&
                    html`<button
                      class="chip-x"
                      aria-label=${t('remove')}
                      onClick=${() => run(api(`/teams/${team.team_id}/members/${id}`, { method: 'DELETE' }))}
                    >
                      ×
                    </button>`
                  }</span
                >`,
            )}
            ${
              admin &&
              html`<select
                aria-label=${`${t('addMember')} ${team.name}`}
                value=""
                onChange=${(e) => addMember(team, e.currentTarget.value)}
              >
                <option value="">+ ${t('addMember')}</option>
                ${agents
                  .filter((a) => !team.agent_ids.includes(a.agent_id))
                  .map((a) => html`<option value=${a.agent_id}>${a.name}</option>`)}
              </select>`
            }
          </div>
        </div>`,
    )}
    ${
      admin &&
      html`<form class="inline-form add-team" onSubmit=${add}>
        <label>${t('newTeam')}<input name="name" required maxlength="100" /></label>
        <button class="primary" type="submit" disabled=${busy}>${t('add')}</button>
      </form>`
    }
    <${Alert} error=${error} />
  </section>`;
}

/** Statuses and teams: supervisors read them, admins change them. */
export function Setup() {
  const data = useLive(() => Promise.all([api('/statuses'), api('/teams'), api('/agents')]));
  if (!data) return html`<div class="muted">…</div>`;
  if (data.error) return html`<div class="alert">${data.error.message}</div>`;
  const [{ statuses }, { teams }, { agents }] = data;
  const admin = can('admin');
  return html`<div class="cols">
    <${Statuses} statuses=${statuses} admin=${admin} />
    <${Teams} teams=${teams} agents=${agents.filter((a) => a.active)} admin=${admin} />
  </div>`;
}
