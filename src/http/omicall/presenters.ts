import type { Agent, Tenant } from '../../store/schema.js';

// Presenters: the shapes of the OmiCall document, built from the one agent row every family shares.

/**
 * OmiCall's ids are 24 hex characters (Mongo ObjectId-shaped). An agent's is the first 24 characters of its 32-hex
 * `uid` (the id the AntBuddy family shows), so the internal id stays the only one stored; lookups accept either
 * (getAgentByUid). Roles and service packages already have 24-hex uids.
 */
export const omicallAgentId = (a: Pick<Agent, 'uid'>): string => a.uid.slice(0, 24);
/** The tenant's id in OmiCall answers: the first 24 characters of its 32-hex `account_id`. */
export const omicallTenantId = (t: Pick<Tenant, 'account_id'>): string => t.account_id.slice(0, 24);

type Value = { display_value: unknown; data_type: string | null; value_type: string | null };
type Attribute = { identify: null; field_code: string; field_type: string; value: Value[] };

const GENDER_VI: Record<string, string> = { male: 'Nam', female: 'Nữ', other: 'Khác' };

export function attributesOf(agent: Pick<Agent, 'attributes'>): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(agent.attributes);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const attr = (field_code: string, field_type: string, value: Value[]): Attribute => ({
  identify: null,
  field_code,
  field_type,
  value,
});
const one = (
  display_value: unknown,
  data_type: string | null = null,
  value_type: string | null = null,
): Value[] => [{ display_value, data_type, value_type }];
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** The v1 list's four attributes, with its Vietnamese value types. */
export function attributeStructureV1(a: Agent): Attribute[] {
  const g = a.gender;
  return [
    attr('full_name', 'single_text', one(a.name, 'single_text')),
    attr('mail', 'email', one(a.email, 'personal', 'Cá nhân')),
    attr('gender', 'radio', one(g, g, g ? (GENDER_VI[g] ?? null) : null)),
    attr('phone_number', 'phone', one(a.phone, 'personal', 'Cá nhân')),
  ];
}

/** The v3 search's eleven attributes; the extra ones come from the agent's `attributes` object. */
export function attributeStructureV3(a: Agent): Attribute[] {
  const x = attributesOf(a);
  const more = Array.isArray(x.more_infomation) ? x.more_infomation : [];
  return [
    attr('full_name', 'single_text', one(a.name)),
    attr('mail', 'email', one(a.email, 'personal')),
    attr('gender', 'radio', one(a.gender)),
    attr('phone_number', 'phone', one(a.phone, 'personal')),
    attr('avatar', 'image', one(text(x.avatar))),
    attr('job_title', 'single_text', one(text(x.job_title))),
    attr('passport', 'single_text', one(text(x.passport))),
    attr('address', 'single_text', one(text(x.address))),
    attr(
      'more_infomation',
      'customize',
      more.map((m) => ({ display_value: m, data_type: null, value_type: null })),
    ),
    attr('note', 'multi_text', one(text(x.note))),
    attr('birthday', 'date', one(text(x.birthday))),
  ];
}

/** One item of the v1 list (v3 adds `_id` and `user_owner_email` and the longer attribute list). */
export function directoryItem(a: Agent, version: 'v1' | 'v3') {
  const common = {
    create_by: { name: a.created_by ?? 'system' },
    last_update_by: { name: a.updated_by ?? a.created_by ?? 'system' },
    created_date: a.created_at,
    last_updated_date: a.updated_at,
    public_id: null,
    contact_type: 'agent',
    tags_view: [],
    is_deleted: a.deleted_at !== null,
    tags: [],
    is_active: a.is_active === 1,
    identify_info: a.email,
  };
  if (version === 'v1') return { ...common, attribute_structure: attributeStructureV1(a) };
  return {
    _id: omicallAgentId(a),
    ...common,
    user_owner_email: a.owner_email,
    attribute_structure: attributeStructureV3(a),
  };
}

/** The compact agent of get-by-email and the v2 search. */
export function agentSummary(a: Agent, sipPassword: string, tenantId: string) {
  return {
    id: omicallAgentId(a),
    tenant_id: tenantId,
    contact_id: omicallAgentId(a),
    email: a.email,
    phone: a.phone,
    full_name: a.name,
    pbx_account: { sip_user: a.extension, sip_password: sipPassword },
  };
}
