import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';

const LEVELS = [1, 2, 3, 4, 5];

/**
 * The tenant's skills and the list at `path` (`key`: `skills` or `requirements`), loaded once: the dialog edits
 * its own copy. Returns [state, setValue, touched].
 */
export function useSkillList(path, key) {
  const [state, setState] = useState(null);
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    let live = true;
    Promise.all([api('/skills'), api(path)]).then(
      ([{ skills }, current]) => live && setState({ skills, value: current[key] }),
      (e) => live && setState({ error: e.message }),
    );
    return () => void (live = false);
  }, [path]);
  const setValue = (value) => {
    setTouched(true);
    setState((s) => ({ ...s, value }));
  };
  return [state, setValue, touched];
}

function Frame({ state, children }) {
  if (!state) return html`<div class="muted">…</div>`;
  if (state.error) return html`<div class="alert">${state.error}</div>`;
  return html`<fieldset class="skills">
    <legend>${t('skills')}</legend>
    ${state.skills.length === 0 ? html`<p class="muted small">${t('noSkills')}</p>` : children}
  </fieldset>`;
}

const LevelSelect = ({ value, onChange, label }) =>
  html`<select
    aria-label=${label}
    value=${String(value)}
    onChange=${(e) => onChange(Number(e.currentTarget.value))}
  >
    <option value="0">—</option>
    ${LEVELS.map((n) => html`<option value=${String(n)}>${n}</option>`)}
  </select>`;

/** An agent's proficiency (1–5, or none) in each of the tenant's skills; value: [{skill_id, proficiency}]. */
export function AgentSkillFields({ state, onChange }) {
  const list = state?.value ?? [];
  const set = (id, p) =>
    onChange([
      ...list.filter((s) => s.skill_id !== id),
      ...(p > 0 ? [{ skill_id: id, proficiency: p }] : []),
    ]);
  return html`<${Frame} state=${state}>
    <div class="skill-grid">
      ${state?.skills?.map(
        (s) =>
          html`<label data-skill=${s.skill_id}
            >${s.name}
            <${LevelSelect}
              label=${`${s.name} · ${t('proficiency')}`}
              value=${list.find((x) => x.skill_id === s.skill_id)?.proficiency ?? 0}
              onChange=${(p) => set(s.skill_id, p)}
          /></label>`,
      )}
    </div>
  <//>`;
}

/**
 * A queue's requirement per skill: the minimum (or none) and the wait after which it is dropped (empty = never).
 * Rows set through the API with several relax steps keep them until the row is edited here.
 */
export function QueueSkillFields({ state, onChange }) {
  const list = state?.value ?? [];
  const put = (id, row) => onChange([...list.filter((r) => r.skill_id !== id), ...(row ? [row] : [])]);
  return html`<${Frame} state=${state}>
    <table class="grid skill-reqs">
      <thead>
        <tr>
          <th>${t('skills')}</th>
          <th>${t('minProficiency')}</th>
          <th>${t('relaxAfter')}</th>
        </tr>
      </thead>
      <tbody>
        ${state?.skills?.map((s) => {
          const r = list.find((x) => x.skill_id === s.skill_id);
          const last = r?.relax?.at(-1);
          const dropAfter = last && last.min_proficiency === 0 ? last.after_sec : '';
          const row = (min, after) =>
            put(
              s.skill_id,
              min > 0
                ? {
                    skill_id: s.skill_id,
                    min_proficiency: min,
                    relax: after > 0 ? [{ after_sec: after, min_proficiency: 0 }] : [],
                  }
                : null,
            );
          return html`<tr data-skill=${s.skill_id}>
            <td>${s.name}</td>
            <td>
              <${LevelSelect}
                label=${`${s.name} · ${t('minProficiency')}`}
                value=${r?.min_proficiency ?? 0}
                onChange=${(m) => row(m, Number(dropAfter) || 0)}
              />
            </td>
            <td>
              <input
                type="number"
                min="1"
                max="86400"
                aria-label=${`${s.name} · ${t('relaxAfter')}`}
                disabled=${!r}
                value=${dropAfter}
                onChange=${(e) => row(r.min_proficiency, Number(e.currentTarget.value))}
              />
              ${r?.relax?.length > 1 && html`<span class="muted small"> ${t('relaxSteps', { n: r.relax.length })}</span>`}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  <//>`;
}

/** The list as the API takes it (the names are for display only). */
export const agentSkillsBody = (list) => ({
  skills: list.map((s) => ({ skill_id: s.skill_id, proficiency: s.proficiency })),
});
export const queueSkillsBody = (list) => ({
  requirements: list.map((r) => ({
    skill_id: r.skill_id,
    min_proficiency: r.min_proficiency,
    relax: r.relax ?? [],
  })),
});
