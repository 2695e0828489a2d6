import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import type { FakeClock } from '../../src/clock.js';
import { STRONG, assertError, assertOk, omi } from './helpers.js';

// Directory reads: GET /api/agent/list, POST /api/v2/agent/search, POST /api/v3/agent/search,
// POST /api/v2/agent/get-by-email. The demo tenant has 3 agents; 9 more are invited here (12 in all).

let s: TestServer;
let api: ReturnType<typeof omi>;
const PAGING = [
  'has_next',
  'has_previous',
  'items',
  'next_page',
  'page_number',
  'page_size',
  'previous_page',
  'total_items',
  'total_pages',
];

before(async () => {
  s = await startTestServer();
  api = omi(s);
  const clock = s.clock as FakeClock;
  for (let i = 1; i <= 9; i++) {
    clock.advance(1000);
    const res = await api.post('/api/agent/invite', {
      full_name: `Nhân viên ${i}`,
      identify_info: `nv${i}@acme.vn`,
      password: STRONG,
    });
    assertOk(res);
  }
  await s.t.ctx.db
    .updateTable('agents')
    .set({
      phone: '0987654321',
      gender: 'female',
      attributes: JSON.stringify({ avatar: 'a.jpg', job_title: 'Lead', note: 'hi', more_infomation: ['x'] }),
    })
    .where('email', '=', 'nv5@acme.vn')
    .execute();
});
after(() => s.close());

test('GET /api/agent/list: first page with the document paging fields and v1 attribute_structure', async () => {
  const p = assertOk(await api.get('/api/agent/list?size=5'));
  assert.deepEqual(Object.keys(p).sort(), PAGING);
  assert.deepEqual(
    [
      p.page_number,
      p.page_size,
      p.total_items,
      p.total_pages,
      p.has_next,
      p.next_page,
      p.has_previous,
      p.previous_page,
    ],
    [1, 5, 12, 3, true, 2, false, 1],
  );
  assert.equal(p.items.length, 5);
  const first = p.items[0];
  assert.equal(first.identify_info, 'nv9@acme.vn', 'newest first by default');
  assert.deepEqual(first.create_by, { name: `Open API (token ${first.create_by.name.match(/\d+/)[0]})` });
  assert.equal(first.contact_type, 'agent');
  assert.equal(first.is_active, true);
  assert.equal(first.is_deleted, false);
  assert.equal(typeof first.created_date, 'number');
  assert.deepEqual(
    first.attribute_structure.map((a: any) => a.field_code),
    ['full_name', 'mail', 'gender', 'phone_number'],
  );
  assert.deepEqual(first.attribute_structure[1].value, [
    { display_value: 'nv9@acme.vn', data_type: 'personal', value_type: 'Cá nhân' },
  ]);
});

test('GET /api/agent/list: last page, a page past the end, default size and keyword over name, email, phone', async () => {
  const last = assertOk(await api.get('/api/agent/list?size=5&page=3'));
  assert.equal(last.items.length, 2);
  assert.deepEqual(
    [last.has_next, last.next_page, last.has_previous, last.previous_page],
    [false, 3, true, 2],
  );
  const past = assertOk(await api.get('/api/agent/list?size=5&page=7'));
  assert.deepEqual([past.items.length, past.has_next, past.next_page, past.previous_page], [0, false, 7, 3]);
  const all = assertOk(await api.get('/api/agent/list'));
  assert.deepEqual([all.page_size, all.items.length, all.total_pages, all.has_next], [50, 12, 1, false]);
  const byName = assertOk(await api.get(`/api/agent/list?keyword=${encodeURIComponent('NHÂN VIÊN 3')}`));
  assert.deepEqual(
    byName.items.map((i: any) => i.identify_info),
    ['nv3@acme.vn'],
    'case-insensitive',
  );
  const byEmail = assertOk(await api.get('/api/agent/list?keyword=NV7@ACME'));
  assert.deepEqual(
    byEmail.items.map((i: any) => i.identify_info),
    ['nv7@acme.vn'],
  );
  const byPhone = assertOk(await api.get('/api/agent/list?keyword=98765'));
  assert.deepEqual(
    byPhone.items.map((i: any) => i.identify_info),
    ['nv5@acme.vn'],
  );
  const female = byPhone.items[0].attribute_structure[2].value[0];
  assert.deepEqual(female, { display_value: 'female', data_type: 'female', value_type: 'Nữ' });
  const wildcard = assertOk(await api.get('/api/agent/list?keyword=%25'));
  assert.equal(wildcard.total_items, 0, 'LIKE wildcards are literal');
  const empty = assertOk(await api.get('/api/agent/list?keyword=nobody-here'));
  assert.deepEqual(
    [empty.total_items, empty.total_pages, empty.has_next, empty.next_page, empty.previous_page],
    [0, 0, false, 1, 1],
  );
});

