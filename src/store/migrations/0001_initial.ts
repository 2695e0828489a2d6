import { type Kysely, sql } from 'kysely';
import { type Dialect, type PortableMigration, notNull, withId } from './helpers.js';

/** The whole domain of DESIGN.md: tenants, credentials, directory, queues, numbers, calls, webhooks. */
export const initial: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    const s = db.schema;
    await s
      .createTable('tenants')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', notNull)
      .addColumn('account_id', 'text', (c) => c.notNull().unique())
      .addColumn('sip_domain', 'text', (c) => c.notNull().unique())
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_concurrent_calls', 'integer', (c) => c.notNull().defaultTo(100))
      .addColumn('max_calls_per_second', 'integer', (c) => c.notNull().defaultTo(20))
      .addColumn('allow_international', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('allow_premium', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rate_limit_tenant', 'integer')
      .addColumn('rate_limit_route', 'integer')
      .addColumn('recording_retention_days', 'integer', (c) => c.notNull().defaultTo(90))
      .addColumn('created_at', 'bigint', notNull)
      .execute();

    await withId(s.createTable('api_keys'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('prefix', 'text', notNull)
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('revoked_at', 'bigint')
      .execute();
    await s.createIndex('api_keys_tenant').on('api_keys').columns(['tenant_id', 'id']).execute();

    await withId(s.createTable('app_credentials'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('app_id', 'text', (c) => c.notNull().unique())
      .addColumn('secret_enc', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('revoked_at', 'bigint')
      .execute();
    await s
      .createIndex('app_credentials_tenant')
      .on('app_credentials')
      .columns(['tenant_id', 'id'])
      .execute();

    await withId(s.createTable('access_tokens'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('kind', 'text', notNull)
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('app_credential_id', 'integer')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('expires_at', 'bigint', notNull)
      .addColumn('revoked_at', 'bigint')
      .execute();
    await s
      .createIndex('access_tokens_tenant')
      .on('access_tokens')
      .columns(['tenant_id', 'expires_at'])
      .execute();

    await withId(s.createTable('roles'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('uid', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', notNull)
      .addColumn('permissions', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', notNull)
      .addUniqueConstraint('roles_tenant_name', ['tenant_id', 'name'])
      .execute();

    await withId(s.createTable('service_packages'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('uid', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', notNull)
      .addColumn('max_agents', 'integer', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addUniqueConstraint('service_packages_tenant_name', ['tenant_id', 'name'])
      .execute();

    await withId(s.createTable('outbound_queues'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('caller_ids', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('outbound_queues_tenant')
      .on('outbound_queues')
      .columns(['tenant_id', 'id'])
      .execute();

    await withId(s.createTable('statuses'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('name_key', 'text', notNull)
      .addColumn('is_ready', 'integer', notNull)
      .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('deleted_at', 'bigint')
      .execute();
    await s
      .createIndex('statuses_tenant_name')
      .on('statuses')
      .columns(['tenant_id', 'name_key'])
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();

    await withId(s.createTable('agents'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('uid', 'text', (c) => c.notNull().unique())
      .addColumn('extension', 'text', notNull)
      .addColumn('name', 'text', notNull)
      .addColumn('email', 'text', notNull)
      .addColumn('phone', 'text')
      .addColumn('username', 'text')
      .addColumn('gender', 'text')
      .addColumn('role_id', 'integer', (c) => c.references('roles.id'))
      .addColumn('service_package_id', 'integer', (c) => c.references('service_packages.id'))
      .addColumn('owner_email', 'text')
      .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('password_hash', 'text')
      .addColumn('sip_password_enc', 'text', notNull)
      .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('recording_enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('follow_me', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('callout_queue_id', 'integer', (c) => c.references('outbound_queues.id'))
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('Offline'))
      .addColumn('status_id', 'integer')
      .addColumn('status_changed_at', 'bigint')
      .addColumn('created_by', 'text')
      .addColumn('updated_by', 'text')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .addColumn('deleted_at', 'bigint')
      .execute();
    // Extensions and emails stay unique among live agents; a deleted agent's email can be invited again.
    await s
      .createIndex('agents_tenant_extension')
      .on('agents')
      .columns(['tenant_id', 'extension'])
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    await s
      .createIndex('agents_tenant_email')
      .on('agents')
      .columns(['tenant_id', 'email'])
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    await s
      .createIndex('agents_tenant_active')
      .on('agents')
      .columns(['tenant_id', 'is_active', 'id'])
      .execute();
    await s.createIndex('agents_tenant_phone').on('agents').columns(['tenant_id', 'phone']).execute();
    await s
      .createIndex('agents_tenant_package')
      .on('agents')
      .columns(['tenant_id', 'service_package_id'])
      .execute();

    await withId(s.createTable('teams'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addUniqueConstraint('teams_tenant_name', ['tenant_id', 'name'])
      .execute();
    await s
      .createTable('team_members')
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
      .addColumn('agent_id', 'integer', (c) => c.notNull().references('agents.id'))
      .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'agent_id'])
      .execute();
    await s.createIndex('team_members_agent').on('team_members').columns(['tenant_id', 'agent_id']).execute();

    await withId(s.createTable('status_history'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('agent_id', 'integer', (c) => c.notNull().references('agents.id'))
      .addColumn('previous_status', 'text', notNull)
      .addColumn('new_status', 'text', notNull)
      .addColumn('changed_by', 'text', notNull)
      .addColumn('reason', 'text')
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('status_history_agent')
      .on('status_history')
      .columns(['tenant_id', 'agent_id', 'created_at'])
      .execute();

    await withId(s.createTable('inbound_queues'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('management_type', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('agent_selector', 'text')
      .addColumn('moh_file', 'text')
      .addColumn('max_wait_sec', 'integer')
      .addColumn('announce_position', 'integer')
      .addColumn('announce_interval_sec', 'integer', (c) => c.notNull().defaultTo(30))
      .addColumn('wrapup_sec', 'integer', (c) => c.notNull().defaultTo(5))
      .addColumn('ring_timeout_sec', 'integer', (c) => c.notNull().defaultTo(20))
      .addColumn('max_no_answer', 'integer', (c) => c.notNull().defaultTo(3))
      .addColumn('service_level_sec', 'integer', (c) => c.notNull().defaultTo(20))
      .addColumn('overflow_target', 'text')
      .addColumn('divert_target', 'text')
      .addColumn('record_calls', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .execute();
    await s.createIndex('inbound_queues_tenant').on('inbound_queues').columns(['tenant_id', 'id']).execute();

    await s
      .createTable('queue_members')
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('queue_id', 'integer', (c) => c.notNull().references('inbound_queues.id'))
      .addColumn('agent_id', 'integer', (c) => c.notNull().references('agents.id'))
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(1))
      .addPrimaryKeyConstraint('queue_members_pk', ['queue_id', 'agent_id'])
      .execute();
    await s
      .createIndex('queue_members_agent')
      .on('queue_members')
      .columns(['tenant_id', 'agent_id'])
      .execute();
    await s
      .createIndex('queue_members_queue')
      .on('queue_members')
      .columns(['tenant_id', 'queue_id'])
      .execute();

    await withId(s.createTable('caller_lists'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('list', 'text', notNull)
      .addColumn('number', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addUniqueConstraint('caller_lists_unique', ['tenant_id', 'list', 'number'])
      .execute();

    await withId(s.createTable('trunks'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('host', 'text', notNull)
      .addColumn('port', 'integer', notNull)
      .addColumn('transport', 'text', (c) => c.notNull().defaultTo('udp'))
      .addColumn('allowed_ips', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('username', 'text')
      .addColumn('password_enc', 'text')
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s.createIndex('trunks_tenant').on('trunks').columns(['tenant_id', 'id']).execute();

    await withId(s.createTable('numbers'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('number', 'text', (c) => c.notNull().unique())
      .addColumn('target_type', 'text', notNull)
      .addColumn('target_id', 'integer', notNull)
      .addColumn('trunk_id', 'integer', (c) => c.references('trunks.id'))
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('numbers_tenant')
      .on('numbers')
      .columns(['tenant_id', 'target_type', 'target_id'])
      .execute();

    await withId(s.createTable('media_files'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('kind', 'text', notNull)
      .addColumn('path', 'text', notNull)
      .addColumn('size_bytes', 'integer', notNull)
      .addColumn('duration_ms', 'integer', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addUniqueConstraint('media_files_tenant_name', ['tenant_id', 'name'])
      .execute();

    await withId(s.createTable('sip_registrations'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('agent_id', 'integer', (c) => c.notNull().references('agents.id'))
      .addColumn('contact', 'text', notNull)
      .addColumn('source_ip', 'text', notNull)
      .addColumn('source_port', 'integer', notNull)
      .addColumn('transport', 'text', notNull)
      .addColumn('user_agent', 'text')
      .addColumn('expires_at', 'bigint', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('sip_registrations_agent')
      .on('sip_registrations')
      .columns(['tenant_id', 'agent_id', 'expires_at'])
      .execute();

    await withId(s.createTable('calls'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('call_id', 'text', (c) => c.notNull().unique())
      .addColumn('direction', 'text', notNull)
      .addColumn('caller_number', 'text', notNull)
      .addColumn('caller_agent_id', 'integer')
      .addColumn('callee_number', 'text', notNull)
      .addColumn('callee_agent_id', 'integer')
      .addColumn('did_number', 'text')
      .addColumn('queue_id', 'integer')
      .addColumn('agent_id', 'integer')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('answered_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('duration_sec', 'integer')
      .addColumn('billing_sec', 'integer')
      .addColumn('hangup_cause', 'text')
      .addColumn('hangup_by', 'text')
      .addColumn('status_detail', 'text')
      .addColumn('sip_code', 'integer')
      .addColumn('reason', 'text')
      .addColumn('queue_stat', 'text')
      .addColumn('recording_id', 'integer')
      .execute();
    await s.createIndex('calls_tenant_created').on('calls').columns(['tenant_id', 'created_at']).execute();
    await s
      .createIndex('calls_tenant_agent')
      .on('calls')
      .columns(['tenant_id', 'agent_id', 'created_at'])
      .execute();
    await s.createIndex('calls_open').on('calls').columns(['ended_at', 'tenant_id']).execute();

    await withId(s.createTable('recordings'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('call_id', 'text', notNull)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('path', 'text', notNull)
      .addColumn('size_bytes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('completed_at', 'bigint')
      .addColumn('deleted_at', 'bigint')
      .execute();
    await s.createIndex('recordings_tenant').on('recordings').columns(['tenant_id', 'created_at']).execute();

    await withId(s.createTable('webhook_endpoints'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('url', 'text', notNull)
      .addColumn('secret_enc', 'text', notNull)
      .addColumn('events', 'text', (c) => c.notNull().defaultTo('*'))
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('webhook_endpoints_tenant')
      .on('webhook_endpoints')
      .columns(['tenant_id', 'id'])
      .execute();

    await withId(s.createTable('outbox'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('kind', 'text', notNull)
      .addColumn('payload', 'text', notNull)
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', notNull)
      .addColumn('locked_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('dedupe_key', 'text', (c) => c.unique())
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .execute();
    await s.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();

    await withId(s.createTable('delivery_attempts'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('outbox_id', 'integer', (c) => c.notNull().references('outbox.id'))
      .addColumn('attempt', 'integer', notNull)
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('duration_ms', 'integer', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('delivery_attempts_outbox')
      .on('delivery_attempts')
      .columns(['tenant_id', 'outbox_id'])
      .execute();

    await withId(s.createTable('event_log'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('type', 'text', notNull)
      .addColumn('payload', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s.createIndex('event_log_tenant').on('event_log').columns(['tenant_id', 'id']).execute();
  },
};
