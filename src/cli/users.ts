import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import {
  CONSOLE_ROLES,
  type ConsoleRole,
  isConsoleRole,
  setConsolePassword,
} from '../domain/console-accounts.js';
import { getTenant } from '../domain/tenants.js';
import { invalid } from '../errors.js';
import type { TeamCommandDeps } from './teams.js';
import { printResult } from './output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/**
 * The password comes from --password, else the first line of stdin when it is piped; on a terminal a random
 * one is generated and printed once (typing a password into a command line leaves it in the shell history).
 */
async function passwordFrom(o: { password?: string }): Promise<{ password: string; generated: boolean }> {
  if (o.password !== undefined) return { password: o.password, generated: false };
  if (!process.stdin.isTTY) return { password: await readStdin(), generated: false };
  return { password: randomBytes(12).toString('base64url'), generated: true };
}

/** `tongdai user password`: set an agent's console password (and optionally its console role). */
export function registerUserCommands(program: Command, deps: TeamCommandDeps): void {
  const user = program
    .command('user')
    .description('manage console users (agents who sign in to the web console)');
  user
    .command('password')
    .description("set an agent's console password; its open console sessions end")
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--email <email>', "the agent's email")
    .option('--password <password>', 'the new password (else read from stdin, or generated on a terminal)')
    .option('--role <role>', `console role: ${CONSOLE_ROLES.join(', ')}`)
    .action(async (o: { tenant: string; email: string; password?: string; role?: string }) => {
      if (o.role !== undefined && !isConsoleRole(o.role))
        throw invalid(`--role must be one of ${CONSOLE_ROLES.join(', ')}, got "${o.role}"`);
      const role = o.role as ConsoleRole | undefined;
      const { password, generated } = await passwordFrom(o);
      const out = await deps.withDb(async (db) => {
        const tenantId = deps.tenantId(o.tenant);
        await getTenant(db, tenantId);
        return setConsolePassword(db, systemClock, tenantId, o.email, password, role);
      });
      const result = {
        agent_id: out.agentId,
        email: o.email,
        revoked_sessions: out.revokedSessions,
        ...(role ? { role } : {}),
        ...(generated ? { password } : {}),
      };
      printResult(
        deps.json(),
        result,
        `password set for ${o.email}` +
          (generated ? `: ${password} (shown once)` : '') +
          (out.revokedSessions ? `; ${out.revokedSessions} session(s) ended` : ''),
      );
    });
}