test('GET /api/agent/list: invalid paging is a 400 invalid_request naming the field', async () => {
  assertError(await api.get('/api/agent/list?page=0'), 400, 'invalid_request', /page/);
  assertError(await api.get('/api/agent/list?size=51'), 400, 'invalid_request', /size must be <= 50/);
  assertError(await api.get('/api/agent/list?size=abc'), 400, 'invalid_request', /size/);
});

test('POST /api/v3/agent/search: filters, sort and the eleven v3 attributes', async () => {
  const p = assertOk(
    await api.v3('/api/v3/agent/search?page=1&size=50', {
      filter: { emails: ['NV5@acme.vn', 'nv6@acme.vn'] },
      sort: { field: 'created_date', isAsc: true },
    }),
  );
  assert.deepEqual(Object.keys(p).sort(), [...PAGING, 'extension', 'max_size'].sort());
  assert.deepEqual(
    p.items.map((i: any) => i.identify_info),
    ['nv5@acme.vn', 'nv6@acme.vn'],
  );
  const nv5 = p.items[0];
  // The document's 24-hex ids: the first 24 characters of the agent's 32-hex uid.
  assert.match(nv5._id, /^[0-9a-f]{24}$/);
  const nv5Row = await s.t.ctx.db
    .selectFrom('agents')
    .select('uid')
    .where('email', '=', 'nv5@acme.vn')
    .executeTakeFirstOrThrow();
  assert.equal(nv5._id, nv5Row.uid.slice(0, 24));
  assert.equal(nv5.user_owner_email, null);
  assert.deepEqual(
    nv5.attribute_structure.map((a: any) => `${a.field_code}:${a.field_type}`),
    [
      'full_name:single_text',
      'mail:email',
      'gender:radio',
      'phone_number:phone',
      'avatar:image',
      'job_title:single_text',
      'passport:single_text',
      'address:single_text',
      'more_infomation:customize',
      'note:multi_text',
      'birthday:date',
    ],
  );
  const v = Object.fromEntries(nv5.attribute_structure.map((a: any) => [a.field_code, a.value]));
  assert.deepEqual(v.avatar, [{ display_value: 'a.jpg', data_type: null, value_type: null }]);
  assert.deepEqual(v.phone_number, [
    { display_value: '0987654321', data_type: 'personal', value_type: null },
  ]);
  assert.deepEqual(v.passport, [{ display_value: '', data_type: null, value_type: null }]);
  assert.deepEqual(v.more_infomation, [{ display_value: 'x', data_type: null, value_type: null }]);
  const ext = assertOk(
    await api.v3('/api/v3/agent/search', {
      filter: { extensions: ['1001', '1002'], phones: ['0901000002'] },
    }),
  );
  assert.deepEqual(
    ext.items.map((i: any) => i.identify_info),
    ['minh@demo.tongdai.local'],
    'lists combine with AND',
  );
  const byName = assertOk(
    await api.v3('/api/v3/agent/search?size=3&page=4', { sort: { field: 'full_name', isAsc: true } }),
  );
  assert.deepEqual(
    [byName.items.length, byName.total_pages, byName.has_next, byName.next_page, byName.previous_page],
    [3, 4, false, 4, 3],
  );
  assert.equal(byName.items[2].attribute_structure[0].value[0].display_value, 'Trần Văn Minh');
  const noBody = assertOk(await api.v3('/api/v3/agent/search?size=1'));
  assert.deepEqual(
    [noBody.total_items, noBody.total_pages, noBody.has_next, noBody.next_page],
    [12, 12, true, 2],
  );
});

