import { sipPasswordOf } from '../domain/agents.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Db } from '../store/db.js';
import type { Agent, Tenant } from '../store/schema.js';

/** An agent as SIP sees it: who, which tenant, and whether it may use SIP at all. */
export interface SipIdentity {
  tenant: Tenant;
  agent: Agent;
}

const IP_RE = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

/**
 * Tenant resolution for SIP. The host a phone registers to (To / Request-URI) is the tenant's `sip_domain`.
 * Phones configured with tongdai's IP (or any other name) as domain fall back to the extension: when exactly
 * one tenant has a live agent with that extension, that tenant; otherwise nobody (ambiguous is refused).
 */
export class SipDirectory {
  /** A sealed throwaway password: opening it for unknown users makes them cost what a known user costs. */
  private readonly dummy: string;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {
    this.dummy = box.seal('tongdai-no-such-user');
  }

  tenantForDomain(host: string): Promise<Tenant | undefined> {
    return this.db
      .selectFrom('tenants')
      .selectAll()
      .where('sip_domain', '=', host.toLowerCase())
      .executeTakeFirst();
  }

  isIpHost(host: string): boolean {
    return IP_RE.test(host);
  }

  /** The live agent `extension` reached through `host`; deleted or inactive agents are not found. */
  async findAgent(host: string, extension: string): Promise<SipIdentity | null> {
    const tenant = await this.tenantForDomain(host);
    if (tenant) {
      const agent = await this.liveAgents(extension).where('tenant_id', '=', tenant.id).executeTakeFirst();
      return agent ? { tenant, agent } : null;
    }
    const agents = await this.liveAgents(extension).limit(2).execute();
    if (agents.length !== 1) return null;
    const t = await this.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', agents[0]!.tenant_id)
      .executeTakeFirst();
    return t ? { tenant: t, agent: agents[0]! } : null;
  }

  private liveAgents(extension: string) {
    return this.db
      .selectFrom('agents')
      .selectAll()
      .where('extension', '=', extension)
      .where('deleted_at', 'is', null)
      .where('is_active', '=', 1);
  }

  /** The agent's SIP password; without an agent, the dummy one, through the very same decryption. */
  password(agent: Agent | null): string {
    return agent ? sipPasswordOf(this.box, agent) : this.box.open(this.dummy);
  }
}
