import type { Command } from 'commander';
import { liftBlocks, listBlocks } from '../sip/blocks.js';
import type { Db } from '../store/db.js';
import { printResult } from './output.js';

/** What the SIP commands need from the CLI's entry point (src/cli/main.ts). */
export interface SipCommandDeps {
  /** Run `fn` against the configured store, then close it. */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
}

/**
 * `tongdai sip blocks list | lift [address]`: blocks live in `sip_blocks`, which a running server reloads every
 * second, so these work against a live server through the shared database.
 */
export function registerSipCommands(program: Command, deps: SipCommandDeps): void {
  const blocks = program
    .command('sip')
    .description('SIP administration')
    .command('blocks')
    .description('source addresses blocked by the scanner / failed-authentication guard');
  blocks
    .command('list')
    .description('blocks in force')
    .action(async () => {
      const rows = await deps.withDb((db) => listBlocks(db, Date.now()));
      const items = rows.map((r) => ({
        address: r.address,
        reason: r.reason,
        user_agent: r.user_agent,
        blocked_at: new Date(Number(r.blocked_at)).toISOString(),
        until: new Date(Number(r.until)).toISOString(),
      }));
      const human = items.length
        ? items
            .map(
              (b) => `${b.address}\t${b.reason}\tuntil ${b.until}${b.user_agent ? `\t${b.user_agent}` : ''}`,
            )
            .join('\n')
        : 'no SIP blocks';
      printResult(deps.json(), { blocks: items }, human);
    });
  blocks
    .command('lift [address]')
    .description('lift the block of one address, or every block')
    .action(async (address: string | undefined) => {
      const lifted = await deps.withDb((db) => liftBlocks(db, address));
      printResult(
        deps.json(),
        { lifted },
        `${lifted} block${lifted === 1 ? '' : 's'} lifted (a running server applies it within a second)`,
      );
    });
}