test('POST /api/v3/agent/search: size outside 1–50 and unknown sort fields are refused', async () => {
  assertError(await api.v3('/api/v3/agent/search?size=0', {}), 400, 'invalid_request', /size must be >= 1/);
  assertError(await api.v3('/api/v3/agent/search?size=51', {}), 400, 'invalid_request', /size must be <= 50/);
  assertError(
    await api.v3('/api/v3/agent/search', { sort: { field: 'password_hash' } }),
    400,
    'sort_field_invalid',
    /created_date/,
  );
  assertError(
    await api.v3('/api/v3/agent/search', { filter: { emails: 'a@b.c' } }),
    400,
    'invalid_request',
    /emails/,
  );
});

test('POST /api/v2/agent/search: v2 items carry SIP credentials; filters and paging', async () => {
  const p = assertOk(await api.post('/api/v2/agent/search?page=1&size=2', { extensions: ['1001'] }));
  assert.deepEqual(Object.keys(p).sort(), PAGING);
  assert.equal(p.items.length, 1);
  const lan = p.items[0];
  assert.deepEqual(Object.keys(lan).sort(), [
    'contact_id',
    'email',
    'full_name',
    'id',
    'pbx_account',
    'phone',
    'tenant_id',
  ]);
  const demoLan = s.demo.agents.find((a) => a.extension === '1001')!;
  assert.deepEqual(lan.pbx_account, { sip_user: '1001', sip_password: demoLan.sip_password });
  const tenant = await s.t.ctx.db
    .selectFrom('tenants')
    .select('account_id')
    .where('id', '=', s.demo.tenant_id)
    .executeTakeFirstOrThrow();
  assert.equal(lan.tenant_id, tenant.account_id.slice(0, 24));
  assert.match(lan.id, /^[0-9a-f]{24}$/);
  assert.equal(lan.contact_id, lan.id);
  const page2 = assertOk(
    await api.post('/api/v2/agent/search?page=2&size=5', { sort: { field: 'extension', isAsc: true } }),
  );
  assert.deepEqual(
    page2.items.map((i: any) => i.pbx_account.sip_user),
    ['1006', '1007', '1008', '1009', '1010'],
  );
  assert.deepEqual(
    [page2.has_next, page2.next_page, page2.has_previous, page2.previous_page],
    [true, 3, true, 1],
  );
  const empty = assertOk(await api.post('/api/v2/agent/search', { phones: ['000'] }));
  assert.deepEqual(
    [empty.items.length, empty.total_items, empty.total_pages, empty.has_next],
    [0, 0, 0, false],
  );
  assertError(await api.post('/api/v2/agent/search?size=100', {}), 400, 'invalid_request', /size/);
});

test('POST /api/v2/agent/get-by-email: the agent with its SIP account; unknown email is agent_not_found', async () => {
  const p = assertOk(await api.post('/api/v2/agent/get-by-email', { email: 'Minh@Demo.Tongdai.Local' }));
  assert.equal(p.email, 'minh@demo.tongdai.local');
  assert.equal(p.full_name, 'Trần Văn Minh');
  assert.equal(p.phone, '0901000002');
  assert.equal(p.pbx_account.sip_user, '1002');
  assertError(
    await api.post('/api/v2/agent/get-by-email', { email: 'ghost@acme.vn' }),
    404,
    'agent_not_found',
  );
  assertError(
    await api.post('/api/v2/agent/get-by-email', {}),
    400,
    'invalid_request',
    /"email" is required/,
  );
});
